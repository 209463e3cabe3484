import type { ResultSummary } from '../../../protocol/index.ts';
import { ago, localTime, type MetricFormat } from '../format.ts';
import { VerificationBadge } from './VerificationBadge.tsx';

/** A step's verification, who made it and how long ago: the same line in a lineage and in the champions over time. */
export function StepByline({ step, fmt, now }: { step: Pick<ResultSummary, 'verification' | 'reruns' | 'member' | 'member_name' | 'created_at'>; fmt: MetricFormat; now: number }) {
  return (
    <>
      <VerificationBadge state={step.verification} reruns={step.reruns} fmt={fmt} />
      <span title={`member ${step.member} (name declared)`}>by {step.member_name || step.member}</span>
      <span className="muted small" title={localTime(step.created_at)}>
        {ago(now - Date.parse(step.created_at))}
      </span>
    </>
  );
}
