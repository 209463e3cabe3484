import type { OwnerStatusResponse, ResultRecord } from '../../../protocol/index.ts';
import { useNow } from '../hooks.ts';
import { ChampionCard } from './ChampionCard.tsx';
import { ResultRow } from './ResultRow.tsx';

/**
 * The champion on top, then the latest results, newest first (`recent`: a bounded window; the counts
 * are the KB's, from the status).
 */
export function Leaderboard({ status, recent }: { status: OwnerStatusResponse; recent: readonly ResultRecord[] }) {
  const now = useNow();
  const results = [...recent].sort((a, b) => b.seq - a.seq);
  const { total, counts } = status;
  const shown = total > results.length ? ` · latest ${results.length} shown` : '';
  const summary = total === 0 ? '' : `${total} result${total === 1 ? '' : 's'} · ${counts.keep} kept · ${counts.discard} discarded · ${counts.crash} crashed · ${counts.duplicate} duplicate${shown}`;

  return (
    <section className="section" aria-labelledby="leaderboard-title" data-testid="leaderboard">
      <h2 id="leaderboard-title">
        Leaderboard <span className="muted small">{summary}</span>
      </h2>
      <ChampionCard champion={status.champion} baseline={status.baseline} spec={status.program.spec} now={now} />
      {results.length === 0 ? (
        <p className="empty">
          No results yet. Approved members run experiments on their own machines with <code>cohort run</code>; each run submits its{' '}
          <code>{status.program.spec.metric}</code> here, where it is judged against the champion and kept if it is better.
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
          <ol className="results" aria-label="Results, newest first">
            {results.map((r) => (
              <ResultRow key={r.id} result={r} now={now} isChampion={status.champion?.id === r.id} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
