import { createTwoFilesPatch, structuredPatch } from 'diff';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { TaskResponse } from '../../protocol/index.ts';
import { WorkerError } from '../credentials.ts';
import { checkHostFiles, type HostFileLimits } from './host-files.ts';
import { SafeDir, UnsafePathError } from './safe-dir.ts';

const State = z.object({
  program: z.string(),
  championId: z.string().nullable(),
  syncedAt: z.string(),
});
type State = z.infer<typeof State>;

/** The largest editable file the worker reads back (a patch of it goes to the host). */
const MAX_EDITABLE_BYTES = 8 * 1024 * 1024;
/** Files the worker writes and reads for a `--propose` command. */
export const KB_FILE = 'KB.md';
export const HYPOTHESIS_FILE = 'HYPOTHESIS.md';
/** Workspaces moved aside after tampering that are kept for the person to look at; older ones are deleted. */
const QUARANTINES_KEPT = 3;

export interface SyncReport {
  dir: string;
  championId: string | null;
  /** The champion changed since the last sync (or this is the first). */
  changed: boolean;
  /** Where local edits to editable files were kept before the new champion's code replaced them. */
  stashedTo: string | null;
  /** Set when the workspace held something the worker will not touch, and was moved aside and laid out again. */
  rebuilt: { problems: string[]; movedTo: string } | null;
}

/**
 * Something at a path the worker manages is not a regular file in a real folder: a link, a special
 * file, a folder where a file was. Whatever ran last in the workspace did it; its work is refused.
 */
export class WorkspaceTamperedError extends WorkerError {
  override name = 'WorkspaceTamperedError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`the workspace was tampered with: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** Runs a SafeDir call; its refusal becomes the workspace's. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnsafePathError) throw new WorkspaceTamperedError([err.message]);
    throw err;
  }
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/**
 * A worker's folder for one membership: the program's files with the current champion's code
 * applied. Everything in it is hostile once anything has run there, so every read and write goes
 * through SafeDir (no links followed, no special files opened), and the worker's own records (the
 * code it started from, stashes, run logs) live in a separate state folder that runs never see.
 * Generated data (e.g. `data/` from prepare.py) stays between syncs. Local edits to editable files
 * are never thrown away: when a new champion arrives they are copied to the state folder first.
 */
export class Workspace {
  readonly dir: string;
  readonly stateDir: string;
  readonly editable: readonly string[];
  readonly #files: SafeDir;

  constructor(dirs: { workspace: string; state: string }, editable: readonly string[]) {
    this.dir = resolve(dirs.workspace);
    this.stateDir = resolve(dirs.state);
    this.editable = editable;
    this.#files = new SafeDir(this.dir);
  }

  /** Where run logs go (outside the workspace, so a run cannot plant a link where the log is written). */
  get logsDir(): string {
    return join(this.stateDir, 'runs');
  }

  #base(path: string): string {
    return join(this.stateDir, 'base', ...path.split('/'));
  }

  async #readBase(path: string): Promise<string | null> {
    return readFile(this.#base(path), 'utf8').catch(() => null);
  }

  async state(): Promise<State | null> {
    const text = await readFile(join(this.stateDir, 'state.json'), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = State.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null; // a torn write: lay the workspace out again
    }
  }

  /** A file of the workspace as text, null when missing; anything but a regular file is refused. */
  async readFile(path: string, maxBytes = MAX_EDITABLE_BYTES): Promise<string | null> {
    const bytes = await guarded(() => this.#files.read(path, maxBytes));
    return bytes === null ? null : bytes.toString('utf8');
  }

  async writeFile(path: string, content: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await guarded(() => this.#files.write(path, content));
  }

  async removeFile(path: string): Promise<void> {
    await guarded(() => this.#files.remove(path));
  }

  /** The editable files that exist, by path. */
  async editableFiles(): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    for (const path of this.editable) {
      const content = await this.readFile(path);
      if (content !== null) files.set(path, content);
    }
    return files;
  }

  /** Editable files that differ from the champion code they started from. */
  async localEdits(): Promise<string[]> {
    const edited: string[] = [];
    for (const path of this.editable) if ((await this.readFile(path)) !== (await this.#readBase(path))) edited.push(path);
    return edited;
  }

  /**
   * What is wrong at the paths the worker manages for this task (the program's files, the editable
   * files, KB.md and HYPOTHESIS.md, and every folder on their way): each must be a regular file, or
   * missing. Empty when all is well.
   */
  async inspect(task: TaskResponse): Promise<string[]> {
    const problems: string[] = [];
    const managed = new Set([...task.files.map((f) => f.path), ...this.editable, KB_FILE, HYPOTHESIS_FILE]);
    for (const path of managed) {
      try {
        // Editable files are read as they will be for the patch (one link, bounded size); the rest need only be files.
        if (this.editable.includes(path)) await this.#files.read(path, MAX_EDITABLE_BYTES);
        else {
          const kind = await this.#files.kind(path);
          if (kind !== 'file' && kind !== 'missing') problems.push(`${path} is a ${kind}`);
        }
      } catch (err) {
        if (!(err instanceof UnsafePathError)) throw err;
        problems.push(err.message);
      }
    }
    return [...new Set(problems)];
  }

  /**
   * Moves the whole workspace into the state folder (renamed, never walked or followed), so the
   * next sync lays out a clean one; nothing in it is lost. Keeps the latest few such folders.
   */
  async quarantine(): Promise<string> {
    const dir = join(this.stateDir, 'quarantine');
    await mkdir(dir, { recursive: true });
    const to = join(dir, stamp());
    // Moving a folder to another parent needs write permission on it (its `..` changes), which a run may have taken away.
    if ((await lstat(this.dir)).isDirectory()) await chmod(this.dir, 0o700);
    await rename(this.dir, to);
    // The next sync must lay out everything, editable files too.
    await rm(join(this.stateDir, 'state.json'), { force: true });
    // fs.rm does not follow links inside what it deletes; only the worker's own old copies go, as far as their permissions allow.
    const old = (await readdir(dir)).sort().slice(0, -QUARANTINES_KEPT);
    for (const name of old) await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    return to;
  }

  /**
   * Brings the workspace to the host's current champion. The host's files are checked first (a
   * refusal leaves everything as it was); a workspace that holds something the worker will not
   * touch is moved aside and laid out anew.
   */
  async sync(task: TaskResponse, limits?: HostFileLimits): Promise<SyncReport> {
    checkHostFiles(task.files, this.editable, limits);
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await mkdir(this.dir, { recursive: true });
    let rebuilt: SyncReport['rebuilt'] = null;
    const problems = await this.inspect(task);
    if (problems.length > 0) rebuilt = { problems, movedTo: await this.quarantine() };
    const before = rebuilt ? null : await this.state();
    const championId = task.champion?.id ?? null;
    const changed = before === null || before.championId !== championId;
    const incoming = new Map(task.files.map((f) => [f.path, f.content]));

    // An edit that equals the incoming code (say, the member's own change just became champion)
    // loses nothing; only real divergences are stashed, also when the worker has no record of the
    // code they started from (a first sync over an older workspace).
    let stashedTo: string | null = null;
    if (changed && !rebuilt) {
      const edited = new Map<string, string>();
      for (const [path, now] of await this.editableFiles()) {
        const base = before === null ? null : await this.#readBase(path);
        if (now !== base && now !== (incoming.get(path) ?? null)) edited.set(path, now);
      }
      if (edited.size > 0) {
        stashedTo = join(this.stateDir, 'stash', `${stamp()}-from-${before?.championId ?? 'original'}`);
        for (const [path, content] of edited) {
          const to = join(stashedTo, ...path.split('/'));
          await mkdir(dirname(to), { recursive: true });
          await writeFile(to, content);
        }
      }
    }

    for (const file of task.files) {
      // Editable files are the member's to change between champions; everything else is refreshed.
      if (!changed && this.editable.includes(file.path)) continue;
      await this.writeFile(file.path, file.content);
    }
    if (changed) {
      await rm(join(this.stateDir, 'base'), { recursive: true, force: true });
      for (const file of task.files.filter((f) => this.editable.includes(f.path))) {
        await mkdir(dirname(this.#base(file.path)), { recursive: true });
        await writeFile(this.#base(file.path), file.content);
      }
    }
    const state: State = { program: task.program.spec.name, championId, syncedAt: new Date().toISOString() };
    await writeFile(join(this.stateDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    return { dir: this.dir, championId, changed, stashedTo, rebuilt };
  }

  /** Unified diff of the editable files against the champion they started from ('' when unchanged). */
  async diff(): Promise<string> {
    const parts: string[] = [];
    for (const path of this.editable) {
      const [base, now] = [await this.#readBase(path), await this.readFile(path)];
      if (base === now) continue;
      const from = base === null ? '/dev/null' : `a/${path}`;
      const to = now === null ? '/dev/null' : `b/${path}`;
      if (structuredPatch(from, to, base ?? '', now ?? '').hunks.length === 0) continue;
      // Drop the "=====" banner jsdiff puts first, so the patch reads like `git diff`.
      parts.push(createTwoFilesPatch(from, to, base ?? '', now ?? '').replace(/^=+\n/, ''));
    }
    return parts.join('');
  }

  /** Puts the editable files back to `files` (as `editableFiles` read them): missing ones are removed. */
  async restore(files: ReadonlyMap<string, string>): Promise<void> {
    for (const path of this.editable) {
      const content = files.get(path);
      if (content === undefined) await this.removeFile(path);
      else await this.writeFile(path, content);
    }
  }

  /** Puts the champion's code back (after a run that edited files). */
  async reset(): Promise<void> {
    for (const path of this.editable) {
      const base = await this.#readBase(path);
      if (base === null) await this.removeFile(path);
      else await this.writeFile(path, base);
    }
  }
}
