import { useEffect, useMemo, useRef, useState } from 'react';
import { LEADERBOARD_LIMITS, type LeaderboardView, type ResultSummary } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { useOwnerStore } from '../store.ts';
import { boardRows } from './ranking.ts';

export type { LeaderboardView };

/** Rows the board shows: the host's default page, a screenful or two. */
export const BOARD_SIZE = LEADERBOARD_LIMITS.default;

export interface LeaderboardData {
  /** The view `rows` are of: the one asked for once its first answer is in (until then, the other one's rows stay up). */
  view: LeaderboardView;
  rows: ResultSummary[];
  /** Claims in the host's list that did not reproduce, left out of the board. */
  leftOut: number;
  /** The asked-for view's first answer has not arrived yet. */
  loading: boolean;
  error: string | null;
}

type ByView = Partial<Record<LeaderboardView, ResultSummary[]>>;

/**
 * The host's leaderboard (GET /api/owner/leaderboard): its best results, or each member's best,
 * exact over the whole KB. Each view's last answer is kept, so switching back shows at once while
 * it is fetched again; both are fetched again when the KB changes (the status was refetched).
 * Before the first answer, the status's own best results (the same ranking, its top 20) stand in.
 */
export function useLeaderboard(view: LeaderboardView): LeaderboardData {
  const token = useOwnerStore((s) => s.token);
  const status = useOwnerStore((s) => s.status);
  const fetchedAt = useOwnerStore((s) => s.fetchedAt);
  const [byView, setByView] = useState<ByView>({});
  const [error, setError] = useState<string | null>(null);
  // Answers can arrive out of order: only the latest request of a view may write it.
  const asked = useRef<Record<LeaderboardView, number>>({ results: 0, members: 0 });

  useEffect(() => {
    if (token === null) return;
    const ticket = ++asked.current[view];
    ownerApi
      .leaderboard(token, view, BOARD_SIZE)
      .then((answer) => {
        if (asked.current[view] !== ticket) return;
        setByView((held) => ({ ...held, [view]: answer.entries }));
        setError(null);
      })
      .catch((err: unknown) => {
        if (asked.current[view] === ticket) setError(errorMessage(err));
      });
  }, [token, view, fetchedAt]);

  return useMemo(() => {
    const fallback: ByView = { results: status?.leaderboard };
    const own = byView[view] ?? fallback[view];
    // While a view's first answer is on its way, the other view's rows stay up rather than a blank board.
    const other: LeaderboardView = view === 'results' ? 'members' : 'results';
    const shown = own !== undefined ? view : other;
    const entries = byView[shown] ?? fallback[shown] ?? [];
    return { view: shown, ...boardRows(entries), loading: own === undefined, error };
  }, [byView, status, view, error]);
}
