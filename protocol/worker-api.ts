import { z } from 'zod';
import { Champion } from './api.ts';
import { ProgramInfo } from './task.ts';
import { ResultRecord, ResultVerdict, type VerificationState } from './results.ts';

/**
 * The worker's loopback service (`/api/worker/…` on the app's listener): joining programs, starting
 * and stopping runs, and a live feed of what the run does. The UI's worker view speaks only this.
 */

export const JoinStartRequest = z.object({
  url: z.string().trim().min(1, 'Paste the program URL the owner gave you (e.g. https://words.trycloudflare.com).').max(2048),
  /** The name the owner sees; default: this machine's host name. */
  name: z.string().trim().min(1).max(64).optional(),
});
export type JoinStartRequest = z.infer<typeof JoinStartRequest>;

/** The most GPUs one request may name: more than any machine Cohort meets has (a DGX has 8). */
export const MAX_GPUS = 64;
const GpuIndex = z.number().int().min(0).max(255);

export const RunStartRequest = z.object({
  /** Which membership: its id (MembershipInfo.id), or a program name only one membership has. */
  program: z.string().min(1).max(128),
  /** Repeat sync → propose → run → submit until stopped. */
  loop: z.boolean().default(false),
  /** `mutate` for the built-in proposer; null runs the workspace as it is. */
  propose: z.enum(['mutate']).nullable().default(null),
  hypothesis: z.string().trim().max(2000).optional(),
  /**
   * One experiment per GPU at once (docs/design.md, "Hardware"): `all`, or GPU indexes as
   * nvidia-smi numbers them; null runs one at a time on every GPU. Bounded, so a request cannot ask
   * for more slots than any machine has.
   */
  gpus: z
    .union([z.literal('all'), z.array(GpuIndex).min(1).max(MAX_GPUS).refine((g) => new Set(g).size === g.length, 'a GPU is listed twice')])
    .nullable()
    .default(null),
  /** How many runs (default 1, unlimited with `loop`): "run once" on every GPU asks for one per slot. */
  runs: z.number().int().min(1).max(10_000).optional(),
  /** Only run the program's setup (TASK.md `setup`), as `cohort setup` does; no experiment. */
  setup_only: z.boolean().default(false),
});
export type RunStartRequest = z.input<typeof RunStartRequest>;

export const JoinWorkspace = z.discriminatedUnion('state', [
  z.object({ state: z.literal('laying-out') }),
  /** `run`: the program's command; `sandboxed`: whether this app runs it in the sandbox (false only when started with --no-sandbox). */
  z.object({ state: z.literal('ready'), dir: z.string(), editable: z.array(z.string()), run: z.string(), sandboxed: z.boolean() }),
  /** Not fatal: the first run lays the workspace out. */
  z.object({ state: z.literal('failed'), message: z.string() }),
]);
export type JoinWorkspace = z.infer<typeof JoinWorkspace>;

export const JoinState = z.object({
  url: z.string(),
  name: z.string(),
  user_code: z.string().nullable(),
  /** Epoch ms when the code expires. */
  expires_at: z.number().nullable(),
  state: z.enum(['requesting', 'waiting', 'approved', 'denied', 'expired', 'cancelled', 'failed']),
  message: z.string().nullable(),
  program: z.string().nullable(),
  /** The membership's id once approved. */
  membership: z.string().nullable(),
  /**
   * The workspace, laid out right after approval so there is something to edit before the first
   * run (null before approval, and for a re-pointed membership, whose workspace already exists).
   */
  workspace: JoinWorkspace.nullable(),
});
export type JoinState = z.infer<typeof JoinState>;

/** One slot of a run (worker-runtime/slots.ts): its GPUs (null: every GPU) and what it does now. */
export const SlotState = z.object({
  index: z.number().int(),
  gpus: z.array(z.number()).nullable(),
  state: z.enum(['idle', 'setting-up', 'running']),
  /** The run it runs, when and with which budget it started (null unless running). */
  run: z.number().nullable(),
  started_at: z.number().nullable(),
  budget_seconds: z.number().nullable(),
  /** How its last run ended: the metric's value, or null for a crash. */
  last: z.object({ run: z.number(), status: z.enum(['ok', 'crash']), value: z.number().nullable() }).nullable(),
});
export type SlotState = z.infer<typeof SlotState>;

/** The program's setup (TASK.md `setup`): running, done, or failed with its reason; its log either way. */
export const SetupState = z.object({
  state: z.enum(['running', 'done', 'failed']),
  command: z.string(),
  why: z.string(),
  log_file: z.string(),
  /** Why it failed ("stopped" when the person stopped it); null otherwise. */
  reason: z.string().nullable(),
  seconds: z.number().nullable(),
});
export type SetupState = z.infer<typeof SetupState>;

export const RunState = z.object({
  /** The program's name, and the id of the membership that runs it. */
  program: z.string(),
  membership: z.string(),
  loop: z.boolean(),
  propose: z.enum(['mutate']).nullable(),
  /**
   * The current run's hypothesis: the one typed for a manual run (RunStartRequest.hypothesis), or the
   * proposer's latest for the slot the view follows; null when there is none.
   */
  hypothesis: z.string().nullable(),
  state: z.enum(['running', 'stopping', 'finished', 'failed']),
  started_at: z.number(),
  /** Runs started in this session (a loop counts up). */
  runs: z.number().int(),
  /** Why it ended: "done", "stopped", "revoked", or the error. */
  message: z.string().nullable(),
  /** Whether runs happen inside the bubblewrap sandbox (null until the worker has checked). */
  sandboxed: z.boolean().nullable(),
  /** Only the program's setup (RunStartRequest.setup_only). */
  setup_only: z.boolean(),
  /** The GPUs asked for (RunStartRequest.gpus). */
  gpus: z.union([z.literal('all'), z.array(z.number())]).nullable(),
  /** What each slot does now: one slot, or one per GPU group when `gpus` was given. */
  slots: z.array(SlotState),
  /** The last setup of this session, while it runs and after (null when none ran). */
  setup: SetupState.nullable(),
});
export type RunState = z.infer<typeof RunState>;

/** One host's program this machine has joined; `id` tells two hosts' programs of the same name apart. */
export const MembershipInfo = z.object({
  id: z.string(),
  program: z.string(),
  url: z.string(),
  name: z.string(),
  member_id: z.string(),
  joined_at: z.string(),
});
export type MembershipInfo = z.infer<typeof MembershipInfo>;

export const MetricPoint = z.object({ t: z.number(), name: z.string(), value: z.number() });
export type MetricPoint = z.infer<typeof MetricPoint>;

/**
 * A result this session delivered: the hypothesis it was submitted with ('' when none), and the host's
 * verdict, whose `verification` moves on when another member's re-run decides the claim. `membership`:
 * result ids are a host's own (every host has an r1), so a verdict is matched by both.
 */
export const Submission = z.object({ program: z.string(), membership: z.string(), at: z.number(), replayed: z.boolean(), hypothesis: z.string(), verdict: ResultVerdict });
export type Submission = z.infer<typeof Submission>;

/**
 * The submissions after another member's re-run decided one of them (a `claim-verdict`): the
 * service's list and the view's both call this, so a reloaded page and a live one agree.
 */
export function settleClaim(submissions: readonly Submission[], membership: string, claim: { id: string; verification: VerificationState }): Submission[] {
  const decided = (s: Submission) => s.membership === membership && s.verdict.id === claim.id;
  return submissions.map((s) => (decided(s) ? { ...s, verdict: { ...s.verdict, verification: claim.verification } } : s));
}

const SandboxEvent = z.object({
  type: z.literal('sandbox'),
  sandboxed: z.boolean(),
  bwrap: z.string().nullable(),
  cache_dir: z.string(),
  withheld_env: z.array(z.string()),
  devices: z.array(z.string()),
});

const LineageEvent = z.object({
  type: z.literal('lineage'),
  run: z.number(),
  champion: z.string().nullable(),
  chain: z.array(z.object({ id: z.string(), member: z.string(), member_name: z.string(), you: z.boolean(), value: z.number().nullable(), hypothesis: z.string() })),
  complete: z.boolean(),
  local_edits: z.array(z.string()),
});

/** GET /api/worker/state: everything the view needs after a (re)load. */
export const WorkerServiceState = z.object({
  /** `gpu_count`: how many GPUs nvidia-smi lists; the view offers one run per GPU from two on. */
  machine: z.object({ hostname: z.string(), os: z.string(), gpu: z.string().nullable(), gpu_count: z.number().int() }),
  memberships: z.array(MembershipInfo),
  /** Membership files that could not be used: the file and what to do. */
  membership_problems: z.array(z.object({ file: z.string(), message: z.string() })),
  join: JoinState.nullable(),
  run: RunState.nullable(),
  /** The current (or last) run's output, its last ~64 KB. */
  output: z.string(),
  /** Metric lines seen during the current (or last) run; `t` is seconds since it started. */
  metrics: z.array(MetricPoint),
  submissions: z.array(Submission),
  /** How the current (or last) run is confined, and whose changes its code holds: null until the worker said. */
  sandbox: SandboxEvent.nullable(),
  lineage: LineageEvent.nullable(),
});
export type WorkerServiceState = z.infer<typeof WorkerServiceState>;

/** GET /api/worker/programs/:membership (its id, or a program name only one membership has): the program as its host sees it, and this member's results. */
export const WorkerProgramResponse = z.object({
  program: ProgramInfo,
  champion: Champion.nullable(),
  reference: z.number().nullable(),
  member_id: z.string(),
  mine: z.array(ResultRecord),
  workspace: z.object({ dir: z.string(), diff: z.string() }),
});
export type WorkerProgramResponse = z.infer<typeof WorkerProgramResponse>;

/** The live feed (SSE `event:` = `type`). */
export const WorkerFeedEvent = z.discriminatedUnion('type', [
  // What the service keeps besides (output, metrics, submissions, sandbox, lineage) travels in events of its own.
  z.object({ type: z.literal('state'), state: WorkerServiceState.omit({ output: true, metrics: true, submissions: true, sandbox: true, lineage: true }) }),
  z.object({ type: z.literal('info'), message: z.string() }),
  z.object({ type: z.literal('warning'), message: z.string() }),
  z.object({ type: z.literal('sync'), champion: Champion.nullable(), metric: z.string(), workspace: z.string(), stashed_to: z.string().nullable() }),
  z.object({ type: z.literal('propose'), hypothesis: z.string() }),
  SandboxEvent,
  LineageEvent,
  /** The program's setup (TASK.md `setup`) starts, with network; `why` now (first run, program changed, asked for). */
  z.object({ type: z.literal('setup-start'), command: z.string(), why: z.string(), log_file: z.string(), home: z.string(), sandboxed: z.boolean(), slot: z.number().optional() }),
  /** `reason`: why it failed, "stopped" when stopped; the log says more. */
  z.object({ type: z.literal('setup-end'), ok: z.boolean(), reason: z.string(), seconds: z.number(), log_file: z.string(), slot: z.number().optional() }),
  // `slot`: which slot's run, when there are several (RunState.slots).
  z.object({ type: z.literal('run-start'), run: z.number(), command: z.string(), log_file: z.string(), budget_seconds: z.number(), sandboxed: z.boolean(), slot: z.number().optional() }),
  z.object({ type: z.literal('output'), chunk: z.string(), stream: z.enum(['stdout', 'stderr']) }),
  z.object({ type: z.literal('progress'), elapsed_seconds: z.number(), budget_seconds: z.number(), slot: z.number().optional() }),
  z.object({ type: z.literal('metric'), point: MetricPoint }),
  z.object({
    type: z.literal('run-end'),
    run: z.number(),
    status: z.enum(['ok', 'crash']),
    reason: z.string(),
    value: z.number().nullable(),
    wall_seconds: z.number(),
    slot: z.number().optional(),
  }),
  z.object({ type: z.literal('submitted'), submission: Submission }),
  /** Another member's re-run decided one of this member's claims: reproduced (it earns) or not. */
  z.object({ type: z.literal('claim-verdict'), membership: z.string(), result: ResultRecord }),
  z.object({ type: z.literal('rejected'), reason: z.string(), moved_to: z.string() }),
  z.object({ type: z.literal('retry'), attempt: z.number(), delay_ms: z.number(), reason: z.string() }),
]);
export type WorkerFeedEvent = z.infer<typeof WorkerFeedEvent>;
export type WorkerFeedEventType = WorkerFeedEvent['type'];
