import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { TaskResponse } from '../../protocol/index.ts';

/**
 * What a program's setup depends on (docs/design.md, "Programs that need setup"): the `setup`
 * command, the `env`, and every program file that members do not edit. A change to any of them
 * runs setup again; a new champion (editable files only) does not.
 */
export function setupStamp(task: TaskResponse): string {
  const spec = task.program.spec;
  const hash = createHash('sha256');
  const part = (text: string) => hash.update(`${Buffer.byteLength(text)}:${text}`);
  part(spec.setup ?? '');
  for (const [name, value] of Object.entries(spec.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) part(`${name}=${value}`);
  const fixed = task.files.filter((f) => !spec.editable.includes(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of fixed) {
    part(f.path);
    part(f.content);
  }
  return hash.digest('hex');
}

const SetupRecord = z.object({ stamp: z.string(), home: z.string(), at: z.string(), seconds: z.number() });
type SetupRecord = z.infer<typeof SetupRecord>;

/**
 * Which program home setup filled, by device and inode: a home removed since (`cohort leave
 * --remove-home`, by hand) and made again is a new folder, without what setup put there.
 */
async function folderIdentity(dir: string): Promise<string | null> {
  try {
    const s = await lstat(dir);
    // With its birth time, so that a new folder that got the old one's inode back still differs.
    return s.isDirectory() ? `${s.dev}:${s.ino}:${s.birthtimeMs}` : null;
  } catch {
    return null;
  }
}

/** A record the worker cannot read is no record. */
function readRecord(text: string): SetupRecord | null {
  try {
    return SetupRecord.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

const recordFile = (stateDir: string) => join(stateDir, 'setup.json');

/** Why setup must run before the next run of this membership, or null when it has run for the program as it is now. */
export async function setupNeeded(task: TaskResponse, dirs: { home: string; state: string }): Promise<string | null> {
  if (task.program.spec.setup === undefined) return null;
  const text = await readFile(recordFile(dirs.state), 'utf8').catch(() => null);
  const last = text === null ? null : readRecord(text);
  if (last === null) return 'it has not run for this program yet';
  if (last.stamp !== setupStamp(task)) return 'the program\'s setup, env or fixed files changed since it last ran';
  if (last.home !== (await folderIdentity(dirs.home))) return 'the program home was removed since it last ran';
  return null;
}

/** Records a setup that succeeded (in the state folder: runs never see it). */
export async function recordSetup(task: TaskResponse, dirs: { home: string; state: string }, seconds: number): Promise<void> {
  const home = await folderIdentity(dirs.home);
  if (home === null) return;
  const record: SetupRecord = { stamp: setupStamp(task), home, at: new Date().toISOString(), seconds };
  await mkdir(dirs.state, { recursive: true, mode: 0o700 });
  const tmp = `${recordFile(dirs.state)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, recordFile(dirs.state));
}

/** Forgets that setup ran (a failed or stopped setup may have left half an environment). */
export async function forgetSetup(dirs: { state: string }): Promise<void> {
  await rm(recordFile(dirs.state), { force: true });
}
