/**
 * Verified champions over the real host (docs/design.md): a claim is leased to another member,
 * re-run, and decided; a false claim hands the champion back and earns nothing; leases are refused
 * when they should be; a restart gives the same state.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { nastyString } from '../../testing/hostile-arbitraries.ts';
import { expectRefusal, KbFingerprint, rawRequest, type Header } from '../../testing/hostile.ts';
import type { NextJobResponse, OwnerStatusResponse, RerunReportResponse, ResultsResponse, StatusResponse } from '../../../protocol/index.ts';
import { runCohort } from '../../../cli/testing.ts';
import { newMembership } from '../../../worker-runtime/credentials.ts';
import type { WorkerEvent } from '../../../worker-runtime/events.ts';
import { ClaimWatch } from '../../../worker-runtime/session/claim-watch.ts';
import { HostSession } from '../../../worker-runtime/session/host-session.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, type Joined, type TestHost } from '../../testing/harness.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

const VERIFY = { pool: 100, baseline: 3, verify: { replicas: 1, tolerance: 0.01 } };
let clock = 1_800_000_000_000;

async function start(spec: Record<string, unknown> = VERIFY): Promise<TestHost> {
  clock = 1_800_000_000_000;
  host = await startTestHost({ program: sampleProgram(spec), membership: 'open', now: () => clock });
  return host;
}

const submit = (h: TestHost, m: Joined, value: number, lr: string, hardware: Record<string, unknown> = { gpu: 'NVIDIA H100' }) =>
  call<{ result: { id: string; status: string } }>(h.publicUrl, '/api/results', { token: m.token, json: { value, patch: lrPatch(lr), hardware } });
const next = (h: TestHost, m: Joined, gpu = 'NVIDIA H100') => call<NextJobResponse>(h.publicUrl, '/api/verifications/next', { token: m.token, json: { hardware: { gpu } } });
const report = (h: TestHost, m: Joined, lease: string, body: Record<string, unknown>) =>
  call<RerunReportResponse & { error?: string; message?: string }>(h.publicUrl, `/api/verifications/${lease}/report`, { token: m.token, json: body });
const status = async (h: TestHost) => (await call<StatusResponse>(h.publicUrl, '/api/status', { token: (await joinMember(h, `reader${Math.random()}`)).token })).body;

describe('verified champions over the API', () => {
  it('a claim is leased to another member only, re-run with its exact code, and once reproduced it earns', async () => {
    const h = await start();
    const [ada, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'bob')];
    expect((await submit(h, ada, 2.5, '0.02')).body.result.status).toBe('keep');
    // Pending: it leads, but earns nothing yet.
    let s = await status(h);
    expect(s.champion).toMatchObject({ id: 'r1' });
    expect(s.leaderboard[0]).toMatchObject({ id: 'r1', verification: 'pending', effective_value: 2.5 });
    expect(s.payouts).toEqual([]);
    expect(s.pending_payouts).toEqual([expect.objectContaining({ name: 'ada', amount: '100.000000' })]);

    expect((await next(h, ada)).body.job).toBeNull(); // never the claimant
    const job = (await next(h, bob)).body.job!;
    expect(job).toMatchObject({ claim: { id: 'r1', member_name: 'ada', value: 2.5 }, run: 'python3 train.py', time_budget: 300 });
    expect(job.files.find((f) => f.path === 'train.py')?.content).toContain('LEARNING_RATE = 0.02');
    expect((await next(h, bob)).body.job?.lease).toBe(job.lease); // asking again: the same job

    const done = await report(h, bob, job.lease, { value: 2.505, hardware: { gpu: 'NVIDIA H100' }, idempotency_key: 'k1' });
    expect(done.status).toBe(201);
    expect(done.body.claim).toMatchObject({ id: 'r1', verification: 'reproduced', effective_value: 2.505, status: 'keep' });
    expect((await report(h, bob, job.lease, { value: 2.505, idempotency_key: 'k1' })).status).toBe(200); // a replay
    s = await status(h);
    expect(s.leaderboard[0]).toMatchObject({ id: 'r1', verification: 'reproduced', effective_value: 2.505, reruns: [{ member_name: 'bob', value: 2.505 }] });
    expect(s.payouts).toEqual([expect.objectContaining({ name: 'ada', amount: '100.000000' })]);
    expect(s.pending_payouts).toEqual([]);
    // Settled: another report, even under a new lease, is refused; no job is left.
    expect((await report(h, bob, job.lease, { value: 2.4 })).body.error).toBe('lease_expired');
    expect((await next(h, bob)).body.job).toBeNull();
  });

  it('a false claim is not reproduced: the champion goes back, later results are judged again, the claimant earns nothing; a restart agrees', async () => {
    const h = await start();
    const [ada, mallory, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'mallory'), await joinMember(h, 'bob')];
    await submit(h, ada, 2.5, '0.02');
    const adaJob = (await next(h, bob)).body.job!;
    await report(h, bob, adaJob.lease, { value: 2.5 });
    expect((await submit(h, mallory, 0.1, '0.03')).body.result.status).toBe('keep'); // a made-up value takes the lead
    expect((await submit(h, bob, 2.2, '0.04')).body.result.status).toBe('discard'); // not better than 0.1
    const job = (await next(h, ada)).body.job!;
    expect(job.claim).toMatchObject({ id: 'r2', value: 0.1 });
    const verdict = await report(h, ada, job.lease, { value: 2.9 });
    expect(verdict.body.claim).toMatchObject({ id: 'r2', verification: 'not_reproduced', status: 'discard' });
    expect(verdict.body.claim.reason).toMatch(/not reproduced: claimed 0\.1, the re-run got 2\.9/);

    const s = await status(h);
    expect(s.champion).toMatchObject({ id: 'r3', member_name: 'bob' }); // bob's 2.2 now beats ada's 2.5
    const page = (await call<ResultsResponse>(h.publicUrl, '/api/results', { token: bob.token })).body.results;
    expect(page.map((r) => [r.id, r.status, r.verification])).toEqual([['r1', 'keep', 'reproduced'], ['r2', 'discard', 'not_reproduced'], ['r3', 'keep', 'pending']]);
    expect(s.payouts.map((p) => p.name)).toEqual(['ada']);
    const owner = (await call<OwnerStatusResponse>(h.ownerUrl, '/api/owner/status', { token: h.ownerToken })).body;
    expect(owner.payouts.find((p) => p.name === 'mallory')).toBeUndefined();

    // A restart folds the log with its re-runs to the same state (every stored verdict checked).
    await h.close();
    host = await startTestHost({ program: sampleProgram(VERIFY), membership: 'open', now: () => clock }, h.home);
    const again = await status(host);
    expect([again.champion?.id, again.payouts, again.leaderboard.map((r) => [r.id, r.verification])]).toEqual([s.champion?.id, s.payouts, s.leaderboard.map((r) => [r.id, r.verification])]);
  });

  it('refuses reports without a live lease, and offers an expired lease again; same_hardware keeps other GPUs away', async () => {
    const h = await start();
    const [ada, bob, cy] = [await joinMember(h, 'ada'), await joinMember(h, 'bob'), await joinMember(h, 'cy')];
    await submit(h, ada, 2.5, '0.02');
    expect((await next(h, cy, 'NVIDIA GB10')).body.job).toBeNull(); // another GPU model
    const job = (await next(h, bob)).body.job!;
    expect((await next(h, cy, 'nvidia  h100')).body.job).toBeNull(); // leased to bob
    expect((await report(h, cy, job.lease, { value: 2.5 })).body.error).toBe('lease_expired'); // not cy's lease
    expect((await report(h, cy, 'ls_nope', { value: 2.5 })).status).toBe(409);
    expect((await report(h, bob, job.lease, { value: 'x' })).status).toBe(400);
    clock += (2 * 300 + 61) * 1000; // past twice the budget plus the grace
    expect((await report(h, bob, job.lease, { value: 2.5 })).body.error).toBe('lease_expired');
    // Bob let it lapse: not offered to bob again (one member cannot hold the oldest claim forever).
    expect((await next(h, bob)).body.job).toBeNull();
    const again = (await next(h, cy, 'nvidia  h100')).body.job!;
    expect(again.claim.id).toBe('r1');
    // Named as the owner knows the re-runner.
    expect((await report(h, cy, again.lease, { value: null, crashed: true })).body.claim).toMatchObject({ verification: 'not_reproduced', reason: 'not reproduced: a re-run by cy crashed' });
  });

  it('a re-run at the claimed value settles the claim without folding the log again, to the state a restart folds; two replicas wait for both', async () => {
    const h = await start({ ...VERIFY, verify: { replicas: 2, tolerance: 0.01 } });
    const [ada, bob, cy, dee] = [await joinMember(h, 'ada'), await joinMember(h, 'bob'), await joinMember(h, 'cy'), await joinMember(h, 'dee')];
    await submit(h, ada, 2.5, '0.02');
    await submit(h, bob, 2.4, '0.03');
    const first = (await next(h, cy)).body.job!;
    expect(first.claim.id).toBe('r1'); // the oldest pending claim first
    expect((await report(h, cy, first.lease, { value: 2.5 })).body.claim.verification).toBe('pending'); // one of two
    expect((await next(h, cy)).body.job?.claim.id).toBe('r2'); // cy re-ran r1 already: it gets r2
    const second = (await next(h, dee)).body.job!;
    expect(second.claim.id).toBe('r1');
    expect((await report(h, dee, second.lease, { value: 2.49 })).body.claim).toMatchObject({ verification: 'reproduced', effective_value: 2.5 });
    const live = await status(h);
    expect(live.payouts).toEqual([expect.objectContaining({ name: 'ada' })]);
    const page = (await call<ResultsResponse>(h.publicUrl, '/api/results', { token: ada.token })).body.results;
    expect(page[0]!.reason).toMatch(/\(reproduced: claimed 2\.5, the median of 2 re-runs is 2\.495\)$/);
    await h.close();
    host = await startTestHost({ program: sampleProgram({ ...VERIFY, verify: { replicas: 2, tolerance: 0.01 } }), membership: 'open', now: () => clock }, h.home);
    const again = await status(host);
    expect([again.champion, again.payouts, again.pending_payouts, again.leaderboard]).toEqual([live.champion, live.payouts, live.pending_payouts, live.leaderboard]);
  });

  it('the claimant\'s worker is told when another member\'s re-run decides its claim', async () => {
    const h = await start();
    const [ada, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'bob')];
    const membership = newMembership({ program: 'sample', url: h.publicUrl, token: ada.token, memberId: ada.memberId, name: 'ada', joinedAt: new Date().toISOString() });
    const watch = new ClaimWatch(new HostSession({ membership, outboxDir: `${h.home.dir}/ada-outbox` }));
    const heard: WorkerEvent[] = [];
    await submit(h, ada, 2.5, '0.02');
    await submit(h, ada, 2.4, '0.03');
    await watch.check((e) => heard.push(e)); // the first look learns, says nothing
    let job = (await next(h, bob)).body.job!;
    await report(h, bob, job.lease, { value: 2.5 });
    job = (await next(h, bob)).body.job!;
    await report(h, bob, job.lease, { value: 3.5 });
    await watch.check((e) => heard.push(e));
    expect(heard.map((e) => (e.type === 'claim-verdict' ? [e.result.id, e.result.verification] : e.type))).toEqual([['r2', 'not_reproduced'], ['r1', 'reproduced']]);
    await watch.check((e) => heard.push(e));
    expect(heard).toHaveLength(2); // said once
  });

  it('a new `verify` in TASK.md judges the claims again by their re-runs at the next start: turned on, then a looser tolerance', async () => {
    const h = await start({ pool: 100, baseline: 3 }); // verification off
    const [ada, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'bob')];
    await submit(h, ada, 2.5, '0.02');
    expect((await status(h)).payouts).toHaveLength(1); // unverified claims count
    await h.close();
    const restart = async (spec: Record<string, unknown>) => {
      await host!.close();
      host = await startTestHost({ program: sampleProgram(spec), membership: 'open', now: () => clock }, h.home);
      return host;
    };
    let h2 = await restart({ ...VERIFY, verify: { replicas: 1, tolerance: 0.01 } });
    let s = await status(h2);
    expect([s.leaderboard[0]?.verification, s.payouts, s.pending_payouts.length]).toEqual(['pending', [], 1]);
    const job = (await next(h2, bob)).body.job!;
    expect((await report(h2, bob, job.lease, { value: 2.52 })).body.claim.verification).toBe('not_reproduced');
    expect((await status(h2)).champion).toBeNull();
    // The owner finds the program noisier than thought: tolerance 0.05. r1 now reproduces, at 2.52.
    h2 = await restart({ ...VERIFY, verify: { replicas: 1, tolerance: 0.05 } });
    s = await status(h2);
    expect(s.champion).toMatchObject({ id: 'r1', value: 2.52, verification: 'reproduced' });
    expect(s.payouts).toEqual([expect.objectContaining({ name: 'ada', amount: '100.000000' })]);
    // Written: the same TASK.md again opens with every stored verdict checked.
    h2 = await restart({ ...VERIFY, verify: { replicas: 1, tolerance: 0.05 } });
    expect((await status(h2)).champion).toMatchObject({ id: 'r1', verification: 'reproduced' });
  });

  it('champion-takes-all pays a pending champion nothing until it reproduces', async () => {
    const h = await start({ ...VERIFY, split: 'champion-takes-all' });
    const [ada, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'bob')];
    await submit(h, ada, 2.5, '0.02');
    expect((await status(h)).payouts).toEqual([]);
    const job = (await next(h, bob)).body.job!;
    await report(h, bob, job.lease, { value: 2.5 });
    expect((await status(h)).payouts).toEqual([expect.objectContaining({ name: 'ada', amount: '100.000000' })]);
  });

  it('the owner sees the noise, a member whose claims keep failing, and can put a claim back in the queue; the CLI shows it all', async () => {
    const h = await start();
    const [ada, bob, cy, mallory] = [await joinMember(h, 'ada'), await joinMember(h, 'bob'), await joinMember(h, 'cy'), await joinMember(h, 'mallory')];
    await submit(h, ada, 2.5, '0.02');
    let job = (await next(h, bob)).body.job!;
    // Requeue: bob's lease is dropped, cy gets the claim.
    const requeued = await call<{ claim: string; released: string | null }>(h.ownerUrl, '/api/owner/verifications/r1/requeue', { method: 'POST', token: h.ownerToken });
    expect(requeued.body).toEqual({ claim: 'r1', released: bob.memberId });
    expect((await report(h, bob, job.lease, { value: 2.5 })).body.error).toBe('lease_expired');
    job = (await next(h, cy)).body.job!;
    expect(job.claim.id).toBe('r1');
    await report(h, cy, job.lease, { value: 2.504 });
    expect((await call(h.ownerUrl, '/api/owner/verifications/r1/requeue', { method: 'POST', token: h.ownerToken })).body).toMatchObject({ error: 'claim_settled' });
    expect((await call(h.ownerUrl, '/api/owner/verifications/r99/requeue', { method: 'POST', token: h.ownerToken })).status).toBe(404);

    // Two false claims by mallory: flagged.
    for (const [value, lr] of [[0.1, '0.03'], [0.05, '0.04']] as const) {
      const claimed = await submit(h, mallory, value, lr);
      const j = (await next(h, bob)).body.job!;
      expect(j.claim.id).toBe(claimed.body.result.id);
      await report(h, bob, j.lease, { value: 2.6 });
    }
    const owner = (await call<OwnerStatusResponse>(h.ownerUrl, '/api/owner/status', { token: h.ownerToken })).body;
    expect(owner.members.find((m) => m.name === 'mallory')?.verification).toEqual({ not_reproduced: 2, flagged: true });
    expect(owner.members.find((m) => m.name === 'ada')?.verification).toEqual({ not_reproduced: 0, flagged: false });
    expect(owner.noise).toMatchObject({ reruns: 3, claim_vs_rerun: { median: 2.5 } });
    expect(owner.noise!.suggested_min_improvement).toBeGreaterThan(2.5);

    const cli = await runCohort(h.home.dir, ['status']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/Champion: r1 val_bpb 2\.504 \(reproduced\) by ada/);
    expect(cli.stdout).toMatch(/VERIFIED/);
    expect(cli.stdout).toMatch(/2\.5 → 2\.504\s+reproduced/);
    expect(cli.stdout).toMatch(/NOT REPRODUCED/);
    expect(cli.stdout).toMatch(/Noise \(3 re-runs\): re-runs land 2\.5 from their claims \(median\)/);
    expect(cli.stdout).toMatch(/! Claims that did not reproduce: mallory \(2\)/);
    expect((await runCohort(h.home.dir, ['members'])).stdout).toMatch(/mallory.*2 FLAGGED/);
    expect((await runCohort(h.home.dir, ['requeue', 'r1'])).stderr).toMatch(/already decided \(reproduced\)/);
  });

  it('without `verify` nothing is offered and every claim counts as it is, unverified', async () => {
    const h = await start({ pool: 100, baseline: 3 });
    const [ada, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'bob')];
    await submit(h, ada, 2.5, '0.02');
    expect((await next(h, bob)).body.job).toBeNull();
    const s = await status(h);
    expect(s.leaderboard[0]).toMatchObject({ verification: 'unverified' });
    expect(s.payouts).toEqual([expect.objectContaining({ name: 'ada', amount: '100.000000' })]);
  });

  it('hostile reports, leases and job requests: 4xx JSON without internals, nothing recorded; the lease still works after', async () => {
    const h = await start();
    const [ada, bob] = [await joinMember(h, 'ada'), await joinMember(h, 'bob')];
    await submit(h, ada, 2.5, '0.02');
    const job = (await next(h, bob)).body.job!;
    const kb = new KbFingerprint(h.kbFile);
    const auth: Header = ['Authorization', `Bearer ${bob.token}`];
    const json: Header = ['Content-Type', 'application/json'];
    const body = fc.oneof(
      fc.anything().map((v) => JSON.stringify(v) ?? 'null'),
      fc.record({ value: fc.oneof(nastyString, fc.constantFrom<unknown>(null, true, [], {}, '1', 1e301)) }).map((b) => JSON.stringify(b)),
      fc.constantFrom('{"value":1,"value":2}', '{"value":1,"__proto__":{"x":1}}', '{"value":1,"member":"m_ada"}', '{"value":1,"output":"' + 'x'.repeat(9000) + '"}', '{', ''),
      fc.integer({ min: 17, max: 5000 }).map((d) => `{"value":1,"hardware":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`),
    );
    const lease = fc.oneof(fc.constant(job.lease), nastyString.filter((l) => l.isWellFormed()).map((l) => encodeURIComponent(l)), fc.constantFrom('ls_', 'ls_' + 'A'.repeat(80), '..%2F..%2Fetc', '%00'));
    try {
      await fc.assert(
        fc.asyncProperty(body, lease, async (text, l) => {
          const before = kb.take();
          const res = await rawRequest(h.publicUrl, { method: 'POST', path: `/api/verifications/${l}/report`, headers: [auth, json], body: text });
          if (res.status < 300) return; // a valid report slipped through (a number for value): checked below
          expectRefusal(res, `report ${text.slice(0, 80)} on ${l.slice(0, 40)}`);
          expect(kb.take(), 'a refused report changed the KB').toBe(before);
        }),
        { numRuns: 300 },
      );
      for (const text of ['{"hardware":"x"}', '{"hardware":{"gpu":1e400}}', '[]', '{"extra":1}']) {
        expectRefusal(await rawRequest(h.publicUrl, { method: 'POST', path: '/api/verifications/next', headers: [auth, json], body: text }), `next ${text}`, [400]);
      }
    } finally {
      kb.close();
    }
    // If no generated body happened to be a valid report, the lease is still live and works now.
    const claim = (await call<StatusResponse>(h.publicUrl, '/api/status', { token: bob.token })).body.leaderboard[0]!;
    if (claim.verification === 'pending') expect((await report(h, bob, job.lease, { value: 2.5 })).status).toBe(201);
  });
});
