import { useState } from 'react';
import type { OwnerStatusResponse } from '../../../protocol/index.ts';
import { formatCount, type MetricFormat } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useHistory, type HistoryFilter } from '../owner-data/use-history.ts';
import { HistoryFilters } from './HistoryFilters.tsx';
import { HistoryFoot } from './HistoryFoot.tsx';
import { ResultRow } from './ResultRow.tsx';

/** Every submission, newest first, a page at a time: what happened, as opposed to the ranking. */
export function HistoryFeed({ status, fmt, onSelect }: { status: OwnerStatusResponse; fmt: MetricFormat; onSelect: (id: string) => void }) {
  const now = useNow();
  const [filter, setFilter] = useState<HistoryFilter>({});
  const { results, shownFilter, stale, next, search, loading, error, loadMore } = useHistory(filter);
  const { total, counts } = status;
  const filtered = Object.values(filter).some((v) => v !== undefined);
  const summary =
    total === 0
      ? ''
      : `${formatCount(total)} result${total === 1 ? '' : 's'} · ${formatCount(counts.keep)} kept · ${formatCount(counts.discard)} discarded · ${formatCount(counts.crash)} crashed · ${formatCount(counts.duplicate)} duplicate`;

  return (
    <section className="section area-history" aria-labelledby="history-title" aria-busy={loading} data-testid="history" data-filter={shownFilter ?? ''}>
      <div className="section-head">
        <h2 id="history-title">
          History <span className="muted small">{summary}</span>
        </h2>
        <HistoryFilters filter={filter} members={status.members} onChange={(patch) => setFilter((f) => ({ ...f, ...patch }))} />
      </div>
      {error !== null && (
        <p className="inline-error" role="alert">
          Could not load the history: {error}
        </p>
      )}
      {results.length === 0 ? (
        <p className="empty" data-testid="history-empty">
          {shownFilter === null || stale ? 'Loading…' : filtered ? 'No result matches these filters.' : 'No results yet: each submission appears here as it arrives, newest first.'}
        </p>
      ) : (
        <>
          <div className="result-columns muted small" aria-hidden="true">
            <span>id</span>
            <span>status</span>
            <span>worker</span>
            <span className="num">{status.program.spec.metric}</span>
            <span className="num">impact</span>
            <span />
          </div>
          <ol className={`results${stale ? ' is-stale' : ''}`} aria-label="Results, newest first" data-testid="history-list" data-count={results.length}>
            {results.map((r) => (
              <ResultRow key={r.id} result={r} now={now} isChampion={status.champion?.id === r.id} fmt={fmt} onSelect={onSelect} />
            ))}
          </ol>
        </>
      )}
      {shownFilter !== null && !stale && (results.length > 0 || search !== null) && (
        <HistoryFoot shown={results.length} total={filtered ? null : total} search={search} more={next !== null} loading={loading} onMore={loadMore} />
      )}
    </section>
  );
}
