import { useEffect, useState } from 'react';
import type { DenySourceResponse, JoinRequest } from '../../../protocol/index.ts';
import { errorMessage, ownerApi } from '../api.ts';
import { ago, countdown, localTime, orDash } from '../format.ts';
import { useNow } from '../hooks.ts';
import { refreshSoon, useOwnerStore } from '../store.ts';
import { RichText } from './RichText.tsx';

interface Props {
  request: JoinRequest;
  /** `Date.now()` when the request was fetched: `expires_in` counts down from it. */
  fetchedAt: number;
  /** Called after the host accepted the decision. */
  onDecided(verb: 'approve' | 'deny', request: JoinRequest): void;
  /** Called after the host denied every waiting request from this one's network. */
  onDeniedNetwork(result: DenySourceResponse): void;
}

type Busy = null | 'approve' | 'deny' | 'network';

/** One join request with all the owner needs to judge it, and Approve / Deny for this one only. */
export function JoinRequestCard({ request, fetchedAt, onDecided, onDeniedNetwork }: Props) {
  const token = useOwnerStore((s) => s.token);
  const now = useNow();
  const [busy, setBusy] = useState<Busy>(null);
  const [error, setError] = useState<string | null>(null);

  // Both from the host's clock: no skew between this machine and the host's record.
  const leftMs = request.expires_in * 1000 - (now - fetchedAt);
  const lifetimeMs = Date.parse(request.expires_at) - Date.parse(request.created_at);
  const ageMs = Number.isFinite(lifetimeMs) ? lifetimeMs - leftMs : now - Date.parse(request.created_at);
  const expired = leftMs <= 0;

  // When it runs out, the host drops it from the pending list: fetch again so the card goes.
  useEffect(() => {
    if (expired) refreshSoon(500);
  }, [expired]);

  const decide = async (verb: 'approve' | 'deny') => {
    if (token === null || busy !== null) return;
    setBusy(verb);
    setError(null);
    try {
      await ownerApi[verb](token, request.user_code);
      onDecided(verb, request);
      await useOwnerStore.getState().refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  // A flood from one network is cleared in one action (docs/security.md, Membership).
  const denyNetwork = async () => {
    if (token === null || busy !== null) return;
    setBusy('network');
    setError(null);
    try {
      onDeniedNetwork(await ownerApi.denyNetwork(token, request.ip));
      await useOwnerStore.getState().refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  const name = request.name.trim() === '' ? 'unnamed worker' : request.name;
  const titleId = `jr-${request.id}-title`;
  const codeId = `jr-${request.id}-code`;
  const urgent = !expired && leftMs < 60_000;

  return (
    <article className={`card request-card${expired ? ' is-expired' : ''}`} data-testid="join-request" data-code={request.user_code} aria-labelledby={titleId}>
      <div className="request-head">
        <h3 id={titleId} className="request-name">
          {name} <span className="tag" title="The name is chosen by the worker; nothing checks it.">declared</span>
        </h3>
        <span className="muted" title={localTime(request.created_at)}>
          asked {ago(ageMs)}
        </span>
      </div>

      <div className="user-code-block">
        <span className="user-code-label">User code</span>
        <span id={codeId} className="user-code" data-testid="user-code">
          {request.user_code}
        </span>
        <span className="muted small">Approve only if the worker reads you this same code.</span>
      </div>

      <dl className="details">
        <dt>Hostname</dt>
        <dd>{orDash(request.hostname)}</dd>
        <dt>OS</dt>
        <dd>{orDash(request.os)}</dd>
        <dt>GPU</dt>
        <dd>{orDash(request.gpu)}</dd>
        <dt>IP</dt>
        <dd className="mono">{orDash(request.ip)}</dd>
        <dt>App version</dt>
        <dd>{orDash(request.app_version)}</dd>
        <dt>Client</dt>
        <dd className="mono">{orDash(request.client_id)}</dd>
      </dl>

      <Requirements match={request.requirements} />

      <p className={`expiry${urgent ? ' is-urgent' : ''}`} data-testid="time-left">
        {expired ? (
          'Expired: the worker has to run cohort join again.'
        ) : (
          <>
            Expires in <span className="mono">{countdown(leftMs)}</span>
          </>
        )}
      </p>

      {error !== null && (
        <p className="inline-error" role="alert">
          <RichText text={error} />
        </p>
      )}

      <div className="actions">
        <button
          type="button"
          className="btn btn-primary"
          data-testid="approve"
          disabled={busy !== null || expired}
          aria-label={`Approve ${name}, code ${request.user_code}`}
          aria-describedby={codeId}
          onClick={() => void decide('approve')}
        >
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button
          type="button"
          className="btn btn-danger"
          data-testid="deny"
          disabled={busy !== null || expired}
          aria-label={`Deny ${name}, code ${request.user_code}`}
          onClick={() => void decide('deny')}
        >
          {busy === 'deny' ? 'Denying…' : 'Deny'}
        </button>
        <button
          type="button"
          className="btn btn-small btn-danger-quiet"
          data-testid="deny-network"
          disabled={busy !== null || expired}
          title={`Deny every request waiting from ${request.ip}'s network (its /24 for IPv4, its /64 for IPv6)`}
          onClick={() => void denyNetwork()}
        >
          {busy === 'network' ? 'Denying…' : 'Deny all from this network'}
        </button>
      </div>
    </article>
  );
}

/**
 * Whether the machine meets the program's `requires`, by what the worker declares (nothing checks
 * it before approval; the worker itself refuses to run where it does not). Nothing when the
 * program has no `requires`. Said in words, not by colour alone.
 */
function Requirements({ match }: { match: JoinRequest['requirements'] }) {
  if (match === null) return null;
  if (match.ok) {
    return (
      <p className="requirements is-met" data-testid="requirements" title="As the worker declares its GPUs; its worker checks again before each run.">
        ✓ meets requires
      </p>
    );
  }
  return (
    <div className="requirements is-unmet" data-testid="requirements" role="note">
      <strong>⚠ Does not meet requires</strong> — its worker will refuse to run:
      <ul>
        {match.problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </div>
  );
}
