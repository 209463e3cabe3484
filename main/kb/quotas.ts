import type { MemberUsage, QuotaSpec, SubmitResultRequest } from '../../protocol/index.ts';
import { ServiceError } from '../errors.ts';
import type { MemberTally } from '../rules/fold.ts';

/**
 * Per-member quotas (docs/host.md, "Quotas"; issue 11, item 2): one member cannot store without
 * bound, nor submit faster than a program could ever need, so it cannot make listings fail for
 * everyone. Both are checked before a submission is judged; a refusal changes nothing, and what was
 * accepted before stays as it is.
 *
 * - Storage: the UTF-8 bytes of the patches, outputs and hypotheses a member's results hold. The
 *   count is the fold's (MemberTally.storedBytes, main/rules/fold.ts), rebuilt from the stored
 *   results at start-up, so it survives restarts and cannot drift from what is on disk.
 * - Rate: a token bucket per member, in memory. It starts full and resets on restart, which at
 *   worst lets one burst through per restart.
 */

const MIB = 1024 * 1024;

/**
 * Defaults that real programs never meet: a run takes minutes (autoresearch's take 5), so a machine
 * submits a dozen results an hour, and a result holds at most ~0.6 MiB (protocol/results.ts LIMITS).
 * 512 MiB is over 800 maximal results, or years of typical ones.
 */
export const DEFAULT_QUOTA = { storage_mb: 512, submissions_per_hour: 600 } as const satisfies Required<QuotaSpec>;

/** The bucket holds ten minutes' worth of submissions, so a worker back from an outage can flush its outbox. */
const BURST_MINUTES = 10;

export type QuotaLimit = 'storage' | 'rate';

/** A submission over a member's quota: 429 `quota_exceeded`; `retryAfterSeconds` for the rate limit only. */
export class QuotaError extends ServiceError {
  override name = 'QuotaError';
  readonly limit: QuotaLimit;
  readonly retryAfterSeconds: number | null;
  constructor(limit: QuotaLimit, message: string, retryAfterSeconds: number | null = null) {
    super('quota_exceeded', message);
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** What a result costs its member's storage quota: the UTF-8 bytes of its patch, output and hypothesis. */
export function resultBytes(body: Pick<SubmitResultRequest, 'patch' | 'output' | 'hypothesis'>): number {
  return Buffer.byteLength(body.patch ?? '') + Buffer.byteLength(body.output ?? '') + Buffer.byteLength(body.hypothesis ?? '');
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class Quotas {
  readonly storageBytes: number;
  readonly perHour: number;
  readonly burst: number;
  #storageMb: number;
  #now: () => number;
  #buckets = new Map<string, Bucket>();
  /** Members whose last submission was refused for storage (cleared when one is accepted): shown to the owner. */
  #refusedStorage = new Set<string>();

  constructor(spec: QuotaSpec | undefined, now: () => number) {
    this.#storageMb = spec?.storage_mb ?? DEFAULT_QUOTA.storage_mb;
    this.storageBytes = Math.floor(this.#storageMb * MIB);
    this.perHour = spec?.submissions_per_hour ?? DEFAULT_QUOTA.submissions_per_hour;
    this.burst = Math.max(1, Math.ceil((this.perHour * BURST_MINUTES) / 60));
    this.#now = now;
  }

  /**
   * Admits one submission of `bytes` from `member` or throws QuotaError. Synchronous, between the
   * KB's idempotency check and its judging, so concurrent submissions each see the ones before them.
   * A storage refusal does not take a token; any admitted submission does, even one judged invalid.
   */
  admit(member: string, tally: MemberTally | undefined, bytes: number): void {
    const stored = tally?.storedBytes ?? 0;
    if (stored + bytes > this.storageBytes) {
      this.#refusedStorage.add(member);
      throw new QuotaError(
        'storage',
        `Over this member's storage quota: it has stored ${mib(stored)} of patches, outputs and hypotheses, and this result (${mib(bytes)}) would pass the program's limit of ${mib(this.storageBytes)} (quota.storage_mb: ${this.#storageMb}). Results already accepted stay as they are; the owner can raise the limit in TASK.md.`,
      );
    }
    const bucket = this.#refill(member);
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil(((1 - bucket.tokens) * 3600) / this.perHour));
      throw new QuotaError(
        'rate',
        `Over this member's submission rate: the program allows ${this.perHour} submissions an hour (quota.submissions_per_hour: ${this.perHour}, bursts of ${this.burst}). Retry in ${retryAfter} s; the owner can raise the limit in TASK.md.`,
        retryAfter,
      );
    }
    bucket.tokens -= 1;
    this.#refusedStorage.delete(member);
  }

  /** What the owner sees of a member: its storage use, and which limit (if any) it is at now. */
  usage(member: string, tally: MemberTally | undefined): MemberUsage {
    const stored = tally?.storedBytes ?? 0;
    const atStorage = stored >= this.storageBytes || this.#refusedStorage.has(member);
    const atRate = this.#buckets.has(member) && this.#refill(member).tokens < 1;
    return {
      results: tally?.results ?? 0,
      stored_bytes: stored,
      storage_limit_bytes: this.storageBytes,
      submissions_per_hour: this.perHour,
      at_limit: atStorage ? 'storage' : atRate ? 'rate' : null,
    };
  }

  #refill(member: string): Bucket {
    const now = this.#now();
    const bucket = this.#buckets.get(member) ?? { tokens: this.burst, at: now };
    // A clock that steps back adds nothing rather than taking tokens away.
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.perHour) / 3_600_000);
    bucket.at = now;
    this.#buckets.set(member, bucket);
    return bucket;
  }
}
