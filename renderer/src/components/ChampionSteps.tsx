import type { ChampionStep } from '../../../protocol/index.ts';
import { formatCount, type MetricFormat } from '../format.ts';
import { useChampions } from '../owner-data/use-champions.ts';
import { Hypothesis } from './Hypothesis.tsx';
import { StepByline } from './StepByline.tsx';

/** One crowning: the value it was crowned at, by how much it beat the champion before, who and why. */
function Crowning({ step, fmt, now, onSelect }: { step: ChampionStep; fmt: MetricFormat; now: number; onSelect: (id: string) => void }) {
  return (
    <li className="lineage-step" data-testid="champion-step" data-id={step.id}>
      <div className="lineage-head">
        <button type="button" className="link-btn mono strong" aria-label={`Show the lineage of ${step.id}`} onClick={() => onSelect(step.id)}>
          {step.id}
        </button>
        <span className="mono" data-testid="crowned-value">
          {fmt.value(step.crowned_value)}
        </span>
        <StepByline step={step} fmt={fmt} now={now} />
      </div>
      <p className="lineage-gain small" data-testid="champion-improvement">
        {step.improvement === null
          ? `The first champion${step.impact !== 0 ? `: ${fmt.impact(step.impact)} over the baseline` : ''}`
          : `${fmt.value(step.improvement)} better than ${step.previous ?? 'the champion before'}`}
      </p>
      <Hypothesis text={step.hypothesis} />
    </li>
  );
}

/**
 * How the champion got there: every result that became champion, oldest first, each with its
 * improvement over the one before (GET /api/owner/champions), the latest ones first fetched and
 * earlier ones on demand. Unlike the lineage, this is the climb over time, not the code's ancestry.
 */
export function ChampionSteps({ fmt, now, onSelect }: { fmt: MetricFormat; now: number; onSelect: (id: string) => void }) {
  const { steps, total, earlier, loading, error, loadEarlier } = useChampions(true);
  if (error !== null && steps.length === 0) {
    return (
      <p className="inline-error" role="alert">
        Could not load the champions: {error}
      </p>
    );
  }
  if (steps.length === 0) return <p className="muted">{total === 0 ? 'No champion yet.' : 'Loading the champions…'}</p>;
  return (
    <>
      {earlier && (
        <p className="feed-foot">
          <span className="muted small" data-testid="champions-shown">
            The latest {formatCount(steps.length)} of {formatCount(total ?? steps.length)} champions
          </span>
          <button type="button" className="btn btn-small" data-testid="champions-earlier" disabled={loading} onClick={loadEarlier}>
            {loading ? 'Loading…' : 'Earlier champions'}
          </button>
        </p>
      )}
      <ol className="lineage" aria-label="Champions, oldest first" data-testid="champion-steps">
        {steps.map((step) => (
          <Crowning key={step.id} step={step} fmt={fmt} now={now} onSelect={onSelect} />
        ))}
      </ol>
    </>
  );
}
