import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CohortPaths } from '../protocol/node/paths.ts';

/** Where one membership's things live on the worker. */
export interface WorkerDirs {
  /** The program's files with the champion's code: where runs happen, hostile after each one. */
  workspace: string;
  /** The worker's own records of that workspace (the code it started from, stashes, run logs): never visible to runs. */
  state: string;
  /** Results not yet acknowledged by the host. */
  outbox: string;
  /**
   * The program home: `$HOME` of setup and runs, kept between them, so that what setup puts in
   * `~/.cache/...` is there for every run (docs/design.md, "Programs that need setup"). Only setup
   * may write it: setup has network, so it must never execute what a run could have planted.
   */
  home: string;
  /** The home's cache (XDG_CACHE_HOME): setup's downloads. */
  cache: string;
  /** What runs may write and find again (COHORT_CACHE_DIR; CUDA, Triton, TorchInductor kernel caches). */
  runCache: string;
}

function dirsUnder(paths: CohortPaths, key: string): WorkerDirs {
  return {
    workspace: join(paths.dataDir, 'workspaces', key),
    state: join(paths.dataDir, 'worker-state', key),
    outbox: join(paths.dataDir, 'outbox', key),
    home: join(paths.dataDir, 'homes', key),
    cache: join(paths.dataDir, 'homes', key, '.cache'),
    runCache: join(paths.dataDir, 'cache', key),
  };
}

/**
 * The folders of a worker's slot `index` (one per GPU): slot 0 is the membership's own workspace;
 * each other slot has a workspace and state of its own beside it. The outbox and the program home
 * are the membership's, shared by its slots.
 */
export function slotDirs(dirs: WorkerDirs, index: number): WorkerDirs {
  if (index === 0) return dirs;
  return { ...dirs, workspace: `${dirs.workspace}.slot${index}`, state: `${dirs.state}.slot${index}` };
}

/**
 * Where a membership's workspace, state, outbox and cache live: under its id (host and program), so
 * two hosts' programs of the same name never share a folder. Takes the membership, not a string, so
 * that a program name cannot be passed by mistake.
 */
export function workerDirs(paths: CohortPaths, membership: { id: string }): WorkerDirs {
  return dirsUnder(paths, membership.id);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * Moves the folders an older Cohort kept under the program's name to the membership's id. A folder
 * whose new place already exists is left where it is (the newer one wins; nothing is merged), and
 * a concurrent migration (the app and the CLI at once) is harmless: the loser's rename finds nothing.
 */
export async function migrateWorkerDirs(paths: CohortPaths, program: string, membership: { id: string }): Promise<string[]> {
  const from = dirsUnder(paths, program);
  const to = workerDirs(paths, membership);
  const moved: string[] = [];
  // The home's cache lives inside the home, which moves with it.
  for (const key of ['workspace', 'state', 'outbox', 'home', 'runCache'] as const) {
    if (from[key] === to[key] || !(await exists(from[key])) || (await exists(to[key]))) continue;
    try {
      await rename(from[key], to[key]);
      moved.push(to[key]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return moved;
}

