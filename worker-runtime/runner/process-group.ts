import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Sends a signal to every process of a group. False when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    // ESRCH: nobody left. Anything else (EPERM) means someone is still there.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether a group still has a running member. `kill(-pgid, 0)` also succeeds for zombies that
 * nobody has reaped yet (orphans wait for init, which may reap late in a container), so on Linux
 * the members' states are read from /proc.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  return linuxGroupHasLiveMember(pgid) ?? true;
}

function linuxGroupHasLiveMember(pgid: number): boolean | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const state = readStat(entry);
    if (state && state.pgrp === pgid && state.state !== 'Z' && state.state !== 'X') return true;
  }
  return false;
}

/** Linux process name, state, parent and group from /proc/PID/stat; the name field may hold spaces and parens. */
export function readStat(pid: number | string): { comm: string; state: string; ppid: number; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  return state === undefined || !Number.isInteger(pgrp) ? undefined : { comm, state, ppid, pgrp };
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'ash', 'zsh', 'busybox']);

/**
 * SIGTERM to the processes a launcher (bubblewrap) runs, not to the launcher: signalled itself, it
 * would take the whole sandbox down at once, leaving the run no time to end cleanly. Spared are the
 * group's leader, its children of the same name (bubblewrap's init in the sandbox), and the shell
 * they started while that shell still waits for a child: bubblewrap ends the sandbox as soon as
 * that shell exits, so the shell must outlive its children (it exits by itself once they are done).
 * Linux only; false when nobody was signalled.
 */
function terminateAllButLauncher(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  const members = new Map<number, NonNullable<ReturnType<typeof readStat>>>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.set(Number(entry), stat);
  }
  const leader = members.get(pgid);
  if (!leader) return false;
  const launchers = new Set([pgid]);
  for (const [pid, s] of members) if (s.ppid === pgid && s.comm === leader.comm) launchers.add(pid);
  const parents = new Set([...members.values()].map((s) => s.ppid));
  const spared = (pid: number, s: NonNullable<ReturnType<typeof readStat>>) =>
    launchers.has(pid) || (launchers.has(s.ppid) && s.ppid !== pgid && SHELLS.has(s.comm) && parents.has(pid));
  let signalled = false;
  for (const [pid, s] of members) {
    if (spared(pid, s)) continue;
    try {
      process.kill(pid, 'SIGTERM');
      signalled = true;
    } catch {
      // gone meanwhile
    }
  }
  return signalled;
}

/** Polls until the group has no running member; true if it went away within `ms`. */
export async function waitGroupGone(pgid: number, ms: number, pollMs = 50): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (performance.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

/**
 * SIGTERM to the whole group, then SIGKILL if anyone is still running `killAfterMs` later.
 * Resolves once the group is gone (or, after SIGKILL, after a last short wait). With
 * `spareLauncher` (the leader is a sandbox launcher) SIGTERM goes to the processes it runs, not to
 * the launcher itself, where /proc allows it; SIGKILL still goes to everyone.
 */
export async function terminateGroup(pgid: number, killAfterMs: number, opts: { spareLauncher?: boolean } = {}): Promise<void> {
  if (!groupAlive(pgid)) return;
  const spared = opts.spareLauncher === true && process.platform === 'linux' && terminateAllButLauncher(pgid);
  if (!spared) signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, killAfterMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 2000);
}

// Polls once a second while the worker lives and is still its parent (on Linux a dead worker that
// nobody has reaped yet still answers `kill -0`, but the watchdog has then been handed to another
// parent), then kills the run's group.
const WATCHDOG = [
  'w=$1 g=$2',
  'while kill -0 "$w" 2>/dev/null; do',
  '  if [ -r /proc/$$/stat ]; then read -r _ _ _ ppid _ < /proc/$$/stat; [ "$ppid" = "$w" ] || break; fi',
  '  sleep 1',
  'done',
  'kill -KILL -"$g" 2>/dev/null',
].join('\n');

/**
 * Ties a process group's life to this process's: a detached shell kills the group with SIGKILL
 * within about a second of this process dying, even by SIGKILL. For runs without a launcher that
 * does it (bubblewrap's `--die-with-parent`). Processes that left the group (setsid) escape it.
 * Returns the function that ends the watchdog once the group is gone; a no-op where there is no
 * /bin/sh (Windows).
 */
export function watchGroup(pgid: number): () => void {
  if (process.platform === 'win32') return () => {};
  let watchdog: ReturnType<typeof spawn>;
  try {
    watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'cohort-watchdog', String(process.pid), String(pgid)], { detached: true, stdio: 'ignore' });
  } catch {
    return () => {};
  }
  watchdog.on('error', () => {}); // no /bin/sh: the run is then bound by its group alone
  watchdog.unref();
  return () => {
    if (watchdog.pid !== undefined) signalGroup(watchdog.pid, 'SIGKILL');
  };
}
