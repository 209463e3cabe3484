import { useState } from 'react';
import type { OwnerStatusResponse } from '../../../protocol/index.ts';
import type { MetricFormat } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useHistory, type HistoryFilter } from '../owner-data/use-history.ts';
import { HistoryFilters } from './HistoryFilters.tsx';
import { ResultRow } from './ResultRow.tsx';

/** Every submission, newest first, a page at a time: what happened, as opposed to the ranking. */
export function HistoryFeed({ status, fmt, onSelect }: { status: OwnerStatusResponse; fmt: MetricFormat; onSelect: (id: string) => void }) {
  const now = useNow();
  const [filter, setFilter] = useState<HistoryFilter>({});
  const { results, next, loading, error, loadMore } = useHistory(filter);
  const { total, counts } = status;
  const filtered = filter.status !== undefined || filter.member !== undefined;
  const summary = total === 0 ? '' : `${total} result${total === 1 ? '' : 's'} · ${counts.keep} kept · ${counts.discard} discarded · ${counts.crash} crashed · ${counts.duplicate} duplicate`;

  return (
    <section className="section area-history" aria-labelledby="history-title" data-testid="history">
      <div className="section-head">
        <h2 id="history-title">
          History <span className="muted small">{summary}</span>
        </h2>
        <HistoryFilters filter={filter} members={status.members} onChange={setFilter} />
      </div>
      {error !== null && (
        <p className="inline-error" role="alert">
          Could not load the history: {error}
        </p>
      )}
      {results.length === 0 ? (
        <p className="empty" data-testid="history-empty">
          {loading ? 'Loading…' : filtered ? 'No result matches these filters.' : 'No results yet: each submission appears here as it arrives, newest first.'}
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
          <ol className="results" aria-label="Results, newest first" data-testid="history-list" data-count={results.length}>
            {results.map((r) => (
              <ResultRow key={r.id} result={r} now={now} isChampion={status.champion?.id === r.id} fmt={fmt} onSelect={onSelect} />
            ))}
          </ol>
          <div className="feed-foot">
            <span className="muted small" data-testid="history-shown">
              {results.length} shown{filtered ? '' : ` of ${total}`}
            </span>
            {next !== null && (
              <button type="button" className="btn" data-testid="load-more" disabled={loading} onClick={loadMore}>
                {loading ? 'Loading…' : 'Load more'}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
