import { useCallback, useEffect, useRef, useState } from 'react';
import type { ResultSummaryPage, SummaryRow } from '../../../protocol/index.ts';
import { errorMessage, ownerApi, type HistoryQuery } from '../api.ts';
import { useOwnerStore } from '../store.ts';
import { filterKey, HISTORY_PAGE, type HistoryFilter } from './history-filter.ts';

export { filterKey, HISTORY_PAGE, type HistoryFilter };

/** How far a searched feed has looked (docs/host.md, "Search"): the host examines a bounded stretch per page. */
export interface SearchProgress {
  /** Results examined by the pages shown so far, newest first. */
  examined: number;
  /** The last page stopped at the host's bound: older results are not searched yet (`next` goes on). */
  stoppedEarly: boolean;
}

export interface HistoryData {
  /** Summaries: a row's patch and output are fetched when it is opened (useResultDetail). */
  results: SummaryRow[];
  /** The filter (filterKey) `results` are of; null before any first page. */
  shownFilter: string | null;
  /**
   * `results` are of the previous filter, shown until the new one's first page is in: the list
   * keeps its height instead of collapsing to "Loading…" and back (the page would jump).
   */
  stale: boolean;
  /** The cursor of the next (older) page; null when the oldest result is shown. */
  next: number | null;
  /** Null for an unsearched feed (status and member filters only). */
  search: SearchProgress | null;
  loading: boolean;
  error: string | null;
  loadMore(): void;
}

/** Newest first, by sequence number, one entry per id (a newer copy replaces the older). */
function merge(held: readonly SummaryRow[], fresh: readonly SummaryRow[]): SummaryRow[] {
  const byId = new Map(held.map((r) => [r.id, r]));
  for (const r of fresh) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}

interface Feed {
  key: string;
  /** This filter's first page is in: later answers to it are refreshes. */
  started: boolean;
  results: SummaryRow[];
  next: number | null;
  search: SearchProgress | null;
}

const progress = (page: ResultSummaryPage, before: number): SearchProgress | null =>
  page.scan === undefined ? null : { examined: before + page.scan.examined, stoppedEarly: page.scan.stopped_early };

/**
 * The history as a paged feed, newest first: the first page when the filter changes, older pages
 * on demand ("Load more", or "search further" where a searched page stopped at the host's bound),
 * never the whole KB. When the KB changes (the status is refetched after an event), the first page
 * is fetched again and merged in, so new results and new verdicts on recent ones show up live;
 * older pages already shown, and how far a search has looked, stay as they were.
 */
export function useHistory(filter: HistoryFilter): HistoryData {
  const token = useOwnerStore((s) => s.token);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const key = filterKey(filter);
  const [feed, setFeed] = useState<Feed>({ key, started: false, results: [], next: null, search: null });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The filter asked for now: answers to an older one are dropped.
  const current = useRef(key);
  current.current = key;
  const query = useRef<Omit<HistoryQuery, 'limit' | 'before'>>(filter);
  query.current = filter;

  // The first page, for a new filter and again whenever the KB changed.
  useEffect(() => {
    if (token === null) return;
    let gone = false;
    setLoading(true);
    ownerApi
      .history(token, { limit: HISTORY_PAGE, ...query.current })
      .then((page) => {
        if (gone || current.current !== key) return;
        setFeed((held) =>
          held.key === key && held.started
            ? // A refresh: the older pages' cursor and the search's progress stay.
              { ...held, results: merge(held.results, page.results) }
            : { key, started: true, results: page.results, next: page.next, search: progress(page, 0) },
        );
        setError(null);
      })
      .catch((err: unknown) => {
        if (!gone) setError(errorMessage(err));
      })
      .finally(() => {
        if (!gone) setLoading(false);
      });
    return () => {
      gone = true;
    };
  }, [token, key, fetchedAt]);

  const loadMore = useCallback(() => {
    if (token === null || feed.key !== key || feed.next === null) return;
    setLoading(true);
    ownerApi
      .history(token, { limit: HISTORY_PAGE, before: feed.next, ...query.current })
      .then((page) => {
        if (current.current !== key) return;
        setFeed((held) => ({ key, started: true, results: merge(held.results, page.results), next: page.next, search: progress(page, held.search?.examined ?? 0) }));
        setError(null);
      })
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setLoading(false));
  }, [token, key, feed]);

  // Rows of another filter stay up, marked stale; its cursor and search progress are not this filter's.
  const own = feed.key === key && feed.started;
  return {
    results: feed.results,
    shownFilter: feed.started ? feed.key : null,
    stale: !own && feed.started,
    next: own ? feed.next : null,
    search: own ? feed.search : null,
    loading,
    error,
    loadMore,
  };
}
