import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { LEADERBOARD_SIZE, LINEAGE_MAX_STEPS, PAGE_LIMITS, type CodeResponse, type LineageResponse, type ResultsResponse, type StatusResponse } from '../../protocol/index.ts';
import { startHost } from '../host.ts';
import { SqliteKbStore } from '../store/sqlite-store.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, tempHome, TRAIN_PY, type TestHost } from '../testing/harness.ts';
import { seedResults } from '../testing/seed-kb.ts';
import { lineage } from './listings.ts';

/** Listings at scale (docs/design.md): paged results, the status summary, lineage, code lookup, against the real host over loopback. */

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

type ErrorReply = { error: string; message: string };

const submit = (h: TestHost, token: string, body: Record<string, unknown>) =>
  call<{ result: { id: string; status: string } }>(h.publicUrl, '/api/results', { token, json: body });
const get = <T>(h: TestHost, path: string, token: string) => call<T & Partial<ErrorReply>>(h.publicUrl, path, { token });
const ids = (page: ResultsResponse) => page.results.map((r) => r.id);

/** ada and bob submit r1…r7: keep, keep, discard, duplicate, crash, discard (bob), keep (ada). */
async function sevenResults(h: TestHost) {
  const ada = await joinMember(h, 'ada');
  const bob = await joinMember(h, 'bob');
  const sends: [string, Record<string, unknown>][] = [
    [ada.token, { value: 3.0, patch: '' }],
    [bob.token, { value: 2.5, patch: lrPatch('0.005'), parent: 'r1' }],
    [ada.token, { value: 2.7, patch: lrPatch('0.02'), parent: 'r1' }],
    [ada.token, { value: 1.0, patch: lrPatch('0.005'), parent: 'r1' }],
    [bob.token, { value: null, crashed: true, patch: lrPatch('0.03', '0.005'), parent: 'r2' }],
    [bob.token, { value: 2.6, patch: lrPatch('0.004', '0.005'), parent: 'r2' }],
    [ada.token, { value: 2.0, patch: lrPatch('0.003', '0.005'), parent: 'r2' }],
  ];
  for (const [token, body] of sends) expect((await submit(h, token, body)).status).toBe(201);
  return { ada, bob };
}

describe('GET /api/results: paged', () => {
  it('pages with a cursor, oldest first or newest first, filtered by member and status; the owner route is the same', async () => {
    host = await startTestHost();
    const { ada, bob } = await sevenResults(host);

    const all = await get<ResultsResponse>(host, '/api/results', ada.token);
    expect(ids(all.body)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    expect(all.body.next).toBeNull();

    const p1 = await get<ResultsResponse>(host, '/api/results?limit=3', ada.token);
    expect([ids(p1.body), p1.body.next]).toEqual([['r1', 'r2', 'r3'], 3]);
    const p2 = await get<ResultsResponse>(host, `/api/results?limit=3&after=${p1.body.next}`, ada.token);
    expect([ids(p2.body), p2.body.next]).toEqual([['r4', 'r5', 'r6'], 6]);
    const p3 = await get<ResultsResponse>(host, `/api/results?limit=3&after=${p2.body.next}`, ada.token);
    expect([ids(p3.body), p3.body.next]).toEqual([['r7'], null]);
    // A page that ends exactly at the last result says so: no empty page to fetch.
    expect((await get<ResultsResponse>(host, '/api/results?limit=7', ada.token)).body.next).toBeNull();
    // `since` is the old name of `after` (workers from before paging).
    expect(ids((await get<ResultsResponse>(host, '/api/results?since=5', ada.token)).body)).toEqual(['r6', 'r7']);

    const d1 = await get<ResultsResponse>(host, '/api/results?order=desc&limit=2', ada.token);
    expect([ids(d1.body), d1.body.next]).toEqual([['r7', 'r6'], 6]);
    const d2 = await get<ResultsResponse>(host, `/api/results?order=desc&limit=4&before=${d1.body.next}`, ada.token);
    expect([ids(d2.body), d2.body.next]).toEqual([['r5', 'r4', 'r3', 'r2'], 2]);
    expect((await get<ResultsResponse>(host, '/api/results?order=desc&before=2', ada.token)).body).toMatchObject({ next: null, results: [{ id: 'r1' }] });

    expect(ids((await get<ResultsResponse>(host, `/api/results?member=${bob.memberId}`, ada.token)).body)).toEqual(['r2', 'r5', 'r6']);
    expect(ids((await get<ResultsResponse>(host, '/api/results?status=keep', ada.token)).body)).toEqual(['r1', 'r2', 'r7']);
    expect(ids((await get<ResultsResponse>(host, `/api/results?status=discard&member=${bob.memberId}`, ada.token)).body)).toEqual(['r6']);
    const mine = await get<ResultsResponse>(host, `/api/results?member=${ada.memberId}&order=desc&limit=2`, ada.token);
    expect([ids(mine.body), mine.body.next]).toEqual([['r7', 'r4'], 4]);
    expect(ids((await get<ResultsResponse>(host, `/api/results?member=${ada.memberId}&order=desc&limit=2&before=4`, ada.token)).body)).toEqual(['r3', 'r1']);
    expect((await get<ResultsResponse>(host, '/api/results?member=m_nobody', ada.token)).body).toEqual({ results: [], next: null });
    expect(all.body.results[1]).toMatchObject({ id: 'r2', member: bob.memberId, member_name: 'bob', status: 'keep', patch: lrPatch('0.005'), parent: 'r1' });

    const owner = await call<ResultsResponse>(host.ownerUrl, '/api/owner/results?status=keep&order=desc&limit=2', { token: host.ownerToken });
    expect([ids(owner.body), owner.body.next]).toEqual([['r7', 'r2'], 2]);
  });

  it('refuses bad paging parameters with 400 bad_request and a message that says what to send', async () => {
    host = await startTestHost();
    const { ada } = await sevenResults(host);
    const cases: [string, RegExp][] = [
      ['limit=0', /`limit` must be a whole number from 1 to 1000 \(default 100\)/],
      [`limit=${PAGE_LIMITS.max + 1}`, /from 1 to 1000/],
      ['limit=ten', /from 1 to 1000/],
      ['limit=1&limit=2', /`limit` may be given once/],
      ['after=-1', /`after` must be a result sequence number/],
      ['after=1&since=2', /`since` is the old name of `after`/],
      ['before=3', /`before` pages newest first: send it with `order=desc`/],
      ['order=desc&after=3', /with `order=desc` the cursor is `before`/],
      ['order=random', /`order` must be `asc`/],
      ['status=won', /`status` must be one of keep, discard, crash, duplicate/],
      ['member=', /`member` must be a member id/],
      ['page=2', /Unknown query parameter `page`/],
    ];
    for (const [query, message] of cases) {
      const res = await get<ResultsResponse>(host, `/api/results?${query}`, ada.token);
      expect([query, res.status, res.body.error]).toEqual([query, 400, 'bad_request']);
      expect(res.body.message, query).toMatch(message);
      const owner = await call<ErrorReply>(host.ownerUrl, `/api/owner/results?${query}`, { token: host.ownerToken });
      expect([query, owner.status, owner.body.error]).toEqual([query, 400, 'bad_request']);
    }
    expect((await get<ResultsResponse>(host, `/api/results?limit=${PAGE_LIMITS.max}`, ada.token)).status).toBe(200);
  });
});

describe('GET /api/status: a summary', () => {
  it('counts by status and a leaderboard of the best judged results (minimize: lowest first; no crashes, no duplicates)', async () => {
    host = await startTestHost();
    const { ada } = await sevenResults(host);
    const status = await get<StatusResponse>(host, '/api/status', ada.token);
    expect(status.status).toBe(200);
    expect(status.body).not.toHaveProperty('results');
    expect(status.body).toMatchObject({ total: 7, counts: { keep: 3, discard: 2, crash: 1, duplicate: 1 }, champion: { id: 'r7' } });
    expect(status.body.leaderboard.map((r) => `${r.id}:${r.value}`)).toEqual(['r7:2', 'r2:2.5', 'r6:2.6', 'r3:2.7', 'r1:3']);
    // Summaries: the two large fields stay on the results' pages, so the status stays small.
    expect(status.body.leaderboard[1]).toMatchObject({ id: 'r2', member_name: 'bob', hypothesis: '', parent: 'r1', code_hash: expect.any(String) });
    expect(status.body.leaderboard[1]).not.toHaveProperty('patch');
    expect(status.body.leaderboard[1]).not.toHaveProperty('output');
    const owner = await call<StatusResponse>(host.ownerUrl, '/api/owner/status', { token: host.ownerToken });
    expect(owner.body).toMatchObject({ total: 7, counts: status.body.counts, leaderboard: status.body.leaderboard });
  });

  it('maximize: highest first, ties to the first submitted', async () => {
    host = await startTestHost({ program: sampleProgram({ direction: 'maximize', accept: 'threshold', threshold: 1 }) });
    const ada = await joinMember(host, 'ada');
    const values = [1, 5, 3, 5, 0.5];
    for (const [i, value] of values.entries()) expect((await submit(host, ada.token, { value, patch: lrPatch(`0.00${i + 1}`) })).status).toBe(201);
    const status = await get<StatusResponse>(host, '/api/status', ada.token);
    expect(status.body.leaderboard.map((r) => `${r.id}:${r.value}:${r.status}`)).toEqual(['r2:5:keep', 'r4:5:keep', 'r3:3:keep', 'r1:1:keep', 'r5:0.5:discard']);
    expect(status.body.counts).toEqual({ keep: 4, discard: 1, crash: 0, duplicate: 0 });
  });
});

describe('GET /api/results/:id/lineage and GET /api/codes/:hash', () => {
  it('lists a result and the results it started from, newest first, back to the original code', async () => {
    host = await startTestHost();
    const { ada } = await sevenResults(host);
    const l = await get<LineageResponse>(host, '/api/results/r7/lineage', ada.token);
    expect(l.status).toBe(200);
    expect([l.body.chain.map((r) => r.id), l.body.complete]).toEqual([['r7', 'r2', 'r1'], true]);
    expect(l.body.chain[0]).not.toHaveProperty('patch');
    expect((await get<LineageResponse>(host, '/api/results/r6/lineage', ada.token)).body.chain.map((r) => r.id)).toEqual(['r6', 'r2', 'r1']);
    const missing = await get<LineageResponse>(host, '/api/results/r99/lineage', ada.token);
    expect([missing.status, missing.body.error]).toEqual([404, 'not_found']);
    expect((await get<LineageResponse>(host, `/api/results/${'r'.repeat(65)}/lineage`, ada.token)).status).toBe(400);
    expect((await call<LineageResponse>(host.ownerUrl, '/api/owner/results/r7/lineage', { token: host.ownerToken })).body.chain).toHaveLength(3);
  });

  it('cuts a long chain at its bound and says it is incomplete', async () => {
    const home = await tempHome();
    const h = await startHost({ program: sampleProgram(), paths: home.paths, writeState: false });
    const ada = await joinMember(h, 'ada');
    for (let i = 0; i < 4; i++) {
      const res = await call(h.publicUrl, '/api/results', { token: ada.token, json: { value: 3 - i, patch: i === 0 ? '' : lrPatch(`0.00${i}`, i === 1 ? '0.01' : `0.00${i - 1}`), parent: i === 0 ? null : `r${i}` } });
      expect(res.status).toBe(201);
    }
    await h.close();
    const store = SqliteKbStore.open(h.kbFile);
    try {
      const names = { names: new Map<string, string>() };
      expect(await lineage(store, 'r4', names, 2)).toMatchObject({ complete: false, chain: [{ id: 'r4' }, { id: 'r3' }] });
      expect(await lineage(store, 'r4', names, 4)).toMatchObject({ complete: true, chain: [{ id: 'r4' }, { id: 'r3' }, { id: 'r2' }, { id: 'r1' }] });
      expect(await lineage(store, 'r9', names)).toBeNull();
    } finally {
      await store.close();
    }
    // A damaged file: a parent that is not there, then a cycle. Both end the chain, marked incomplete.
    const db = new DatabaseSync(h.kbFile);
    db.exec("UPDATE results SET parent = 'r99' WHERE id = 'r2'");
    db.close();
    const damaged = SqliteKbStore.open(h.kbFile);
    try {
      expect(await lineage(damaged, 'r4', { names: new Map() })).toMatchObject({ complete: false, chain: [{ id: 'r4' }, { id: 'r3' }, { id: 'r2' }] });
    } finally {
      await damaged.close();
    }
    const db2 = new DatabaseSync(h.kbFile);
    db2.exec("UPDATE results SET parent = 'r4' WHERE id = 'r2'");
    db2.close();
    const looped = SqliteKbStore.open(h.kbFile);
    try {
      const l = await lineage(looped, 'r4', { names: new Map() });
      expect([l?.complete, l?.chain.map((r) => r.id)]).toEqual([false, ['r4', 'r3', 'r2']]);
    } finally {
      await looped.close();
      await home.cleanup();
    }
  });

  it('says whether a code was already tried (crashes do not count), from the fold, not a listing', async () => {
    host = await startTestHost();
    const { ada } = await sevenResults(host);
    const all = (await get<ResultsResponse>(host, '/api/results', ada.token)).body.results;
    const code = (r: string) => all.find((x) => x.id === r)!.code_hash;
    expect((await get<CodeResponse>(host, `/api/codes/${code('r2')}`, ada.token)).body).toEqual({ code_hash: code('r2'), tried: true, result: 'r2' });
    // r4 repeated r2's code: the first submission is named.
    expect((await get<CodeResponse>(host, `/api/codes/${code('r4')}`, ada.token)).body.result).toBe('r2');
    expect((await get<CodeResponse>(host, `/api/codes/${code('r5')}`, ada.token)).body).toMatchObject({ tried: false, result: null });
    expect((await get<CodeResponse>(host, `/api/codes/${'0'.repeat(64)}`, ada.token)).body.tried).toBe(false);
    const bad = await get<CodeResponse>(host, '/api/codes/not-a-hash', ada.token);
    expect([bad.status, bad.body.error]).toEqual([400, 'bad_request']);
    expect((await call(host.publicUrl, `/api/codes/${code('r2')}`)).status).toBe(401);
  });
});

describe('a KB with many results', () => {
  it('20 000 results (seeded through the store): status stays small, pages are pages, lineage and submissions work', async () => {
    const home = await tempHome();
    const first = await startHost({ program: sampleProgram(), paths: home.paths, writeState: false });
    const ada = await joinMember(first, 'ada');
    const bob = await joinMember(first, 'bob');
    const kbFile = first.kbFile;
    await first.close();

    const store = SqliteKbStore.open(kbFile);
    const seeded = await seedResults(store, {
      spec: { direction: 'minimize', accept: 'beats-champion', min_improvement: 0 },
      members: [ada.memberId, bob.memberId],
      count: 20_000,
      championFiles: new Map([['train.py', TRAIN_PY]]),
    });
    await store.close();

    const started = await startHost({ program: sampleProgram(), paths: home.paths, writeState: false });
    host = { ...started, home, dispose: async () => { await started.close(); await home.cleanup(); } };

    const status = await get<StatusResponse>(host, '/api/status', ada.token);
    expect(status.status).toBe(200);
    expect(status.body.total).toBe(20_000);
    const c = status.body.counts;
    expect(c.keep + c.discard + c.crash + c.duplicate).toBe(20_000);
    expect(c.crash).toBeGreaterThan(0);
    expect(c.duplicate).toBeGreaterThan(0);
    expect(status.body.champion?.id).toBe(seeded.last);
    expect(status.body.leaderboard).toHaveLength(LEADERBOARD_SIZE);
    expect(status.body.leaderboard[0]!.id).toBe(seeded.last);
    const values = status.body.leaderboard.map((r) => r.value!);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    // Bounded: the summary of 20 000 results is a few tens of KB (it was megabytes).
    expect(JSON.stringify(status.body).length).toBeLessThan(64 * 1024);

    const page = await get<ResultsResponse>(host, '/api/results', ada.token);
    expect([page.body.results.length, page.body.next]).toEqual([PAGE_LIMITS.default, PAGE_LIMITS.default]);
    const last = await get<ResultsResponse>(host, '/api/results?after=19990&limit=1000', ada.token);
    expect([last.body.results.length, last.body.next, last.body.results.at(-1)!.id]).toEqual([10, null, 'r20000']);
    const newest = await get<ResultsResponse>(host, `/api/results?order=desc&limit=5&status=keep`, ada.token);
    expect(newest.body.results[0]!.id).toBe(seeded.last);
    const bobs = await get<ResultsResponse>(host, `/api/results?member=${bob.memberId}&limit=1000`, ada.token);
    expect(bobs.body.results.every((r) => r.member === bob.memberId)).toBe(true);
    expect(bobs.body.next).toBe(bobs.body.results.at(-1)!.seq);

    const l = await get<LineageResponse>(host, `/api/results/${seeded.last}/lineage`, ada.token);
    // Every seeded champion started from the one before it: the chain is the champions, bounded.
    expect(l.body.chain).toHaveLength(Math.min(seeded.champions, LINEAGE_MAX_STEPS));
    expect(l.body.complete).toBe(seeded.champions <= LINEAGE_MAX_STEPS);
    expect(l.body.chain.every((r) => r.status === 'keep')).toBe(true);

    // The live KB carries on from the seeded one: a better result on the champion is the next champion.
    const next = await submit(host, bob.token, { value: 0.5, patch: lrPatch('0.001'), parent: seeded.last });
    expect(next.body.result).toMatchObject({ id: 'r20001', status: 'keep' });
    expect((await get<StatusResponse>(host, '/api/status', ada.token)).body).toMatchObject({ total: 20_001, champion: { id: 'r20001' } });
  }, 120_000);
});
