import type { ResultVerdict, TaskResponse } from '../protocol/index.ts';
import type { CohortPaths } from '../protocol/node/paths.ts';
import type { Membership } from './credentials.ts';
import { slotDirs, workerDirs } from './dirs.ts';
import type { WorkerEvent } from './events.ts';
import { slotHardware, type Hardware } from './hardware.ts';
import { ExperimentJob } from './jobs/experiment.ts';
import { VerificationJob } from './jobs/verification.ts';
import type { JobSource, Slot } from './jobs/job.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { NotAMemberError } from './member-client.ts';
import type { Random } from './proposer/mutate.ts';
import { openSandbox, type SandboxConfig } from './sandbox/session.ts';
import { ClaimWatch } from './session/claim-watch.ts';
import { CRASH_STREAK_LIMIT, CrashStreak } from './session/crash-streak.ts';
import { HostSession } from './session/host-session.ts';
import { Preflight } from './session/preflight.ts';
import { assertRequirements } from './session/requirements.ts';
import { HomeLock } from './setup/home-lock.ts';
import { SetupFailedError, SetupJob } from './setup/setup-job.ts';
import { setupNeeded } from './setup/setup-stamp.ts';
import { machineGpus, slotGpus } from './slots.ts';

export type { CodeLineage, LineageStep } from './lineage.ts';
export { workerDirs, type WorkerDirs } from './dirs.ts';
export type { WorkerEvent } from './events.ts';
export type { SandboxConfig, SandboxInfo } from './sandbox/session.ts';

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
  /**
   * One experiment per GPU at once (`all`, or GPU indexes), each slot pinned with
   * `CUDA_VISIBLE_DEVICES` to `requires.gpu_count` GPUs (default 1) in a workspace of its own.
   * Default: one slot that sees every GPU.
   */
  gpus?: 'all' | readonly number[];
  /** Only run the program's setup (`cohort setup`), whether or not it ran before. */
  setupOnly?: boolean;
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
  /** How every host call (task, results, status, submit) waits out a host that is down (tests make it fast). */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  onEvent?: (event: WorkerEvent) => void;
  signal?: AbortSignal;
}

export interface WorkerSummary {
  runs: number;
  submitted: ResultVerdict[];
  /** Results not delivered (refused by the host, or moved aside): they wait in the outbox's `rejected/` (`cohort outbox`). */
  rejected: number;
  /**
   * `crashes`: a loop stopped after CRASH_STREAK_LIMIT runs crashed the same way (session/crash-streak.ts);
   * `setup`: the program's setup failed (the warning before says why), so nothing ran;
   * `machine`: the champion's unchanged code crashes on this machine too (session/preflight.ts).
   */
  stoppedBecause: 'done' | 'stopped' | 'revoked' | 'crashes' | 'setup' | 'machine';
  /** For `crashes` and `machine`: why, as the warning said it. */
  reason?: string;
}

/**
 * The worker: a session with the membership's host (every call retried while the host is down, every
 * result through the outbox, so that nothing is lost), and a scheduler that runs experiments in a
 * slot whose workspace is kept on the current champion.
 */
export async function startWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const m = opts.membership;
  const dirs = workerDirs(opts.paths, m);
  // A loop whose runs keep crashing the same way stops taking jobs (the run that just ended is still submitted).
  const crashes = new CrashStreak();
  const halt = new AbortController();
  let crashedOut: string | null = null;
  let machineOut: string | null = null;
  const emit = (e: WorkerEvent): void => {
    opts.onEvent?.(e);
    const reason = opts.loop === true ? crashes.see(e) : null;
    if (reason !== null && crashedOut === null && machineOut === null) {
      crashedOut = `the last ${CRASH_STREAK_LIMIT} runs crashed the same way (${reason}): the loop stops, since this looks like this machine's problem rather than the code's. Fix it (the run's log says more) and run again.`;
      opts.onEvent?.({ type: 'warning', message: crashedOut });
      halt.abort();
    }
  };
  // Before a crash is sent, the champion's unchanged code must run here; when it does not, nothing is sent and the worker stops.
  const preflight = new Preflight({
    run: opts.loop === true,
    ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}),
    onProblem: (problem) => {
      machineOut = problem.message;
      emit({ type: 'warning', message: problem.message });
      halt.abort();
    },
  });
  const signal = opts.signal ? { signal: opts.signal } : {};
  const host = new HostSession({ membership: m, outboxDir: dirs.outbox, emit, ...signal, ...(opts.retry ? { retry: opts.retry } : {}) });
  const stopped = () => opts.signal?.aborted === true;

  // Before anything else: a worker that cannot sandbox says so once and does not start.
  const sandbox = await openSandbox({
    setting: opts.sandbox,
    paths: opts.paths,
    home: dirs.home,
    runCache: dirs.runCache,
    // Unbuffered, so metric lines arrive while the run goes on, not when it ends.
    env: { PYTHONUNBUFFERED: '1', ...(opts.env ?? process.env) },
  });
  emit({ type: 'sandbox', ...sandbox.info });
  if (!sandbox.info.sandboxed) emit({ type: 'warning', message: 'runs are NOT sandboxed: code from other members runs with all of your user\'s rights — network, home directory, your Cohort membership tokens' });
  for (const message of sandbox.info.warnings) emit({ type: 'warning', message });

  // One slot on the membership's workspace, or one per GPU group, each with a workspace of its own.
  const groups = opts.gpus === undefined ? [null] : slotGpus(opts.gpus, opts.hardware, (await host.task()).program.spec.requires?.gpu_count ?? 1);
  const home = new HomeLock();
  const slots: Slot[] = groups.map((gpus, index) => ({ index, dirs: slotDirs(dirs, index), sandbox, gpus, home }));
  if (slots.length > 1) emit({ type: 'slots', slots: slots.map((s) => ({ index: s.index, gpus: s.gpus === null ? null : [...s.gpus], workspace: s.dirs.workspace })) });
  const claims = new ClaimWatch(host);
  const setupDone = new Set<number>();
  const setupOf = (task: TaskResponse, why: string, force = false) => new SetupJob(task, { why, dirs, force, ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}) });
  const jobs: JobSource = {
    next: async (slot) => {
      const task = await host.task();
      // A machine that does not meet the program's `requires` runs nothing, setup included.
      assertRequirements(task.program.spec, opts.hardware);
      if (opts.setupOnly === true) {
        if (setupDone.has(slot.index)) return null;
        setupDone.add(slot.index);
        if (task.program.spec.setup === undefined) {
          emit({ type: 'info', message: 'this program has no setup (TASK.md sets none): nothing to do' });
          return null;
        }
        return setupOf(task, 'you asked for it', true);
      }
      // Before anything runs: the program's setup, when it has not run for the program as it is now.
      const why = await setupNeeded(task, dirs);
      if (why !== null) return setupOf(task, why);
      // In a loop, another member's claim waiting to be re-run comes before this member's next experiment.
      const verify = task.program.spec.verify;
      if (opts.loop === true && verify !== undefined && verify.replicas > 0) {
        await claims.check(emit);
        const job = await host.nextVerification(hardwareOf(slot));
        if (job) return new VerificationJob(task, job, { hardware: hardwareOf(slot), preflight, ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}) });
      }
      return experiment(task, slot);
    },
  };
  // A slot's results say the GPUs its runs saw, not the whole machine's.
  const hardwareOf = (slot: Slot) => (slot.gpus === null ? opts.hardware : slotHardware(opts.hardware, machineGpus(opts.hardware, slot.gpus)));
  const experiment = (task: TaskResponse, slot: Slot) => new ExperimentJob(task, {
      hardware: hardwareOf(slot),
      resetAfter: opts.loop === true,
      preflight,
      ...(opts.hypothesis !== undefined ? { hypothesis: opts.hypothesis } : {}),
      ...(opts.propose !== undefined ? { propose: opts.propose } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}),
    });
  // The scheduler stops on either the person's Stop or a crash streak; jobs only on the person's.
  const schedulerSignal = opts.signal ? AbortSignal.any([opts.signal, halt.signal]) : halt.signal;
  const scheduler = new Scheduler({ slots, jobs, host, maxRuns: opts.runs ?? (opts.loop ? Number.POSITIVE_INFINITY : 1), emit, signal: schedulerSignal, jobSignal: opts.signal });

  const summary = (stoppedBecause: WorkerSummary['stoppedBecause']): WorkerSummary => {
    const reason = stoppedBecause === 'machine' ? machineOut : stoppedBecause === 'crashes' ? crashedOut : null;
    return { runs: scheduler.runs, submitted: host.submitted, rejected: host.rejected, stoppedBecause, ...(reason !== null ? { reason } : {}) };
  };
  try {
    if (await host.pending()) {
      emit({ type: 'info', message: 'delivering results left in the outbox by an earlier session' });
      await host.deliver();
    }
    await scheduler.run();
    return summary(stopped() ? 'stopped' : machineOut !== null ? 'machine' : crashedOut !== null ? 'crashes' : 'done');
  } catch (err) {
    if (err instanceof SetupFailedError) {
      emit({ type: 'warning', message: err.message });
      return summary('setup');
    }
    if (err instanceof NotAMemberError) {
      emit({ type: 'warning', message: `${err.message}. The worker stops; results not yet delivered stay in ${dirs.outbox}.` });
      return summary('revoked');
    }
    if (stopped()) return summary('stopped');
    throw err;
  }
}
