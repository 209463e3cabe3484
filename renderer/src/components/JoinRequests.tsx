import { useEffect, useState } from 'react';
import type { DenySourceResponse, JoinRequest, OwnerStatusResponse } from '../../../protocol/index.ts';
import { JoinRequestCard } from './JoinRequestCard.tsx';
import { RichText } from './RichText.tsx';

interface Props {
  status: OwnerStatusResponse;
  fetchedAt: number;
}

/** Pending join requests, newest first, one card each; decided one at a time. */
export function JoinRequests({ status, fetchedAt }: Props) {
  const pending = status.requests.filter((r) => r.status === 'pending');
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (notice === null) return;
    const t = setTimeout(() => setNotice(null), 20_000);
    return () => clearTimeout(t);
  }, [notice]);

  const onDecided = (verb: 'approve' | 'deny', r: JoinRequest) => {
    const who = r.name.trim() || 'the worker';
    setNotice(
      verb === 'approve'
        ? `Approved ${who} (${r.user_code}). They appear under Members as soon as their \`cohort join\` collects its token, within seconds.`
        : `Denied ${who} (${r.user_code}). Their \`cohort join\` stops with "denied".`,
    );
  };

  const onDeniedNetwork = (res: DenySourceResponse) => {
    setNotice(`Denied ${res.denied.length} join request${res.denied.length === 1 ? '' : 's'} from ${res.source}.`);
  };

  return (
    <section className="section" aria-labelledby="requests-title" data-testid="join-requests">
      <h2 id="requests-title">
        Join requests {pending.length > 0 && <span className="count-badge">{pending.length} waiting</span>}
      </h2>
      <p className="notice-line" role="status" data-testid="decision-notice">
        {notice !== null && <RichText text={notice} />}
      </p>
      {pending.length === 0 ? (
        <p className="empty">
          No one is waiting. Workers join with: <code>{status.join_command}</code> (once Cohort is installed there: README.md, “Installing a worker”)
        </p>
      ) : (
        <div className="request-grid">
          {pending.map((r) => (
            <JoinRequestCard key={r.id} request={r} fetchedAt={fetchedAt} onDecided={onDecided} onDeniedNetwork={onDeniedNetwork} />
          ))}
        </div>
      )}
    </section>
  );
}
