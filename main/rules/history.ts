/**
 * What the owner's views of a long program need from the fold, kept as results arrive so that no
 * request reads the log to answer them (docs/design.md, "Listings at scale"):
 * - the crownings: every result that became champion, in order, with the value it was crowned at
 *   (GET /api/owner/champions draws the staircase from them; a few per thousand results);
 * - the crashes counted per block of CRASH_BLOCK results, cumulatively, so the crashes in any range
 *   of sequence numbers are two array reads plus at most two partial blocks read through the
 *   status index (GET /api/owner/series).
 * A refold (start-up, a verdict that changes an effective value) builds both again with the rest.
 */

export interface Crowning {
  id: string;
  seq: number;
  member: string;
  /** The effective value it was crowned at. */
  value: number;
}

/** Results per block of the crash counts: a partial block costs at most this many index entries. */
export const CRASH_BLOCK = 1024;

/**
 * `totals[k]`: crashes among results 1 … (k + 1) × CRASH_BLOCK (the last block: so far). Results
 * come in order of `seq`, with no gaps, so only the last entry ever grows.
 */
export function noteResult(totals: number[], seq: number, crashed: boolean): void {
  const block = Math.floor((seq - 1) / CRASH_BLOCK);
  while (totals.length <= block) totals.push(totals.at(-1) ?? 0);
  if (crashed) totals[block]! += 1;
}

/**
 * Crashes among results 1 … `seq` as far as whole blocks tell: `counted` up to `through`, the last
 * sequence number of the last whole block at or before `seq`; the caller counts (through, seq].
 */
export function crashesThrough(totals: readonly number[], seq: number): { counted: number; through: number } {
  const whole = Math.min(Math.floor(seq / CRASH_BLOCK), totals.length);
  return { counted: whole === 0 ? 0 : totals[whole - 1]!, through: whole * CRASH_BLOCK };
}

/** Index of the first crowning with `seq` ≥ `at` (crownings are in order of seq). */
export function firstCrowningFrom(crownings: readonly Crowning[], at: number): number {
  let lo = 0;
  let hi = crownings.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (crownings[mid]!.seq < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
