import { runExperiment, type RunOutcome } from '../runner/run-experiment.ts';
import type { JobContext } from './job.ts';

export interface SlotRun {
  /** The run's number (JobContext.nextRun). */
  run: number;
  /** Where the command runs: writable inside the sandbox. */
  dir: string;
  /** Files the run may read but not change (the program's). */
  readOnly: string[];
  command: string;
  metric: string;
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
  const { launcher, env } = sandbox.forRun({ workspace: r.dir, readOnly: r.readOnly });
  emit({ type: 'run-start', run: r.run, command: r.command, logFile: r.logFile, budgetSeconds: r.budgetSeconds, sandboxed: sandbox.info.sandboxed });
  r.starting?.();
  const outcome = await runExperiment({
    command: r.command,
    cwd: r.dir,
    env,
    ...(launcher ? { launcher } : {}),
    metric: r.metric,
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

/** What a result's `output` holds: the run's tail, after the crash's reason when it crashed. */
export function resultOutput(outcome: RunOutcome): string {
  return (outcome.status === 'crash' ? `[cohort] crash: ${outcome.reason}\n` : '') + outcome.tail;
}
