import { createTwoFilesPatch, structuredPatch } from 'diff';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { ProgramFile, TaskResponse } from '../protocol/index.ts';

const State = z.object({
  program: z.string(),
  championId: z.string().nullable(),
  syncedAt: z.string(),
});
type State = z.infer<typeof State>;

export interface SyncReport {
  dir: string;
  championId: string | null;
  /** The champion changed since the last sync (or this is the first). */
  changed: boolean;
  /** Where local edits to editable files were kept before the new champion's code replaced them. */
  stashedTo: string | null;
}

/** One path inside the workspace; the host validated them, but a worker does not write outside on anyone's word. */
function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (!full.startsWith(root + sep)) throw new Error(`refusing to write ${path}: outside the workspace`);
  return full;
}

async function readOr(path: string, fallback: string | null): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * A worker's folder for one program: the program's files with the current champion's code applied,
 * plus `.cohort/` (the champion code the member started from, stashes, run logs). Generated data
 * (e.g. `data/` from prepare.py) stays between syncs. Local edits to editable files are never thrown
 * away: when a new champion arrives they are copied to `.cohort/stash/…` first.
 */
export class Workspace {
  readonly dir: string;
  readonly editable: readonly string[];

  constructor(dir: string, editable: readonly string[]) {
    this.dir = resolve(dir);
    this.editable = editable;
  }

  get metaDir(): string {
    return join(this.dir, '.cohort');
  }

  #base(path: string): string {
    return inside(join(this.metaDir, 'base'), path);
  }

  async state(): Promise<State | null> {
    const text = await readOr(join(this.metaDir, 'state.json'), null);
    if (text === null) return null;
    const parsed = State.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  }

  /** Editable files that differ from the champion code they started from. */
  async localEdits(): Promise<string[]> {
    const edited: string[] = [];
    for (const path of this.editable) {
      const [now, base] = await Promise.all([readOr(inside(this.dir, path), null), readOr(this.#base(path), null)]);
      if (now !== base) edited.push(path);
    }
    return edited;
  }

  /** Brings the workspace to the host's current champion. */
  async sync(task: TaskResponse): Promise<SyncReport> {
    await mkdir(this.metaDir, { recursive: true });
    const before = await this.state();
    const championId = task.champion?.id ?? null;
    const changed = before === null || before.championId !== championId;
    let stashedTo: string | null = null;

    if (before !== null && changed) {
      // An edit that equals the incoming code (say, the member's own change just became champion)
      // loses nothing; only real divergences are stashed.
      const incoming = new Map(task.files.map((f) => [f.path, f.content]));
      const edited: string[] = [];
      for (const path of await this.localEdits()) {
        if ((await readOr(inside(this.dir, path), null)) !== (incoming.get(path) ?? null)) edited.push(path);
      }
      if (edited.length > 0) {
        stashedTo = join(this.metaDir, 'stash', `${new Date().toISOString().replace(/[:.]/g, '-')}-from-${before.championId ?? 'original'}`);
        for (const path of edited) {
          const from = inside(this.dir, path);
          const to = inside(stashedTo, path);
          await mkdir(dirname(to), { recursive: true });
          await cp(from, to).catch(() => undefined);
        }
      }
    }

    for (const file of task.files) {
      // Editable files are the member's to change between champions; everything else is refreshed.
      if (!changed && this.editable.includes(file.path)) continue;
      await this.#write(inside(this.dir, file.path), file.content);
    }
    if (changed) {
      await rm(join(this.metaDir, 'base'), { recursive: true, force: true });
      for (const file of task.files.filter((f: ProgramFile) => this.editable.includes(f.path))) await this.#write(this.#base(file.path), file.content);
    }
    const state: State = { program: task.program.spec.name, championId, syncedAt: new Date().toISOString() };
    await writeFile(join(this.metaDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    return { dir: this.dir, championId, changed, stashedTo };
  }

  async #write(path: string, content: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }

  /** Unified diff of the editable files against the champion they started from ('' when unchanged). */
  async diff(): Promise<string> {
    const parts: string[] = [];
    for (const path of this.editable) {
      const [base, now] = await Promise.all([readOr(this.#base(path), null), readOr(inside(this.dir, path), null)]);
      if (base === now) continue;
      const from = base === null ? '/dev/null' : `a/${path}`;
      const to = now === null ? '/dev/null' : `b/${path}`;
      if (structuredPatch(from, to, base ?? '', now ?? '').hunks.length === 0) continue;
      // Drop the "=====" banner jsdiff puts first, so the patch reads like `git diff`.
      parts.push(createTwoFilesPatch(from, to, base ?? '', now ?? '').replace(/^=+\n/, ''));
    }
    return parts.join('');
  }

  /** Puts the champion's code back (after a run that edited files). */
  async reset(): Promise<void> {
    for (const path of this.editable) {
      const base = await readOr(this.#base(path), null);
      if (base === null) await rm(inside(this.dir, path), { force: true });
      else await this.#write(inside(this.dir, path), base);
    }
  }
}
