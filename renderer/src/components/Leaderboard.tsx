import { useState } from 'react';
import type { OwnerStatusResponse } from '../../../protocol/index.ts';
import type { MetricFormat } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useLeaderboard, type LeaderboardView } from '../owner-data/use-leaderboard.ts';
import { LeaderboardRow } from './LeaderboardRow.tsx';
import { ViewToggle } from './ViewToggle.tsx';

const VIEWS = [
  { value: 'results', text: 'All results' },
  { value: 'members', text: 'Best per member' },
] as const;

interface Props {
  status: OwnerStatusResponse;
  fmt: MetricFormat;
  /** The result whose lineage is shown (null: the champion's). */
  selected: string | null;
  onSelect: (id: string) => void;
}

/**
 * The ranked leaderboard, as the host ranks the whole KB: its best results by the value they were
 * judged by, or each member's best. The full history, newest first, is the feed below it, not this.
 */
export function Leaderboard({ status, fmt, selected, onSelect }: Props) {
  const now = useNow();
  const [view, setView] = useState<LeaderboardView>('results');
  const board = useLeaderboard(view);
  const { rows, leftOut } = board;
  const { spec } = status.program;
  const championId = status.champion?.id ?? null;
  const current = selected ?? championId;

  return (
    <section className="section area-board" aria-labelledby="leaderboard-title" aria-busy={board.loading} data-testid="leaderboard" data-view={board.view}>
      <div className="section-head">
        <h2 id="leaderboard-title">
          Leaderboard{' '}
          <span className="muted small">
            {spec.metric}, best first{board.view === 'members' ? ', each member’s best' : ''}
            {leftOut > 0 && ` · ${leftOut} claim${leftOut === 1 ? '' : 's'} not reproduced left out`}
          </span>
        </h2>
        <ViewToggle label="Leaderboard view" options={VIEWS} value={view} onChange={setView} testId="board-view" />
      </div>
      {board.error !== null && (
        <p className="inline-error" role="alert">
          Could not load the leaderboard: {board.error}
        </p>
      )}
      {rows.length === 0 ? (
        <p className="empty" data-testid="board-empty">
          No judged results yet. Approved members run experiments on their own machines with <code>cohort run</code>; each run submits its{' '}
          <code>{spec.metric}</code> here, where it is judged against the champion and ranked.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table board" aria-label={board.view === 'members' ? 'Each member’s best result, best first' : 'Results, best first'}>
            <thead>
              <tr>
                <th scope="col" className="num">
                  #
                </th>
                <th scope="col" className="num">
                  {spec.metric}
                </th>
                <th scope="col" className="num">
                  Impact
                </th>
                <th scope="col">Member</th>
                <th scope="col">Hypothesis</th>
                <th scope="col">Age</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <LeaderboardRow key={r.id} rank={i + 1} result={r} fmt={fmt} now={now} isChampion={r.id === championId} selected={r.id === current} onSelect={onSelect} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
