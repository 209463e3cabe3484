import type { SeriesPoint, SeriesResponse } from '../../protocol/index.ts';
import type { KbState } from '../rules/fold.ts';
import { crashesThrough, firstCrowningFrom } from '../rules/history.ts';
import type { KbStore } from '../store/kb-store.ts';

/**
 * GET /api/owner/series: the metric over time for the chart, downsampled (docs/design.md, "Listings
 * at scale"). The cost is O(points + log results) primary-key lookups, whatever the size of the log:
 *
 * 1. The time range becomes a range of sequence numbers by binary search on `created_at` through
 *    the primary key (about 20 lookups at a million results). The host stamps results as it judges
 *    them, in order, so `created_at` grows with `seq`; a clock stepped back only blurs the edge.
 *    No index on `created_at`: every submission would pay a write to it.
 * 2. The range is sampled at an even stride of sequence numbers (sequence numbers have no gaps), at
 *    most `points` of them, the last result of the range always among them, plus every champion in
 *    the range (from the fold's crownings; evenly thinned to `points` when there are more).
 * 3. Crashes are not points: they are counted from the fold's per-block totals, plus at most two
 *    partial blocks read through the status index (main/rules/history.ts).
 */
export interface SeriesQuery {
  points: number;
  from?: number | undefined;
  to?: number | undefined;
}

/** The first result recorded at or after `ms` (by binary search on seq), or null. */
async function firstAtOrAfter(store: KbStore, total: number, ms: number): Promise<number | null> {
  let lo = 1;
  let hi = total + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await store.resultTime(mid))! < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo <= total ? lo : null;
}

/** The last result recorded at or before `ms`, or null. */
async function lastAtOrBefore(store: KbStore, total: number, ms: number): Promise<number | null> {
  const after = await firstAtOrAfter(store, total, ms + 1);
  const last = (after ?? total + 1) - 1;
  return last >= 1 ? last : null;
}

/** `k` evenly spaced elements of `list` (all of them when it has no more), the last always among them. */
function evenly<T>(list: readonly T[], k: number): T[] {
  if (list.length <= k) return [...list];
  const out: T[] = [];
  for (let i = 0; i < k - 1; i++) out.push(list[Math.floor((i * list.length) / (k - 1 || 1))]!);
  out.push(list.at(-1)!);
  return out;
}

async function crashesUpTo(store: KbStore, state: KbState, seq: number): Promise<number> {
  if (seq <= 0) return 0;
  const { counted, through } = crashesThrough(state.crashTotals, seq);
  return counted + (through < seq ? await store.countStatus('crash', through, seq) : 0);
}

export async function series(
  store: KbStore,
  state: KbState,
  query: SeriesQuery,
  names: ReadonlyMap<string, string>,
  effective: (id: string, value: number | null) => number | null,
): Promise<SeriesResponse> {
  const total = state.seq;
  const empty: SeriesResponse = { points: [], crashes: 0, results: 0, stride: 1, from: null, to: null, members: {} };
  if (total === 0) return empty;
  const lo = query.from === undefined ? 1 : await firstAtOrAfter(store, total, query.from);
  const hi = query.to === undefined ? total : await lastAtOrBefore(store, total, query.to);
  if (lo === null || hi === null || lo > hi) return empty;

  const count = hi - lo + 1;
  const stride = count <= query.points ? 1 : count / query.points;
  const seqs = new Set<number>();
  for (let i = 0; i < Math.min(query.points, count); i++) seqs.add(lo + Math.floor(i * stride));
  seqs.add(hi);
  const first = firstCrowningFrom(state.crownings, lo);
  const last = firstCrowningFrom(state.crownings, hi + 1);
  for (const c of evenly(state.crownings.slice(first, last), query.points)) seqs.add(c.seq);

  const [rows, crashes, fromMs, toMs] = await Promise.all([
    store.listSeriesRows([...seqs].sort((a, b) => a - b)),
    Promise.all([crashesUpTo(store, state, hi), crashesUpTo(store, state, lo - 1)]).then(([a, b]) => a - b),
    store.resultTime(lo),
    store.resultTime(hi),
  ]);
  const points: SeriesPoint[] = [];
  const members: Record<string, string> = {};
  for (const r of rows) {
    const value = effective(r.id, r.value);
    if (r.status === 'crash' || value === null) continue;
    points.push({ seq: r.seq, at: r.createdAt, value, member: r.memberId, status: r.status, champion: r.champion });
    members[r.memberId] = names.get(r.memberId) ?? r.memberId;
  }
  return { points, crashes, results: count, stride, from: fromMs, to: toMs, members };
}
