import type { OwnerStatusResponse } from '../../../protocol/index.ts';
import type { MetricFormat } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useLineage } from '../owner-data/use-lineage.ts';
import { LineageStep } from './LineageStep.tsx';

interface Props {
  status: OwnerStatusResponse;
  fmt: MetricFormat;
  /** The result chosen in a list; null follows the champion. */
  selected: string | null;
  onBackToChampion: () => void;
}

/**
 * How a result came to be: the chain of results it built on, back to the program's original code,
 * newest first; for the champion unless a result was chosen.
 */
export function LineagePanel({ status, fmt, selected, onBackToChampion }: Props) {
  const now = useNow();
  const id = selected ?? status.champion?.id ?? null;
  const { data, error } = useLineage(id);
  const { direction } = status.program.spec;
  const ofChampion = id !== null && id === status.champion?.id;

  return (
    <section className="section area-lineage" aria-labelledby="lineage-title" data-testid="lineage" data-id={id ?? ''}>
      <div className="section-head">
        <h2 id="lineage-title">
          Lineage{' '}
          <span className="muted small">
            {id === null ? 'of the champion' : `of ${id}${ofChampion ? ', the champion' : ''}`}
            {data !== null && ` · ${data.chain.length} step${data.chain.length === 1 ? '' : 's'}${data.complete ? ' back to the original code' : ', cut short'}`}
          </span>
        </h2>
        {selected !== null && !ofChampion && status.champion !== null && (
          <button type="button" className="btn btn-small" data-testid="lineage-champion" onClick={onBackToChampion}>
            Show the champion’s
          </button>
        )}
      </div>
      {id === null ? (
        <p className="empty">No champion yet: once a result is kept, the chain of code it built on shows here.</p>
      ) : error !== null ? (
        <p className="inline-error" role="alert">
          Could not load the lineage of {id}: {error}
        </p>
      ) : data === null ? (
        <p className="muted" role="status">
          Loading the lineage of {id}…
        </p>
      ) : (
        <ol className="lineage" aria-label={`Lineage of ${id}, newest first`}>
          {data.chain.map((step, i) => {
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
          {!data.complete && <li className="muted small">The chain goes on past here (the host lists at most {data.chain.length} steps).</li>}
        </ol>
      )}
    </section>
  );
}
