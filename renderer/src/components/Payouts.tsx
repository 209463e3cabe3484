import { useState } from 'react';
import type { OwnerStatusResponse } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { formatImpact } from '../format.ts';
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

/** What each member would be paid now, and the CSV for paying them. */
export function Payouts({ status }: { status: OwnerStatusResponse }) {
  const token = useOwnerStore((s) => s.token);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { spec } = status.program;
  const unit = status.token;
  const total = sumAmounts(status.payouts.map((p) => p.amount));

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

  return (
    <section className="section" aria-labelledby="payouts-title">
      <div className="section-head">
        <h2 id="payouts-title">
          Payouts{' '}
          <span className="muted small">
            pool {status.pool} {unit}, {splitText}
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
          {empty}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="payouts">
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
              {status.payouts.map((p) => (
                <tr key={p.member} data-testid="payout-row">
                  <td className="mono">{p.member}</td>
                  <td>{p.name || '—'}</td>
                  <td className="num mono">{formatImpact(p.impact)}</td>
                  <td className="num mono">
                    {p.amount} {unit}
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
                  {total} {unit}
                </td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}
