import { useMemo } from 'react';
import type { ResultSummary } from '../../../protocol/index.ts';
import { useOwnerStore } from '../store.ts';
import { bestPerMember, rankResults } from './ranking.ts';

/** The leaderboard's two views: every result, or each member's best. */
export type LeaderboardView = 'results' | 'members';

export interface LeaderboardData {
  rows: ResultSummary[];
  /** Claims in the host's list that did not reproduce, left out of the ranking. */
  leftOut: number;
  /** How many results the ranking was drawn from (the status's best ones). */
  drawnFrom: number;
}

/**
 * The ranked leaderboard, today from the status's best results (LEADERBOARD_SIZE of them), ranked
 * again here and reduced to each member's best for the "members" view. When the host serves
 * GET /api/owner/leaderboard?view=results|members this hook fetches it instead; the components
 * that show it stay as they are.
 */
export function useLeaderboard(view: LeaderboardView): LeaderboardData {
  const status = useOwnerStore((s) => s.status);
  return useMemo(() => {
    if (status === null) return { rows: [], leftOut: 0, drawnFrom: 0 };
    const source = status.leaderboard;
    const ranked = rankResults(source, status.program.spec.direction);
    const rows = view === 'members' ? bestPerMember(ranked) : ranked;
    return { rows, leftOut: source.filter((r) => r.verification === 'not_reproduced').length, drawnFrom: source.length };
  }, [status, view]);
}
