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
  /** The program's cache (COHORT_CACHE_DIR): writable by sandboxed runs, kept between them. */
  cache: string;
}

function dirsUnder(paths: CohortPaths, key: string): WorkerDirs {
  return {
    workspace: join(paths.dataDir, 'workspaces', key),
    state: join(paths.dataDir, 'worker-state', key),
    outbox: join(paths.dataDir, 'outbox', key),
    cache: join(paths.dataDir, 'cache', key),
  };
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
  for (const key of Object.keys(from) as (keyof WorkerDirs)[]) {
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
