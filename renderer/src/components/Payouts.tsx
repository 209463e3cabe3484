import { useState } from 'react';
import type { OwnerStatusResponse, Payout } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { verificationOff, type MetricFormat } from '../format.ts';
import { useOwnerStore } from '../store.ts';
import { RichText } from './RichText.tsx';

/** Saves a Blob as a file through a temporary link (no navigation, no network). */
function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Adds 6-place decimal strings exactly (in micro-units), as the host computes them. */
function sumAmounts(amounts: readonly string[]): string {
  const micro = amounts.reduce((sum, a) => sum + BigInt(a.replace('.', '')), 0n);
  const digits = micro.toString().padStart(7, '0');
  return `${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** One list of payouts with its total; `testId` names it for tests, `label` for screen readers; `badge` marks amounts not (yet) earned by a reproduced claim. */
function PayoutTable({ payouts, unit, testId, label, badge, fmt }: { payouts: readonly Payout[]; unit: string; testId: string; label: string; badge: 'unverified' | 'pending' | null; fmt: MetricFormat }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId} aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Name (declared)</th>
            <th scope="col" className="num">
              Impact
            </th>
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {payouts.map((p) => (
            <tr key={p.member} data-testid="payout-row">
              <td className="mono">{p.member}</td>
              <td>{p.name || '—'}</td>
              <td className="num mono">{fmt.impact(p.impact)}</td>
              <td className="num mono">
                {p.amount} {unit}
                {badge !== null && (
                  <>
                    {' '}
                    <span className={`verify verify-${badge}`} data-testid="payout-badge">
                      {badge}
                    </span>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              Total
            </th>
            <td className="num mono">
              {sumAmounts(payouts.map((p) => p.amount))} {unit}
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/**
 * What each member is paid now, and the CSV for paying them. Only reproduced claims earn; what
 * pending claims would add is listed apart, and with verification off every amount is "unverified".
 */
export function Payouts({ status, fmt }: { status: OwnerStatusResponse; fmt: MetricFormat }) {
  const token = useOwnerStore((s) => s.token);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { spec } = status.program;
  const unit = status.token;
  const unverified = verificationOff(spec);
  const pending = status.pending_payouts;

  const exportCsv = async () => {
    if (token === null) return;
    setBusy(true);
    setError(null);
    try {
      saveBlob(await ownerApi.payoutsCsv(token), `cohort-${spec.name}-payouts.csv`);
    } catch (err) {
      setError(`Could not export the payouts: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const splitText = spec.split === 'by-impact' ? 'split by each member’s impact' : 'all to the champion’s member';
  const empty =
    status.pool <= 0
      ? 'This program has no reward pool (pool: 0), so nothing is paid.'
      : spec.split === 'champion-takes-all'
        ? 'Nothing to pay yet: the pool goes to whoever holds the champion.'
        : 'Nothing to pay yet: the pool is shared by the impact of kept results, and no kept result has improved on the reference so far.';
  // With claims waiting for their re-runs, an empty list is not the whole story.
  const emptyText = pending.length > 0 && status.pool > 0 ? 'Nothing earned yet: no claim has been reproduced by another member so far.' : empty;

  return (
    <section className="section area-payouts" aria-labelledby="payouts-title">
      <div className="section-head">
        <h2 id="payouts-title">
          Payouts{' '}
          <span className="muted small">
            pool {status.pool} {unit}, {splitText}
            {unverified ? ' · unverified: claims are not re-run' : ' · only reproduced claims earn'}
          </span>
        </h2>
        <button type="button" className="btn btn-small" data-testid="export-csv" onClick={() => void exportCsv()} disabled={busy}>
          {busy ? 'Exporting…' : 'Export CSV'}
        </button>
      </div>
      {error !== null && (
        <p className="inline-error" role="alert">
          <RichText text={error} />
        </p>
      )}
      {status.payouts.length === 0 ? (
        <p className="empty" data-testid="payouts">
          {emptyText}
        </p>
      ) : (
        <PayoutTable payouts={status.payouts} unit={unit} testId="payouts" label="Earned payouts" badge={unverified ? 'unverified' : null} fmt={fmt} />
      )}
      {pending.length > 0 && (
        <div className="pending-payouts" data-testid="pending-payouts-block">
          <h3 className="subhead">
            Pending verification — would earn{' '}
            <span className="muted small">if every pending claim is reproduced; not owed until then</span>
          </h3>
          <PayoutTable payouts={pending} unit={unit} testId="pending-payouts" label="Pending verification, would earn" badge="pending" fmt={fmt} />
        </div>
      )}
    </section>
  );
}
