import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Champion, ResultVerdict, SubmitResultRequest, TaskResponse } from '../protocol/index.ts';
import { codeHash } from '../protocol/node/code-hash.ts';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { WorkerError, type Membership } from './credentials.ts';
import { workerDirs } from './dirs.ts';
import type { Hardware } from './hardware.ts';
import { codeLineage, type CodeLineage } from './lineage.ts';
import { HostUnavailableError, MemberClient, NotAMemberError } from './member-client.ts';
import { Outbox } from './outbox.ts';
import { runProposeCommand } from './proposer/command.ts';
import { kbDigest } from './proposer/kb-digest.ts';
import { mutate, type Random } from './proposer/mutate.ts';
import { runExperiment, type RunOutcome } from './runner/run-experiment.ts';
import { openSandbox, type SandboxConfig, type SandboxInfo } from './sandbox/session.ts';
import { Workspace, WorkspaceTamperedError, type SyncReport } from './workspace/workspace.ts';

export type { CodeLineage, LineageStep } from './lineage.ts';
export { workerDirs, type WorkerDirs } from './dirs.ts';
export type { SandboxConfig, SandboxInfo } from './sandbox/session.ts';

export type WorkerEvent =
  | { type: 'info'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'sync'; report: SyncReport; champion: Champion | null; metric: string }
  | { type: 'propose'; hypothesis: string }
  /** Once, before anything runs: how runs are confined (`sandboxed: false` comes with a warning). */
  | ({ type: 'sandbox' } & SandboxInfo)
  /** Before each run: whose changes the code about to run contains. */
  | ({ type: 'lineage'; run: number } & CodeLineage)
  | { type: 'run-start'; run: number; command: string; logFile: string; budgetSeconds: number; sandboxed: boolean }
  | { type: 'output'; chunk: string; stream: 'stdout' | 'stderr' }
  | { type: 'progress'; elapsedSeconds: number; budgetSeconds: number; lastMetric: { name: string; value: number } | null }
  | { type: 'metric'; name: string; value: number }
  | { type: 'run-end'; run: number; outcome: RunOutcome }
  /** What ran last (a run, or the propose step before it) left links or special files where the worker keeps the program: nothing of it is submitted. */
  | { type: 'tampered'; run: number; by: 'run' | 'propose'; problems: string[]; movedTo: string }
  | { type: 'submitted'; verdict: ResultVerdict; replayed: boolean }
  | { type: 'rejected'; key: string; reason: string; movedTo: string }
  | { type: 'retry'; attempt: number; delayMs: number; reason: string };

export interface WorkerOptions {
  membership: Membership;
  paths: CohortPaths;
  hardware: Hardware;
  /** The hypothesis of a single run (otherwise the proposer's, or "manual run"). */
  hypothesis?: string;
  /** Repeat sync → propose → run → submit. */
  loop?: boolean;
  /** How many runs (default: 1, or unlimited with `loop`). */
  runs?: number;
  /** `mutate` for the built-in proposer, or a shell command run in the workspace before each run. */
  propose?: string;
  random?: Random;
  /** Environment of the training run (default: this process's). */
  env?: NodeJS.ProcessEnv;
  graceSeconds?: number;
  /**
   * Runs execute in a bubblewrap sandbox (default `true`); an object tunes it. `false` runs the
   * code with all of the user's rights, and the worker warns. When the sandbox is on but cannot
   * work here, startWorker throws SandboxUnavailableError (what to do, and that `false` must be
   * chosen explicitly) before anything runs.
   */
  sandbox?: boolean | SandboxConfig;
  /** Outbox retry pacing (tests make it fast). */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  onEvent?: (event: WorkerEvent) => void;
  signal?: AbortSignal;
}

export interface WorkerSummary {
  runs: number;
  submitted: ResultVerdict[];
  stoppedBecause: 'done' | 'stopped' | 'revoked';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * The worker: keeps its workspace on the current champion, runs the program's command, and submits
 * every result through the outbox so that nothing is lost when the host or the network is down.
 */
export async function startWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const emit = opts.onEvent ?? (() => undefined);
  const m = opts.membership;
  const client = new MemberClient(m.url, m.token);
  const dirs = workerDirs(opts.paths, m);
  const outbox = new Outbox(dirs.outbox, m);
  const submitted: ResultVerdict[] = [];
  const retry = { baseDelayMs: opts.retry?.baseDelayMs ?? 1_000, maxDelayMs: opts.retry?.maxDelayMs ?? 60_000 };
  const maxRuns = opts.runs ?? (opts.loop ? Number.POSITIVE_INFINITY : 1);
  const stopped = () => opts.signal?.aborted === true;

  const deliver = async () => {
    const delivered = await outbox.flush(client, {
      ...retry,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onRetry: (r) => emit({ type: 'retry', attempt: r.attempt, delayMs: r.delayMs, reason: r.reason }),
      onRejected: (key, reason, movedTo) => emit({ type: 'rejected', key, reason, movedTo }),
    });
    for (const d of delivered) {
      submitted.push(d.verdict);
      emit({ type: 'submitted', verdict: d.verdict, replayed: d.replayed });
    }
  };

  /** The task, waiting out a host that is down (a loop should survive the owner's restart). */
  const fetchTask = async (): Promise<TaskResponse> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.task();
      } catch (err) {
        if (!(err instanceof HostUnavailableError) || stopped()) throw err;
        const delayMs = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
        emit({ type: 'retry', attempt, delayMs, reason: err.message });
        await sleep(delayMs, opts.signal);
      }
    }
  };

  // Before anything else: a worker that cannot sandbox says so once and does not start.
  const sandbox = await openSandbox({
    setting: opts.sandbox,
    paths: opts.paths,
    cacheDir: dirs.cache,
    // Unbuffered, so metric lines arrive while the run goes on, not when it ends.
    env: { PYTHONUNBUFFERED: '1', ...(opts.env ?? process.env) },
  });
  emit({ type: 'sandbox', ...sandbox.info });
  if (!sandbox.info.sandboxed) emit({ type: 'warning', message: 'runs are NOT sandboxed: code from other members runs with all of your user\'s rights — network, home directory, your Cohort membership tokens' });
  for (const message of sandbox.info.warnings) emit({ type: 'warning', message });

  /** Propose, run and submit once on a synced workspace; 'stopped' when the person stopped the run. */
  const oneRun = async (run: number, task: TaskResponse, workspace: Workspace, running: () => void): Promise<'stopped' | 'done'> => {
    const spec = task.program.spec;
    let hypothesis = opts.hypothesis ?? null;
    if (opts.propose !== undefined) {
      hypothesis = (await propose(opts, client, workspace, task)) ?? hypothesis;
      await refuseTampering(workspace, task);
      if (hypothesis) emit({ type: 'propose', hypothesis });
    }
    const patch = await workspace.diff();
    const parent = task.champion?.id ?? null;

    emit({ type: 'lineage', run, ...(await lineageOf(client, parent, m.memberId, workspace)) });
    await mkdir(workspace.logsDir, { recursive: true });
    await mkdir(dirs.cache, { recursive: true });
    const logFile = join(workspace.logsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    // The run may write in the workspace and the cache, but not the program's files.
    const { launcher, env } = sandbox.forRun({ workspace: workspace.dir, readOnly: task.files.map((f) => join(workspace.dir, ...f.path.split('/'))) });
    emit({ type: 'run-start', run, command: spec.run, logFile, budgetSeconds: spec.time_budget, sandboxed: sandbox.info.sandboxed });
    running();
    const started = new Date();
    const outcome = await runExperiment({
      command: spec.run,
      cwd: workspace.dir,
      env,
      ...(launcher ? { launcher } : {}),
      metric: spec.metric,
      timeBudgetSeconds: spec.time_budget,
      ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}),
      logFile,
      onOutput: (chunk, stream) => emit({ type: 'output', chunk, stream }),
      onProgress: (p) => emit({ type: 'progress', ...p }),
      onMetric: (name, value) => emit({ type: 'metric', name, value }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    emit({ type: 'run-end', run, outcome });
    if (outcome.stopped) return 'stopped'; // a run stopped by the person is not a result
    await refuseTampering(workspace, task);

    const crashed = outcome.status === 'crash';
    const body: SubmitResultRequest = {
      value: crashed ? null : outcome.value,
      crashed,
      hypothesis: hypothesis ?? 'manual run',
      patch,
      output: (crashed ? `[cohort] crash: ${outcome.reason}\n` : '') + outcome.tail,
      hardware: opts.hardware,
      durations: { ...outcome.durations, started_at_ms: started.getTime() },
      parent,
      idempotency_key: randomUUID(),
    };
    await outbox.add(m, body);
    await deliver();
    // The run's change now lives in the KB (or the outbox); the next one starts from the champion.
    if (opts.loop) await workspace.reset();
    return 'done';
  };

  let runs = 0;
  try {
    if ((await outbox.pending()).length > 0) {
      emit({ type: 'info', message: 'delivering results left in the outbox by an earlier session' });
      await deliver();
    }
    while (runs < maxRuns && !stopped()) {
      const task = await fetchTask();
      const spec = task.program.spec;
      const workspace = new Workspace(dirs, spec.editable);
      const report = await workspace.sync(task);
      emit({ type: 'sync', report, champion: task.champion, metric: spec.metric });
      if (report.rebuilt) emit({ type: 'warning', message: `the workspace held what the worker will not touch (${report.rebuilt.problems.join('; ')}); it was moved to ${report.rebuilt.movedTo} and laid out again` });
      if (report.stashedTo) emit({ type: 'warning', message: `your edits to ${spec.editable.join(', ')} were kept in ${report.stashedTo} before the new champion's code replaced them` });

      runs += 1;
      // Whatever ran in the workspace last may have planted links or special files; the worker
      // refuses to read or write through them, and refuses the run that left them.
      let stage: 'propose' | 'run' = 'propose';
      try {
        const outcome = await oneRun(runs, task, workspace, () => {
          stage = 'run';
        });
        if (outcome === 'stopped') break;
      } catch (err) {
        if (!(err instanceof WorkspaceTamperedError)) throw err;
        const movedTo = await workspace.quarantine();
        emit({ type: 'tampered', run: runs, by: stage, problems: err.problems, movedTo });
        await workspace.sync(task);
      }
    }
    return { runs, submitted, stoppedBecause: stopped() ? 'stopped' : 'done' };
  } catch (err) {
    if (err instanceof NotAMemberError) {
      emit({ type: 'warning', message: `${err.message}. The worker stops; results not yet delivered stay in ${dirs.outbox}.` });
      return { runs, submitted, stoppedBecause: 'revoked' };
    }
    if (stopped()) return { runs, submitted, stoppedBecause: 'stopped' };
    throw err;
  }
}

/** Throws when what just ran left the workspace in a state the worker will not read or write through. */
async function refuseTampering(workspace: Workspace, task: TaskResponse): Promise<void> {
  const problems = await workspace.inspect(task);
  if (problems.length > 0) throw new WorkspaceTamperedError(problems);
}

/** Whose changes the code of the next run contains; a host that cannot list its results only shortens it. */
async function lineageOf(client: MemberClient, championId: string | null, you: string, workspace: Workspace): Promise<CodeLineage> {
  const localEdits = await workspace.localEdits();
  try {
    return codeLineage(await client.results(), championId, you, localEdits);
  } catch (err) {
    if (!(err instanceof HostUnavailableError)) throw err;
    return { champion: championId, chain: [], complete: false, localEdits };
  }
}

/** Runs the chosen proposer; returns its hypothesis (null when it gave none). */
async function propose(opts: WorkerOptions, client: MemberClient, workspace: Workspace, task: TaskResponse): Promise<string | null> {
  const spec = task.program.spec;
  if (opts.propose === 'mutate') {
    // Skip changes whose code was already tried by anyone: the host would only call them duplicates.
    const tried = new Set((await client.results()).filter((r) => r.status !== 'crash').map((r) => r.code_hash));
    for (let attempt = 0; attempt < 20; attempt++) {
      const { hypothesis } = await mutate(workspace, spec, opts.random);
      if (!tried.has(codeHash(await workspace.editableFiles(), spec.editable))) return hypothesis;
      await workspace.reset();
    }
    throw new WorkerError('The built-in proposer found only changes that were already tried; widen the `search` ranges in TASK.md.');
  }
  const status = await client.status();
  const { hypothesis } = await runProposeCommand({
    command: opts.propose!,
    workspace,
    kbDigest: kbDigest(status),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onOutput: (chunk) => opts.onEvent?.({ type: 'output', chunk, stream: 'stdout' }),
  });
  return hypothesis;
}
