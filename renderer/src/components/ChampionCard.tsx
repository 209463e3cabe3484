import type { Champion, TaskSpec } from '../../../protocol/index.ts';
import { ago, betterText, formatImpact, formatValue, localTime } from '../format.ts';

/** The current champion, highlighted: the code every member builds on next. */
export function ChampionCard({ champion, baseline, spec, now }: { champion: Champion | null; baseline: number | null; spec: TaskSpec; now: number }) {
  if (champion === null) {
    return (
      <div className="champion champion-empty" data-testid="champion" data-id="">
        <span className="champion-label">Champion</span>
        <p>
          No champion yet. The first result that is kept becomes the champion
          {baseline !== null ? ` (it must beat the baseline ${formatValue(baseline)})` : ''}.
        </p>
      </div>
    );
  }
  const gain = baseline === null ? null : spec.direction === 'minimize' ? baseline - champion.value : champion.value - baseline;
  return (
    <div className="champion" data-testid="champion" data-id={champion.id} aria-label={`Champion ${champion.id}`} role="group">
      <div className="champion-head">
        <span className="champion-label">Champion</span>
        <span className="mono">{champion.id}</span>
        <span className="muted small" title={localTime(champion.created_at)}>
          since {ago(now - Date.parse(champion.created_at))}
        </span>
      </div>
      <div className="champion-body">
        <div className="champion-value">
          <span className="mono big">{formatValue(champion.value)}</span>
          <span className="muted small">
            {spec.metric} ({betterText(spec.direction)})
          </span>
        </div>
        <div className="champion-meta">
          <div>
            by{' '}
            <span className="strong" title={`member ${champion.member}`}>
              {champion.member_name || champion.member}
            </span>
          </div>
          <div className="muted small">
            impact {formatImpact(champion.impact)}
            {gain !== null && gain !== 0 && baseline !== null && ` · ${formatValue(Math.abs(gain))} ${gain >= 0 ? 'better' : 'worse'} than the baseline ${formatValue(baseline)}`}
          </div>
        </div>
      </div>
      <p className="champion-hypothesis">{champion.hypothesis.trim() || 'No hypothesis given.'}</p>
    </div>
  );
}
