/**
 * How many searched pages of `GET /api/results` (`q` or `verification`) a member may ask for: each
 * examines up to SEARCH_SCAN_MAX rows, so one member repeating them could keep the host busy for
 * everyone else. A token bucket per member (a burst, then a steady rate); workers never search, so
 * only a person or a script meets it. One entry per member: bounded by the membership.
 */
export class SearchBudget {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: { perSecond?: number; burst?: number; now?: () => number } = {}) {
    this.#perSecond = opts.perSecond ?? 2;
    this.#burst = opts.burst ?? 20;
    this.#now = opts.now ?? Date.now;
  }

  /** Takes one search for `member`: null when it may go ahead, else the seconds until it may. */
  take(member: string): number | null {
    const now = this.#now();
    const b = this.#buckets.get(member) ?? { tokens: this.#burst, at: now };
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#perSecond);
    b.at = now;
    this.#buckets.set(member, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perSecond));
  }
}
