import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ELECTRON_PKG = fileURLToPath(new URL('../node_modules/electron/', import.meta.url));

/**
 * The Electron executable, or null when this machine has none. Looks where the electron package's
 * own entry point would (ELECTRON_OVERRIDE_DIST_PATH, else node_modules/electron/dist) without
 * loading it: since Electron 45 loading that package downloads a missing binary, which fails offline.
 */
export function findElectronBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const pathFile = join(ELECTRON_PKG, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const candidates: string[] = [];
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const dir = env.ELECTRON_OVERRIDE_DIST_PATH;
    candidates.push(join(dir, relative ?? defaultExecutable()));
  } else if (relative !== null) {
    candidates.push(join(ELECTRON_PKG, 'dist', relative));
  }
  return candidates.find((c) => existsSync(c)) ?? null;
}

function defaultExecutable(): string {
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (process.platform === 'win32') return 'electron.exe';
  return 'electron';
}
