import { existsSync } from 'node:fs';
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
  /** Bound read-write: the program's cache (COHORT_CACHE_DIR). */
  cache: string;
  /** Paths inside the workspace bound read-only over the writable workspace (`.cohort/`, the editable files). */
  readOnly: string[];
}

/**
 * The bubblewrap command line for one run, ending in `--` (the command follows). Order matters:
 * later mounts cover earlier ones, so the system comes first (read-only), then the folders hidden
 * behind tmpfs, then what is shown again, then the secrets, and the writable workspace and cache last.
 * Everything that is not a folder bubblewrap can create must exist already, so missing ones are left out.
 */
export function bwrapArgv(plan: SandboxPlan, run: RunMounts): string[] {
  const args = [plan.bwrap, ...namespaceFlags(plan.features), '--ro-bind', '/', '/', '--dev', '/dev'];
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
  const secret = outermost(plan.secret).filter((d) => d !== '/' && existsSync(d));
  for (const dir of secret) args.push('--tmpfs', dir);
  args.push('--bind', run.workspace, run.workspace, '--bind', run.cache, run.cache);
  for (const p of run.readOnly) if (existsSync(p)) args.push('--ro-bind', p, p);
  for (const dir of secret) args.push('--remount-ro', dir);
  args.push('--chdir', run.workspace, '--');
  return args;
}
