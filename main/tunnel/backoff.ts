/** When to start cloudflared again after it exited. */
export interface BackoffOptions {
  /** Delay before the first restart (ms). */
  initialMs: number;
  /** Each further failure multiplies the delay by this. */
  factor: number;
  /** The delay never grows past this (ms). */
  maxMs: number;
  /** A tunnel that stayed up this long counts as healthy: the next failure starts from `initialMs` again. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, factor: 2, maxMs: 60_000, stableMs: 60_000 };

/** Exponential backoff: initial, initial·factor, initial·factor², … capped at max. */
export class Backoff {
  readonly options: BackoffOptions;
  #failures = 0;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    const { initialMs, factor, maxMs, stableMs } = this.options;
    if (!(initialMs >= 0 && factor >= 1 && maxMs >= initialMs && stableMs >= 0)) {
      throw new RangeError(`Bad backoff ${JSON.stringify(this.options)}: need initialMs ≥ 0, factor ≥ 1, maxMs ≥ initialMs, stableMs ≥ 0.`);
    }
  }

  /** Failures in a row so far. */
  get failures(): number {
    return this.#failures;
  }

  /** A run ended; `upForMs` is how long it had a tunnel (0 if it never got one). Returns the delay before the next start. */
  next(upForMs: number): number {
    if (upForMs >= this.options.stableMs && upForMs > 0) this.#failures = 0;
    const delay = Math.min(this.options.maxMs, this.options.initialMs * this.options.factor ** this.#failures);
    this.#failures += 1;
    return delay;
  }

  reset(): void {
    this.#failures = 0;
  }
}
