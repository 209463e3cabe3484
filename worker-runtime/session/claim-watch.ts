import type { VerificationState } from '../../protocol/index.ts';
import type { Emit } from '../events.ts';
import type { HostSession } from './host-session.ts';

/** How many of the member's latest results are looked at: one bounded page, never the whole KB. */
export const WATCHED = 50;

/**
 * Tells the member when another member's re-run decided one of its claims (docs/design.md,
 * "Verified champions": members are told). Before each job of a loop, the worker reads one page of
 * its own latest results and says which claims changed since it last looked: reproduced (they earn
 * now) or not reproduced (they earn nothing, and the champion went back).
 */
export class ClaimWatch {
  readonly #host: HostSession;
  readonly #seen = new Map<string, VerificationState>();
  #first = true;

  constructor(host: HostSession) {
    this.#host = host;
  }

  async check(emit: Emit): Promise<void> {
    const page = await this.#host.results({ member: this.#host.membership.memberId, order: 'desc', limit: WATCHED });
    for (const r of page.results) {
      const before = this.#seen.get(r.id);
      this.#seen.set(r.id, r.verification);
      // The first look only learns what is there; after that, a pending claim that got decided is news.
      if (!this.#first && before === 'pending' && (r.verification === 'reproduced' || r.verification === 'not_reproduced')) emit({ type: 'claim-verdict', result: r });
    }
    this.#first = false;
    // Only what the next look can still find is kept.
    if (this.#seen.size > 4 * WATCHED) for (const id of [...this.#seen.keys()].slice(0, this.#seen.size - WATCHED)) this.#seen.delete(id);
  }
}

