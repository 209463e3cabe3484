import { mkdir, rename, stat } from 'node:fs/promises';
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
   * The program home: `$HOME` of setup and runs, writable and kept between them, so that what setup
   * puts in `~/.cache/...` is there for every run (docs/design.md, "Programs that need setup").
   */
  home: string;
  /** The program's cache inside the home (COHORT_CACHE_DIR, XDG_CACHE_HOME). */
  cache: string;
}

function dirsUnder(paths: CohortPaths, key: string): WorkerDirs {
  return {
    workspace: join(paths.dataDir, 'workspaces', key),
    state: join(paths.dataDir, 'worker-state', key),
    outbox: join(paths.dataDir, 'outbox', key),
    home: join(paths.dataDir, 'homes', key),
    cache: join(paths.dataDir, 'homes', key, '.cache'),
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
  // The cache lives inside the home, which moves with it.
  for (const key of ['workspace', 'state', 'outbox', 'home'] as const) {
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

/**
 * Moves the cache an older Cohort kept at `<data>/cache/<id>/` into the program home, where runs now
 * find it as `~/.cache`; left alone when the home has a cache already. Returns where it went, or null.
 */
export async function adoptLegacyCache(paths: CohortPaths, membership: { id: string }): Promise<string | null> {
  const legacy = join(paths.dataDir, 'cache', membership.id);
  const dirs = workerDirs(paths, membership);
  if (!(await exists(legacy)) || (await exists(dirs.cache))) return null;
  await mkdir(dirs.home, { recursive: true, mode: 0o700 });
  try {
    await rename(legacy, dirs.cache);
    return dirs.cache;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
