import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskResponse } from '../../protocol/index.ts';
import type { Job, JobContext, JobOutcome } from '../jobs/job.ts';
import { ensureHome, slotEnv } from '../jobs/run-in-slot.ts';
import { runExperiment } from '../runner/run-experiment.ts';
import { Workspace } from '../workspace/workspace.ts';
import type { OneAtATime } from './one-at-a-time.ts';
import { forgetSetup, recordSetup } from './setup-stamp.ts';

/** How long a setup may take (it downloads environments and data); Stop ends it sooner. */
export const SETUP_TIME_LIMIT_SECONDS = 4 * 3600;

/** A program's setup failed: nothing runs until it succeeds (the message says why and where the log is). */
export class SetupFailedError extends Error {
  readonly logFile: string;
  constructor(message: string, logFile: string) {
    super(message);
    this.name = 'SetupFailedError';
    this.logFile = logFile;
  }
}

/**
 * A program's `setup` (docs/design.md, "Programs that need setup"): its command run in the slot's
 * workspace, with network but otherwise confined like a run (the same sandbox, the program's files
 * read-only, the program home as HOME), its output streamed and logged. It is not a result: nothing
 * is submitted. It succeeds when the command exits 0; the worker then remembers it for this program
 * and workspace, and a failure stops the worker, saying why.
 */
export class SetupJob implements Job {
  readonly kind = 'setup';
  readonly task: TaskResponse;
  readonly #why: string;
  readonly #turns: OneAtATime;
  readonly #graceSeconds: number | undefined;

  constructor(task: TaskResponse, settings: { why: string; turns: OneAtATime; graceSeconds?: number }) {
    this.task = task;
    this.#why = settings.why;
    this.#turns = settings.turns;
    this.#graceSeconds = settings.graceSeconds;
  }

  run(ctx: JobContext): Promise<JobOutcome> {
    return this.#turns.run(() => this.#setup(ctx));
  }

  async #setup(ctx: JobContext): Promise<JobOutcome> {
    const { task } = this;
    const spec = task.program.spec;
    const command = spec.setup;
    if (command === undefined) return 'done';
    const { emit, signal, slot } = ctx;
    if (signal?.aborted) return 'stopped';
    const workspace = new Workspace(slot.dirs, spec.editable);
    const report = await workspace.sync(task);
    if (report.rebuilt) emit({ type: 'warning', message: `the workspace held what the worker will not touch (${report.rebuilt.problems.join('; ')}); it was moved to ${report.rebuilt.movedTo} and laid out again` });
    await ensureHome(slot.dirs);
    await mkdir(workspace.logsDir, { recursive: true });
    // Until it succeeds, a half-made environment is not a setup that ran.
    await forgetSetup(slot.dirs);
    const logFile = join(workspace.logsDir, `setup-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    const { launcher, env } = slot.sandbox.forRun({
      workspace: workspace.dir,
      readOnly: task.files.map((f) => join(workspace.dir, ...f.path.split('/'))),
      network: true,
      env: slotEnv(slot, spec),
    });
    emit({ type: 'setup-start', command, why: this.#why, logFile, home: slot.dirs.home, sandboxed: slot.sandbox.info.sandboxed });
    const outcome = await runExperiment({
      command,
      cwd: workspace.dir,
      env,
      ...(launcher ? { launcher } : {}),
      metric: spec.metric,
      timeBudgetSeconds: SETUP_TIME_LIMIT_SECONDS,
      ...(this.#graceSeconds !== undefined ? { graceSeconds: this.#graceSeconds } : {}),
      logFile,
      onOutput: (chunk, stream) => emit({ type: 'output', chunk, stream }),
      ...(signal ? { signal } : {}),
    });
    const seconds = outcome.durations.wall_seconds;
    if (outcome.stopped) {
      emit({ type: 'setup-end', ok: false, reason: 'stopped', seconds, logFile });
      return 'stopped';
    }
    const ok = outcome.exitCode === 0 && !outcome.timedOut;
    const reason = ok ? 'done' : outcome.reason;
    emit({ type: 'setup-end', ok, reason, seconds, logFile });
    if (!ok) throw new SetupFailedError(`the program's setup failed (${reason}); nothing was run or submitted. Its log: ${logFile}. Fix what it says, then \`cohort setup\` runs it again`, logFile);
    await recordSetup(task, slot.dirs, seconds);
    return 'done';
  }
}
