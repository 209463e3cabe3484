import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TaskResponse } from '../../protocol/index.ts';
import type { WorkerDirs } from '../dirs.ts';
import type { Job, JobContext, JobOutcome } from '../jobs/job.ts';
import { ensureHome, slotEnv } from '../jobs/run-in-slot.ts';
import { runExperiment } from '../runner/run-experiment.ts';
import { checkHostFiles } from '../workspace/host-files.ts';

import { forgetSetup, recordSetup, setupNeeded } from './setup-stamp.ts';

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

export interface SetupSettings {
  /** Why it runs now (SetupNeeded's answer, or "you asked for it"). */
  why: string;
  /** The membership's folders: its home (what setup fills) and state (where the setup is recorded). */
  dirs: WorkerDirs;
  /** Run even when it has run for the program as it is now (`cohort setup`). */
  force?: boolean;
  graceSeconds?: number;
}

/**
 * A program's `setup` (docs/design.md, "Programs that need setup"): its command with network,
 * otherwise confined like a run, with the program home as HOME and writable (runs get it
 * read-only). It runs in a fresh folder holding the program's fixed files only, never in a
 * workspace: whatever a run wrote (a module planted beside prepare.py, the editable files, which
 * are members' code) must not execute with network. What runs need it puts in the home. Its output
 * streams and is logged; it is not a result, so nothing is submitted. It succeeds when the command
 * exits 0, and is then recorded for the program as it is now; a failure stops the worker.
 */
export class SetupJob implements Job {
  readonly kind = 'setup';
  readonly task: TaskResponse;
  readonly #settings: SetupSettings;

  constructor(task: TaskResponse, settings: SetupSettings) {
    this.task = task;
    this.#settings = settings;
  }

  run(ctx: JobContext): Promise<JobOutcome> {
    // The home to itself: no run of another slot reads it while it is rewritten, and setups take turns.
    return ctx.slot.home.exclusive(async () => {
      // Another slot's setup may have done it while this one waited its turn.
      if (this.#settings.force !== true && (await setupNeeded(this.task, this.#settings.dirs)) === null) return 'done';
      return this.#setup(ctx);
    });
  }

  async #setup(ctx: JobContext): Promise<JobOutcome> {
    const { task } = this;
    const { dirs, why, graceSeconds } = this.#settings;
    const spec = task.program.spec;
    const command = spec.setup;
    if (command === undefined) return 'done';
    const { emit, signal, slot } = ctx;
    if (signal?.aborted) return 'stopped';
    checkHostFiles(task.files, spec.editable);
    await ensureHome(dirs);
    // Until it succeeds, a half-made environment is not a setup that ran.
    await forgetSetup(dirs);
    const logs = join(dirs.state, 'runs');
    await mkdir(logs, { recursive: true, mode: 0o700 });
    const logFile = join(logs, `setup-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    const folder = join(dirs.state, 'setup');
    await rm(folder, { recursive: true, force: true });
    try {
      const fixed = task.files.filter((f) => !spec.editable.includes(f.path));
      for (const f of fixed) {
        const to = join(folder, ...f.path.split('/'));
        await mkdir(dirname(to), { recursive: true });
        await writeFile(to, f.content);
      }
      await mkdir(folder, { recursive: true });
      const { launcher, env } = slot.sandbox.forRun({
        workspace: folder,
        readOnly: fixed.map((f) => join(folder, ...f.path.split('/'))),
        setup: true,
        env: slotEnv(slot, spec),
      });
      emit({ type: 'setup-start', command, why, logFile, home: dirs.home, sandboxed: slot.sandbox.info.sandboxed });
      const outcome = await runExperiment({
        command,
        cwd: folder,
        env,
        ...(launcher ? { launcher } : {}),
        metric: spec.metric,
        timeBudgetSeconds: SETUP_TIME_LIMIT_SECONDS,
        ...(graceSeconds !== undefined ? { graceSeconds } : {}),
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
      await recordSetup(task, dirs, seconds);
      return 'done';
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
}
