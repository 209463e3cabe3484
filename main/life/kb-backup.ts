import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { ServiceError } from '../errors.ts';

/** All pages in one step: the copy is one read transaction of the source, so a consistent snapshot. */
const ALL_PAGES = 2 ** 31 - 1;

export interface BackupDone {
  file: string;
  results: number;
  members: number;
}

/**
 * A consistent copy of a KB while its host runs (SQLite's online backup API through node:sqlite's
 * `backup()`). WAL lets this reader copy the last committed state while the host goes on writing;
 * copying every page in one step keeps it one snapshot (a step-wise copy would restart on each
 * write). The copy is then opened and checked.
 */
export async function backupKb(kbFile: string, to: string): Promise<BackupDone> {
  if (!existsSync(kbFile)) throw new ServiceError('not_found', `There is no KB at ${kbFile} to back up.`);
  if (existsSync(to)) throw new ServiceError('conflict', `${to} exists already; name another file with --to.`);
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  const source = new DatabaseSync(kbFile, { timeout: 5_000 });
  try {
    await backup(source, to, { rate: ALL_PAGES });
  } catch (err) {
    await rm(to, { force: true });
    throw err;
  } finally {
    source.close();
  }
  const copy = new DatabaseSync(to);
  try {
    const check = copy.prepare('PRAGMA quick_check').get() as { quick_check?: unknown } | undefined;
    if (check?.quick_check !== 'ok') throw new ServiceError('internal_error', `The backup ${to} does not pass SQLite's check (${String(check?.quick_check)}); it was kept for inspection.`);
    const count = (table: string) => Number((copy.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: unknown }).n);
    return { file: to, results: count('results'), members: count('members') };
  } finally {
    copy.close();
  }
}
