import { readFile, rename, writeFile } from 'node:fs/promises';
import { KbIntegrityError } from './kb-integrity.ts';

/**
 * What a program's KB held when its host last ran, in a small file beside it (`kb.sqlite.history`).
 * The KB file cannot say that it is missing: without this, a deleted `kb.sqlite` started a new,
 * empty KB, and every result and membership was gone without a word (issue 11, item 5). With it,
 * a host whose KB had history refuses to start without it and says how to restore it.
 */
export interface KbHistory {
  program: string;
  results: number;
  members: number;
  /** ISO time of the last write. */
  at: string;
}

export const historyPath = (kbFile: string): string => `${kbFile}.history`;

async function readHistory(kbFile: string): Promise<KbHistory | null> {
  let text: string;
  try {
    text = await readFile(historyPath(kbFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<KbHistory>;
    const count = (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0);
    return { program: String(v.program ?? ''), results: count(v.results), members: count(v.members), at: String(v.at ?? '') };
  } catch {
    // Unreadable: say nothing rather than refuse on a guess; the next start rewrites it.
    return null;
  }
}

/** Refuses a missing KB whose history says it held results or members. */
export async function checkKbNotLost(kbFile: string, kbExists: boolean): Promise<void> {
  if (kbExists) return;
  const history = await readHistory(kbFile);
  if (!history || (history.results === 0 && history.members === 0)) return;
  throw new KbIntegrityError(
    `The KB ${kbFile} is missing, but when this program's host last ran (${history.at}) it held ${history.results} result(s) and ` +
      `${history.members} member(s); Cohort will not start it as a new, empty KB. Nothing was changed. To restore: copy your latest ` +
      `backup (\`cohort backup\` makes one) to ${kbFile} and publish again. To start this program afresh instead, losing its results and ` +
      `members, move ${historyPath(kbFile)} away.`,
  );
}

/** Records what the KB holds now (written to a temporary file, then renamed into place). */
export async function recordKbHistory(kbFile: string, history: Omit<KbHistory, 'at'>, now = Date.now()): Promise<void> {
  const path = historyPath(kbFile);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ ...history, at: new Date(now).toISOString() })}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
