import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { namespaceFlags, type BwrapFeatures } from './detect.ts';
import { outermost, within } from './paths.ts';

/** What a program's sandbox hides and shows; the same for every run of a worker session. */
export interface SandboxPlan {
  bwrap: string;
  features: BwrapFeatures;
  /** Replaced by empty, writable, private tmpfs folders: /tmp, /var/tmp, /run, /home, the home folder. */
  scratch: string[];
  /** Bound read-only again although inside a hidden folder: what the PATH needs, and `--expose`. */
  exposed: string[];
  /** Replaced by empty read-only folders: the Cohort config folder (member tokens) and data folder (KBs, other workspaces). */
  secret: string[];
  /** GPU device nodes, passed through with `--dev-bind`. */
  devices: string[];
}

/** The per-run part: where the run may write, and what stays read-only inside the workspace. */
export interface RunMounts {
  /** Bound read-write; the run's working directory. */
  workspace: string;
  /** The program home (HOME): read-only for runs, writable for setup. */
  home: string;
  /** Bound read-write for runs: the run cache (COHORT_CACHE_DIR). Setup gets none. */
  cache: string;
  /**
   * A program's setup: the network shared and the home writable, no run cache. Setup has network,
   * so it must find nothing a run could have written: runs get the home read-only.
   */
  setup?: boolean;
  /**
   * Absolute paths bound read-only over the writable workspace: every program file the host served
   * (editable or not), and any folder the run must not change. The folders between the workspace
   * and each of them are pinned (see `pinnedFolders`).
   */
  readOnly: string[];
}

/**
 * The bubblewrap command line for one run, ending in `--` (the command follows). Order matters:
 * later mounts cover earlier ones, so the system comes first (read-only), then the folders hidden
 * behind tmpfs, then what is shown again, then the secrets, and the writable workspace and cache last.
 * Everything that is not a folder bubblewrap can create must exist already, so missing ones are left out.
 */
export function bwrapArgv(plan: SandboxPlan, run: RunMounts): string[] {
  // Setup shares the machine's network namespace; everything else stays unshared.
  const setup = run.setup === true;
  const namespaces = namespaceFlags(plan.features).filter((f) => !setup || f !== '--unshare-net');
  const args = [plan.bwrap, ...namespaces, '--ro-bind', '/', '/', '--dev', '/dev'];
  for (const node of plan.devices) if (existsSync(node)) args.push('--dev-bind', node, node);
  args.push('--proc', '/proc');

  // A folder can be covered when it exists, or when bubblewrap can create it inside an earlier tmpfs.
  const scratch: string[] = [];
  const coverable = (p: string) => existsSync(p) || scratch.some((s) => within(p, s));
  for (const dir of outermost(plan.scratch)) {
    if (dir !== '/' && coverable(dir)) {
      args.push('--tmpfs', dir);
      scratch.push(dir);
    }
  }
  for (const dir of plan.exposed) if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  if (setup) for (const file of resolverFiles(scratch)) args.push('--ro-bind', file, file);
  const secret = outermost(plan.secret).filter((d) => d !== '/' && existsSync(d));
  for (const dir of secret) args.push('--tmpfs', dir);
  args.push('--bind', run.workspace, run.workspace);
  if (setup) args.push('--bind', run.home, run.home);
  else args.push('--ro-bind', run.home, run.home, '--bind', run.cache, run.cache);
  for (const dir of pinnedFolders(run.workspace, run.readOnly)) args.push('--bind', dir, dir);
  for (const p of run.readOnly) if (existsSync(p)) args.push('--ro-bind', p, p);
  for (const dir of secret) args.push('--remount-ro', dir);
  args.push('--chdir', run.workspace, '--');
  return args;
}

/**
 * The name resolver's configuration when it lives in a folder the sandbox replaces: on systemd-resolved
 * machines /etc/resolv.conf links to /run/systemd/resolve/stub-resolv.conf, and with /run private a
 * setup with network could not resolve a name.
 */
function resolverFiles(scratch: readonly string[]): string[] {
  try {
    const real = realpathSync('/etc/resolv.conf');
    return scratch.some((s) => within(real, s)) ? [real] : [];
  } catch {
    return [];
  }
}

/**
 * The folders between the workspace and each read-only path, outer ones first, to be bound onto
 * themselves: a mount point cannot be renamed, removed or replaced (EBUSY), so a run cannot move
 * `src/model/` aside and put a link or a folder of its own where `src/model/train.py` was. They stay
 * writable, so new files beside the program's are fine. Only real folders are pinned: binding a
 * symbolic link would pin wherever it points.
 */
export function pinnedFolders(workspace: string, readOnly: readonly string[]): string[] {
  const root = resolve(workspace);
  const pinned = new Set<string>();
  for (const p of readOnly.map((r) => resolve(r))) {
    if (!within(p, root)) continue;
    for (let dir = dirname(p); dir !== root && within(dir, root); dir = dirname(dir)) pinned.add(dir);
  }
  const isFolder = (dir: string) => {
    try {
      return lstatSync(dir).isDirectory();
    } catch {
      return false;
    }
  };
  // Sorted by depth so a folder is bound before the folders inside it (a later bind would cover an earlier one).
  const depth = (d: string) => d.split('/').length;
  return [...pinned].filter(isFolder).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
}
