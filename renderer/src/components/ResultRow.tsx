import { useState } from 'react';
import type { ResultRecord, SummaryRow } from '../../../protocol/index.ts';
import { ago, localTime, type MetricFormat } from '../format.ts';
import { useResultDetail } from '../owner-data/use-result-detail.ts';
import { verdictText } from '../verdict.ts';
import { PatchView } from './PatchView.tsx';
import { StatusPill } from './StatusPill.tsx';
import { JudgedValue, VerificationBadge } from './VerificationBadge.tsx';

type Panel = 'diff' | 'output';

/** Shows or hides one of a result's panels (its diff or its output). */
function PanelToggle(p: { what: Panel; label: string; resultId: string; panelId: string; open: Panel | null; onToggle: (what: Panel) => void }) {
  const shown = p.open === p.what;
  return (
    <button
      type="button"
      className="btn btn-small"
      data-testid={`${p.what}-toggle`}
      aria-expanded={shown}
      aria-controls={shown ? p.panelId : undefined}
      aria-label={`${shown ? 'Hide' : 'Show'} the ${p.what} of ${p.resultId}`}
      onClick={() => p.onToggle(p.what)}
    >
      {shown ? `Hide ${p.what}` : p.label}
    </button>
  );
}

/** A result whole, or a summary page's row (its patch and output fetched when a panel opens). */
type Listed = ResultRecord | SummaryRow;
const isWhole = (r: Listed): r is ResultRecord => 'patch' in r;

/** The open panel's text: the row's own, or the whole result's, fetched once (useResultDetail). */
function PanelBody({ result: r, what, panelId }: { result: Listed; what: Panel; panelId: string }) {
  const detail = useResultDetail(r, !isWhole(r));
  const whole = isWhole(r) ? r : detail.data;
  if (whole === null) {
    return detail.error !== null ? (
      <p className="inline-error small" id={panelId} role="alert">
        Could not load the {what} of {r.id}: {detail.error}
      </p>
    ) : (
      <p className="muted small" id={panelId} role="status">
        Loading the {what}…
      </p>
    );
  }
  if (what === 'diff') return <PatchView patch={whole.patch} id={panelId} />;
  return (
    <pre className="output" id={panelId} tabIndex={0} aria-label={`Output of ${r.id} (last lines)`}>
      {whole.output}
    </pre>
  );
}

interface Props {
  result: Listed;
  now: number;
  isChampion: boolean;
  fmt: MetricFormat;
  /** Shows the result's lineage. */
  onSelect?: (id: string) => void;
}

/**
 * One submission: id, status and verification, worker, value (and the value it was judged by),
 * impact, hypothesis, and its diff and output on demand (fetched then, for a summary).
 */
export function ResultRow({ result: r, now, isChampion, fmt, onSelect }: Props) {
  const [open, setOpen] = useState<Panel | null>(null);
  const patchId = `patch-${r.id}`;
  const outputId = `output-${r.id}`;
  const hasPatch = isWhole(r) ? r.patch.trim() !== '' : r.patch_bytes > 0;
  const hasOutput = isWhole(r) ? r.output.trim() !== '' : r.output_bytes > 0;
  const toggle = (what: Panel) => setOpen((o) => (o === what ? null : what));
  const verdict = verdictText(r, fmt);

  return (
    <li className={`result-row status-${r.status}${isChampion ? ' is-champion' : ''}`} data-testid="result-row" data-id={r.id} data-status={r.status}>
      <div className="result-main">
        <span className="result-id mono">{r.id}</span>
        <span className="result-status">
          <StatusPill status={r.status} />
          {isChampion && <span className="tag tag-champion">champion</span>}
          <VerificationBadge state={r.verification} reruns={r.reruns} fmt={fmt} />
        </span>
        <span className="result-worker" title={`member ${r.member} (name declared)`}>
          {r.member_name || r.member}
        </span>
        <span className="result-value mono" title="value">
          <JudgedValue value={r.value} effective={r.effective_value} fmt={fmt} />
        </span>
        <span className="result-impact mono" title="impact">
          {fmt.impact(r.impact)}
        </span>
        <span className="muted small result-time" title={localTime(r.created_at)}>
          {ago(now - Date.parse(r.created_at))}
        </span>
      </div>
      <p className={`result-hypothesis${r.hypothesis.trim() === '' ? ' muted' : ''}`}>{r.hypothesis.trim() || 'No hypothesis given.'}</p>
      <div className="result-foot">
        <span className="muted small" data-testid="verdict">
          {verdict}
          {r.duplicate_of !== null && !r.reason.includes(r.duplicate_of) && ` (same code as ${r.duplicate_of})`}
        </span>
        <span className="result-buttons">
          {onSelect !== undefined && (
            <button type="button" className="btn btn-small" data-testid="lineage-select" aria-label={`Show the lineage of ${r.id}`} onClick={() => onSelect(r.id)}>
              Lineage
            </button>
          )}
          {hasPatch ? (
            <PanelToggle what="diff" label="Diff" resultId={r.id} panelId={patchId} open={open} onToggle={toggle} />
          ) : (
            <span className="muted small">no code change</span>
          )}
          {hasOutput && <PanelToggle what="output" label="Output" resultId={r.id} panelId={outputId} open={open} onToggle={toggle} />}
        </span>
      </div>
      {open !== null && <PanelBody key={open} result={r} what={open} panelId={open === 'diff' ? patchId : outputId} />}
    </li>
  );
}
