import { z } from 'zod';
import { Champion } from './api.ts';
import { ProgramInfo } from './task.ts';
import { ResultRecord, ResultVerdict } from './results.ts';

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

export const RunStartRequest = z.object({
  /** Which membership: its id (MembershipInfo.id), or a program name only one membership has. */
  program: z.string().min(1).max(128),
  /** Repeat sync → propose → run → submit until stopped. */
  loop: z.boolean().default(false),
  /** `mutate` for the built-in proposer; null runs the workspace as it is. */
  propose: z.enum(['mutate']).nullable().default(null),
  hypothesis: z.string().trim().max(2000).optional(),
});
export type RunStartRequest = z.input<typeof RunStartRequest>;

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
});
export type JoinState = z.infer<typeof JoinState>;

export const RunState = z.object({
  /** The program's name, and the id of the membership that runs it. */
  program: z.string(),
  membership: z.string(),
  loop: z.boolean(),
  propose: z.enum(['mutate']).nullable(),
  state: z.enum(['running', 'stopping', 'finished', 'failed']),
  started_at: z.number(),
  /** Runs started in this session (a loop counts up). */
  runs: z.number().int(),
  /** Why it ended: "done", "stopped", "revoked", or the error. */
  message: z.string().nullable(),
  /** Whether runs happen inside the bubblewrap sandbox (null until the worker has checked). */
  sandboxed: z.boolean().nullable(),
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

export const Submission = z.object({ program: z.string(), at: z.number(), replayed: z.boolean(), verdict: ResultVerdict });
export type Submission = z.infer<typeof Submission>;

/** GET /api/worker/state: everything the view needs after a (re)load. */
export const WorkerServiceState = z.object({
  machine: z.object({ hostname: z.string(), os: z.string(), gpu: z.string().nullable() }),
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
  z.object({ type: z.literal('state'), state: WorkerServiceState.omit({ output: true, metrics: true, submissions: true }) }),
  z.object({ type: z.literal('info'), message: z.string() }),
  z.object({ type: z.literal('warning'), message: z.string() }),
  z.object({ type: z.literal('sync'), champion: Champion.nullable(), metric: z.string(), workspace: z.string(), stashed_to: z.string().nullable() }),
  z.object({ type: z.literal('propose'), hypothesis: z.string() }),
  z.object({
    type: z.literal('sandbox'),
    sandboxed: z.boolean(),
    bwrap: z.string().nullable(),
    cache_dir: z.string(),
    withheld_env: z.array(z.string()),
    devices: z.array(z.string()),
  }),
  z.object({
    type: z.literal('lineage'),
    run: z.number(),
    champion: z.string().nullable(),
    chain: z.array(z.object({ id: z.string(), member: z.string(), member_name: z.string(), you: z.boolean(), value: z.number().nullable(), hypothesis: z.string() })),
    complete: z.boolean(),
    local_edits: z.array(z.string()),
  }),
  z.object({ type: z.literal('run-start'), run: z.number(), command: z.string(), log_file: z.string(), budget_seconds: z.number(), sandboxed: z.boolean() }),
  z.object({ type: z.literal('output'), chunk: z.string(), stream: z.enum(['stdout', 'stderr']) }),
  z.object({ type: z.literal('progress'), elapsed_seconds: z.number(), budget_seconds: z.number() }),
  z.object({ type: z.literal('metric'), point: MetricPoint }),
  z.object({ type: z.literal('run-end'), run: z.number(), status: z.enum(['ok', 'crash']), reason: z.string(), value: z.number().nullable(), wall_seconds: z.number() }),
  z.object({ type: z.literal('submitted'), submission: Submission }),
  z.object({ type: z.literal('rejected'), reason: z.string(), moved_to: z.string() }),
  z.object({ type: z.literal('retry'), attempt: z.number(), delay_ms: z.number(), reason: z.string() }),
]);
export type WorkerFeedEvent = z.infer<typeof WorkerFeedEvent>;
export type WorkerFeedEventType = WorkerFeedEvent['type'];
