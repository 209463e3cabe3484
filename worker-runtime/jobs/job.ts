import type { WorkerDirs } from '../dirs.ts';
import type { Emit } from '../events.ts';
import type { SandboxSession } from '../sandbox/session.ts';
import type { HostSession } from '../session/host-session.ts';

/**
 * Where a job runs: its own workspace (and state folder), and the sandbox its processes start
 * under. A worker has one slot today; one per GPU later, each with its own workspace and its own
 * `CUDA_VISIBLE_DEVICES` (DESIGN.md "Hardware").
 */
export interface Slot {
  index: number;
  dirs: WorkerDirs;
  sandbox: SandboxSession;
}

export interface JobContext {
  slot: Slot;
  host: HostSession;
  emit: Emit;
  signal?: AbortSignal;
  /** Numbers a run: a job that counts as one of the worker's runs calls it once, when the run begins. */
  nextRun(): number;
}

/**
 * `done`: it ran and what it made went to the outbox (or, a crash this machine is to blame for, was
 * dropped: session/preflight.ts); `refused`: what ran left the workspace in a
 * state the worker will not read, so nothing of it was submitted; `stopped`: the person stopped it.
 */
export type JobOutcome = 'done' | 'refused' | 'stopped';

/** One piece of work in a slot: an experiment, or a claim's verification; a program's setup next. */
export interface Job {
  readonly kind: 'experiment' | 'verification';
  run(ctx: JobContext): Promise<JobOutcome>;
}

/** Where a scheduler gets its next job (asking the host, which may answer with a verification job first). */
export interface JobSource {
  next(): Promise<Job>;
}
