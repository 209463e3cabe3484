import type { WorkerDirs } from '../dirs.ts';
import type { Emit } from '../events.ts';
import type { SandboxSession } from '../sandbox/session.ts';
import type { HostSession } from '../session/host-session.ts';
import type { HomeLock } from '../setup/home-lock.ts';

/**
 * Where a job runs: its own workspace (and state folder), the sandbox its processes start under,
 * and its GPUs. A worker has one slot, or one per GPU (`cohort run --gpus`), each with its own
 * workspace and `CUDA_VISIBLE_DEVICES` (docs/design.md, "Hardware").
 */
export interface Slot {
  index: number;
  dirs: WorkerDirs;
  sandbox: SandboxSession;
  /** The GPUs this slot's runs see (`CUDA_VISIBLE_DEVICES`), or null: whatever the machine shows. */
  gpus: readonly number[] | null;
  /** The program home's lock, one for all the worker's slots: runs share it, a setup has it alone. */
  home: HomeLock;
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

/** One piece of work in a slot: an experiment, a claim's verification, or the program's setup. */
export interface Job {
  readonly kind: 'experiment' | 'verification' | 'setup';
  run(ctx: JobContext): Promise<JobOutcome>;
}

/**
 * Where a scheduler gets a slot's next job (asking the host, which may answer with a verification
 * job first; the program's setup comes before anything else runs in a slot). `null`: nothing more
 * for this slot.
 */
export interface JobSource {
  next(slot: Slot): Promise<Job | null>;
}
