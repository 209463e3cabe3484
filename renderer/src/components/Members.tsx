import { useState } from 'react';
import type { Member, OwnerStatusResponse } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { ago, localTime, orDash, verificationOff } from '../format.ts';
import { useNow } from '../hooks.ts';
import { useOwnerStore } from '../store.ts';
import { RichText } from './RichText.tsx';

const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');

/**
 * Approved members (revoked ones greyed), a compact list for the side column: each with its result counts, claims that did not reproduce
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
    <section className="section" aria-labelledby="members-title" data-testid="members-section">
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
        <ul className="member-list" data-testid="members" aria-label="Members">
          {status.members.map((m) => {
            const c = counts.get(m.id);
            const revoked = m.revoked_at !== null;
            const notReproduced = m.verification?.not_reproduced ?? 0;
            return (
              <li key={m.id} className={`member${revoked ? ' is-revoked' : ''}${m.verification?.flagged === true ? ' is-flagged' : ''}`} data-testid="member-row" data-member={m.id}>
                <div className="member-head">
                  <span className="strong member-name">{orDash(m.name)}</span>
                  {m.verification?.flagged === true && (
                    <span
                      className="tag tag-flagged"
                      data-testid="flagged"
                      title={`${m.verification.not_reproduced} of this member's claims did not reproduce when others re-ran them; revoking is your call`}
                    >
                      flagged
                    </span>
                  )}
                  <span className="member-action">
                    {revoked ? (
                      <span className="muted small" title={localTime(m.revoked_at ?? '')}>
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
                  </span>
                </div>
                <div className="muted small">
                  <span className="mono">{m.id}</span> · {orDash(m.hostname)} · {[m.os, m.gpu, m.app_version && `v${m.app_version}`].filter(Boolean).join(' · ') || '—'} ·{' '}
                  <span className="mono">{orDash(m.ip)}</span>
                </div>
                <div className="member-facts small">
                  <span data-testid="member-results">
                    {c?.results ?? 0} result{(c?.results ?? 0) === 1 ? '' : 's'}, {c?.keeps ?? 0} kept
                  </span>
                  {showVerification && (
                    <span className={notReproduced > 0 ? 'strong note-warning' : 'muted'} title="Claims of this member that re-runs by other members did not reproduce">
                      <span data-testid="member-not-reproduced">{m.verification?.not_reproduced ?? '—'}</span> not reproduced
                    </span>
                  )}
                  <span className="muted" data-testid="member-usage" title="Patches, outputs and hypotheses stored, against the member's quota (TASK.md quota)">
                    {m.usage === undefined ? '—' : `${mib(m.usage.stored_bytes)} / ${mib(m.usage.storage_limit_bytes)} MiB`}
                    {m.usage?.at_limit != null && (
                      <span className="strong" role="status">
                        {' '}
                        {m.usage.at_limit === 'storage' ? 'at storage limit' : `at rate limit (${m.usage.submissions_per_hour}/h)`}
                      </span>
                    )}
                  </span>
                  <span className="muted" title={localTime(m.joined_at)}>
                    joined {ago(now - Date.parse(m.joined_at))}
                  </span>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
