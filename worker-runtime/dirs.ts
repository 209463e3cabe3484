import { join } from 'node:path';
import type { CohortPaths } from '../protocol/paths.ts';

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

/** Where a program's workspace, state, outbox and cache live. */
export function workerDirs(paths: CohortPaths, program: string): WorkerDirs {
  return {
    workspace: join(paths.dataDir, 'workspaces', program),
    state: join(paths.dataDir, 'worker-state', program),
    outbox: join(paths.dataDir, 'outbox', program),
    cache: join(paths.dataDir, 'cache', program),
  };
}
