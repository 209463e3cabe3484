import { useState } from 'react';
import type { ResultRecord } from '../../../protocol/index.ts';
import { ago, formatImpact, formatValue, localTime } from '../format.ts';
import { PatchView } from './PatchView.tsx';
import { StatusPill } from './StatusPill.tsx';

interface Props {
  result: ResultRecord;
  now: number;
  isChampion: boolean;
}

/** One submission: id, status, worker, value, impact, hypothesis, and its diff and output on demand. */
export function ResultRow({ result: r, now, isChampion }: Props) {
  const [open, setOpen] = useState<null | 'diff' | 'output'>(null);
  const patchId = `patch-${r.id}`;
  const outputId = `output-${r.id}`;
  const hasPatch = r.patch.trim() !== '';
  const hasOutput = r.output.trim() !== '';
  const toggle = (what: 'diff' | 'output') => setOpen((o) => (o === what ? null : what));

  return (
    <li className={`result-row status-${r.status}${isChampion ? ' is-champion' : ''}`} data-testid="result-row" data-id={r.id} data-status={r.status}>
      <div className="result-main">
        <span className="result-id mono">{r.id}</span>
        <span className="result-status">
          <StatusPill status={r.status} />
          {isChampion && <span className="tag tag-champion">champion</span>}
        </span>
        <span className="result-worker" title={`member ${r.member} (name declared)`}>
          {r.member_name || r.member}
        </span>
        <span className="result-value mono" title="value">
          {formatValue(r.value)}
        </span>
        <span className="result-impact mono" title="impact">
          {formatImpact(r.impact)}
        </span>
        <span className="muted small result-time" title={localTime(r.created_at)}>
          {ago(now - Date.parse(r.created_at))}
        </span>
      </div>
      <p className={`result-hypothesis${r.hypothesis.trim() === '' ? ' muted' : ''}`}>{r.hypothesis.trim() || 'No hypothesis given.'}</p>
      <div className="result-foot">
        <span className="muted small">
          {r.reason}
          {r.duplicate_of !== null && !r.reason.includes(r.duplicate_of) && ` (duplicate of ${r.duplicate_of})`}
        </span>
        <span className="result-buttons">
          {hasPatch ? (
            <button
              type="button"
              className="btn btn-small"
              data-testid="diff-toggle"
              aria-expanded={open === 'diff'}
              aria-controls={open === 'diff' ? patchId : undefined}
              aria-label={`${open === 'diff' ? 'Hide' : 'Show'} the diff of ${r.id}`}
              onClick={() => toggle('diff')}
            >
              {open === 'diff' ? 'Hide diff' : 'Diff'}
            </button>
          ) : (
            <span className="muted small">no code change</span>
          )}
          {hasOutput && (
            <button
              type="button"
              className="btn btn-small"
              data-testid="output-toggle"
              aria-expanded={open === 'output'}
              aria-controls={open === 'output' ? outputId : undefined}
              aria-label={`${open === 'output' ? 'Hide' : 'Show'} the output of ${r.id}`}
              onClick={() => toggle('output')}
            >
              {open === 'output' ? 'Hide output' : 'Output'}
            </button>
          )}
        </span>
      </div>
      {open === 'diff' && <PatchView patch={r.patch} id={patchId} />}
      {open === 'output' && (
        <pre className="output" id={outputId} tabIndex={0} aria-label={`Output of ${r.id} (last lines)`}>
          {r.output}
        </pre>
      )}
    </li>
  );
}
