import { useCallback, useEffect, useRef, useState } from 'react';
import type { ResultRecord, ResultStatus } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { useOwnerStore } from '../store.ts';

/** Results per page of the history: a screenful or two; "Load more" fetches the next. */
export const HISTORY_PAGE = 25;

/**
 * What the history is filtered by. The host's coming feed adds `verification` and a hypothesis
 * text search `q`; they join here, and HistoryFilters grows a control for each.
 */
export interface HistoryFilter {
  status?: ResultStatus;
  member?: string;
}

export interface HistoryData {
  results: ResultRecord[];
  /** The cursor of the next (older) page; null when the oldest result is shown. */
  next: number | null;
  loading: boolean;
  error: string | null;
  loadMore(): void;
}

/** Newest first, by sequence number, one entry per id (a newer copy replaces the older). */
function merge(held: readonly ResultRecord[], fresh: readonly ResultRecord[]): ResultRecord[] {
  const byId = new Map(held.map((r) => [r.id, r]));
  for (const r of fresh) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => b.seq - a.seq);
}

/**
 * The full history as a paged feed, newest first: the first page when the filter changes, older
 * pages on demand, never the whole KB. When the KB changes (the status is refetched after an
 * event), the first page is fetched again and merged in, so new results and new verdicts on recent
 * ones show up live; older pages already shown keep what they had.
 */
export function useHistory(filter: HistoryFilter): HistoryData {
  const token = useOwnerStore((s) => s.token);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const [results, setResults] = useState<ResultRecord[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { status, member } = filter;
  // Answers to an older filter are dropped: the filter's key when the request left.
  const current = useRef('');
  // Whether this filter's first page arrived (its cursor is the feed's until "Load more").
  const started = useRef(false);
  const key = `${status ?? ''}|${member ?? ''}`;

  // A new filter starts over.
  useEffect(() => {
    current.current = key;
    started.current = false;
    setResults([]);
    setNext(null);
  }, [key]);

  // The first page, again whenever the KB changed.
  useEffect(() => {
    if (token === null) return;
    const asked = key;
    let gone = false;
    setLoading(true);
    ownerApi
      .history(token, { limit: HISTORY_PAGE, status, member })
      .then((page) => {
        if (gone || current.current !== asked) return;
        // A refresh keeps the cursor of the older pages already shown.
        if (!started.current) setNext(page.next);
        started.current = true;
        setResults((held) => merge(held, page.results));
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
  }, [token, key, status, member, fetchedAt]);

  const loadMore = useCallback(() => {
    if (token === null || next === null) return;
    const asked = key;
    setLoading(true);
    ownerApi
      .history(token, { limit: HISTORY_PAGE, before: next, status, member })
      .then((page) => {
        if (current.current !== asked) return;
        setResults((held) => merge(held, page.results));
        setNext(page.next);
        setError(null);
      })
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setLoading(false));
  }, [token, next, key, status, member]);

  return { results, next, loading, error, loadMore };
}
