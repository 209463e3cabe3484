import type { RerunRecord, VerificationState } from '../../../protocol/index.ts';
import { DEFAULT_FORMAT, type MetricFormat } from '../format.ts';

const LABEL: Record<Exclude<VerificationState, 'none'>, string> = {
  pending: 'pending',
  reproduced: 'reproduced',
  not_reproduced: 'not reproduced',
  unverified: 'unverified',
};

const MEANING: Record<Exclude<VerificationState, 'none'>, string> = {
  pending: 'Pending verification: another member re-runs this claim before it earns anything.',
  reproduced: 'Reproduced: a re-run by another member got (nearly) the claimed value.',
  not_reproduced: 'Not reproduced: re-runs by other members did not get the claimed value, so it was discarded.',
  unverified: 'Unverified: this program does not re-run claims (TASK.md has no verify), so the value is as claimed.',
};

/** The re-runs, one line each, for the tooltip: who ran it and what they got. */
export function rerunsText(reruns: readonly RerunRecord[], fmt: MetricFormat = DEFAULT_FORMAT): string {
  return reruns.map((r) => `${r.member_name || r.member}: ${r.value === null ? 'crashed' : fmt.value(r.value)}`).join('\n');
}

/**
 * A claim's verification (docs/design.md, "Verified champions") as a word, never colour alone;
 * nothing for a result that is not a claim. `long` spells "pending verification" where there is room.
 */
export function VerificationBadge(p: { state: VerificationState; reruns?: readonly RerunRecord[]; long?: boolean; fmt?: MetricFormat }) {
  const { state, reruns = [], long = false, fmt = DEFAULT_FORMAT } = p;
  if (state === 'none') return null;
  const label = long && state === 'pending' ? 'pending verification' : LABEL[state];
  const title = reruns.length > 0 ? `${MEANING[state]}\nRe-runs:\n${rerunsText(reruns, fmt)}` : MEANING[state];
  return (
    <span className={`verify verify-${state}`} title={title} data-testid="verification" data-state={state}>
      {label}
    </span>
  );
}

/**
 * The value a result was judged by, and the claim beside it when a re-run lowered it (a lucky run
 * earns only what its code does again): "2.500000 → 2.504000".
 */
export function JudgedValue({ value, effective, fmt = DEFAULT_FORMAT }: { value: number | null; effective: number | null; fmt?: MetricFormat }) {
  if (effective === null || value === null || effective === value) return <>{fmt.value(value)}</>;
  return (
    <span data-testid="effective-value" title={`claimed ${fmt.value(value)}; judged by ${fmt.value(effective)}, what its re-runs got`}>
      <span className="claimed">{fmt.value(value)}</span> → {fmt.value(effective)}
    </span>
  );
}
