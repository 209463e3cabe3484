import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResultSummaryPage, SEARCH_SCAN_MAX, type ChampionsResponse, type LeaderboardResponse, type OwnerStatusResponse, type ResultResponse, type ResultsResponse, type SeriesResponse } from '../../protocol/index.ts';
import { startHost, type RunningHost } from '../host.ts';
import { buildBigKb, type BigKb } from '../testing/big-kb.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, tempHome, type TempHome, type TestHost } from '../testing/harness.ts';

/**
 * The owner's views of a program that runs for weeks (docs/host.md, owner API): searched pages,
 * the leaderboard's views, one result, the champions, the chart's series and the membership in
 * force, against a real host over loopback; at 100 000 results, that none reads the whole log.
 */

type ErrorReply = { error: string; message: string };
const owner = <T>(h: { ownerUrl: string; ownerToken: string }, path: string) => call<T & Partial<ErrorReply>>(h.ownerUrl, path, { token: h.ownerToken });
const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

/** ada and bob: r1 keep (3.0), r2 keep (2.5, bob), r3 discard, r4 crash, r5 keep (2.0), r6 discard (bob). */
async function sixResults(h: TestHost) {
  const ada = await joinMember(h, 'ada');
  const bob = await joinMember(h, 'bob');
  const sends: [string, Record<string, unknown>][] = [
    [ada.token, { value: 3.0, patch: '', hypothesis: 'Baseline run' }],
    [bob.token, { value: 2.5, patch: lrPatch('0.005'), parent: 'r1', hypothesis: 'Lower the LR to 0.005' }],
    [ada.token, { value: 2.7, patch: lrPatch('0.02'), parent: 'r1', hypothesis: 'raise the lr' }],
    [bob.token, { value: null, crashed: true, patch: lrPatch('0.03', '0.005'), parent: 'r2', hypothesis: 'huge LR 100%_x' }],
    [ada.token, { value: 2.0, patch: lrPatch('0.003', '0.005'), parent: 'r2', hypothesis: 'even lower lr' }],
    [bob.token, { value: 2.6, patch: lrPatch('0.004', '0.003'), parent: 'r5', hypothesis: 'warmup' }],
  ];
  for (const [token, body] of sends) expect((await call(h.publicUrl, '/api/results', { token, json: body })).status).toBe(201);
  return { ada, bob };
}

describe('searched pages: q and verification', () => {
  it('filter by a substring of the hypothesis (ASCII case-insensitive, % and _ literal) and by verification, with the other filters', async () => {
    host = await startTestHost({ program: sampleProgram({ verify: { replicas: 1 } }) });
    const { ada, bob } = await sixResults(host);

    const lr = await owner<ResultsResponse>(host, '/api/owner/results?q=LR');
    expect(ids(lr.body.results)).toEqual(['r2', 'r3', 'r4', 'r5']);
    expect(lr.body).toMatchObject({ next: null, scan: { examined: 6, stopped_early: false, max: SEARCH_SCAN_MAX } });
    expect(ids((await owner<ResultsResponse>(host, '/api/owner/results?q=100%25_')).body.results)).toEqual(['r4']);
    expect(ids((await owner<ResultsResponse>(host, '/api/owner/results?q=%25')).body.results)).toEqual(['r4']);
    expect(ids((await owner<ResultsResponse>(host, `/api/owner/results?q=lr&member=${ada.memberId}&order=desc`)).body.results)).toEqual(['r5', 'r3']);

    const pending = await owner<ResultsResponse>(host, '/api/owner/results?verification=pending');
    expect(ids(pending.body.results)).toEqual(['r1', 'r2', 'r5']);
    expect(pending.body.results.every((r) => r.verification === 'pending')).toBe(true);
    expect(ids((await owner<ResultsResponse>(host, '/api/owner/results?verification=none&status=discard')).body.results)).toEqual(['r3', 'r6']);
    expect(ids((await owner<ResultsResponse>(host, `/api/owner/results?verification=pending&member=${bob.memberId}&q=lr`)).body.results)).toEqual(['r2']);
    expect((await owner<ResultsResponse>(host, '/api/owner/results?verification=reproduced')).body).toMatchObject({ results: [], next: null, scan: { stopped_early: false } });

    // Paged: `next` after the page's last, and the last page says null.
    const p1 = await owner<ResultsResponse>(host, '/api/owner/results?q=lr&limit=2');
    expect([ids(p1.body.results), p1.body.next, p1.body.scan?.examined]).toEqual([['r2', 'r3'], 3, 3]);
    const p2 = await owner<ResultsResponse>(host, `/api/owner/results?q=lr&limit=2&after=${p1.body.next}`);
    expect([ids(p2.body.results), p2.body.next]).toEqual([['r4', 'r5'], null]);
    // A page without q or verification is as it always was (no `scan`).
    expect((await owner<ResultsResponse>(host, '/api/owner/results?limit=1')).body.scan).toBeUndefined();
    // The member API takes the same query.
    expect(ids((await call<ResultsResponse>(host.publicUrl, '/api/results?q=warmup', { token: ada.token })).body.results)).toEqual(['r6']);

    for (const [query, message] of [
      ['q=', /`q` must be 1 to 200/],
      [`q=${'x'.repeat(201)}`, /`q` must be 1 to 200/],
      ['q=a&q=b', /`q` may be given once/],
      ['verification=maybe', /`verification` must be one of none, pending, reproduced, not_reproduced/],
      ['search=lr', /Unknown query parameter `search`.*verification, q/],
    ] as const) {
      const res = await owner<ResultsResponse>(host, `/api/owner/results?${query}`);
      expect([res.status, res.body.error]).toEqual([400, 'bad_request']);
      expect(res.body.message).toMatch(message);
    }
  });
});

describe('summary pages: fields=summary', () => {
  it('list each result less its patch and output, with their sizes in UTF-8 bytes; paging, filters and search as for whole pages', async () => {
    host = await startTestHost({ program: sampleProgram({ verify: { replicas: 1 } }) });
    const { ada, bob } = await sixResults(host);
    // r7: an output with characters of 2 and 3 bytes in UTF-8 (bytes, not UTF-16 units, are counted).
    const output = 'loss 2.1 → 1.9, η = 0.002\n';
    const r7 = { value: 1.9, patch: lrPatch('0.002', '0.003'), parent: 'r5', hypothesis: 'lower lr still', output };
    expect((await call(host.publicUrl, '/api/results', { token: ada.token, json: r7 })).status).toBe(201);

    const whole = await owner<ResultsResponse>(host, '/api/owner/results');
    const summary = await owner<ResultSummaryPage>(host, '/api/owner/results?fields=summary');
    expect(summary.status).toBe(200);
    expect(ResultSummaryPage.safeParse(summary.body).success).toBe(true);
    expect([ids(summary.body.results), summary.body.next]).toEqual([ids(whole.body.results), null]);
    summary.body.results.forEach((row, k) => {
      const { patch, output: out, ...rest } = whole.body.results[k]!;
      expect(row).not.toHaveProperty('patch');
      expect(row).not.toHaveProperty('output');
      expect(row).toEqual({ ...rest, patch_bytes: Buffer.byteLength(patch), output_bytes: Buffer.byteLength(out) });
    });
    // r1 changed no code; r7's output is counted in bytes.
    expect(summary.body.results[0]).toMatchObject({ id: 'r1', patch_bytes: 0, output_bytes: 0 });
    expect(summary.body.results[6]).toMatchObject({ id: 'r7', patch_bytes: Buffer.byteLength(r7.patch), output_bytes: Buffer.byteLength(output) });
    expect(Buffer.byteLength(output)).toBeGreaterThan(output.length);
    // `fields=full` is the default, spelled out.
    expect((await owner<ResultsResponse>(host, '/api/owner/results?fields=full')).body).toEqual(whole.body);

    // Paging, newest first, and the filters.
    const d1 = await owner<ResultSummaryPage>(host, '/api/owner/results?fields=summary&order=desc&limit=2');
    expect([ids(d1.body.results), d1.body.next]).toEqual([['r7', 'r6'], 6]);
    const d2 = await owner<ResultSummaryPage>(host, `/api/owner/results?fields=summary&order=desc&limit=2&before=${d1.body.next}`);
    expect([ids(d2.body.results), d2.body.next]).toEqual([['r5', 'r4'], 4]);
    expect(ids((await owner<ResultSummaryPage>(host, `/api/owner/results?fields=summary&status=discard&member=${bob.memberId}`)).body.results)).toEqual(['r6']);

    // Searched pages: the same matches and scan as whole pages, as summaries.
    for (const query of ['q=lr', 'q=lr&order=desc&limit=2', 'verification=pending', `verification=pending&member=${ada.memberId}`]) {
      const full = await owner<ResultsResponse>(host, `/api/owner/results?${query}`);
      const small = await owner<ResultSummaryPage>(host, `/api/owner/results?${query}&fields=summary`);
      expect([ids(small.body.results), small.body.next, small.body.scan], query).toEqual([ids(full.body.results), full.body.next, full.body.scan]);
      expect(small.body.results.length, query).toBeGreaterThan(0);
      for (const row of small.body.results) expect(Object.keys(row).filter((k) => k === 'patch' || k === 'output' || k.endsWith('_bytes')), query).toEqual(['patch_bytes', 'output_bytes']);
    }

    // The member API takes it too; whole pages stay as they were for workers.
    const member = await call<ResultSummaryPage>(host.publicUrl, '/api/results?fields=summary&order=desc&limit=1', { token: bob.token });
    expect(member.body.results).toEqual([expect.objectContaining({ id: 'r7', output_bytes: Buffer.byteLength(output) })]);
    expect(member.body.results[0]).not.toHaveProperty('patch');
    expect((await call<ResultsResponse>(host.publicUrl, '/api/results?order=desc&limit=1', { token: bob.token })).body.results[0]).toMatchObject({ id: 'r7', output });

    for (const query of ['fields=patch', 'fields=', 'fields=SUMMARY', 'fields=summary&fields=full']) {
      for (const res of [await owner<ResultsResponse>(host, `/api/owner/results?${query}`), await call<ErrorReply>(host.publicUrl, `/api/results?${query}`, { token: ada.token })]) {
        expect([query, res.status, res.body.error]).toEqual([query, 400, 'bad_request']);
        expect(res.body.message, query).toMatch(query.includes('&') ? /`fields` may be given once/ : /`fields` must be one of full, summary/);
      }
    }
  });
});

describe('one result, the leaderboard, the champions, the membership', () => {
  it('serve what the fold keeps, with clear refusals', async () => {
    host = await startTestHost({ membership: 'open' });
    const { ada, bob } = await sixResults(host);

    const one = await owner<ResultResponse>(host, '/api/owner/results/r5');
    expect(one.body.result).toMatchObject({ id: 'r5', patch: lrPatch('0.003', '0.005'), parent: 'r2', member_name: 'ada', status: 'keep' });
    const missing = await owner<ResultResponse>(host, '/api/owner/results/r99');
    expect([missing.status, missing.body.error, missing.body.message]).toEqual([404, 'not_found', 'There is no result "r99" in this program\'s KB.']);

    const results = await owner<LeaderboardResponse>(host, '/api/owner/leaderboard');
    expect(results.body.view).toBe('results');
    expect(ids(results.body.entries)).toEqual(['r5', 'r2', 'r6', 'r3', 'r1']);
    expect(results.body.entries[0]).not.toHaveProperty('patch');
    expect(ids((await owner<LeaderboardResponse>(host, '/api/owner/leaderboard?view=results&limit=2')).body.entries)).toEqual(['r5', 'r2']);
    const members = await owner<LeaderboardResponse>(host, '/api/owner/leaderboard?view=members');
    expect(members.body.entries.map((e) => [e.id, e.member])).toEqual([['r5', ada.memberId], ['r2', bob.memberId]]);
    for (const query of ['view=people', 'limit=0', 'limit=1001', 'limit=5&limit=6', 'top=3']) {
      expect((await owner(host, `/api/owner/leaderboard?${query}`)).status).toBe(400);
    }

    const champions = await owner<ChampionsResponse>(host, '/api/owner/champions');
    expect(champions.body).toMatchObject({ total: 3, next: null });
    expect(champions.body.champions.map((c) => [c.id, c.member_name, c.crowned_value, c.previous, c.verification])).toEqual([
      ['r1', 'ada', 3, null, 'unverified'],
      ['r2', 'bob', 2.5, 'r1', 'unverified'],
      ['r5', 'ada', 2, 'r2', 'unverified'],
    ]);
    expect(champions.body.champions.map((c) => c.improvement)).toEqual([null, 0.5, 0.5]);
    const last = await owner<ChampionsResponse>(host, '/api/owner/champions?limit=2');
    expect([ids(last.body.champions), last.body.next]).toEqual([['r2', 'r5'], 2]);
    const earlier = await owner<ChampionsResponse>(host, `/api/owner/champions?limit=2&before=${last.body.next}`);
    expect([ids(earlier.body.champions), earlier.body.next]).toEqual([['r1'], null]);
    for (const query of ['limit=0', 'before=x', 'after=3']) expect((await owner(host, `/api/owner/champions?${query}`)).status).toBe(400);

    const series = await owner<SeriesResponse>(host, '/api/owner/series');
    expect(series.body).toMatchObject({ crashes: 1, results: 6, stride: 1, members: { [ada.memberId]: 'ada', [bob.memberId]: 'bob' } });
    expect(series.body.points.map((p) => [p.seq, p.value, p.status, p.champion])).toEqual([
      [1, 3, 'keep', true], [2, 2.5, 'keep', true], [3, 2.7, 'discard', false], [5, 2, 'keep', true], [6, 2.6, 'discard', false],
    ]);
    for (const query of ['points=0', 'points=2001', 'from=10&to=5', 'from=-1', 'zoom=2']) expect((await owner(host, `/api/owner/series?${query}`)).status).toBe(400);

    // `--membership open` over TASK.md's invite: the owner's status says what is in force.
    expect((await owner<OwnerStatusResponse>(host, '/api/owner/status')).body.membership).toBe('open');
  });

  it('the membership is TASK.md\'s when nothing overrides it', async () => {
    host = await startTestHost({ program: sampleProgram({ membership: 'open' }) });
    expect((await owner<OwnerStatusResponse>(host, '/api/owner/status')).body.membership).toBe('open');
    await host.dispose();
    host = await startTestHost();
    expect((await owner<OwnerStatusResponse>(host, '/api/owner/status')).body.membership).toBe('invite');
  });
});

describe('at 100 000 results', () => {
  const N = 100_000;
  const RARE = new Set([7, 45_000, 99_990]);
  let home: TempHome;
  let big: BigKb;
  let running: RunningHost;

  beforeAll(async () => {
    home = await tempHome();
    big = await buildBigKb({ paths: home.paths, results: N, members: 20, hypothesis: (seq) => (RARE.has(seq) ? `try the Zebra schedule (${seq})` : undefined) });
    running = await startHost({ program: big.program, paths: home.paths, writeState: false });
  }, 120_000);
  afterAll(async () => {
    await running?.close();
    await home?.cleanup();
  });

  it('builds well under a minute through the store, and the host opens it as its own', async () => {
    expect(big.ms).toBeLessThan(30_000);
    expect(running.kb.total).toBe(N);
  });

  it('a rare q stops after SEARCH_SCAN_MAX results and goes on from the cursor', async () => {
    const seen: string[] = [];
    let examined = 0;
    let cursor: number | null = null;
    let requests = 0;
    do {
      const page: { body: ResultsResponse } = await owner<ResultsResponse>(running, `/api/owner/results?q=zebra&order=desc${cursor === null ? '' : `&before=${cursor}`}`);
      requests++;
      expect(page.body.scan!.examined).toBeLessThanOrEqual(SEARCH_SCAN_MAX);
      examined += page.body.scan!.examined;
      seen.push(...ids(page.body.results));
      cursor = page.body.next;
      if (cursor !== null) expect(page.body.scan!.stopped_early).toBe(true);
    } while (cursor !== null);
    expect(seen).toEqual(['r99990', 'r45000', 'r7']);
    expect(examined).toBe(N);
    expect(requests).toBe(Math.ceil(N / SEARCH_SCAN_MAX));
  });

  it('the series costs its points, the leaderboards and champions what they return', async () => {
    const t0 = performance.now();
    const all = await owner<SeriesResponse>(running, '/api/owner/series?points=500');
    const seriesMs = performance.now() - t0;
    expect(all.body.results).toBe(N);
    expect(all.body.stride).toBe(N / 500);
    const sampled = all.body.points.filter((p) => !p.champion).length;
    expect(sampled).toBeLessThanOrEqual(501);
    expect(all.body.points.filter((p) => p.champion).length).toBe(big.champions);
    // Crashes counted exactly, not sampled: the status index agrees.
    const crashes = (await owner<ResultsResponse>(running, '/api/owner/results?status=crash&limit=1')).body;
    expect(crashes.results.length).toBe(1);
    expect(all.body.crashes).toBe((await running.kb.status()).counts.crash);
    // A zoom: results 1 001 … 3 000 (result n was recorded at start + n s).
    const start = all.body.from!;
    const zoom = await owner<SeriesResponse>(running, `/api/owner/series?points=100&from=${start + 1000_000}&to=${start + 2999_000}`);
    expect([zoom.body.results, zoom.body.from, zoom.body.to, zoom.body.stride]).toEqual([2000, start + 1000_000, start + 2999_000, 20]);
    expect(zoom.body.points.every((p) => p.seq >= 1001 && p.seq <= 3000)).toBe(true);
    const zoomCrashes = (await running.kb.results(1000)).filter((r) => r.seq <= 3000 && r.status === 'crash').length;
    expect(zoom.body.crashes).toBe(zoomCrashes);
    expect(seriesMs).toBeLessThan(500);

    const champions = await owner<ChampionsResponse>(running, '/api/owner/champions?limit=10');
    expect(champions.body.total).toBe(big.champions);
    expect(champions.body.champions.at(-1)!.id).toBe(big.champion);
    const members = await owner<LeaderboardResponse>(running, '/api/owner/leaderboard?view=members&limit=1000');
    expect(members.body.entries).toHaveLength(20);
    const board = await owner<LeaderboardResponse>(running, '/api/owner/leaderboard?view=results&limit=1000');
    expect(board.body.entries).toHaveLength(1000);
    expect(members.body.entries[0]!.id).toBe(board.body.entries[0]!.id);
  });
});
