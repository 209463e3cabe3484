import type { ResultRecord, TaskSpec } from '../../protocol/index.ts';

export interface Series {
  xs: number[];
  best: (number | null)[];
  keep: (number | null)[];
  discard: (number | null)[];
  duplicate: (number | null)[];
  /** Plotted results (every non-crash result with a value). */
  points: number;
  crashes: number;
}

/**
 * autoresearch's progress plot: every non-crash result as a point coloured by its status, and the
 * champion's staircase (the running best of the kept results). x is the result's sequence number.
 */
export function buildSeries(results: readonly ResultRecord[], direction: TaskSpec['direction']): Series {
  const s: Series = { xs: [], best: [], keep: [], discard: [], duplicate: [], points: 0, crashes: 0 };
  let best: number | null = null;
  for (const r of [...results].sort((a, b) => a.seq - b.seq)) {
    if (r.status === 'crash' || r.value === null) {
      s.crashes += r.status === 'crash' ? 1 : 0;
      continue;
    }
    if (r.status === 'keep' && (best === null || (direction === 'minimize' ? r.value < best : r.value > best))) best = r.value;
    s.xs.push(r.seq);
    s.best.push(best);
    s.keep.push(r.status === 'keep' ? r.value : null);
    s.discard.push(r.status === 'discard' ? r.value : null);
    s.duplicate.push(r.status === 'duplicate' ? r.value : null);
    s.points += 1;
  }
  return s;
}
