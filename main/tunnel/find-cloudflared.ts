import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the binary was found, in lookup order. */
export type CloudflaredSource = 'option' | 'env' | 'path' | 'npm' | 'install-location';

export interface FoundCloudflared {
  path: string;
  source: CloudflaredSource;
}

export interface FindCloudflaredOptions {
  /** `--cloudflared PATH`: used as given; an error when it is not an executable file. */
  explicit?: string;
  /** Environment: `CLOUDFLARED_BIN`, `PATH` (and `PATHEXT`, `ProgramFiles`… on Windows), `HOME`. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Folders whose `node_modules/cloudflared` (and their parents') may hold the npm package's binary. Default: the working folder and Cohort's own folder. */
  packageRoots?: string[];
  /** The usual install locations, in order. Default: per platform (see `usualLocations`). */
  installLocations?: string[];
  /** Relative `explicit`/`CLOUDFLARED_BIN` paths resolve against this (default: the working folder). */
  cwd?: string;
}

/** A cloudflared the owner named (option or `CLOUDFLARED_BIN`) that cannot be run. */
export class CloudflaredNotUsableError extends Error {
  override name = 'CloudflaredNotUsableError';
}

function pathApi(platform: NodeJS.Platform) {
  return platform === 'win32' ? win32 : posix;
}

function exeNames(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform !== 'win32') return ['cloudflared'];
  const exts = (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e.startsWith('.'));
  // npm's global shims are cloudflared.cmd; the release is cloudflared.exe.
  return [...new Set(['cloudflared.exe', ...exts.map((e) => `cloudflared${e.toLowerCase()}`)])];
}

/** An existing regular file we may execute (on Windows, existing is enough). */
export async function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    if (platform !== 'win32') await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The usual install locations: package managers, Homebrew (both prefixes), the Windows installer, winget, Chocolatey, Scoop. */
export function usualLocations(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = (platform === 'win32' ? env.USERPROFILE : env.HOME) ?? homedir();
  if (platform === 'win32') {
    const { join } = win32;
    const programFiles = env.ProgramFiles ?? env.PROGRAMFILES ?? 'C:\\Program Files';
    const programFilesX86 = env['ProgramFiles(x86)'] ?? env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)';
    const localAppData = env.LOCALAPPDATA ?? join(home, 'AppData', 'Local');
    const chocolatey = env.ChocolateyInstall ?? 'C:\\ProgramData\\chocolatey';
    return [
      join(programFiles, 'cloudflared', 'cloudflared.exe'),
      join(programFilesX86, 'cloudflared', 'cloudflared.exe'),
      join(localAppData, 'Microsoft', 'WinGet', 'Links', 'cloudflared.exe'),
      join(chocolatey, 'bin', 'cloudflared.exe'),
      join(home, 'scoop', 'shims', 'cloudflared.exe'),
    ];
  }
  const { join } = posix;
  const brew = ['/opt/homebrew/bin/cloudflared', '/usr/local/bin/cloudflared'];
  const system = ['/usr/local/bin/cloudflared', '/usr/bin/cloudflared', '/home/linuxbrew/.linuxbrew/bin/cloudflared', '/snap/bin/cloudflared', '/opt/homebrew/bin/cloudflared'];
  const user = [join(home, '.local', 'bin', 'cloudflared'), join(home, 'bin', 'cloudflared'), join(home, 'go', 'bin', 'cloudflared')];
  return [...new Set([...(platform === 'darwin' ? brew : system), ...user])];
}

function defaultPackageRoots(): string[] {
  const roots = [process.cwd()];
  try {
    roots.push(fileURLToPath(new URL('../..', import.meta.url)));
  } catch {
    // bundled without a file URL: the working folder only
  }
  return roots;
}

/** `<dir>/node_modules/cloudflared/bin/cloudflared[.exe]` for each root and each of its parents. */
function npmCandidates(roots: string[], platform: NodeJS.Platform): string[] {
  const { dirname, join, resolve } = pathApi(platform);
  const exe = platform === 'win32' ? 'cloudflared.exe' : 'cloudflared';
  const out: string[] = [];
  for (const root of roots) {
    let dir = resolve(root);
    for (;;) {
      out.push(join(dir, 'node_modules', 'cloudflared', 'bin', exe));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return [...new Set(out)];
}

/**
 * Finds cloudflared. Order: `--cloudflared PATH`, `CLOUDFLARED_BIN`, `PATH`, the `cloudflared` npm
 * package's binary (`node_modules/cloudflared/bin/cloudflared`), then the usual install locations.
 * A path the owner named that cannot be run is an error (a typo should not silently fall back);
 * nothing found anywhere is `null`. Only absolute `PATH` entries are searched.
 */
export async function findCloudflared(opts: FindCloudflaredOptions = {}): Promise<FoundCloudflared | null> {
  const platform = opts.platform ?? process.platform;
  const env = opts.env ?? process.env;
  const p = pathApi(platform);
  const cwd = opts.cwd ?? process.cwd();

  const named: [string | undefined, CloudflaredSource, string][] = [
    [opts.explicit, 'option', '--cloudflared'],
    [env.CLOUDFLARED_BIN, 'env', 'CLOUDFLARED_BIN'],
  ];
  for (const [value, source, label] of named) {
    if (value === undefined || value.trim() === '') continue;
    const file = p.resolve(cwd, value.trim());
    if (await isExecutableFile(file, platform)) return { path: file, source };
    throw new CloudflaredNotUsableError(`${label} ${value}: no executable file there. Point it at the cloudflared binary, or leave it out to look on PATH.`);
  }

  const pathVar = platform === 'win32' ? (env.Path ?? env.PATH ?? '') : (env.PATH ?? '');
  for (const dir of pathVar.split(p.delimiter)) {
    if (dir === '' || !p.isAbsolute(dir)) continue;
    for (const name of exeNames(platform, env)) {
      const file = p.join(dir, name);
      if (await isExecutableFile(file, platform)) return { path: file, source: 'path' };
    }
  }

  for (const file of npmCandidates(opts.packageRoots ?? defaultPackageRoots(), platform)) {
    if (await isExecutableFile(file, platform)) return { path: file, source: 'npm' };
  }

  for (const file of opts.installLocations ?? usualLocations(platform, env)) {
    if (await isExecutableFile(file, platform)) return { path: file, source: 'install-location' };
  }
  return null;
}

/** "found on PATH" etc., for the line the CLI prints. */
export function describeSource(source: CloudflaredSource): string {
  switch (source) {
    case 'option':
      return 'from --cloudflared';
    case 'env':
      return 'from CLOUDFLARED_BIN';
    case 'path':
      return 'found on PATH';
    case 'npm':
      return 'from the cloudflared npm package';
    case 'install-location':
      return 'found in a usual install location';
  }
}
