import { randomBytes } from 'node:crypto';

/**
 * Verification leases (docs/design.md, "Verified champions"): one verifier at a time per claim, for
 * a bounded time (twice the time budget plus the grace period), then the claim is offered again.
 * Kept in memory: a lease is a promise to accept one report soon, and a host that restarts simply
 * offers its pending claims again (a report for a lease it no longer knows is refused, and the
 * worker asks for a new job).
 */
export interface Lease {
  id: string;
  claimId: string;
  memberId: string;
  expiresAt: number;
}

export class Leases {
  #byId = new Map<string, Lease>();
  #byClaim = new Map<string, Lease>();
  /**
   * Members who let a lease on a claim run out (or whose lease the owner dropped): that claim is not
   * offered to them again, or one member could hold the oldest claim forever by asking and never
   * reporting.
   */
  #lapsed = new Map<string, Set<string>>();
  #durationMs: number;
  #now: () => number;

  constructor(durationMs: number, now: () => number) {
    this.#durationMs = durationMs;
    this.#now = now;
  }

  /** The live lease on a claim, if any (an expired one is dropped on the way). */
  onClaim(claimId: string): Lease | null {
    const lease = this.#byClaim.get(claimId);
    if (!lease) return null;
    if (lease.expiresAt > this.#now()) return lease;
    this.#lapse(lease);
    return null;
  }

  /** Whether `memberId` let a lease on this claim lapse (it is not offered to them again). */
  lapsedBy(claimId: string, memberId: string): boolean {
    return this.#lapsed.get(claimId)?.has(memberId) === true;
  }

  /** The owner takes the claim from its verifier: like a lease that ran out. */
  revoke(claimId: string): Lease | null {
    const lease = this.onClaim(claimId);
    if (lease) this.#lapse(lease);
    return lease;
  }

  #lapse(lease: Lease): void {
    this.#drop(lease);
    let members = this.#lapsed.get(lease.claimId);
    if (!members) this.#lapsed.set(lease.claimId, (members = new Set()));
    members.add(lease.memberId);
  }

  /** The lease with this id if it is live; null when unknown or expired. */
  live(id: string): Lease | null {
    const lease = this.#byId.get(id);
    if (!lease) return null;
    return this.onClaim(lease.claimId) === lease ? lease : null;
  }

  grant(claimId: string, memberId: string): Lease {
    const existing = this.onClaim(claimId);
    if (existing) this.#drop(existing);
    const lease = { id: `ls_${randomBytes(12).toString('base64url')}`, claimId, memberId, expiresAt: this.#now() + this.#durationMs };
    this.#byId.set(lease.id, lease);
    this.#byClaim.set(claimId, lease);
    return lease;
  }

  /** The member's live lease, if it holds one: a worker that asks again gets the same job. */
  heldBy(memberId: string): Lease | null {
    for (const lease of this.#byClaim.values()) {
      if (lease.memberId === memberId && this.onClaim(lease.claimId) === lease) return lease;
    }
    return null;
  }

  /** The claim is settled (or its lease used): no lease on it any more. */
  release(claimId: string, settled = false): void {
    const lease = this.#byClaim.get(claimId);
    if (lease) this.#drop(lease);
    if (settled) this.#lapsed.delete(claimId);
  }

  clear(): void {
    this.#byId.clear();
    this.#byClaim.clear();
    this.#lapsed.clear();
  }

  #drop(lease: Lease): void {
    this.#byId.delete(lease.id);
    if (this.#byClaim.get(lease.claimId) === lease) this.#byClaim.delete(lease.claimId);
  }
}
