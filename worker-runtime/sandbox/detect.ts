import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** What the found bubblewrap can do beyond the basics (older releases lack these flags). */
export interface BwrapFeatures {
  /** `--disable-userns` (bubblewrap ≥ 0.8, not in the setuid build): no nested user namespaces. */
  disableUserns: boolean;
}

export type SandboxSupport =
  | { ok: true; bwrap: string; version: string; features: BwrapFeatures }
  | {
      ok: false;
      /**
       * `unsupported-os`: not Linux; `missing`: no bwrap; `userns-forbidden`: the kernel (or a
       * container's seccomp/AppArmor policy) forbids the namespaces; `broken`: bwrap fails otherwise.
       */
      kind: 'unsupported-os' | 'missing' | 'userns-forbidden' | 'broken';
      bwrap: string | null;
      /** One line: what went wrong. */
      reason: string;
    };

export interface DetectOptions {
  /** A bubblewrap to use instead of looking on PATH and in /usr/bin (e.g. `COHORT_BWRAP`). */
  bwrap?: string;
  /** Where to look for `bwrap` (default: this process's PATH). */
  path?: string;
  platform?: NodeJS.Platform;
}

const FALLBACK = '/usr/bin/bwrap';

function executable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `bwrap` on PATH, else /usr/bin/bwrap; null when neither is there. */
export function findBwrap(path: string | undefined = process.env.PATH): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue; // a relative PATH entry would depend on the cwd
    const file = join(dir, 'bwrap');
    if (executable(file)) return file;
  }
  return executable(FALLBACK) ? FALLBACK : null;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when it could not run at all (or timed out). */
  error?: string;
}

function run(file: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      if (typeof err.code === 'number') return resolve({ code: err.code, stdout, stderr });
      resolve({ code: null, stdout, stderr, error: err.message });
    });
  });
}

/** The flags every sandboxed run uses that need kernel support; the probe tries exactly these. */
export function namespaceFlags(features: BwrapFeatures): string[] {
  return [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(features.disableUserns ? ['--disable-userns'] : []),
    '--die-with-parent',
    '--cap-drop', 'ALL',
  ];
}

/** What the kernel says about unprivileged user namespaces, for the message when they are off. */
function usernsSysctls(): string {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return null;
    }
  };
  const notes: string[] = [];
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') notes.push('kernel.unprivileged_userns_clone = 0');
  if (read('/proc/sys/user/max_user_namespaces') === '0') notes.push('user.max_user_namespaces = 0');
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') notes.push('kernel.apparmor_restrict_unprivileged_userns = 1');
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

const USERNS_DENIED = /user namespace|uid map|setting up uid|new namespace|unshare|Operation not permitted|No permissions/i;

const cache = new Map<string, Promise<SandboxSupport>>();
const lifetimeCache = new Map<string, Promise<LifetimeSupport>>();

/** Whether bubblewrap can tie a run's whole process tree to the worker here (for `--no-sandbox`). */
export type LifetimeSupport = { ok: true; bwrap: string } | { ok: false; bwrap: string | null; reason: string };

/**
 * The flags that make a run die with the worker and confine nothing else: everything stays visible
 * and writable (`--dev-bind / /`), the network is shared, but the run has its own pid namespace, and
 * `--die-with-parent` kills its first process when the worker dies, which ends every process of the
 * namespace, those that called setsid included. The probe tries exactly these.
 */
export function lifetimeFlags(): string[] {
  return ['--dev-bind', '/', '/', '--die-with-parent', '--unshare-pid', '--proc', '/proc'];
}

/**
 * Whether runs can be sandboxed here: bubblewrap is found, and a trial sandbox with the flags the
 * runs use (user, pid and network namespaces, a fresh /proc and /dev, no capabilities) starts.
 * The answer is remembered per bwrap path for the life of the process.
 */
export function detectSandbox(opts: DetectOptions = {}): Promise<SandboxSupport> {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') {
    return Promise.resolve({ ok: false, kind: 'unsupported-os', bwrap: null, reason: `bubblewrap exists only on Linux, and this is ${platform}` });
  }
  const bwrap = opts.bwrap ?? findBwrap(opts.path);
  if (bwrap === null) return Promise.resolve({ ok: false, kind: 'missing', bwrap: null, reason: `bubblewrap was not found (no bwrap on PATH, no ${FALLBACK})` });
  if (!executable(bwrap)) return Promise.resolve({ ok: false, kind: 'missing', bwrap, reason: `bubblewrap was not found at ${bwrap}` });
  let answer = cache.get(bwrap);
  if (!answer) {
    answer = probe(bwrap);
    cache.set(bwrap, answer);
  }
  return answer;
}

/** Whether `lifetimeFlags()` work with this bubblewrap (remembered per bwrap path, as detectSandbox). */
export function detectLifetime(opts: DetectOptions = {}): Promise<LifetimeSupport> {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') return Promise.resolve({ ok: false, bwrap: null, reason: `bubblewrap exists only on Linux, and this is ${platform}` });
  const bwrap = opts.bwrap ?? findBwrap(opts.path);
  if (bwrap === null || !executable(bwrap)) return Promise.resolve({ ok: false, bwrap, reason: `bubblewrap was not found${bwrap === null ? '' : ` at ${bwrap}`}` });
  let answer = lifetimeCache.get(bwrap);
  if (!answer) {
    answer = run(bwrap, [...lifetimeFlags(), '--', '/bin/true']).then((trial): LifetimeSupport => {
      if (trial.code === 0) return { ok: true, bwrap };
      const said = (trial.error ?? trial.stderr).trim().split('\n').at(-1) ?? '';
      return { ok: false, bwrap, reason: `bubblewrap could not start a pid namespace: ${said || `exit code ${trial.code}`}` };
    });
    lifetimeCache.set(bwrap, answer);
  }
  return answer;
}

async function probe(bwrap: string): Promise<SandboxSupport> {
  const version = await run(bwrap, ['--version']);
  if (version.code !== 0) return { ok: false, kind: 'broken', bwrap, reason: `${bwrap} --version failed: ${(version.error ?? version.stderr).trim() || `exit code ${version.code}`}` };
  const help = await run(bwrap, ['--help']);
  const setuid = (statSync(bwrap).mode & 0o4000) !== 0;
  const features: BwrapFeatures = { disableUserns: !setuid && (help.stdout + help.stderr).includes('--disable-userns') };
  const trial = await run(bwrap, [...namespaceFlags(features), '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--', '/bin/true']);
  if (trial.code !== 0) {
    const said = (trial.error ?? trial.stderr).trim().split('\n').at(-1) ?? '';
    return USERNS_DENIED.test(said)
      ? { ok: false, kind: 'userns-forbidden', bwrap, reason: `the kernel does not let bubblewrap create user namespaces here${usernsSysctls()}: ${said}` }
      : { ok: false, kind: 'broken', bwrap, reason: `a trial sandbox failed: ${said || `exit code ${trial.code}`}` };
  }
  return { ok: true, bwrap, version: version.stdout.trim().replace(/^bubblewrap\s+/, ''), features };
}
