import { open, stat } from 'node:fs/promises';
import { ServiceError } from '../errors.ts';

/**
 * KB integrity (issue 11, item 5): a KB file that exists but is empty, truncated, not SQLite or
 * another program's is refused before anything opens it, so history is never replaced by an empty
 * KB and a damaged file never ends in a stack trace. A missing file is a fresh program, unless
 * kb-history.ts knows it held results.
 */
export class KbIntegrityError extends ServiceError {
  override name = 'KbIntegrityError';
  constructor(message: string) {
    super('conflict', message);
  }
}

/** The 16 bytes every SQLite 3 database starts with (sqlite.org/fileformat.html §1.3). */
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function restoreHint(kbFile: string): string {
  return (
    `Nothing was changed. To restore: stop the host, move ${kbFile} (and any ${kbFile}-wal, ${kbFile}-shm) aside, copy your latest backup ` +
    `(\`cohort backup\` makes one) to ${kbFile}, and publish again. To start this program afresh instead, losing its results and members, move the file away.`
  );
}

/**
 * Throws KbIntegrityError when `kbFile` exists and cannot be this program's KB. Says whether it
 * exists: a missing file is a fresh program unless its history says otherwise (kb-history.ts).
 */
export async function checkKbFile(kbFile: string): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(kbFile)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (size === 0) throw new KbIntegrityError(`The KB ${kbFile} is empty (0 bytes): its history is gone, and Cohort will not start it as a new, empty KB. ${restoreHint(kbFile)}`);
  const header = Buffer.alloc(100);
  const handle = await open(kbFile, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await handle.read(header, 0, 100, 0));
  } finally {
    await handle.close();
  }
  if (read < 100 || !header.subarray(0, 16).equals(MAGIC)) {
    throw new KbIntegrityError(`The KB ${kbFile} is not a SQLite database (${read < 100 ? `only ${size} bytes` : 'its header is wrong'}): it is damaged or was overwritten. ${restoreHint(kbFile)}`);
  }
  // Page size at offset 16 (1 means 65536), page count at 28, valid when the change counter at 24
  // equals "version-valid-for" at 92 (fileformat.html §1.3.7); a shorter file was truncated.
  const rawPage = header.readUInt16BE(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  const pages = header.readUInt32BE(28);
  if (header.readUInt32BE(24) === header.readUInt32BE(92) && pages > 0 && size < pages * pageSize) {
    throw new KbIntegrityError(`The KB ${kbFile} is truncated: ${size} bytes where its header says ${pages * pageSize}. ${restoreHint(kbFile)}`);
  }
  return true;
}

/** SQLite's "corrupt" and "not a database" result codes (sqlite.org/rescode.html): 11, 26. */
export function isCorruption(err: unknown): boolean {
  const e = err as { errcode?: unknown; message?: unknown };
  const code = typeof e.errcode === 'number' ? e.errcode & 0xff : -1;
  return code === 11 || code === 26 || (typeof e.message === 'string' && /malformed|not a database|file is encrypted/i.test(e.message));
}

/** The KB's own identity in its meta table: which program wrote it. */
export function foreignKb(kbFile: string, found: string, program: string): KbIntegrityError {
  return new KbIntegrityError(`The KB ${kbFile} belongs to the program "${found}", not "${program}". ${restoreHint(kbFile)}`);
}

export function damagedKb(kbFile: string, err: unknown): KbIntegrityError {
  return new KbIntegrityError(`The KB ${kbFile} is damaged (${(err as Error).message}). ${restoreHint(kbFile)}`);
}
