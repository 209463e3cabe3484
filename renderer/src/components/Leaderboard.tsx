import type { NoiseReport, OwnerStatusResponse, ResultRecord, TaskSpec } from '../../../protocol/index.ts';
import { formatValue } from '../format.ts';
import { useNow } from '../hooks.ts';
import { ChampionCard } from './ChampionCard.tsx';
import { ResultRow } from './ResultRow.tsx';

/**
 * How noisy the program's runs are, measured from re-runs, and the min_improvement that noise
 * suggests: a margin below the noise lets lucky runs take the champion.
 */
function Noise({ noise, spec }: { noise: NoiseReport; spec: TaskSpec }) {
  const { claim_vs_rerun: cvr, between_reruns: between } = noise;
  const tooLow = noise.suggested_min_improvement > spec.min_improvement;
  return (
    <p className="noise small" data-testid="noise">
      <span className="fact-key">noise</span> from {noise.reruns} re-run{noise.reruns === 1 ? '' : 's'}: re-runs land a median{' '}
      <span className="mono">{formatValue(cvr.median)}</span> (p90 <span className="mono">{formatValue(cvr.p90)}</span>) from the claimed value
      {between !== null && (
        <>
          ; re-runs of one claim differ by a median <span className="mono">{formatValue(between.median)}</span> ({between.claims} claim{between.claims === 1 ? '' : 's'})
        </>
      )}
      . <span className={tooLow ? 'note-warning strong' : undefined} data-testid="noise-suggestion">
        Suggested min_improvement <span className="mono">{formatValue(noise.suggested_min_improvement)}</span>, now{' '}
        <span className="mono">{formatValue(spec.min_improvement)}</span>
        {tooLow ? ' (below the noise: raise it in TASK.md)' : ''}.
      </span>
    </p>
  );
}

/**
 * The champion on top, then the latest results, newest first (`recent`: a bounded window; the counts
 * are the KB's, from the status).
 */
export function Leaderboard({ status, recent }: { status: OwnerStatusResponse; recent: readonly ResultRecord[] }) {
  const now = useNow();
  const results = [...recent].sort((a, b) => b.seq - a.seq);
  const { total, counts } = status;
  const shown = total > results.length ? ` · latest ${results.length} shown` : '';
  const champion = status.champion;
  // The champion's own record (its claim and re-runs): in the recent window, or among the best.
  const championRecord = champion === null ? null : (results.find((r) => r.id === champion.id) ?? status.leaderboard.find((r) => r.id === champion.id) ?? null);
  const summary = total === 0 ? '' : `${total} result${total === 1 ? '' : 's'} · ${counts.keep} kept · ${counts.discard} discarded · ${counts.crash} crashed · ${counts.duplicate} duplicate${shown}`;

  return (
    <section className="section" aria-labelledby="leaderboard-title" data-testid="leaderboard">
      <h2 id="leaderboard-title">
        Leaderboard <span className="muted small">{summary}</span>
      </h2>
      {status.noise !== null && <Noise noise={status.noise} spec={status.program.spec} />}
      <ChampionCard champion={champion} baseline={status.baseline} spec={status.program.spec} now={now} record={championRecord} />
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
              <ResultRow key={r.id} result={r} now={now} isChampion={champion?.id === r.id} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
