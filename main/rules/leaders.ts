/**
 * The best judged results of the KB (kept or discarded, by value; ties go to the first submitted),
 * at most LEADERS_KEPT of them, kept by the fold as results arrive.
 *
 * Kept in memory rather than read through an index on `value`: such an index put a write to a
 * random page of it into every submission's commit, about a quarter of a durable POST
 * (docs/benchmarks.md), to answer a question whose answer is a few hundred entries. A refold
 * (start-up, or a verdict that changes an effective value) builds it again like the rest of the state.
 */

/** Far more than any leaderboard shows (GET /api/status shows LEADERBOARD_SIZE). */
export const LEADERS_KEPT = 1_000;

export interface Leader {
  id: string;
  seq: number;
  value: number;
}

/** True when `a` ranks before `b`. */
export function ranksBefore(a: Leader, b: Leader, direction: 'minimize' | 'maximize'): boolean {
  if (a.value !== b.value) return direction === 'minimize' ? a.value < b.value : a.value > b.value;
  return a.seq < b.seq;
}

/** Puts `entry` in its place in `leaders` (best first), dropping whatever falls past `kept`. */
export function addLeader(leaders: Leader[], entry: Leader, direction: 'minimize' | 'maximize', kept = LEADERS_KEPT): void {
  if (leaders.length >= kept && !ranksBefore(entry, leaders[leaders.length - 1]!, direction)) return;
  // Binary search for the first entry that `entry` ranks before.
  let lo = 0;
  let hi = leaders.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranksBefore(entry, leaders[mid]!, direction)) hi = mid;
    else lo = mid + 1;
  }
  leaders.splice(lo, 0, entry);
  if (leaders.length > kept) leaders.pop();
}

/**
 * Keeps `entry` as its member's best (GET /api/owner/leaderboard?view=members): one entry per
 * member, so bounded by the number of members, whatever the number of results.
 */
export function addMemberBest(best: Map<string, Leader>, member: string, entry: Leader, direction: 'minimize' | 'maximize'): void {
  const current = best.get(member);
  if (current === undefined || ranksBefore(entry, current, direction)) best.set(member, entry);
}

/** Each member's best, best first. */
export function rankMembers(best: ReadonlyMap<string, Leader>, direction: 'minimize' | 'maximize'): Leader[] {
  return [...best.values()].sort((a, b) => (ranksBefore(a, b, direction) ? -1 : ranksBefore(b, a, direction) ? 1 : 0));
}
