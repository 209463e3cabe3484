import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { ResultVerdict, SubmitResultRequest } from '../protocol/index.ts';
import { RejectedError, type MemberClient } from './member-client.ts';
import { normaliseHostUrl } from './membership-id.ts';
import { retrying, retryPolicy } from './session/retry.ts';

/**
 * An outbox entry. Loose on purpose (docs/worker.md, "The outbox"): an entry a newer worker wrote may
 * carry fields this one does not know, at the top and in its body; they are kept and the body is sent
 * as it is, for the host to judge (it names the fields it ignores in its answer's warnings).
 */
const Entry = z.looseObject({
  key: z.string(),
  program: z.string(),
  /** The host and membership the result was made for (absent in entries an older Cohort wrote: those belong to the folder's membership). */
  url: z.string().optional(),
  membership: z.string().optional(),
  createdAt: z.string(),
  body: z.looseObject({ idempotency_key: z.string().optional() }),
});
type Entry = z.infer<typeof Entry>;

/** One entry as `cohort outbox` lists it: waiting to be sent, or refused and kept in `rejected/` with why. */
export interface OutboxItem {
  state: 'pending' | 'rejected';
  /** The idempotency key, or the file's name when the file is not a readable entry. */
  key: string;
  file: string;
  createdAt: string | null;
  value: number | null;
  /** Why it was refused or moved aside (rejected entries only). */
  reason: string | null;
}

/** The membership a result is made for: it goes to this host and no other. */
export interface OutboxOwner {
  id: string;
  url: string;
  program: string;
}

export interface Delivered {
  key: string;
  verdict: ResultVerdict;
  replayed: boolean;
  /** The hypothesis it was submitted with ('' when none), for the views that list submissions. */
  hypothesis: string;
  /** What the host ignored of the result (fields it does not know). */
  warnings: string[];
}

export interface OutboxOptions {
  /** First retry delay; doubles up to `maxDelayMs`, with jitter (session/retry.ts: the policy of every host call). */
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

function sameHost(a: string, b: string): boolean {
  try {
    return normaliseHostUrl(a) === normaliseHostUrl(b);
  } catch {
    return false;
  }
}

/** The entry files of a folder, oldest first (names start with the time they were made); none when it is missing. */
async function entryNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** An entry, or why the file is not one (naming it: the person may want to look, or to delete it). */
async function readEntry(file: string): Promise<{ entry: Entry } | { reason: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { reason: `unreadable: the outbox entry ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it was not sent` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { reason: `corrupt: the outbox entry ${file} is not valid JSON (${(err as Error).message}; perhaps cut short by a crash); it was not sent and cannot be: look at it, then delete it` };
  }
  const parsed = Entry.safeParse(json);
  if (parsed.success) return { entry: parsed.data };
  const issues = parsed.error.issues.slice(0, 3).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  return { reason: `corrupt: the outbox entry ${file} is not a Cohort result (${issues.join('; ')}); it was not sent; fix it by hand and move it back, or delete it` };
}

/**
 * A result is written here before it is sent and removed only once the host acknowledged it.
 * Each entry has an idempotency key, so resending after a lost answer cannot create a second result.
 * A result the host refuses for good moves to `rejected/` with the reason, never silently dropped;
 * so does an entry that cannot be read, and one made for another host or membership (never sent).
 */
export class Outbox {
  readonly dir: string;
  readonly #owner: OutboxOwner | undefined;

  /** `owner`: the membership whose outbox this is; entries recorded for another one are not sent. */
  constructor(dir: string, owner?: OutboxOwner) {
    this.dir = dir;
    this.#owner = owner;
  }

  async add(membership: OutboxOwner, body: SubmitResultRequest): Promise<string> {
    const key = body.idempotency_key ?? randomUUID();
    const entry: Entry = {
      key,
      program: membership.program,
      url: membership.url,
      membership: membership.id,
      createdAt: new Date().toISOString(),
      body: { ...body, idempotency_key: key },
    };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Names sort by creation time so results are delivered in the order they were made.
    await writeDurably(this.dir, `${Date.now().toString().padStart(15, '0')}-${key}.json`, JSON.stringify(entry));
    return key;
  }

  /** The entries waiting to be sent, oldest first; those that cannot be read are left for `flush` to move aside. */
  async pending(): Promise<{ file: string; entry: Entry }[]> {
    return (await this.#scan()).good;
  }

  async #scan(): Promise<{ good: { file: string; entry: Entry }[]; bad: { file: string; reason: string }[] }> {
    const good: { file: string; entry: Entry }[] = [];
    const bad: { file: string; reason: string }[] = [];
    for (const name of await entryNames(this.dir)) {
      const file = join(this.dir, name);
      const read = await readEntry(file);
      if ('entry' in read) good.push({ file, entry: read.entry });
      else bad.push({ file, reason: read.reason });
    }
    return { good, bad };
  }

  /** Where it moved to; the file's own path when it could not be moved (the next flush tries again). */
  async #reject(file: string, reason: string): Promise<string> {
    const dir = join(this.dir, 'rejected');
    const to = join(dir, basename(file));
    try {
      await mkdir(dir, { recursive: true });
      await rename(file, to);
    } catch {
      return file;
    }
    await writeDurably(dir, `${basename(to)}.reason.txt`, `${reason}\n`).catch(() => undefined);
    return to;
  }

  /** Pending entries, oldest first, then those in `rejected/` with their reasons (`cohort outbox`). */
  async list(): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    const rejectedDir = join(this.dir, 'rejected');
    for (const [state, dir] of [['pending', this.dir], ['rejected', rejectedDir]] as const) {
      for (const name of await entryNames(dir)) {
        const file = join(dir, name);
        const read = await readEntry(file);
        const reason = state === 'rejected' ? await readFile(`${file}.reason.txt`, 'utf8').then((t) => t.trim(), () => null) : null;
        const value = 'entry' in read && typeof read.entry.body['value'] === 'number' ? read.entry.body['value'] : null;
        items.push({
          state,
          key: 'entry' in read ? read.entry.key : name,
          file,
          createdAt: 'entry' in read ? read.entry.createdAt : null,
          value,
          reason: reason ?? ('reason' in read ? read.reason : null),
        });
      }
    }
    return items;
  }

  /**
   * Moves refused entries back to be sent (`cohort outbox resend`): the one whose key (or file name)
   * is `key`, or all of them. Returns the keys moved; the caller then delivers them (`flush`).
   */
  async resend(key?: string): Promise<string[]> {
    const moved: string[] = [];
    for (const item of await this.list()) {
      if (item.state !== 'rejected' || (key !== undefined && item.key !== key && basename(item.file) !== key)) continue;
      await rename(item.file, join(this.dir, basename(item.file)));
      await rm(`${item.file}.reason.txt`, { force: true });
      moved.push(item.key);
    }
    return moved;
  }

  /** Why an entry must not go to this client's host, or null when it may. */
  #wrongDestination(entry: Entry, client: MemberClient): string | null {
    const made = `made for ${entry.membership ?? entry.program} at ${entry.url ?? '?'}`;
    const fix = 'it was not sent. To deliver it, move it into the outbox folder of that membership (`cohort programs` lists them) and run that membership';
    // A membership re-pointed to a new URL (cohort join NEW_URL) keeps its id: its results follow it.
    const repointed = this.#owner !== undefined && entry.membership === this.#owner.id;
    if (entry.url !== undefined && !repointed && !sameHost(entry.url, client.url)) return `wrong_host: this result was ${made}, not for ${client.url}; ${fix}.`;
    const owner = this.#owner;
    if (owner !== undefined && entry.membership !== undefined && entry.membership !== owner.id) return `wrong_membership: this result was ${made}, not for ${owner.id}; ${fix}.`;
    return null;
  }

  /**
   * Sends every pending entry, oldest first, retrying with exponential backoff while the host is
   * unreachable (stopping through `signal` throws the last HostUnavailableError; the entry stays for
   * next time). A revoked membership stops delivery (NotAMemberError); a refused entry, an unreadable
   * one and one made for another host or membership are moved aside and reported through `onRejected`
   * (`key` is the file's name when the entry could not be read).
   */
  async flush(client: MemberClient, opts: OutboxOptions & { onRejected?: (key: string, reason: string, movedTo: string) => void } = {}): Promise<Delivered[]> {
    const delivered: Delivered[] = [];
    const { good, bad } = await this.#scan();
    // One bad entry must not hold up the others: it is moved aside and reported, and delivery goes on.
    // (The move is awaited first: `onRejected?.(…, await move)` would skip the move when nobody listens.)
    for (const { file, reason } of bad) {
      const movedTo = await this.#reject(file, reason);
      opts.onRejected?.(basename(file), reason, movedTo);
    }
    for (const { file, entry } of good) {
      const wrong = this.#wrongDestination(entry, client);
      if (wrong !== null) {
        const movedTo = await this.#reject(file, wrong);
        opts.onRejected?.(entry.key, wrong, movedTo);
        continue;
      }
      const result = await this.#deliver(client, entry, opts);
      if ('rejected' in result) {
        const movedTo = await this.#reject(file, result.rejected);
        opts.onRejected?.(entry.key, result.rejected, movedTo);
        continue;
      }
      await rm(file, { force: true });
      delivered.push(result);
    }
    return delivered;
  }

  async #deliver(client: MemberClient, entry: Entry, opts: OutboxOptions): Promise<Delivered | { rejected: string }> {
    try {
      const { verdict, replayed, warnings } = await retrying(() => client.submit(entry.body), {
        policy: retryPolicy(opts),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
        onRetry: (r) => opts.onRetry?.({ key: entry.key, ...r }),
      });
      // The body is kept as written (maybe by another version), so its hypothesis is read, not assumed.
      const hypothesis = typeof entry.body['hypothesis'] === 'string' ? entry.body['hypothesis'] : '';
      return { key: entry.key, verdict, replayed, hypothesis, warnings };
    } catch (err) {
      if (err instanceof RejectedError) return { rejected: `${err.code}: ${err.message}` };
      throw err;
    }
  }
}
