import type { WorkerEvent } from '../events.ts';

/** Consecutive runs that crashed the same way after which a loop stops (issue 13: no crash floods). */
export const CRASH_STREAK_LIMIT = 3;

/**
 * Counts a loop's runs that crash the same way in a row. A run that crashes for the same reason
 * three times is this machine's problem far more often than the code's (a missing package, a driver),
 * and every further run would send the host one more crash: the loop stops and says why.
 */
export class CrashStreak {
  #reason: string | null = null;
  #count = 0;

  /** Sees each worker event; returns the reason once the streak reaches the limit. */
  see(e: WorkerEvent): string | null {
    // A preflight is not one of the loop's runs (session/preflight.ts).
    if (e.type !== 'run-end' || e.outcome.stopped || e.preflight !== undefined) return null;
    if (e.outcome.status !== 'crash') {
      this.#reason = null;
      this.#count = 0;
      return null;
    }
    // The reason names the failing line; timings and numbers in it vary between runs of one failure.
    const reason = e.outcome.reason.replace(/\d+(\.\d+)?/g, 'N');
    this.#count = reason === this.#reason ? this.#count + 1 : 1;
    this.#reason = reason;
    return this.#count >= CRASH_STREAK_LIMIT ? e.outcome.reason : null;
  }
}
