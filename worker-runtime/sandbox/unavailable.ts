import { WorkerError } from '../credentials.ts';
import type { SandboxSupport } from './detect.ts';

export const INSTALL_COMMAND = 'sudo apt-get install bubblewrap';

type Unsupported = Extract<SandboxSupport, { ok: false }>;

/** What a person reads when runs cannot be sandboxed here: why, how to fix it, and the explicit way out. */
export function unavailableMessage(support: Unsupported): string {
  const why = `Runs execute code from other members, so Cohort runs them in a bubblewrap sandbox, but ${support.reason}.`;
  const fix =
    support.kind === 'unsupported-os'
      ? 'There is no sandbox for this system yet.'
      : support.kind === 'missing'
        ? `Install it: ${INSTALL_COMMAND} (Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap).`
        : support.kind === 'userns-forbidden'
          ? 'Allow unprivileged user namespaces (e.g. sudo sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 use the distribution\'s bubblewrap, which AppArmor allows), or run on a machine that has them.'
          : `Check the bubblewrap installation (${INSTALL_COMMAND}).`;
  return `${why} ${fix} To run without a sandbox anyway, pass --no-sandbox explicitly: the code then runs with all of your user's rights (network, home directory, your Cohort membership tokens).`;
}

/** Thrown by startWorker before anything runs when the sandbox is on but cannot be used here. */
export class SandboxUnavailableError extends WorkerError {
  override name = 'SandboxUnavailableError';
  readonly kind: Unsupported['kind'];
  readonly reason: string;
  constructor(support: Unsupported) {
    super(unavailableMessage(support));
    this.kind = support.kind;
    this.reason = support.reason;
  }
}
