import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChampionStep } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { useOwnerStore } from '../store.ts';

/** Champions per page: the recent climb at a glance; earlier ones on demand. */
export const CHAMPIONS_PAGE = 20;

export interface ChampionsData {
  /** Oldest first, the latest ones and whatever earlier pages were asked for. */
  steps: ChampionStep[];
  /** Champions crowned in all; null until the first answer. */
  total: number | null;
  /** There are earlier champions than the first shown. */
  earlier: boolean;
  loading: boolean;
  error: string | null;
  loadEarlier(): void;
}

/** Oldest first by sequence number, one entry per id. */
function merge(held: readonly ChampionStep[], fresh: readonly ChampionStep[]): ChampionStep[] {
  const byId = new Map(held.map((c) => [c.id, c]));
  for (const c of fresh) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * How the champion got there (GET /api/owner/champions): each result that became champion, oldest
 * first, with its improvement over the one before. The latest page is fetched again when the KB
 * changes (a new champion, or a verdict that changes one); earlier pages stay as fetched.
 */
export function useChampions(enabled: boolean): ChampionsData {
  const token = useOwnerStore((s) => s.token);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const [steps, setSteps] = useState<ChampionStep[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  // The `before` cursor of the earliest page fetched; null once the first champion is shown.
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The first page is in: later answers to the latest page are refreshes, and keep the cursor.
  const started = useRef(false);

  useEffect(() => {
    if (token === null || !enabled) return;
    let gone = false;
    ownerApi
      .champions(token, CHAMPIONS_PAGE)
      .then((page) => {
        if (gone) return;
        setSteps((held) => merge(held, page.champions));
        setTotal(page.total);
        if (!started.current) setNext(page.next);
        started.current = true;
        setError(null);
      })
      .catch((err: unknown) => {
        if (!gone) setError(errorMessage(err));
      });
    return () => {
      gone = true;
    };
  }, [token, enabled, fetchedAt]);

  const loadEarlier = useCallback(() => {
    if (token === null || next === null) return;
    setLoading(true);
    ownerApi
      .champions(token, CHAMPIONS_PAGE, next)
      .then((page) => {
        setSteps((held) => merge(held, page.champions));
        setNext(page.next);
        setError(null);
      })
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setLoading(false));
  }, [token, next]);

  return { steps, total, earlier: next !== null, loading, error, loadEarlier };
}
