import type { MembershipMode } from '../api.ts';

/**
 * The membership rule as it is in force: the host's own word when its status gives it (a host
 * can run a program with open membership whatever TASK.md says), else the program's spec.
 */
export function MembershipLine({ inForce, spec }: { inForce: MembershipMode | null; spec: MembershipMode }) {
  const mode = inForce ?? spec;
  const differs = inForce !== null && inForce !== spec;
  return (
    <span data-testid="membership" data-mode={mode}>
      <span className="fact-key">membership</span> {mode === 'invite' ? 'you approve each join request' : 'open: anyone with the URL joins, no approval'}
      {differs && <span className="muted"> (this host runs it {mode}; TASK.md says {spec})</span>}
    </span>
  );
}
