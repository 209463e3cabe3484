import type { NoiseReport, TaskSpec } from '../../../protocol/index.ts';
import { verificationOff, type MetricFormat } from '../format.ts';

/**
 * How noisy the program's runs are, measured from re-runs, and the min_improvement that noise
 * suggests: a margin below the noise lets lucky runs take the champion.
 */
export function NoisePanel({ noise, spec, fmt }: { noise: NoiseReport | null; spec: TaskSpec; fmt: MetricFormat }) {
  if (noise === null) {
    return (
      <section className="section" aria-labelledby="noise-title">
        <h2 id="noise-title">Noise</h2>
        <p className="empty small" data-testid="noise-empty">
          {verificationOff(spec)
            ? 'Claims are not re-run (TASK.md has no verify), so the host cannot measure how noisy runs are.'
            : 'Not measured yet: the host measures the spread from re-runs of claims, once some have come in.'}
        </p>
      </section>
    );
  }
  const { claim_vs_rerun: cvr, between_reruns: between } = noise;
  const tooLow = noise.suggested_min_improvement > spec.min_improvement;
  return (
    <section className="section" aria-labelledby="noise-title">
      <h2 id="noise-title">
        Noise <span className="muted small">from {noise.reruns} re-run{noise.reruns === 1 ? '' : 's'}</span>
      </h2>
      <p className="noise small" data-testid="noise">
        from {noise.reruns} re-run{noise.reruns === 1 ? '' : 's'}: re-runs land a median <span className="mono">{fmt.value(cvr.median)}</span> (p90{' '}
        <span className="mono">{fmt.value(cvr.p90)}</span>) from the claimed value
        {between !== null && (
          <>
            ; re-runs of one claim differ by a median <span className="mono">{fmt.value(between.median)}</span> ({between.claims} claim
            {between.claims === 1 ? '' : 's'})
          </>
        )}
        .
      </p>
      <p className={`small${tooLow ? ' note-warning strong' : ''}`} data-testid="noise-suggestion">
        Suggested min_improvement <span className="mono">{fmt.value(noise.suggested_min_improvement)}</span>, now{' '}
        <span className="mono">{fmt.value(spec.min_improvement)}</span>
        {tooLow ? ' (below the noise: raise it in TASK.md)' : ''}.
      </p>
    </section>
  );
}
