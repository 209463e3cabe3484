import { useState } from 'react';
import type { LineageResponse, OwnerStatusResponse } from '../../../protocol/index.ts';
import type { MetricFormat } from '../format.ts';
import { LineageStep } from './LineageStep.tsx';

/**
 * Steps shown before "Show all": the recent ancestry is what the owner reads; a long program's
 * champion has a hundred steps (the host's cap), which would push everything below out of sight.
 */
export const LINEAGE_SHOWN = 8;

/** A lineage, newest first: each step measured against the step before it (the first against the baseline). */
export function LineageChain({ id, data, status, fmt, now }: { id: string; data: LineageResponse; status: OwnerStatusResponse; fmt: MetricFormat; now: number }) {
  const { direction } = status.program.spec;
  const [all, setAll] = useState(false);
  const hidden = all ? 0 : Math.max(0, data.chain.length - LINEAGE_SHOWN);
  return (
    <ol className="lineage" aria-label={`Lineage of ${id}, newest first`}>
      {data.chain.slice(0, data.chain.length - hidden).map((step, i) => {
        const parent = data.chain[i + 1];
        const parentValue = parent === undefined ? null : (parent.effective_value ?? parent.value);
        const before =
          parent !== undefined && parentValue !== null
            ? { label: parent.id, value: parentValue }
            : // The first step is measured against the baseline, unless it set the baseline itself.
              parent === undefined && step.parent === null && status.baseline !== null && status.baseline !== step.value
              ? { label: 'the baseline', value: status.baseline }
              : null;
        return <LineageStep key={step.id} step={step} before={before} direction={direction} fmt={fmt} now={now} />;
      })}
      {hidden > 0 && (
        <li className="muted small">
          <button type="button" className="btn btn-small" data-testid="lineage-all" onClick={() => setAll(true)}>
            Show the {hidden} earlier step{hidden === 1 ? '' : 's'}
          </button>
        </li>
      )}
      {hidden === 0 && !data.complete && <li className="muted small">The chain goes on past here (the host lists at most {data.chain.length} steps).</li>}
    </ol>
  );
}
