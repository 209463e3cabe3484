import { open, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ServiceError } from '../errors.ts';

/**
 * One host per KB (issue 11, item 3): `kb.sqlite.lock` beside the KB, created with O_EXCL, holds the
 * pid of the host that has the KB open and, once it listens, its URLs. A second host of the same KB
 * refuses at once and names the first; a lock whose process is gone (a SIGKILLed host) is taken over.
 */
export const KbLockInfo = z.object({
  pid: z.number().int(),
  program: z.string(),
  startedAt: z.string(),
  publicUrl: z.string().nullable(),
  ownerUrl: z.string().nullable(),
});
export type KbLockInfo = z.infer<typeof KbLockInfo>;

/** Another host has this KB open. */
export class KbLockedError extends ServiceError {
  override name = 'KbLockedError';
  readonly holder: KbLockInfo;
  constructor(holder: KbLockInfo, message: string) {
    super('conflict', message);
    this.holder = holder;
  }
}

export const lockPathOf = (kbFile: string) => `${kbFile}.lock`;

/** Locks held by this process: a pid check cannot tell two hosts of one process apart. */
const heldHere = new Set<string>();

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<KbLockInfo | null> {
  try {
    const parsed = KbLockInfo.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function refusal(holder: KbLockInfo, kbFile: string): KbLockedError {
  const where = holder.publicUrl === null ? 'and is still starting' : `at ${holder.publicUrl}${holder.ownerUrl ? ` (owner API ${holder.ownerUrl})` : ''}`;
  return new KbLockedError(
    holder,
    `"${holder.program}" is already published by process ${holder.pid} ${where}, on ${kbFile} since ${holder.startedAt}. ` +
      `Stop that host first (Ctrl-C in its terminal, or kill ${holder.pid}), or talk to it: \`cohort status --program ${holder.program}\`.`,
  );
}

export interface KbLock {
  /** Records the host's URLs in the lock, for the refusal a second host prints. */
  update(urls: { publicUrl: string; ownerUrl: string }): Promise<void>;
  release(): Promise<void>;
}

/** Takes the KB's lock, or throws KbLockedError naming the host that holds it. */
export async function lockKb(kbFile: string, program: string): Promise<KbLock> {
  if (kbFile === ':memory:') return { update: async () => undefined, release: async () => undefined };
  const file = lockPathOf(kbFile);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let info: KbLockInfo = { pid: process.pid, program, startedAt: new Date().toISOString(), publicUrl: null, ownerUrl: null };
  if (heldHere.has(file)) throw refusal((await readLock(file)) ?? info, kbFile);
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(info)}\n`);
      } finally {
        await handle.close();
      }
      heldHere.add(file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = await readLock(file);
    if (holder === null) {
      // Created but not yet written by a host starting this instant: look again before calling it stale.
      await new Promise((r) => setTimeout(r, 100));
      holder = await readLock(file);
    }
    if (holder !== null && holder.pid !== process.pid && processAlive(holder.pid)) throw refusal(holder, kbFile);
    if (attempt >= 3) throw refusal(holder ?? info, kbFile); // another host keeps winning the race
    // Stale: its process is gone, or it is this pid's from an earlier life. Take it over.
    await rm(file, { force: true });
  }
  let released = false;
  return {
    async update(urls) {
      if (released) return;
      info = { ...info, ...urls };
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
      await rename(tmp, file);
    },
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      const holder = await readLock(file);
      if (holder === null || holder.pid === process.pid) await rm(file, { force: true });
    },
  };
}
