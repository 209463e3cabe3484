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

const SetupRecord = z.object({ stamp: z.string(), workspace: z.string(), at: z.string(), seconds: z.number() });
type SetupRecord = z.infer<typeof SetupRecord>;

/**
 * Which workspace setup ran in, by device and inode: a workspace moved aside and laid out again
 * (quarantined after a run left links in it) is a new folder, and whatever setup made in the old
 * one (a virtual environment, say) went with it.
 */
async function workspaceIdentity(dir: string): Promise<string | null> {
  try {
    const s = await lstat(dir);
    return s.isDirectory() ? `${s.dev}:${s.ino}` : null;
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

/** Why setup must run before the next run in this workspace, or null when it has run for this program. */
export async function setupNeeded(task: TaskResponse, dirs: { workspace: string; state: string }): Promise<string | null> {
  if (task.program.spec.setup === undefined) return null;
  const text = await readFile(recordFile(dirs.state), 'utf8').catch(() => null);
  const last = text === null ? null : readRecord(text);
  if (last === null) return 'it has not run in this workspace yet';
  if (last.stamp !== setupStamp(task)) return 'the program\'s setup, env or fixed files changed since it last ran';
  if (last.workspace !== (await workspaceIdentity(dirs.workspace))) return 'the workspace was laid out anew since it last ran';
  return null;
}

/** Records a setup that succeeded (in the state folder: runs never see it). */
export async function recordSetup(task: TaskResponse, dirs: { workspace: string; state: string }, seconds: number): Promise<void> {
  const workspace = await workspaceIdentity(dirs.workspace);
  if (workspace === null) return;
  const record: SetupRecord = { stamp: setupStamp(task), workspace, at: new Date().toISOString(), seconds };
  await mkdir(dirs.state, { recursive: true, mode: 0o700 });
  const tmp = `${recordFile(dirs.state)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, recordFile(dirs.state));
}

/** Forgets that setup ran (a failed or stopped setup may have left half an environment). */
export async function forgetSetup(dirs: { state: string }): Promise<void> {
  await rm(recordFile(dirs.state), { force: true });
}
