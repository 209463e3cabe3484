import type { OwnerStatusResponse } from '../../../protocol/index.ts';

type Mode = OwnerStatusResponse['membership'];

/**
 * The membership rule as it is in force, from the host's status (a host can run a program with
 * open membership whatever TASK.md says), and TASK.md's word when it differs.
 */
export function MembershipLine({ inForce, spec }: { inForce: Mode; spec: Mode }) {
  return (
    <span data-testid="membership" data-mode={inForce}>
      <span className="fact-key">membership</span> {inForce === 'invite' ? 'you approve each join request' : 'open: anyone with the URL joins, no approval'}
      {inForce !== spec && <span className="muted"> (this host runs it {inForce}; TASK.md says {spec})</span>}
    </span>
  );
}
