import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile, mkdir, truncate } from 'node:fs/promises';
import { createServer } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { kbPath } from '../../protocol/node/paths.ts';
import { newMembership, saveMembership, listMemberships } from '../../worker-runtime/credentials.ts';
import { repoint } from '../../worker-runtime/join.ts';
import { HostSession } from '../../worker-runtime/session/host-session.ts';
import type { WorkerEvent } from '../../worker-runtime/events.ts';
import { startHost, type RunningHost } from '../host.ts';
import { readHostState, stateFilePath } from '../state-file.ts';
import { call, joinMember, lrPatch, sampleProgram, tempHome, type TempHome } from '../testing/harness.ts';
import { backupKb } from './kb-backup.ts';
import { historyPath } from './kb-history.ts';
import { KbIntegrityError } from './kb-integrity.ts';
import { KbLockedError, lockPathOf } from './kb-lock.ts';

let home: TempHome | undefined;
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.close()));
  await home?.cleanup();
  home = undefined;
});

async function start(opts: Parameters<typeof startHost>[0]): Promise<RunningHost> {
  const h = await startHost(opts);
  hosts.push(h);
  return h;
}

const portOf = (url: string) => Number(new URL(url).port);

describe('one host per KB', () => {
  it('a second host of the same program refuses, naming the first, and leaves it and its state file alone', async () => {
    home = await tempHome();
    const program = sampleProgram();
    const first = await start({ program, paths: home.paths });
    const stateBefore = await readFile(stateFilePath(home.paths, 'sample'), 'utf8');
    const err = await startHost({ program, paths: home.paths }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbLockedError);
    expect((err as Error).message).toContain(`process ${process.pid}`);
    expect((err as Error).message).toContain(first.publicUrl);
    expect((err as Error).message).toContain(first.ownerUrl);
    expect(await readFile(stateFilePath(home.paths, 'sample'), 'utf8')).toBe(stateBefore);
    const ada = await joinMember(first, 'ada');
    expect((await call(first.publicUrl, '/api/results', { token: ada.token, json: { value: 2 } })).status).toBe(201);
    await first.close();
    hosts.length = 0;
    await expect(stat(lockPathOf(first.kbFile))).rejects.toThrow();
    // Released: the next start takes it.
    await start({ program, paths: home.paths });
  });

  it('takes over the lock of a host that died (its pid is gone)', async () => {
    home = await tempHome();
    const file = kbPath(home.paths, 'sample');
    await mkdir(new URL('.', `file://${file}`).pathname, { recursive: true });
    await writeFile(lockPathOf(file), JSON.stringify({ pid: 2 ** 22 + 12345, program: 'sample', startedAt: 'then', publicUrl: null, ownerUrl: null }));
    const host = await start({ program: sampleProgram(), paths: home.paths });
    expect(JSON.parse(await readFile(lockPathOf(file), 'utf8'))).toMatchObject({ pid: process.pid, publicUrl: host.publicUrl });
  });

  it('two programs from one home run at once; --program picks, and without it the refusal lists both', async () => {
    home = await tempHome();
    const a = await start({ program: sampleProgram({ name: 'alpha' }), paths: home.paths });
    const b = await start({ program: sampleProgram({ name: 'beta' }), paths: home.paths });
    expect((await readHostState(home.paths, 'alpha')).ownerUrl).toBe(a.ownerUrl);
    expect((await readHostState(home.paths, 'beta')).ownerUrl).toBe(b.ownerUrl);
    await expect(readHostState(home.paths)).rejects.toThrow(/2 programs are published from here; pick one with --program:\n {2}--program alpha/);
    await expect(readHostState(home.paths, 'gamma')).rejects.toThrow(/No Cohort host of "gamma".*running: alpha, beta/);
    await b.close();
    expect((await readHostState(home.paths)).program).toBe('alpha');
    expect((await stat(stateFilePath(home.paths, 'alpha'))).mode & 0o777).toBe(0o600);
  });
});

describe('a stable address', () => {
  it('a restart keeps the public port; --port 0 asks for a free one; a taken port falls back and says so', async () => {
    home = await tempHome();
    const program = sampleProgram();
    const first = await start({ program, paths: home.paths });
    expect(first.address.previousUrl).toBeNull();
    await first.close();
    const second = await start({ program, paths: home.paths });
    expect(second.publicUrl).toBe(first.publicUrl);
    expect(second.address).toMatchObject({ previousUrl: first.publicUrl, portTaken: null });
    await second.close();
    // Someone else has the port now.
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(portOf(first.publicUrl), '127.0.0.1', r));
    try {
      const third = await start({ program, paths: home.paths });
      expect(third.address.portTaken).toBe(portOf(first.publicUrl));
      expect(third.publicUrl).not.toBe(first.publicUrl);
      expect(third.address.previousUrl).toBe(first.publicUrl);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('a member whose host moved re-points with its token: same member, no approval, results and payouts on one identity', async () => {
    home = await tempHome();
    const worker = await tempHome();
    try {
      const program = sampleProgram({ pool: 10 });
      const a = await start({ program, paths: home.paths });
      const ada = await joinMember(a, 'ada');
      const m = newMembership({ program: 'sample', url: a.publicUrl, token: ada.token, memberId: ada.memberId, name: 'ada', joinedAt: new Date().toISOString() });
      await saveMembership(worker.paths, m);
      expect((await call(a.publicUrl, '/api/results', { token: ada.token, json: { value: 2.0 } })).status).toBe(201);
      // A result made for the old address waits in the outbox while the host moves.
      const outboxDir = `${worker.dir}/outbox`;
      await new HostSession({ membership: m, outboxDir }).outbox.add(m, { value: 1.7, patch: lrPatch('0.2'), parent: 'r1', hypothesis: 'waited', idempotency_key: 'k-waited' });
      await a.close();
      hosts.length = 0;

      const b = await start({ program, paths: home.paths, port: 0 });
      expect(b.publicUrl).not.toBe(a.publicUrl);
      const me = await call<{ member: string; name: string; program: string }>(b.publicUrl, '/api/me', { token: ada.token });
      expect(me.body).toEqual({ member: ada.memberId, name: 'ada', program: 'sample' });
      const moved = await repoint(worker.paths, b.publicUrl);
      expect(moved).toMatchObject({ from: a.publicUrl, membership: { id: m.id, memberId: ada.memberId, url: b.publicUrl, origin: a.publicUrl, token: ada.token } });
      expect(await listMemberships(worker.paths)).toEqual([moved!.membership]);
      expect((await call(b.ownerUrl, '/api/owner/requests?all=1', { token: b.ownerToken })).body).toMatchObject({ requests: [{ status: 'consumed' }] });
      const session = new HostSession({ membership: moved!.membership, outboxDir });
      await session.deliver();
      expect(session.submitted).toEqual([expect.objectContaining({ id: 'r2', member: ada.memberId })]);
      const res = await call<{ result: { member: string } }>(b.publicUrl, '/api/results', { token: ada.token, json: { value: 1.5, patch: lrPatch('0.3'), parent: 'r1' } });
      expect(res.status).toBe(201);
      const members = await call<{ members: unknown[] }>(b.ownerUrl, '/api/owner/members', { token: b.ownerToken });
      expect(members.body.members).toHaveLength(1);
      const payouts = await call<{ payouts: { member: string; amount: string }[] }>(b.ownerUrl, '/api/owner/payouts', { token: b.ownerToken });
      expect(payouts.body.payouts).toEqual([expect.objectContaining({ member: ada.memberId, amount: '10.000000' })]);
      // Nothing to re-point at the URL it already has; a stranger's URL finds no membership.
      expect(await repoint(worker.paths, b.publicUrl)).toBeNull();
    } finally {
      await worker.cleanup();
    }
  });

  it('a worker that cannot reach its host for a while says how to re-point', async () => {
    home = await tempHome();
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(dead.address() as { port: number }).port}`;
    await new Promise((r) => dead.close(r));
    const events: WorkerEvent[] = [];
    const abort = new AbortController();
    let t = 0;
    const session = new HostSession({
      membership: newMembership({ program: 'sample', url, token: 'x', memberId: 'm_1', name: 'ada', joinedAt: 'now' }),
      outboxDir: `${home.dir}/outbox`,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      repointHintAfterMs: 60_000,
      now: () => (t += 30_000),
      emit: (e) => {
        events.push(e);
        if (events.length >= 3) abort.abort();
      },
      signal: abort.signal,
    });
    await expect(session.task()).rejects.toThrow();
    const retries = events.filter((e) => e.type === 'retry');
    expect(retries[0]).not.toHaveProperty('hint');
    expect(retries.at(-1)).toMatchObject({ hint: expect.stringMatching(new RegExp(`cannot reach ${url} since .*; if the owner moved the program, re-point with \`cohort join NEW_URL\``)) });
  });
});

describe('KB integrity', () => {
  async function refused(setup: (file: string) => Promise<void>, pattern: RegExp): Promise<void> {
    home = await tempHome();
    const program = sampleProgram();
    const file = kbPath(home.paths, 'sample');
    const first = await startHost({ program, paths: home.paths });
    await joinMember(first, 'ada');
    await first.close();
    await setup(file);
    const before = await readFile(file);
    const err = await startHost({ program, paths: home.paths }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbIntegrityError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).toContain('cohort backup');
    expect(await readFile(file)).toEqual(before); // nothing changed
    await expect(stat(lockPathOf(file))).rejects.toThrow(); // and the lock is released
  }

  it('refuses an empty kb.sqlite', () => refused((f) => writeFile(f, ''), /is empty \(0 bytes\)/));
  it('refuses random bytes', () => refused((f) => writeFile(f, randomBytes(8192)), /is not a SQLite database/));
  it('refuses a truncated KB', () => refused(async (f) => truncate(f, 4096 + 100), /is truncated/));
  it('refuses a deleted kb.sqlite whose program had members and results, until its history is moved away too', async () => {
    home = await tempHome();
    const program = sampleProgram();
    const file = kbPath(home.paths, 'sample');
    const first = await startHost({ program, paths: home.paths });
    const ada = await joinMember(first, 'ada');
    await call(first.publicUrl, '/api/results', { token: ada.token, json: { value: 3 } });
    await first.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) await rm(f, { force: true });
    const err = await startHost({ program, paths: home.paths }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbIntegrityError);
    expect((err as Error).message).toMatch(/is missing, but when this program's host last ran \(.+\) it held 1 result\(s\) and 1 member\(s\)/);
    expect((err as Error).message).toContain('cohort backup');
    await expect(stat(file)).rejects.toThrow(); // no empty KB was made
    await expect(stat(lockPathOf(file))).rejects.toThrow();
    // The owner means it: with the history moved away too, the program starts afresh.
    await rename(historyPath(file), `${historyPath(file)}.old`);
    const fresh = await start({ program, paths: home.paths });
    expect(fresh.kb.total).toBe(0);
  });

  it('notices the first member of a fresh KB at once, not only at a clean close', async () => {
    home = await tempHome();
    const program = sampleProgram();
    const file = kbPath(home.paths, 'sample');
    const host = await start({ program, paths: home.paths });
    expect(JSON.parse(await readFile(historyPath(file), 'utf8'))).toMatchObject({ program: 'sample', results: 0, members: 0 });
    await joinMember(host, 'ada');
    await expect.poll(async () => JSON.parse(await readFile(historyPath(file), 'utf8')) as unknown).toMatchObject({ members: 1 });
  });

  it('refuses another program\'s KB', async () => {
    home = await tempHome();
    const other = await startHost({ program: sampleProgram({ name: 'other' }), paths: home.paths });
    await other.close();
    const err = await startHost({ program: sampleProgram(), paths: home.paths, kbFile: other.kbFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbIntegrityError);
    expect((err as Error).message).toMatch(/belongs to the program "other", not "sample"/);
  });
});

describe('cohort backup (online)', () => {
  it('copies a consistent KB while results are being written, with every acknowledged result', async () => {
    home = await tempHome();
    const host = await start({ program: sampleProgram(), paths: home.paths });
    const ada = await joinMember(host, 'ada');
    const acknowledged: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && i < 400; i++) {
        const r = await call<{ result: { id: string } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 3 - i / 1000, hypothesis: 'x'.repeat(2000) } });
        if (r.status === 201) acknowledged.push(r.body.result.id);
      }
    })();
    while (acknowledged.length < 20) await new Promise((r) => setTimeout(r, 5));
    const before = acknowledged.length;
    const done = await backupKb(host.kbFile, `${home.dir}/backup.sqlite`);
    stop = true;
    await writer;
    expect(done.results).toBeGreaterThanOrEqual(before);
    const copy = new DatabaseSync(done.file, { readOnly: true });
    try {
      expect(copy.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
      const ids = (copy.prepare('SELECT id FROM results ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
      expect(ids).toEqual(acknowledged.slice(0, ids.length));
    } finally {
      copy.close();
    }
    // The copy is a KB the host opens.
    await host.close();
    hosts.length = 0;
    const restored = await start({ program: sampleProgram(), paths: home.paths, kbFile: done.file });
    expect((await restored.kb.results(0)).length).toBe(done.results);
  });
});
