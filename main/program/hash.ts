import { createHash } from 'node:crypto';
import type { ProgramFile } from '../../protocol/task.ts';

/**
 * SHA-256 (hex) of a set of files, independent of their order. The encoding is JSON of sorted
 * [path, content] pairs, so no choice of names or contents can make two different sets collide
 * by concatenation. Used for the program's identity and for duplicate detection of editable files.
 */
export function hashFiles(files: readonly ProgramFile[]): string {
  const pairs = files.map((f) => [f.path, f.content] as const).toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex');
}
