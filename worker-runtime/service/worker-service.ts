import type {
  JoinStartRequest,
  JoinState,
  MembershipInfo,
  MetricPoint,
  RunStartRequest,
  RunState,
  Submission,
  WorkerFeedEvent,
  WorkerProgramResponse,
  WorkerServiceState,
} from '../../protocol/index.ts';
import { errorStatus, RunStartRequest as RunStartSchema, settleClaim, type ErrorCode } from '../../protocol/index.ts';
import type { CohortPaths } from '../../protocol/node/paths.ts';
import { AmbiguousMembershipError, pickMembership, readMemberships, WorkerError, type Membership, type MembershipProblem } from '../credentials.ts';
import { detectHardware, type Hardware } from '../hardware.ts';
import { join, JoinError } from '../join.ts';
import { MemberClient, NotAMemberError } from '../member-client.ts';
import { TailBuffer } from '../runner/tail-buffer.ts';
import { startWorker, workerDirs, type WorkerEvent, type WorkerOptions, type WorkerSummary } from '../worker.ts';
import { layOutWorkspace } from '../workspace/first-layout.ts';
import { Workspace } from '../workspace/workspace.ts';
import { toFeedEvent } from './feed-event.ts';
import { foldActivity, initialActivity, isFollowed } from './run-activity.ts';

/**
 * A refusal the UI shows as it is: a code from protocol's ErrorCode, the status that code always
 * has (ERROR_STATUS, as main's ServiceError; worker-runtime imports only protocol/), and a sentence
 * that says what to do.
 */
/** The member's own results the app shows, newest first. */
const MINE_PAGE = 200;

export class WorkerServiceError extends WorkerError {
  override name = 'WorkerServiceError';
  readonly status: number;
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = errorStatus(code);
  }
}

export interface WorkerServiceOptions {
  paths: CohortPaths;
  appVersion: string;
  /** What every run gets besides its membership (the Python environment, grace, retry pacing…). */
  runOptions?: Omit<WorkerOptions, 'membership' | 'paths' | 'hardware' | 'loop' | 'runs' | 'propose' | 'hypothesis' | 'onEvent' | 'signal'>;
  /** This machine's hardware (detected when not given). */
  hardware?: Hardware;
}

/**
 * How a run's end reads in the view, one entry per reason the worker stops (a Record, so a reason
 * added to WorkerSummary fails to compile until it has its sentence here).
 */
const STOPPED_BECAUSE: Record<WorkerSummary['stoppedBecause'], string> = {
  done: 'done',
  stopped: 'stopped',
  revoked: 'your membership was revoked',
  crashes: 'the runs kept crashing the same way',
  setup: 'the program\'s setup failed',
  machine: 'the champion\'s code does not run on this machine',
};

/** The end of a run as a sentence; a failed setup adds its reason and log, which say what to fix. */
function endMessage(summary: WorkerSummary, setup: RunState['setup']): string {
  const why = STOPPED_BECAUSE[summary.stoppedBecause];
  if (summary.stoppedBecause === 'setup' && setup?.state === 'failed') return `${why}: ${setup.reason ?? 'unknown'} (its log: ${setup.log_file})`;
  if (summary.reason !== undefined) return `${why}: ${summary.reason}`;
  return why;
}

const OUTPUT_BYTES = 64 * 1024;
const MAX_METRIC_POINTS = 5_000;
const MAX_SUBMISSIONS = 200;

/**
 * The worker behind the UI's worker view: one join and one run (or loop) at a time, their state,
 * and a feed of everything that happens, kept so a reloaded page can catch up. Plain Node: the HTTP
 * routes (worker-routes.ts) are a thin layer over it.
 */
export class WorkerService {
  readonly #opts: WorkerServiceOptions;
  readonly #hardware: Hardware;
  readonly #listeners = new Set<(event: WorkerFeedEvent) => void>();
  #join: { state: JoinState; abort: AbortController } | null = null;
  #run: { state: RunState; abort: AbortController; done: Promise<void> } | null = null;
  #output = new TailBuffer(OUTPUT_BYTES);
  #metrics: MetricPoint[] = [];
  #runStartedAt = 0;
  #submissions: Submission[] = [];
  /** The current (or last) run's confinement and code lineage, for a page that (re)loads mid-run. */
  #sandbox: WorkerServiceState['sandbox'] = null;
  #lineage: WorkerServiceState['lineage'] = null;
  /** The first layout of a just-joined program's workspace, while it goes on (a run waits for it). */
  #layout: Promise<void> = Promise.resolve();

  private constructor(opts: WorkerServiceOptions, hardware: Hardware) {
    this.#opts = opts;
    this.#hardware = hardware;
  }

  static async create(opts: WorkerServiceOptions): Promise<WorkerService> {
    return new WorkerService(opts, opts.hardware ?? (await detectHardware()));
  }

  /** Follows the feed; returns the function that stops following. */
  subscribe(listener: (event: WorkerFeedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: WorkerFeedEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async #memberships(): Promise<{ memberships: MembershipInfo[]; membership_problems: MembershipProblem[] }> {
    const { memberships, problems } = await readMemberships(this.#opts.paths);
    return {
      memberships: memberships.map((m) => ({ id: m.id, program: m.program, url: m.url, name: m.name, member_id: m.memberId, joined_at: m.joinedAt })),
      membership_problems: problems,
    };
  }

  #machine() {
    const h = this.#hardware;
    return { hostname: h.hostname, os: h.os, gpu: h.gpu ? h.gpu : null, gpu_count: h.gpu_count };
  }

  async #emitState(): Promise<void> {
    this.#emit({
      type: 'state',
      state: { machine: this.#machine(), ...(await this.#memberships()), join: this.#join?.state ?? null, run: this.#run?.state ?? null },
    });
  }

  async state(): Promise<WorkerServiceState> {
    return {
      machine: this.#machine(),
      ...(await this.#memberships()),
      join: this.#join?.state ?? null,
      run: this.#run?.state ?? null,
      output: this.#output.toString(),
      metrics: this.#metrics,
      submissions: this.#submissions,
      sandbox: this.#sandbox,
      lineage: this.#lineage,
    };
  }

  /**
   * Asks to join the program at `url` (RFC 8628). Resolves once the host has handed out the user
   * code (or refused outright); approval, denial or expiry arrive later as `state` events.
   */
  async startJoin(request: JoinStartRequest): Promise<JoinState> {
    const busy = this.#join?.state.state;
    if (busy === 'requesting' || busy === 'waiting') {
      throw new WorkerServiceError('conflict', `Already asking to join ${this.#join!.state.url}; cancel that request first.`);
    }
    const abort = new AbortController();
    const state: JoinState = {
      url: request.url,
      name: request.name ?? this.#hardware.hostname,
      user_code: null,
      expires_at: null,
      state: 'requesting',
      message: null,
      program: null,
      membership: null,
      workspace: null,
    };
    const entry = { abort, state };
    this.#join = entry;
    const update = (patch: Partial<JoinState>) => {
      if (this.#join !== entry) return; // a newer join replaced this one
      entry.state = { ...entry.state, ...patch };
      void this.#emitState();
    };

    let replaced = false;
    let repointedFrom: string | null = null;
    let notMet = '';
    let codeShown!: () => void;
    const code = new Promise<void>((resolve) => (codeShown = resolve));
    const finished = join({
      url: request.url,
      ...(request.name ? { name: request.name } : {}),
      hardware: this.#hardware,
      appVersion: this.#opts.appVersion,
      paths: this.#opts.paths,
      signal: abort.signal,
      onCode: ({ userCode, expiresAt }) => {
        update({ user_code: userCode, expires_at: expiresAt, state: 'waiting' });
        codeShown();
      },
      onSaved: (saved) => (replaced = saved.replaced),
      onRepointed: ({ from }) => (repointedFrom = from),
      onRequirementsNotMet: (message) => (notMet = ` Note: ${message} Runs will be refused here.`),
    }).then(
      (membership) => {
        update({
        state: 'approved',
        program: membership.program,
        membership: membership.id,
        message: repointedFrom !== null
          ? `"${membership.program}" moved from ${repointedFrom} to ${membership.url}; your membership now points there (still member ${membership.memberId}, no new approval needed).`
          : `You are a member of "${membership.program}" at ${membership.url}${replaced ? ' (this replaces your earlier membership of it)' : ''}.${notMet}`,
        });
        // A re-pointed membership has its workspace, maybe with edits in it; a new one gets its first now.
        if (repointedFrom === null) this.#layout = this.#layOut(membership, update);
      },
      (err: unknown) => update({ state: err instanceof JoinError ? err.reason : 'failed', message: (err as Error).message }),
    );
    await Promise.race([code, finished]);
    return entry.state;
  }

  /**
   * The workspace right after approval (issue 13, item 7), as `cohort join` lays it out: something
   * to edit before the first run. A host that does not answer now is a warning, not a failed join:
   * the first run lays it out.
   */
  async #layOut(membership: Membership, update: (patch: Partial<JoinState>) => void): Promise<void> {
    update({ workspace: { state: 'laying-out' } });
    try {
      const ws = await layOutWorkspace(this.#opts.paths, membership);
      update({ workspace: { state: 'ready', dir: ws.dir, editable: ws.editable, run: ws.run, sandboxed: this.#opts.runOptions?.sandbox !== false } });
    } catch (err) {
      const message = `The workspace could not be laid out yet (${(err as Error).message}); the first run lays it out.`;
      update({ workspace: { state: 'failed', message } });
      this.#emit({ type: 'warning', message });
    }
  }

  cancelJoin(): JoinState | null {
    const entry = this.#join;
    if (entry === null) return null;
    if (entry.state.state === 'requesting' || entry.state.state === 'waiting') entry.abort.abort();
    return entry.state;
  }

  /** `selector`: a membership id, or a program name only one membership has. */
  async #membership(selector: string): Promise<Membership> {
    try {
      return await pickMembership(this.#opts.paths, selector);
    } catch (err) {
      if (err instanceof AmbiguousMembershipError) throw new WorkerServiceError('ambiguous', err.message);
      throw new WorkerServiceError('not_found', (err as Error).message);
    }
  }

  /** Starts one run, or a loop, of a joined program's experiment. */
  async startRun(input: RunStartRequest): Promise<RunState> {
    const request = RunStartSchema.parse(input);
    // Two syncs of one workspace at once would race: the first layout after a join ends first.
    await this.#layout;
    if (this.#run !== null && (this.#run.state.state === 'running' || this.#run.state.state === 'stopping')) {
      throw new WorkerServiceError('conflict', `A run of "${this.#run.state.program}" is going on; stop it first.`);
    }
    const membership = await this.#membership(request.program);
    if (request.gpus !== null) this.#checkGpus(request.gpus);
    const abort = new AbortController();
    const state: RunState = {
      program: membership.program,
      membership: membership.id,
      loop: request.loop,
      propose: request.propose,
      hypothesis: request.hypothesis || null,
      state: 'running',
      started_at: Date.now(),
      runs: 0,
      message: null,
      sandboxed: null,
      setup_only: request.setup_only,
      gpus: request.gpus,
      ...initialActivity(),
    };
    const entry = { state, abort, done: Promise.resolve() };
    this.#run = entry;
    this.#sandbox = null;
    this.#lineage = null;
    const update = (patch: Partial<RunState>) => {
      entry.state = { ...entry.state, ...patch };
      void this.#emitState();
    };

    const onEvent = (event: WorkerEvent) => {
      if (event.type === 'sandbox') update({ sandboxed: event.sandboxed });
      const followed = isFollowed(event);
      // The hypothesis shown is that of the run the pane follows, as its output is.
      if (event.type === 'propose' && followed) update({ hypothesis: event.hypothesis });
      // The pane and the chart start over with each run (or setup) of the slot they follow.
      if ((event.type === 'run-start' || event.type === 'setup-start') && followed) {
        this.#output = new TailBuffer(OUTPUT_BYTES);
        this.#metrics = [];
        this.#runStartedAt = Date.now();
      }
      const activity = foldActivity({ slots: entry.state.slots, setup: entry.state.setup }, event, Date.now());
      if (activity !== null) update({ ...activity, ...(event.type === 'run-start' ? { runs: Math.max(entry.state.runs, event.run) } : {}) });
      if ((event.type === 'output' || event.type === 'metric') && !followed) return;
      if (event.type === 'output') this.#output.push(event.chunk);
      const feed = toFeedEvent(event, { program: membership.program, membership: membership.id, runStartedAt: this.#runStartedAt });
      if (feed === null) return;
      if (feed.type === 'metric' && this.#metrics.length < MAX_METRIC_POINTS) this.#metrics.push(feed.point);
      if (feed.type === 'submitted') this.#submissions = [...this.#submissions, feed.submission].slice(-MAX_SUBMISSIONS);
      if (feed.type === 'claim-verdict') this.#submissions = settleClaim(this.#submissions, feed.membership, feed.result);
      if (feed.type === 'sandbox') this.#sandbox = feed;
      if (feed.type === 'lineage') this.#lineage = feed;
      this.#emit(feed);
    };

    entry.done = startWorker({
      ...this.#opts.runOptions,
      membership,
      paths: this.#opts.paths,
      hardware: this.#hardware,
      loop: request.loop,
      ...(request.propose !== null ? { propose: request.propose } : {}),
      ...(request.hypothesis ? { hypothesis: request.hypothesis } : {}),
      ...(request.gpus !== null ? { gpus: request.gpus } : {}),
      ...(request.runs !== undefined ? { runs: request.runs } : {}),
      ...(request.setup_only ? { setupOnly: true } : {}),
      onEvent,
      signal: abort.signal,
    }).then(
      (summary) => update({ state: 'finished', message: endMessage(summary, entry.state.setup) }),
      (err: unknown) => {
        this.#emit({ type: 'warning', message: (err as Error).message });
        update({ state: 'failed', message: (err as Error).message });
      },
    );
    await this.#emitState();
    return entry.state;
  }

  /**
   * GPUs this machine does not have are refused before anything starts, saying what is here (the
   * worker would refuse too, but only after its sandbox check, as a failed run).
   */
  #checkGpus(gpus: 'all' | number[]): void {
    const count = this.#hardware.gpu_count;
    const here = count === 0 ? 'nvidia-smi lists no GPU on this machine' : `this machine has ${count}: ${Array.from({ length: count }, (_, i) => i).join(', ')}`;
    if (gpus === 'all' && count === 0) throw new WorkerServiceError('bad_request', `There is no GPU to run one experiment per GPU on (${here}); run one at a time instead.`);
    const missing = gpus === 'all' ? [] : gpus.filter((g) => g >= count);
    if (missing.length > 0) throw new WorkerServiceError('bad_request', `GPU ${missing.join(', ')} does not exist (${here}); run one at a time instead.`);
  }

  /** Stops the run (the experiment is killed; a stopped run is not submitted). */
  stopRun(): RunState | null {
    const entry = this.#run;
    if (entry === null || entry.state.state !== 'running') return entry?.state ?? null;
    entry.state = { ...entry.state, state: 'stopping' };
    entry.abort.abort();
    void this.#emitState();
    return entry.state;
  }

  /** The program as its host sees it now, with this member's own results and the workspace's diff. */
  async program(selector: string): Promise<WorkerProgramResponse> {
    const membership = await this.#membership(selector);
    const client = new MemberClient(membership.url, membership.token, { timeoutMs: 10_000 });
    let task, results;
    try {
      // This member's latest results only: one page, never the whole KB (docs/design.md, "Listings at scale").
      [task, results] = await Promise.all([client.task(), client.results({ member: membership.memberId, order: 'desc', limit: MINE_PAGE })]);
    } catch (err) {
      if (err instanceof NotAMemberError) throw new WorkerServiceError('not_a_member', err.message);
      throw new WorkerServiceError('host_unreachable', `The program's host did not answer: ${(err as Error).message}`);
    }
    const workspace = new Workspace(workerDirs(this.#opts.paths, membership), task.program.spec.editable);
    const diff = await workspace.diff().catch(() => '');
    return {
      program: task.program,
      champion: task.champion,
      reference: task.reference,
      member_id: membership.memberId,
      mine: results.results,
      workspace: { dir: workspace.dir, diff },
    };
  }

  /** Cancels a pending join, stops a run and waits for it to end. */
  async close(): Promise<void> {
    this.cancelJoin();
    this.stopRun();
    await this.#layout;
    await this.#run?.done;
    this.#listeners.clear();
  }
}
