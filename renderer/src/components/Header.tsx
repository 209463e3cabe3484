import type { OwnerStatus } from '../api.ts';
import { betterText, ruleText, type MetricFormat } from '../format.ts';
import { useOwnerStore } from '../store.ts';
import { ConnectionIndicator } from './ConnectionIndicator.tsx';
import { CopyField } from './CopyField.tsx';
import { MembershipLine } from './MembershipLine.tsx';
import { TunnelIndicator } from './TunnelIndicator.tsx';

/** The program at a glance, the way in for workers, and whether the page is live. */
export function Header({ status, fmt }: { status: OwnerStatus; fmt: MetricFormat }) {
  const { spec } = status.program;
  const connection = useOwnerStore((s) => s.connection);
  return (
    <header className="app-header">
      <div className="header-top">
        <span className="brand">
          Cohort <span className="brand-role">owner</span>
        </span>
        <ConnectionIndicator connection={connection} />
      </div>
      <h1 className="program-name">{spec.name}</h1>
      <p className="objective">{spec.objective}</p>
      <ul className="facts" aria-label="Program rules">
        <li>
          <span className="fact-key">metric</span> <code>{spec.metric}</code> · {spec.direction} ({betterText(spec.direction)})
        </li>
        <li>
          <span className="fact-key">rule</span> {ruleText(spec, fmt)}
        </li>
        <li>
          <span className="fact-key">pool</span> {spec.pool} {spec.token} · {spec.split === 'by-impact' ? 'split by impact' : 'champion takes all'}
        </li>
        <li>
          <MembershipLine inForce={status.membership} spec={spec.membership} />
        </li>
      </ul>
      <TunnelIndicator tunnel={status.tunnel} />
      {status.previous_public_url !== null && (
        <p className="url-changed" data-testid="url-changed" role="status">
          The public URL changed since the last start (it was <code>{status.previous_public_url}</code>). Members who joined before re-point
          with <code>{status.join_command}</code>: the host knows their tokens, so there is no new approval.
        </p>
      )}
      <div className="copy-fields">
        <CopyField label="Public URL" text={status.public_url} testId="public-url" />
        <CopyField label="Join command" text={status.join_command} testId="join-command" />
      </div>
    </header>
  );
}
