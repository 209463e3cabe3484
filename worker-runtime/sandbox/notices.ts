/**
 * What a person should know about how runs are confined here, beyond the `NOT sandboxed` warning
 * the worker gives itself; the worker emits each as a warning.
 */

/** As root, the sandbox's read-only system is everything root can read, and without it a run is root. */
export function rootWarning(sandboxed: boolean): string {
  return sandboxed
    ? 'the worker runs as root, so the sandbox exposes every file root can read on this machine (such as /etc/shadow and host keys) except what it hides (home folders, /tmp, Cohort\'s folders), and runs may publish them in their output: run the worker as an ordinary user'
    : 'the worker runs as root, so runs from other members have every right root has on this machine: run the worker as an ordinary user';
}

/** Without bubblewrap, a run is bound to the worker by its process group only. */
export function processGroupWarning(reason: string): string {
  return `a run is ended with the worker by its process group only (${reason}): processes a run moves into a session of their own (setsid) outlive the worker (a working bubblewrap would end them too)`;
}
