/** Where Cohort keeps things (docs/design.md, "Minimal wire shapes" → config and data). Node-only: not exported from protocol/index.ts, so the renderer never pulls it in. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CohortPaths {
  /** Settings and small secrets: the host state file, member tokens. */
  configDir: string;
  /** The KBs and workspaces. */
  dataDir: string;
}

/**
 * Where Cohort keeps things: `COHORT_HOME` holds both when set (tests always set it); otherwise the
 * platform's usual places — XDG on Linux, Application Support on macOS, AppData on Windows.
 */
export function cohortPaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): CohortPaths {
  if (env.COHORT_HOME) return { configDir: join(env.COHORT_HOME, 'config'), dataDir: join(env.COHORT_HOME, 'data') };
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  if (platform === 'darwin') {
    const base = join(home, 'Library', 'Application Support', 'Cohort');
    return { configDir: join(base, 'config'), dataDir: join(base, 'data') };
  }
  if (platform === 'win32') {
    const appData = env.APPDATA ?? join(home, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA ?? join(home, 'AppData', 'Local');
    return { configDir: join(appData, 'Cohort'), dataDir: join(local, 'Cohort') };
  }
  return {
    configDir: join(env.XDG_CONFIG_HOME || join(home, '.config'), 'cohort'),
    dataDir: join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'cohort'),
  };
}

/** The KB file of one program. */
export function kbPath(paths: CohortPaths, programName: string): string {
  return join(paths.dataDir, 'programs', programName, 'kb.sqlite');
}
