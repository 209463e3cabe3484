import { useState } from 'react';
import type { Member, OwnerStatusResponse } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { ago, localTime, orDash, verificationOff } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useOwnerStore } from '../store.ts';
import { RichText } from './RichText.tsx';

const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');

/**
 * Approved members (revoked ones greyed), with their result counts, claims that did not reproduce
 * (flagged from two on: the owner decides whether to revoke), quota use and a Revoke button each.
 */
export function Members({ status }: { status: OwnerStatusResponse }) {
  const token = useOwnerStore((s) => s.token);
  const now = useNow();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const counts = new Map(status.roster.map((r) => [r.id, r]));
  const active = status.members.filter((m) => m.revoked_at === null).length;
  // The column means nothing while claims are not re-run, unless earlier re-runs left counts.
  const showVerification = !verificationOff(status.program.spec) || status.members.some((m) => (m.verification?.not_reproduced ?? 0) > 0);

  const revoke = async (m: Member) => {
    if (token === null || busy !== null) return;
    const ok = window.confirm(
      `Revoke ${m.name || m.id} (${m.id})?\n\nTheir member token stops working at once: they can no longer read the program or submit results. Results already submitted stay in the knowledge base.`,
    );
    if (!ok) return;
    setBusy(m.id);
    setError(null);
    try {
      await ownerApi.revoke(token, m.id);
      await useOwnerStore.getState().refresh();
    } catch (err) {
      setError(`Could not revoke ${m.name || m.id}: ${errorMessage(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="section" aria-labelledby="members-title">
      <h2 id="members-title">
        Members <span className="muted small">{active} active{status.members.length > active ? `, ${status.members.length - active} revoked` : ''}</span>
      </h2>
      {error !== null && (
        <p className="inline-error" role="alert">
          <RichText text={error} />
        </p>
      )}
      {status.members.length === 0 ? (
        <p className="empty" data-testid="members">
          No members yet. Approved join requests appear here.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="members">
            <thead>
              <tr>
                <th scope="col">Name (declared)</th>
                <th scope="col">Machine</th>
                <th scope="col">IP</th>
                <th scope="col" className="num">
                  Results
                </th>
                <th scope="col" className="num">
                  Keeps
                </th>
                {showVerification && (
                  <th scope="col" className="num" title="Claims of this member that re-runs by other members did not reproduce">
                    Not reproduced
                  </th>
                )}
                <th scope="col" className="num" title="Patches, outputs and hypotheses stored, against the member's quota (TASK.md quota)">
                  Stored
                </th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {status.members.map((m) => {
                const c = counts.get(m.id);
                const revoked = m.revoked_at !== null;
                return (
                  <tr key={m.id} className={revoked ? 'is-revoked' : undefined} data-testid="member-row" data-member={m.id}>
                    <td>
                      <div className="strong">
                        {orDash(m.name)}
                        {m.verification?.flagged === true && (
                          <>
                            {' '}
                            <span
                              className="tag tag-flagged"
                              data-testid="flagged"
                              title={`${m.verification.not_reproduced} of this member's claims did not reproduce when others re-ran them; revoking is your call`}
                            >
                              flagged
                            </span>
                          </>
                        )}
                      </div>
                      <div className="mono muted small">{m.id}</div>
                    </td>
                    <td>
                      <div>{orDash(m.hostname)}</div>
                      <div className="muted small">
                        {[m.os, m.gpu, m.app_version && `v${m.app_version}`].filter(Boolean).join(' · ') || '—'}
                      </div>
                    </td>
                    <td className="mono">{orDash(m.ip)}</td>
                    <td className="num">{c?.results ?? 0}</td>
                    <td className="num">{c?.keeps ?? 0}</td>
                    {showVerification && (
                      <td className={`num${(m.verification?.not_reproduced ?? 0) > 0 ? ' strong note-warning' : ''}`} data-testid="member-not-reproduced">
                        {m.verification?.not_reproduced ?? '—'}
                      </td>
                    )}
                    <td className="num nowrap" data-testid="member-usage">
                      {m.usage === undefined ? '—' : `${mib(m.usage.stored_bytes)} / ${mib(m.usage.storage_limit_bytes)} MiB`}
                      {m.usage?.at_limit != null && (
                        <div className="small strong" role="status">
                          {m.usage.at_limit === 'storage' ? 'at storage limit' : `at rate limit (${m.usage.submissions_per_hour}/h)`}
                        </div>
                      )}
                    </td>
                    <td className="nowrap" title={localTime(m.joined_at)}>{ago(now - Date.parse(m.joined_at))}</td>
                    <td className="actions-cell">
                      {revoked ? (
                        <span className="muted" title={localTime(m.revoked_at ?? '')}>
                          revoked
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="btn btn-small btn-danger-quiet"
                          data-testid="revoke"
                          disabled={busy !== null}
                          aria-label={`Revoke ${m.name || m.id}`}
                          onClick={() => void revoke(m)}
                        >
                          {busy === m.id ? 'Revoking…' : 'Revoke'}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
