import type { Champion, ResultSummary, TaskSpec } from '../../../protocol/index.ts';
import { ago, betterText, DEFAULT_FORMAT, localTime, type MetricFormat } from '../format.ts';
import { JudgedValue, VerificationBadge } from './VerificationBadge.tsx';

interface Props {
  champion: Champion | null;
  baseline: number | null;
  spec: TaskSpec;
  now: number;
  /** The metric's number format (the worker view, which has no program's values at hand, takes the default). */
  fmt?: MetricFormat;
  /** The champion's own result, when the view has it: its claim and re-runs (the champion carries only its effective value). */
  record?: Pick<ResultSummary, 'value' | 'reruns'> | null;
}

/** The current champion, highlighted: the code every member builds on next. */
export function ChampionCard({ champion, baseline, spec, now, fmt = DEFAULT_FORMAT, record = null }: Props) {
  if (champion === null) {
    return (
      <div className="champion champion-empty" data-testid="champion" data-id="">
        <span className="champion-label">Champion</span>
        <p>
          No champion yet. The first result that is kept becomes the champion
          {baseline !== null ? ` (it must beat the baseline ${fmt.value(baseline)})` : ''}.
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
        <VerificationBadge state={champion.verification} reruns={record?.reruns ?? []} fmt={fmt} long />
      </div>
      <div className="champion-body">
        <div className="champion-value">
          <span className="mono big">
            <JudgedValue value={record?.value ?? champion.value} effective={champion.value} fmt={fmt} />
          </span>
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
            impact {fmt.impact(champion.impact)}
            {gain !== null && gain !== 0 && baseline !== null && ` · ${fmt.value(Math.abs(gain))} ${gain >= 0 ? 'better' : 'worse'} than the baseline ${fmt.value(baseline)}`}
          </div>
        </div>
      </div>
      <p className="champion-hypothesis">{champion.hypothesis.trim() || 'No hypothesis given.'}</p>
    </div>
  );
}
