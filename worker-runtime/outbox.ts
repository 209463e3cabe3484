import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ResultVerdict} from '../protocol/index.ts';
import { SubmitResultRequest } from '../protocol/index.ts';
import { HostUnavailableError, NotAMemberError, RejectedError, type MemberClient } from './member-client.ts';

const Entry = z.object({
  key: z.string(),
  program: z.string(),
  createdAt: z.string(),
  body: SubmitResultRequest,
});
type Entry = z.infer<typeof Entry>;

export interface Delivered {
  key: string;
  verdict: ResultVerdict;
  replayed: boolean;
}

export interface OutboxOptions {
  /** First retry delay; doubles up to `maxDelayMs`, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Give up waiting (the entry stays in the outbox for next time) after this long; default: never. */
  deadlineMs?: number;
  onRetry?: (info: { key: string; attempt: number; delayMs: number; reason: string }) => void;
  signal?: AbortSignal;
}

/** Writes a file and its directory entry to disk before returning: the outbox must survive a crash. */
async function writeDurably(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    }, { once: true });
  });

/**
 * A result is written here before it is sent and removed only once the host acknowledged it.
 * Each entry has an idempotency key, so resending after a lost answer cannot create a second result.
 * A result the host refuses for good moves to `rejected/` with the reason, never silently dropped.
 */
export class Outbox {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async add(program: string, body: SubmitResultRequest): Promise<string> {
    const key = body.idempotency_key ?? randomUUID();
    const entry: Entry = { key, program, createdAt: new Date().toISOString(), body: { ...body, idempotency_key: key } };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Names sort by creation time so results are delivered in the order they were made.
    await writeDurably(this.dir, `${Date.now().toString().padStart(15, '0')}-${key}.json`, JSON.stringify(entry));
    return key;
  }

  async pending(): Promise<{ file: string; entry: Entry }[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch {
      return [];
    }
    const out: { file: string; entry: Entry }[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      const parsed = Entry.safeParse(JSON.parse(await readFile(file, 'utf8').catch(() => 'null')));
      if (parsed.success) out.push({ file, entry: parsed.data });
      else await this.#reject(file, 'unreadable outbox entry');
    }
    return out;
  }

  async #reject(file: string, reason: string): Promise<string> {
    const dir = join(this.dir, 'rejected');
    await mkdir(dir, { recursive: true });
    const to = join(dir, file.split(/[/\\]/).pop()!);
    await rename(file, to);
    await writeDurably(dir, `${to.split(/[/\\]/).pop()!}.reason.txt`, `${reason}\n`);
    return to;
  }

  /**
   * Sends every pending entry, oldest first, retrying with exponential backoff while the host is
   * unreachable. A revoked membership stops delivery (NotAMemberError); a refused entry is moved
   * aside and reported through `onRejected`.
   */
  async flush(client: MemberClient, opts: OutboxOptions & { onRejected?: (key: string, reason: string, movedTo: string) => void } = {}): Promise<Delivered[]> {
    const delivered: Delivered[] = [];
    for (const { file, entry } of await this.pending()) {
      const result = await this.#deliver(client, entry, opts);
      if ('rejected' in result) {
        opts.onRejected?.(entry.key, result.rejected, await this.#reject(file, result.rejected));
        continue;
      }
      await rm(file, { force: true });
      delivered.push(result);
    }
    return delivered;
  }

  async #deliver(client: MemberClient, entry: Entry, opts: OutboxOptions): Promise<Delivered | { rejected: string }> {
    const base = opts.baseDelayMs ?? 1_000;
    const max = opts.maxDelayMs ?? 60_000;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const { verdict, replayed } = await client.submit(entry.body);
        return { key: entry.key, verdict, replayed };
      } catch (err) {
        if (err instanceof NotAMemberError) throw err;
        if (err instanceof RejectedError) return { rejected: `${err.code}: ${err.message}` };
        if (!(err instanceof HostUnavailableError)) throw err;
        if (opts.deadlineMs !== undefined && Date.now() - started > opts.deadlineMs) throw err;
        const delayMs = Math.min(max, base * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
        opts.onRetry?.({ key: entry.key, attempt, delayMs, reason: err.message });
        await sleep(delayMs, opts.signal);
      }
    }
  }
}
