import type { SeriesPoint, SeriesResponse, TaskSpec } from '../../../protocol/index.ts';

/** A zoomed range of the chart, in Unix ms, both ends included (GET /api/owner/series's `from`/`to`). */
export interface TimeRange {
  from: number;
  to: number;
}

/** A member in the chart's legend: its colour, and its best and count among the plotted points. */
export interface MemberEntry {
  id: string;
  name: string;
  color: string;
  best: number;
  points: number;
}

/** What the chart draws and its legend says, from one answer of GET /api/owner/series. */
export interface ChartModel {
  /** The plotted results, by time. */
  points: SeriesPoint[];
  /** The plot's x: each point's time, then the range's end when a crash came last. */
  xs: number[];
  values: (number | null)[];
  /** The champion's value in force at each x: the staircase (null before the first champion). */
  stair: (number | null)[];
  /** Each point's member colour. */
  colors: string[];
  /** The index of the latest crowning among the points, or -1. */
  current: number;
  /** The champion's value at the end of the range. */
  champion: number | null;
  /** The best plotted value. */
  best: number | null;
  /** Members with plotted points, best first. */
  members: MemberEntry[];
  crashes: number;
  /** Results in the range, crashes included. */
  results: number;
  /** Results per plotted point (1: every one). */
  stride: number;
}

export function better(a: number, b: number, direction: TaskSpec['direction']): boolean {
  return direction === 'minimize' ? a < b : a > b;
}

/**
 * The chart of the field's dashboards (autoresearch's progress plot, a leaderboard over time):
 * every plotted result a point in its member's colour, and the champion's staircase through the
 * crownings. `carry` is the champion in force when the range starts (a zoomed range), so the
 * staircase starts at the left edge rather than at the first crowning inside it.
 */
export function chartModel(series: SeriesResponse, carry: number | null, direction: TaskSpec['direction'], colorOf: (member: string) => string): ChartModel {
  // By time, as the x axis is; the host stamps results in order, so this is seq order too.
  const points = [...series.points].sort((a, b) => a.at - b.at || a.seq - b.seq);
  const stair: (number | null)[] = [];
  const byMember = new Map<string, MemberEntry>();
  let running = carry;
  let current = -1;
  let best: number | null = null;
  for (const [i, p] of points.entries()) {
    if (p.champion) {
      running = p.value;
      current = i;
    }
    stair.push(running);
    if (best === null || better(p.value, best, direction)) best = p.value;
    const entry = byMember.get(p.member);
    if (entry === undefined) byMember.set(p.member, { id: p.member, name: series.members[p.member] ?? p.member, color: colorOf(p.member), best: p.value, points: 1 });
    else {
      entry.points += 1;
      if (better(p.value, entry.best, direction)) entry.best = p.value;
    }
  }
  const xs = points.map((p) => p.at);
  const values: (number | null)[] = points.map((p) => p.value);
  // The staircase runs on to the range's last result, a crash or not: the champion held until then.
  const last = xs.at(-1);
  if (series.to !== null && last !== undefined && series.to > last) {
    xs.push(series.to);
    values.push(null);
    stair.push(running);
  }
  const members = [...byMember.values()].sort((a, b) => (a.best === b.best ? a.name.localeCompare(b.name) : better(a.best, b.best, direction) ? -1 : 1));
  return {
    points,
    xs,
    values,
    stair,
    colors: points.map((p) => colorOf(p.member)),
    current,
    champion: running,
    best,
    members,
    crashes: series.crashes,
    results: series.results,
    stride: series.stride,
  };
}
