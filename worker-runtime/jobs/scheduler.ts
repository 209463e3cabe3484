import type { Emit } from '../events.ts';
import type { HostSession } from '../session/host-session.ts';
import type { JobSource, Slot } from './job.ts';

export interface SchedulerOptions {
  slots: readonly Slot[];
  jobs: JobSource;
  host: HostSession;
  /** How many runs in all (default: unlimited). */
  maxRuns?: number;
  emit: Emit;
  /** Stops taking jobs. */
  signal?: AbortSignal;
  /** What jobs are stopped by (default: `signal`); a scheduler may stop taking jobs without killing the one running. */
  jobSignal?: AbortSignal;
}

/**
 * Runs jobs in slots, one job per slot at a time, until the runs are done or the person stops. Each
 * slot takes its next job from the source as soon as it is free; runs are numbered across slots.
 * When a job fails, the other slots take no new job and the failure is thrown once they are idle.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #maxRuns: number;
  #runs = 0;
  /** Slots holding a job that has not numbered its run yet: they may still take one of the runs left. */
  #claimed = 0;
  #failure: { error: unknown } | undefined;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    this.#maxRuns = opts.maxRuns ?? Number.POSITIVE_INFINITY;
  }

  /** The runs begun so far. */
  get runs(): number {
    return this.#runs;
  }

  async run(): Promise<void> {
    await Promise.all(this.#opts.slots.map((slot) => this.#drive(slot)));
    if (this.#failure) throw this.#failure.error;
  }

  #idle(): boolean {
    return this.#opts.signal?.aborted === true || this.#failure !== undefined || this.#runs + this.#claimed >= this.#maxRuns;
  }

  async #drive(slot: Slot): Promise<void> {
    const { jobs, host } = this.#opts;
    // With several slots, each of their events says whose it is.
    const emit: Emit = this.#opts.slots.length > 1 ? (e) => this.#opts.emit({ ...e, slot: slot.index }) : this.#opts.emit;
    const signal = 'jobSignal' in this.#opts ? this.#opts.jobSignal : this.#opts.signal;
    while (!this.#idle()) {
      this.#claimed += 1;
      let numbered = false;
      const nextRun = () => {
        if (!numbered) this.#claimed -= 1;
        numbered = true;
        return ++this.#runs;
      };
      try {
        const job = await jobs.next(slot);
        if (job === null) return;
        const outcome = await job.run({ slot, host, emit, ...(signal ? { signal } : {}), nextRun });
        if (outcome === 'stopped') return;
      } catch (error) {
        this.#failure ??= { error };
        return;
      } finally {
        if (!numbered) this.#claimed -= 1;
      }
    }
  }
}
