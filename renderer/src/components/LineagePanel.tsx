import { useState } from 'react';
import type { OwnerStatusResponse } from '../../../protocol/index.ts';
import type { MetricFormat } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useLineage } from '../owner-data/use-lineage.ts';
import { ChampionSteps } from './ChampionSteps.tsx';
import { LineageChain } from './LineageChain.tsx';
import { ViewToggle } from './ViewToggle.tsx';

type Mode = 'lineage' | 'champions';

const MODES = [
  { value: 'lineage', text: 'Path to the original code' },
  { value: 'champions', text: 'Champions over time' },
] as const;

interface Props {
  status: OwnerStatusResponse;
  fmt: MetricFormat;
  /** The result chosen in a list; null follows the champion. */
  selected: string | null;
  onSelect: (id: string) => void;
  onBackToChampion: () => void;
}

/**
 * How a result came to be: the chain of results it built on, back to the program's original code,
 * newest first, for the champion unless a result was chosen; or how the champion got there, the
 * champions in the order they were crowned. Choosing a result shows its path again.
 */
export function LineagePanel({ status, fmt, selected, onSelect, onBackToChampion }: Props) {
  const now = useNow();
  const [chosen, setMode] = useState<{ mode: Mode; for: string | null }>({ mode: 'lineage', for: null });
  // A result chosen since the mode was picked is shown as a lineage: that is what choosing it asks for.
  const mode = chosen.for === selected ? chosen.mode : 'lineage';
  const id = selected ?? status.champion?.id ?? null;
  const { data, error } = useLineage(mode === 'lineage' ? id : null);
  const ofChampion = id !== null && id === status.champion?.id;

  return (
    <section className="section area-lineage" aria-labelledby="lineage-title" data-testid="lineage" data-id={id ?? ''} data-mode={mode}>
      <div className="section-head">
        <h2 id="lineage-title">
          Lineage{' '}
          <span className="muted small">
            {mode === 'champions'
              ? 'how the champion got there, oldest first'
              : id === null
                ? 'of the champion'
                : `of ${id}${ofChampion ? ', the champion' : ''}`}
            {mode === 'lineage' && data !== null && ` · ${data.chain.length} step${data.chain.length === 1 ? '' : 's'}${data.complete ? ' back to the original code' : ', cut short'}`}
          </span>
        </h2>
        <span className="section-actions">
          {mode === 'lineage' && selected !== null && !ofChampion && status.champion !== null && (
            <button type="button" className="btn btn-small" data-testid="lineage-champion" onClick={onBackToChampion}>
              Show the champion’s
            </button>
          )}
          {status.champion !== null && <ViewToggle label="Lineage view" options={MODES} value={mode} onChange={(m) => setMode({ mode: m, for: selected })} testId="lineage-mode" />}
        </span>
      </div>
      {mode === 'champions' ? (
        <ChampionSteps
          fmt={fmt}
          now={now}
          onSelect={(picked) => {
            setMode({ mode: 'lineage', for: null });
            onSelect(picked);
          }}
        />
      ) : id === null ? (
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
        <LineageChain key={id} id={id} data={data} status={status} fmt={fmt} now={now} />
      )}
    </section>
  );
}
