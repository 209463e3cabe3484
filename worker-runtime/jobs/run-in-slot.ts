import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TaskSpec } from '../../protocol/index.ts';
import type { WorkerDirs } from '../dirs.ts';
import type { PreflightMark } from '../events.ts';
import { runExperiment, type RunOutcome } from '../runner/run-experiment.ts';
import { programEnv } from '../setup/program-env.ts';
import type { JobContext, Slot } from './job.ts';

export interface SlotRun {
  /** The run's number (JobContext.nextRun); a preflight has the number of the run it checks. */
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
  /** Set for a preflight: its run-start and run-end events say so. */
  preflight?: PreflightMark;
}

/**
 * One command run in a job's slot, sandboxed as the slot says, with the events every run gives the
 * person (start, output, progress, metrics, end): the one way an experiment, a verification and a
 * preflight run the program's command.
 */
export function runInSlot(ctx: JobContext, r: SlotRun): Promise<RunOutcome> {
  // The run reads the program home: not while a setup (another slot's) rewrites it.
  return ctx.slot.home.shared(() => runShared(ctx, r));
}

async function runShared(ctx: JobContext, r: SlotRun): Promise<RunOutcome> {
  const { emit, signal } = ctx;
  const sandbox = ctx.slot.sandbox;
  await ensureHome(ctx.slot.dirs);
  const { launcher, env } = sandbox.forRun({ workspace: r.dir, readOnly: r.readOnly, env: slotEnv(ctx.slot, r.spec) });
  const preflight = r.preflight ? { preflight: r.preflight } : {};
  emit({ type: 'run-start', run: r.run, command: r.command, logFile: r.logFile, budgetSeconds: r.budgetSeconds, sandboxed: sandbox.info.sandboxed, ...preflight });
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
  emit({ type: 'run-end', run: r.run, outcome, ...preflight });
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

/** The PATH a run in this slot gets (the sandbox's environment), to say which program a command word found. */
export function runPath(ctx: JobContext): string | undefined {
  return ctx.slot.sandbox.forRun({ workspace: ctx.slot.dirs.workspace, readOnly: [] }).env.PATH;
}

export interface ApartRun extends Omit<SlotRun, 'dir' | 'readOnly' | 'logFile'> {
  /** The files to run, by path: the program's with someone's editable files over them. */
  files: ReadonlyMap<string, string>;
  /** The folder under the slot's state folder that holds such runs (`verify`, `preflight`). */
  kind: string;
  /** Names its folder and log (a claim id, a champion id). */
  name: string;
}

/**
 * Runs code that is not the member's (a claim to verify, a champion to preflight) in a folder of its
 * own under the slot's state folder, made for it and removed after, never in the member's workspace:
 * the member's own edits are not touched, and nothing the code leaves behind is read back (only its
 * output is). The log stays beside the folder.
 */
export async function runApart(ctx: JobContext, r: ApartRun): Promise<RunOutcome> {
  const { files, kind, ...run } = r;
  // The name comes from the host: only letters, digits, `_`, `-` and `.` (not first) reach a path.
  const name = r.name.replace(/[^\w.-]/g, '_').replace(/^\./, '_').slice(0, 80);
  const root = join(ctx.slot.dirs.state, kind);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(root, `${name}-`));
  try {
    // Nothing has run here yet.
    for (const [path, content] of files) {
      const to = join(dir, ...path.split('/'));
      await mkdir(dirname(to), { recursive: true });
      await writeFile(to, content);
    }
    return await runInSlot(ctx, {
      ...run,
      dir,
      readOnly: [...files.keys()].map((p) => join(dir, ...p.split('/'))),
      logFile: join(root, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a result's `output` holds: the run's tail, after the crash's reason when it crashed. */
export function resultOutput(outcome: RunOutcome): string {
  return (outcome.status === 'crash' ? `[cohort] crash: ${outcome.reason}\n` : '') + outcome.tail;
}
