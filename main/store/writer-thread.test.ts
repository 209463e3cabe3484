import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRefusedAfterFailure, REFUSED_AFTER_FAILURE, type NewResult } from './kb-store.ts';
import { SqliteKbStore } from './sqlite-store.ts';
import { HOST_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.ts';
import { WriterThread } from './writer-thread.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-wal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withMember(store: SqliteKbStore): Promise<string> {
  const at = Date.now();
  await store.insertJoinRequest({
    id: 'jr1', deviceCodeHash: 'dc1', userCode: 'AAAA-BBBB', status: 'approved', clientId: 'cohort-worker', name: 'ada', hostname: 'h', os: 'linux',
    gpu: 'cpu', appVersion: '0.1.0', ip: '127.0.0.1', createdAt: at, expiresAt: at + 60_000, interval: 5, lastPollAt: null, decidedAt: at, memberId: null,
  });
  await store.consumeJoinRequest('jr1', { id: 'm1', name: 'ada', hostname: 'h', os: 'linux', gpu: 'cpu', appVersion: '0.1.0', ip: '127.0.0.1', tokenHash: 't1', joinRequestId: 'jr1', joinedAt: at, revokedAt: null });
  return 'm1';
}

/** `n` results of ~8 KiB each (two or three pages apiece), numbered from `from`. */
function batch(member: string, from: number, n: number): NewResult[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = from + i;
    return {
      seq, id: `r${seq}`, memberId: member, value: 1 + seq / 1e6, status: 'discard' as const, impact: 0, champion: false, duplicateOf: null, reason: '',
      hypothesis: `h${seq}`, patch: '', parent: null, codeHash: `c${seq}`, output: `${seq} `.padEnd(8192, 'x'), hardware: {}, durations: {},
      idempotencyKey: null, createdAt: seq, files: null,
    };
  });
}

const walBytes = async (file: string): Promise<number> => (await stat(`${file}-wal`).catch(() => ({ size: 0 }))).size;

describe('writes off the event loop: the writer thread and the checkpointer', () => {
  it('writes results durably and checkpoints after its own commits, so the WAL stays small while far more than it is written', async () => {
    const file = join(dir, 'kb.sqlite');
    const store = SqliteKbStore.open(file);
    const member = await withMember(store);
    let seq = 1;
    let highWater = 0;
    // 300 commits of 40 results: ~100 MiB through the WAL, ten times the committing connection's
    // own fallback (HOST_AUTOCHECKPOINT_PAGES), as a host under load writes it: a batch per turn.
    for (let i = 0; i < 300; i++) {
      await store.appendResults(batch(member, seq, 40));
      seq += 40;
      highWater = Math.max(highWater, await walBytes(file));
      await new Promise((r) => setTimeout(r, 2));
    }
    const report = await store.checkpointer!.checkpoint();
    expect(report.checkpointed).toBe(report.log); // everything written is in the database file
    // The writer's own checkpoint every 1 000 pages (4 MiB) starts the WAL over (plus one batch); a
    // background checkpoint alone never catches up, and the host's connection would let it reach ~40 MiB.
    expect(highWater).toBeLessThan(8 * 1024 * 1024);
    expect(highWater).toBeLessThan((HOST_AUTOCHECKPOINT_PAGES * 4096) / 4);
    expect((await stat(file)).size).toBeGreaterThan(90 * 1024 * 1024);
    await store.close();
    expect(await walBytes(file)).toBe(0); // the last connection to close removed it

    const again = SqliteKbStore.open(file);
    const facts = await again.listResultFacts(0, 20_000);
    expect(facts).toHaveLength(12_000);
    expect(facts.at(-1)!.id).toBe('r12000');
    await again.close();
  });

  it('checkpoints only in PASSIVE mode: a reader holding an old snapshot is never blocked, and what it could not copy waits for the next run', async () => {
    const file = join(dir, 'kb.sqlite');
    const store = SqliteKbStore.open(file);
    const member = await withMember(store);
    await store.appendResults(batch(member, 1, 10));
    await store.checkpointer!.checkpoint();
    const reader = new DatabaseSync(file, { readOnly: true });
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT count(*) AS n FROM results').get()).toEqual({ n: 10 });
    await store.appendResults(batch(member, 11, 10)); // the writer is not held up by the reader or the checkpointer
    const blocked = await store.checkpointer!.checkpoint();
    expect(blocked.checkpointed).toBeLessThan(blocked.log); // the reader's snapshot pins those frames
    reader.exec('COMMIT');
    reader.close();
    const done = await store.checkpointer!.checkpoint();
    expect(done.checkpointed).toBe(done.log);
    await store.close();
  });

  it('a failed batch is refused whole with SQLite\'s reason, and the next one is written', async () => {
    const file = join(dir, 'kb.sqlite');
    const store = SqliteKbStore.open(file);
    const member = await withMember(store);
    await store.appendResults(batch(member, 1, 5));
    // r5 again: the primary key refuses it, and r6–r9 in the same transaction go with it.
    await expect(store.appendResults(batch(member, 5, 5))).rejects.toThrow(/UNIQUE constraint failed/);
    await expect(store.appendResults(batch('nobody', 6, 1))).rejects.toThrow(/FOREIGN KEY constraint failed/);
    await store.appendResults(batch(member, 6, 5));
    expect((await store.listResultFacts(0, 100)).map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await store.close();
  });

  it('writes on the host\'s own connection (join requests, members) are checkpointed by the thread soon after, not by the host', async () => {
    const file = join(dir, 'kb.sqlite');
    const store = SqliteKbStore.open(file);
    await withMember(store);
    await store.checkpointer!.checkpoint();
    const before = (await stat(file)).size;
    // ~150 KiB on the host's connection: far below its own fallback, so only the thread copies it.
    for (let i = 0; i < 50; i++) await store.setMeta(`k${i}`, 'x'.repeat(3000));
    await new Promise((r) => setTimeout(r, 300)); // the checkpointer's delay, and then some
    expect((await stat(file)).size).toBeGreaterThan(before + 100_000);
    await store.close();
  });

  it('a KB in memory has none; after close nothing more is written, and closing twice is harmless', async () => {
    const memory = SqliteKbStore.open(':memory:');
    expect(memory.checkpointer).toBeNull();
    await memory.close();
    const store = SqliteKbStore.open(join(dir, 'kb.sqlite'));
    const member = await withMember(store);
    await store.close();
    await store.close();
    await expect(store.appendResults(batch(member, 1, 1))).rejects.toThrow(/The KB is closed/);
  });
});

describe('the writer thread, batches in flight', () => {
  it('after a batch fails, one sent before the failure was heard of is refused unwritten, and one sent after is written', async () => {
    const file = join(dir, 'kb.sqlite');
    const store = SqliteKbStore.open(file);
    const member = await withMember(store);
    const writer = new WriterThread(file);
    const sql = 'INSERT INTO meta (key, value) VALUES (?, ?)';
    try {
      await writer.transaction([{ sql, rows: [['a', '1']] }]);
      // Sent back to back: the second was judged on top of the first, which fails (key 'a' exists).
      const failing = writer.transaction([{ sql, rows: [['b', '2'], ['a', 'again']] }]);
      const behind = writer.transaction([{ sql, rows: [['c', '3']] }]);
      await expect(failing).rejects.toThrow(/UNIQUE constraint failed: meta.key/);
      await expect(behind).rejects.toMatchObject({ code: REFUSED_AFTER_FAILURE });
      expect(isRefusedAfterFailure(await behind.catch((e: unknown) => e))).toBe(true);
      // Sent once the failure was heard of: written.
      await writer.transaction([{ sql, rows: [['d', '4']] }]);
      expect([await store.getMeta('a'), await store.getMeta('b'), await store.getMeta('c'), await store.getMeta('d')]).toEqual(['1', null, null, '4']);
      expect(member).toBe('m1');
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('a thread that dies refuses what waits and every later write, saying why', async () => {
    const file = join(dir, 'kb.sqlite');
    await SqliteKbStore.open(file).close();
    const writer = new WriterThread(join(dir, 'missing', 'kb.sqlite')); // its connection cannot open: the thread stops
    await expect(writer.transaction([])).rejects.toThrow(/The KB's writer thread stopped \(.*unable to open database file.*\): nothing more can be written until the host restarts\./);
    await expect(writer.transaction([])).rejects.toThrow(/writer thread stopped/);
    await writer.close();
  });
});
