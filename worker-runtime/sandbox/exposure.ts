import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { outermost, within } from './paths.ts';

export interface ExposureInput {
  /** The run's PATH. */
  path: string | undefined;
  /** Folders the sandbox replaces with empty ones (/tmp, /home, $HOME, …). */
  hidden: readonly string[];
  /** Never exposed, nor any folder that holds them: the Cohort config and data folders. */
  protect: readonly string[];
  /** The home folders: never exposed whole, nor `~/.local` (it holds other programs' data). */
  homes: readonly string[];
}

const BIN_NAMES = new Set(['bin', 'sbin', 'shims', 'Scripts']);
const PYTHON = /^python(\d+(\.\d+)?)?$/;

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function hasPythonLib(lib: string): boolean {
  try {
    return readdirSync(lib).some((n) => /^python\d/.test(n));
  } catch {
    return false;
  }
}

/** A Python installation or environment: a venv, a conda env, a pyenv root, or a prefix with lib/pythonX. */
function looksLikePrefix(p: string): boolean {
  return existsSync(join(p, 'pyvenv.cfg')) || existsSync(join(p, 'conda-meta')) || existsSync(join(p, 'libexec', 'pyenv')) || hasPythonLib(join(p, 'lib'));
}

/** The `home` of a venv's pyvenv.cfg: the bin folder of the interpreter it was made from. */
function venvHome(prefix: string): string | null {
  try {
    const m = /^\s*home\s*=\s*(.+?)\s*$/m.exec(readFileSync(join(prefix, 'pyvenv.cfg'), 'utf8'));
    return m?.[1] && isAbsolute(m[1]) ? m[1] : null;
  } catch {
    return null;
  }
}

/**
 * The folders a sandboxed run must still read although the sandbox hides what holds them, so that
 * the commands on its PATH keep working: each PATH entry under a hidden folder (a `python3` shim in
 * /tmp, `~/.local/bin`, a venv in the home folder), widened to its installation prefix when it is a
 * Python installation (a venv, a conda env, pyenv's root, so that its `lib/` comes along), plus the
 * folders the Python interpreters there link to, the interpreter a venv was made from, and the user
 * site-packages (`~/.local/lib/pythonX.Y`). All of them are bound read-only. A home folder itself, a
 * folder that holds a Cohort folder, and `~/.local` are never exposed whole.
 */
export function exposedForPath(input: ExposureInput): string[] {
  const homes = input.homes.map((h) => resolve(h));
  const hidden = (p: string) => input.hidden.some((h) => within(p, h));
  const allowed = (p: string) =>
    p !== '/' &&
    !input.protect.some((x) => within(resolve(x), p)) &&
    !homes.some((h) => within(h, p) || p === join(h, '.local'));

  const out = new Set<string>();
  const queue = (input.path ?? '').split(delimiter).filter((d) => d !== '' && isAbsolute(d)).map((d) => resolve(d));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const dir = queue.shift()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    if (!hidden(dir) || !isDir(dir) || !allowed(dir)) continue;
    const prefix = dirname(dir);
    if (BIN_NAMES.has(basename(dir)) && allowed(prefix) && looksLikePrefix(prefix)) {
      out.add(prefix);
      const home = venvHome(prefix);
      if (home) queue.push(resolve(home));
    } else {
      out.add(dir);
      if (BIN_NAMES.has(basename(dir)) && hasPythonLib(join(prefix, 'lib')) && allowed(join(prefix, 'lib'))) out.add(join(prefix, 'lib'));
    }
    // Interpreters that link elsewhere (a venv's python → the one it was made from).
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => PYTHON.test(n));
    } catch {
      // unreadable: nothing more to follow
    }
    for (const name of names) {
      try {
        if (lstatSync(join(dir, name)).isSymbolicLink()) queue.push(dirname(realpathSync(join(dir, name))));
      } catch {
        // a dangling link: nothing to expose
      }
    }
  }
  for (const home of homes) {
    const userSite = join(home, '.local', 'lib');
    if (hidden(userSite) && hasPythonLib(userSite) && allowed(userSite)) out.add(userSite);
  }
  return outermost(out);
}
