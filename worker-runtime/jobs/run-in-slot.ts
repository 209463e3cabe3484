import type { TaskSpec } from '../../protocol/index.ts';
import { mkdir } from 'node:fs/promises';
import type { WorkerDirs } from '../dirs.ts';
import { runExperiment, type RunOutcome } from '../runner/run-experiment.ts';
import { programEnv } from '../setup/program-env.ts';
import type { JobContext, Slot } from './job.ts';

export interface SlotRun {
  /** The run's number (JobContext.nextRun). */
  run: number;
  /** Where the command runs: writable inside the sandbox. */
  dir: string;
  /** Files the run may read but not change (the program's). */
  readOnly: string[];
  command: string;
  /** The program's spec: its metric and `env`. */
  spec: Pick<TaskSpec, 'metric' | 'env'>;
  budgetSeconds: number;
  graceSeconds?: number;
  logFile: string;
  /** Called just before the command starts. */
  starting?: () => void;
}

/**
 * One command run in a job's slot, sandboxed as the slot says, with the events every run gives the
 * person (start, output, progress, metrics, end): the one way an experiment and a verification run
 * the program's command.
 */
export async function runInSlot(ctx: JobContext, r: SlotRun): Promise<RunOutcome> {
  const { emit, signal } = ctx;
  const sandbox = ctx.slot.sandbox;
  await ensureHome(ctx.slot.dirs);
  const { launcher, env } = sandbox.forRun({ workspace: r.dir, readOnly: r.readOnly, env: slotEnv(ctx.slot, r.spec) });
  emit({ type: 'run-start', run: r.run, command: r.command, logFile: r.logFile, budgetSeconds: r.budgetSeconds, sandboxed: sandbox.info.sandboxed });
  r.starting?.();
  const outcome = await runExperiment({
    command: r.command,
    cwd: r.dir,
    env,
    ...(launcher ? { launcher } : {}),
    metric: r.spec.metric,
    timeBudgetSeconds: r.budgetSeconds,
    ...(r.graceSeconds !== undefined ? { graceSeconds: r.graceSeconds } : {}),
    logFile: r.logFile,
    onOutput: (chunk, stream) => emit({ type: 'output', chunk, stream }),
    onProgress: (p) => emit({ type: 'progress', ...p }),
    onMetric: (name, value) => emit({ type: 'metric', name, value }),
    ...(signal ? { signal } : {}),
  });
  emit({ type: 'run-end', run: r.run, outcome });
  return outcome;
}

/** The program home, its cache and the run cache, which setup and runs find (the sandbox binds them, so they must exist). */
export async function ensureHome(dirs: Pick<WorkerDirs, 'home' | 'cache' | 'runCache'>): Promise<void> {
  await mkdir(dirs.home, { recursive: true, mode: 0o700 });
  await mkdir(dirs.cache, { recursive: true, mode: 0o700 });
  await mkdir(dirs.runCache, { recursive: true, mode: 0o700 });
}

/** What the slot's processes get on top of the worker's environment: the program's `env`, then the slot's GPUs. */
export function slotEnv(slot: Slot, spec: Pick<TaskSpec, 'env'>): Record<string, string> {
  return { ...programEnv(spec, slot.dirs.home), ...(slot.gpus !== null ? { CUDA_VISIBLE_DEVICES: slot.gpus.join(',') } : {}) };
}

/** What a result's `output` holds: the run's tail, after the crash's reason when it crashed. */
export function resultOutput(outcome: RunOutcome): string {
  return (outcome.status === 'crash' ? `[cohort] crash: ${outcome.reason}\n` : '') + outcome.tail;
}
