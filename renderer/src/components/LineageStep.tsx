import { useState } from 'react';
import type { ResultSummary } from '../../../protocol/index.ts';
import type { MetricFormat } from '../format.ts';
import { useResultDetail } from '../owner-data/use-result-detail.ts';
import { PatchView } from './PatchView.tsx';
import { StatusPill } from './StatusPill.tsx';
import { StepByline } from './StepByline.tsx';
import { JudgedValue } from './VerificationBadge.tsx';

interface Props {
  step: ResultSummary;
  /** What this step improved on: the value of the step before it, or the baseline for the first. */
  before: { label: string; value: number } | null;
  direction: 'minimize' | 'maximize';
  fmt: MetricFormat;
  now: number;
}

/** The step's diff against the step before, fetched when opened (a lineage lists summaries only). */
function StepDiff({ step }: { step: ResultSummary }) {
  const { data, error } = useResultDetail(step, true);
  if (error !== null) return <p className="inline-error small">Could not load the diff of {step.id}: {error}</p>;
  if (data === null) return <p className="muted small" role="status">Loading the diff…</p>;
  if (data.patch.trim() === '') return <p className="muted small" data-testid="lineage-no-change">No code change: the same code as the step before.</p>;
  return <PatchView patch={data.patch} id={`lineage-patch-${step.id}`} />;
}

/** One step of a lineage: who, what they tried, how much better than the step before, verified or not, and the diff on demand. */
export function LineageStep({ step, before, direction, fmt, now }: Props) {
  const [open, setOpen] = useState(false);
  const value = step.effective_value ?? step.value;
  const gain = before === null || value === null ? null : direction === 'minimize' ? before.value - value : value - before.value;
  return (
    <li className="lineage-step" data-testid="lineage-step" data-id={step.id}>
      <div className="lineage-head">
        <span className="mono strong">{step.id}</span>
        <StatusPill status={step.status} />
        <span className="mono" data-testid="lineage-value">
          <JudgedValue value={step.value} effective={step.effective_value} fmt={fmt} />
        </span>
        <StepByline step={step} fmt={fmt} now={now} />
      </div>
      <p className="lineage-gain small" data-testid="lineage-gain">
        {gain === null || before === null
          ? 'The first step: it started from the program’s original code.'
          : `${gain >= 0 ? `${fmt.value(gain)} better` : `${fmt.value(-gain)} worse`} than ${before.label} (${fmt.value(before.value)})`}
      </p>
      <p className={`lineage-hypothesis${step.hypothesis.trim() === '' ? ' muted' : ''}`}>{step.hypothesis.trim() || 'No hypothesis given.'}</p>
      <button type="button" className="btn btn-small" data-testid="lineage-diff-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide diff' : before === null ? 'Diff against the original code' : 'Diff against the step before'}
      </button>
      {open && <StepDiff step={step} />}
    </li>
  );
}
