import { formatCount, plural } from '../format.ts';
import type { SearchProgress } from '../owner-data/use-history.ts';

interface Props {
  shown: number;
  /** Results in the KB, said only for an unfiltered feed. */
  total: number | null;
  search: SearchProgress | null;
  /** There are older results (or, for a search that stopped early, older ones not yet searched). */
  more: boolean;
  loading: boolean;
  onMore: () => void;
}

/**
 * Under the feed: how much is shown, and the way to older results. A searched feed says how far
 * the host has looked, since each page examines a bounded stretch (docs/host.md, "Search"): a
 * stretch with few matches ends a page early, and "search further" goes on from there.
 */
export function HistoryFoot({ shown, total, search, more, loading, onMore }: Props) {
  const further = search !== null && search.stoppedEarly && more;
  return (
    <div className="feed-foot">
      <span className="muted small" data-testid="history-shown">
        {search === null
          ? `${formatCount(shown)} shown${total === null ? '' : ` of ${formatCount(total)}`}`
          : `Searched ${more ? 'the latest' : 'all'} ${plural(search.examined, 'result')}: ${shown === 0 ? 'no match' : plural(shown, 'match', 'matches')}${further ? ' so far' : ''}`}
      </span>
      {more && (
        <button type="button" className="btn" data-testid={further ? 'search-further' : 'load-more'} disabled={loading} onClick={onMore}>
          {loading ? 'Loading…' : further ? 'Search further' : 'Load more'}
        </button>
      )}
    </div>
  );
}
