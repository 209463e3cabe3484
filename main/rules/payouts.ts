/**
 * Reward split (docs/design.md, "Rules of the KB" → Payouts). Pure: the caller passes the ledger of
 * results in submission order. All money arithmetic is in BigInt micro-units (10^-6 token) so the
 * amounts are exact decimals that add up to the pool to the last digit.
 */
import type { TaskSpec } from '../../protocol/task.ts';
import type { ResultStatus } from '../../protocol/results.ts';
import { IMPACT_DECIMALS, formatScaled, toScaledInteger } from './decimal.ts';

export interface PayoutInput {
  member: string;
  status: ResultStatus;
  impact: number;
}

export interface PayoutLine {
  member: string;
  /** impact_w: the member's summed keep impacts (beats-champion) or single best keep impact (threshold). */
  impact: number;
  /** Exact decimal with 6 places, e.g. "90.782821". */
  amount: string;
}

export type PayoutSpec = Pick<TaskSpec, 'pool' | 'split' | 'accept'>;

const AMOUNT_DECIMALS = 6;

/** Micro-units as a decimal string: 90782821n → "90.782821". */
export function formatMicros(micros: bigint): string {
  return formatScaled(micros, AMOUNT_DECIMALS);
}

/** The split of a ledger of results in submission order: `splitPool` over its `memberWeights`. */
export function computePayouts(spec: PayoutSpec, results: PayoutInput[], championMember: string | null): PayoutLine[] {
  return splitPool(spec, memberWeights(spec.accept, results), championMember);
}

/**
 * The pool split between members by their impact_w (`weights`, from `addWeight`, in order of each
 * member's first appearance: ties go to the earlier member).
 */
export function splitPool(spec: PayoutSpec, weights: ReadonlyMap<string, bigint>, championMember: string | null): PayoutLine[] {
  if (!(spec.pool > 0)) return [];
  const pool = toScaledInteger(spec.pool, AMOUNT_DECIMALS);
  // A pool below half a micro-unit rounds to nothing: there is nothing to hand out.
  if (pool <= 0n) return [];

  if (spec.split === 'champion-takes-all') {
    if (championMember === null) return [];
    const impact = weights.get(championMember) ?? 0n;
    return [{ member: championMember, impact: toImpact(impact), amount: formatMicros(pool) }];
  }

  const paid = [...weights].filter(([, w]) => w > 0n);
  const total = paid.reduce((sum, [, w]) => sum + w, 0n);
  if (total === 0n) return [];

  const shares = largestRemainder(pool, paid.map(([, w]) => w));
  return paid
    .map(([member, w], order) => ({ member, w, micros: shares[order] ?? 0n, order }))
    .sort((a, b) => (a.micros === b.micros ? a.order - b.order : a.micros > b.micros ? -1 : 1))
    .map(({ member, w, micros }) => ({ member, impact: toImpact(w), amount: formatMicros(micros) }));
}

/**
 * A member's impact_w after one more of its results, as an integer at 10^-12 (impacts are already
 * rounded to 12 places, so this is exact). Only keeps count. Under `threshold` a member's single
 * best keep counts, so resubmitting a passing result cannot inflate a share. The KB's fold calls
 * this per result, so the weights never need the whole ledger.
 */
export function addWeight(accept: PayoutSpec['accept'], current: bigint, result: Pick<PayoutInput, 'status' | 'impact'>): bigint {
  if (result.status !== 'keep' || !Number.isFinite(result.impact) || result.impact <= 0) return current;
  const w = toScaledInteger(result.impact, IMPACT_DECIMALS);
  return accept === 'threshold' ? (w > current ? w : current) : current + w;
}

/** impact_w per member, in order of each member's first appearance (non-keeps included, at 0). */
function memberWeights(accept: PayoutSpec['accept'], results: PayoutInput[]): Map<string, bigint> {
  const weights = new Map<string, bigint>();
  for (const r of results) weights.set(r.member, addWeight(accept, weights.get(r.member) ?? 0n, r));
  return weights;
}

/**
 * Splits `pool` in proportion to `weights` (all > 0): floor each share, then give the leftover
 * micro-units one each to the largest remainders; ties go to the earlier index (first appearance).
 * The result always sums to `pool` exactly.
 */
function largestRemainder(pool: bigint, weights: bigint[]): bigint[] {
  const total = weights.reduce((s, w) => s + w, 0n);
  const shares = weights.map((w) => (pool * w) / total);
  let left = pool - shares.reduce((s, x) => s + x, 0n);
  const byRemainder = weights
    .map((w, i) => ({ i, rem: (pool * w) % total }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  // left < weights.length, since each floor loses less than one unit.
  for (const { i } of byRemainder) {
    if (left === 0n) break;
    shares[i] = (shares[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return shares;
}

function toImpact(w: bigint): number {
  return Number(formatScaled(w, IMPACT_DECIMALS));
}
