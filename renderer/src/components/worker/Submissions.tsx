import type { MetricFormat } from '../../format.ts';
import type { ResultRecord, TaskSpec } from '../../../../protocol/index.ts';
import { ago, formatImpact, localTime } from '../../format.ts';
import { useNow } from '../../hooks.ts';
import { StatusPill } from '../StatusPill.tsx';
import { JudgedValue, VerificationBadge } from '../VerificationBadge.tsx';

/**
 * This member's results as the host judged them, newest first, each with the hypothesis it tested; a
 * keep is a claim, pending until another member re-runs it (a `claim-verdict` updates its badge live).
 */
export function Submissions({ results, spec, championId, fmt }: { results: readonly ResultRecord[]; spec: TaskSpec; championId: string | null; fmt: MetricFormat }) {
  const now = useNow();
  const rows = [...results].sort((a, b) => b.seq - a.seq);
  return (
    <section className="section" aria-labelledby="subs-title" data-testid="submissions">
      <h2 id="subs-title">
        Your submissions <span className="muted small">{rows.length > 0 && `${rows.length} · ${rows.filter((r) => r.status === 'keep').length} kept`}</span>
      </h2>
      {rows.length === 0 ? (
        <p className="empty">Each finished run is submitted to the program&apos;s host, which judges it against the champion. Your results appear here.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">result</th>
                <th scope="col">hypothesis</th>
                <th scope="col">verdict</th>
                <th scope="col" className="num">
                  {spec.metric}
                </th>
                <th scope="col" className="num">
                  impact
                </th>
                <th scope="col">why</th>
                <th scope="col">when</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="submission-row" data-status={r.status} data-id={r.id}>
                  <td className="mono">
                    {r.id}
                    {r.id === championId && <span className="tag tag-champion">champion</span>}
                  </td>
                  <td className="small hypothesis-cell" data-testid="submission-hypothesis">
                    {r.hypothesis === '' ? <span className="muted">none given</span> : r.hypothesis}
                  </td>
                  <td>
                    <span className="result-status">
                      <StatusPill status={r.status} />
                      <VerificationBadge state={r.verification} reruns={r.reruns} long fmt={fmt} />
                    </span>
                  </td>
                  <td className="num mono">
                    <JudgedValue value={r.value} effective={r.effective_value} fmt={fmt} />
                  </td>
                  <td className="num mono">{formatImpact(r.impact)}</td>
                  <td className="small">{r.reason}</td>
                  <td className="small muted" title={localTime(r.created_at)}>
                    {ago(now - Date.parse(r.created_at))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
