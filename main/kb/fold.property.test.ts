/**
 * The KB's live state is the fold of its log: for any sequence of submissions, what the running KB
 * shows (champion, baseline, statuses, impacts, payouts, roster, champion code) is exactly what it
 * shows after closing and reopening the same SQLite file, where the state is rebuilt by folding the
 * stored results (main/rules/fold.ts).
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SubmitResultRequest } from '../../protocol/index.ts';
import { EventBus } from '../events.ts';
import type { MemberRow } from '../store/kb-store.ts';
import { SqliteKbStore } from '../store/sqlite-store.ts';
import { lrPatch, sampleProgram } from '../testing/harness.ts';
import { KnowledgeBase } from './knowledge-base.ts';

const MEMBERS = ['ada', 'bob', 'cy'];

/** Runs `fn` on a KB file in a fresh folder, removed afterwards. */
async function inTempDir(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-fold-'));
  try {
    await fn(join(dir, 'kb.sqlite'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
/** Few distinct codes and values, so duplicates and ties are common. */
const LRS = ['', '0.02', '0.03', '0.04', '0.05'];

const specArb = fc.record({
  direction: fc.constantFrom('minimize' as const, 'maximize' as const),
  accept: fc.constantFrom('beats-champion' as const, 'threshold' as const),
  threshold: fc.constantFrom(1, 2, 2.5),
  min_improvement: fc.constantFrom(0, 0.1, 0.25, 1),
  baseline: fc.option(fc.constantFrom(1.5, 2, 3), { nil: undefined }),
  pool: fc.constantFrom(0, 100, 0.000003),
  split: fc.constantFrom('by-impact' as const, 'champion-takes-all' as const),
});

const submissionArb = fc.record({
  member: fc.nat({ max: MEMBERS.length - 1 }),
  value: fc.oneof(fc.integer({ min: 0, max: 16 }).map((n) => n / 4), fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true })),
  crashed: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  lr: fc.nat({ max: LRS.length - 1 }),
  /** Build on the champion (its code, unchanged: a duplicate of it) instead of the original code. */
  onChampion: fc.boolean(),
  /** Reuse the idempotency key of an earlier submission (a replay), when there is one. */
  replay: fc.nat({ max: 9 }),
  /** Submissions with the same batch number are sent together (one group commit). */
  batch: fc.nat({ max: 3 }),
});

async function addMember(store: SqliteKbStore, name: string, at: number): Promise<MemberRow> {
  const member: MemberRow = {
    id: `m-${name}`, name, hostname: `${name}-host`, os: 'linux', gpu: 'H100', appVersion: '0', ip: '127.0.0.1',
    tokenHash: `hash-${name}`, joinRequestId: `jr-${name}`, joinedAt: at, revokedAt: null,
  };
  await store.insertJoinRequest({
    id: member.joinRequestId ?? '', deviceCodeHash: `dc-${name}`, userCode: `UC-${name}`, status: 'approved', clientId: 'cohort-worker',
    name, hostname: member.hostname, os: 'linux', gpu: 'H100', appVersion: '0', ip: '127.0.0.1', createdAt: at, expiresAt: at + 1e9,
    interval: 5, lastPollAt: null, decidedAt: at, memberId: null,
  });
  expect(await store.consumeJoinRequest(member.joinRequestId ?? '', member)).toBe(true);
  return member;
}

async function snapshot(kb: KnowledgeBase) {
  return {
    champion: kb.champion(),
    baseline: kb.baseline(),
    reference: kb.reference(),
    code: kb.championCode(),
    results: await kb.results(),
    roster: await kb.roster(),
    payouts: await kb.payouts(),
    // Kept by the fold (main/rules/leaders.ts), not read through an index: it must survive a restart too.
    leaderboard: (await kb.status()).leaderboard,
    pendingPayouts: (await kb.status()).pending_payouts,
    noise: (await kb.status()).noise,
    // The owner's views, kept by the fold too (leaders.ts, history.ts): a restart must give them again.
    bestByMember: await kb.leaderboard('members', 1000),
    bestResults: await kb.leaderboard('results', 1000),
    champions: await kb.champions({ limit: 1000, before: null }),
    series: await kb.series({ points: 5 }),
    searched: await kb.page({ order: 'desc', cursor: null, limit: 5, verification: 'pending' }),
  };
}

/** The KB reopened from `file` (its state folded from the log again) shows exactly `live`. */
async function expectSameAfterRestart(file: string, program: ReturnType<typeof sampleProgram>, live: Awaited<ReturnType<typeof snapshot>>): Promise<void> {
  const reopened = SqliteKbStore.open(file);
  try {
    expect(await snapshot(await KnowledgeBase.open({ store: reopened, program, bus: new EventBus() }))).toEqual(live);
  } finally {
    await reopened.close();
  }
}

describe('the KB is a fold over its results', () => {
  it('the live state equals the state rebuilt from the file after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-fold-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(specArb, fc.array(submissionArb, { maxLength: 24 }), async (specIn, subs) => {
          const { threshold, ...rest } = specIn;
          const program = sampleProgram({ ...rest, ...(specIn.accept === 'threshold' ? { threshold } : {}) });
          const file = join(dir, `kb-${run++}.sqlite`);
          const store = SqliteKbStore.open(file);
          const kb = await KnowledgeBase.open({ store, program, bus: new EventBus(), now: () => 1_700_000_000_000 });
          const members = await Promise.all(MEMBERS.map((name, i) => addMember(store, name, i)));

          const keys: { member: number; key: string }[] = [];
          const told = new Map<string, unknown>();
          let i = 0;
          while (i < subs.length) {
            // One batch: consecutive submissions with the same batch number, sent without waiting.
            const batch = [subs[i]!];
            while (i + batch.length < subs.length && subs[i + batch.length]!.batch === batch[0]!.batch) batch.push(subs[i + batch.length]!);
            i += batch.length;
            const sent = batch.map((s) => {
              const earlier = keys.filter((k) => k.member === s.member);
              const key = s.replay < earlier.length ? earlier[s.replay]!.key : `k${keys.length}`;
              if (key === `k${keys.length}`) keys.push({ member: s.member, key });
              const champion = kb.champion();
              const body: SubmitResultRequest = s.onChampion && champion
                ? { value: s.value, parent: champion.id, patch: '', idempotency_key: key }
                : { value: s.value, parent: null, patch: LRS[s.lr] ? lrPatch(LRS[s.lr]!) : '', idempotency_key: key };
              if (s.crashed) Object.assign(body, { crashed: true, value: s.value < 1 ? null : s.value });
              return kb.submit(members[s.member]!, body);
            });
            for (const { record, replayed } of await Promise.all(sent)) {
              if (!replayed) told.set(record.id, record);
            }
          }
          await kb.drain();
          const live = await snapshot(kb);
          // What each member was told is what the KB lists.
          expect(live.results).toEqual([...told.values()]);
          await store.close();
          await expectSameAfterRestart(file, program, live);
        }),
        { numRuns: 60 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('values as SQLite keeps them', () => {
  it('judges -0 as the 0 a restart reads back (found by the property above)', async () => {
    await inTempDir(async (file) => {
      const program = sampleProgram();
      const store = SqliteKbStore.open(file);
      const kb = await KnowledgeBase.open({ store, program, bus: new EventBus() });
      const ada = await addMember(store, 'ada', 0);
      const { record } = await kb.submit(ada, { value: -0 });
      expect(Object.is(record.value, 0)).toBe(true);
      await store.close();
    });
  });
});

describe('start-up checks the stored verdicts against the fold', () => {
  it('refuses a file whose stored verdict the rules do not give again, naming the result', async () => {
    await inTempDir(async (file) => {
      const program = sampleProgram();
      const store = SqliteKbStore.open(file);
      const kb = await KnowledgeBase.open({ store, program, bus: new EventBus() });
      const ada = await addMember(store, 'ada', 0);
      await kb.submit(ada, { value: 3 });
      await kb.submit(ada, { value: 2.5, patch: lrPatch('0.02') });
      await store.close();

      const { DatabaseSync } = await import('node:sqlite');
      const db = new DatabaseSync(file);
      db.exec("UPDATE results SET status = 'discard', champion = 0, impact = 0 WHERE id = 'r2'");
      db.close();
      const reopened = SqliteKbStore.open(file);
      try {
        await expect(KnowledgeBase.open({ store: reopened, program, bus: new EventBus() })).rejects.toThrow(/result r2 is recorded as discard .* rules give keep \(impact 0\.5, champion\)/);
      } finally {
        await reopened.close();
      }
    });
  });
});

describe('the KB is a fold over its results and their re-runs', () => {
  it('with re-runs landing between submissions (honest, worse, crashed, on one or two replicas), the live state equals the state rebuilt after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-fold-verify-'));
    let run = 0;
    const step = fc.oneof(
      { weight: 3, arbitrary: submissionArb.map((s) => ({ kind: 'submit' as const, ...s })) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('verify' as const),
          member: fc.nat({ max: MEMBERS.length - 1 }),
          /** 0: the claimed value; 1: a little worse; 2: much worse; 3: a crash; 4: better. */
          outcome: fc.nat({ max: 4 }),
        }),
      },
    );
    try {
      await fc.assert(
        fc.asyncProperty(specArb, fc.constantFrom(1, 2), fc.constantFrom(0, 0.1), fc.array(step, { maxLength: 30 }), async (specIn, replicas, tolerance, steps) => {
          const { threshold, ...rest } = specIn;
          const program = sampleProgram({ ...rest, ...(specIn.accept === 'threshold' ? { threshold } : {}), verify: { replicas, tolerance } });
          const file = join(dir, `kb-${run++}.sqlite`);
          const store = SqliteKbStore.open(file);
          const kb = await KnowledgeBase.open({ store, program, bus: new EventBus(), now: () => 1_700_000_000_000 });
          const members = await Promise.all(MEMBERS.map((name, i) => addMember(store, name, i)));
          const sign = specIn.direction === 'minimize' ? 1 : -1;
          let key = 0;
          for (const st of steps) {
            const member = members[st.member]!;
            if (st.kind === 'submit') {
              // On the champion (a champion crowned by a re-run included: its files must be there to build on).
              const champion = kb.champion();
              const body: SubmitResultRequest = st.onChampion && champion
                ? { value: st.value, parent: champion.id, patch: LRS[st.lr] ? lrPatch(LRS[st.lr]!) : '', idempotency_key: `k${key++}` }
                : { value: st.value, parent: null, patch: LRS[st.lr] ? lrPatch(LRS[st.lr]!) : '', idempotency_key: `k${key++}` };
              if (st.crashed) Object.assign(body, { crashed: true, value: null });
              await kb.submit(member, body).catch((err: unknown) => {
                // A patch of the original code may not apply to a champion that changed the same line.
                if (!(err instanceof Error && /patch|does not apply/i.test(err.message))) throw err;
              });
              continue;
            }
            const job = await kb.nextJob(member, { gpu: 'H100' });
            if (!job) continue;
            const claimed = job.claim.value;
            const value = [claimed, claimed + sign * 0.05, claimed + sign * 1, null, claimed - sign * 0.5][st.outcome]!;
            await kb.report(member, job.lease, value === null ? { value: null, crashed: true } : { value });
          }
          await kb.drain();
          const live = await snapshot(kb);
          await store.close();
          await expectSameAfterRestart(file, program, live);
        }),
        { numRuns: 150 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a refused batch', () => {
  it('rebuilds the live state from the file by the same fold, and later submissions are judged on it', async () => {
    await inTempDir(async (file) => {
      const program = sampleProgram({ pool: 100 });
      const store = SqliteKbStore.open(file);
      let refuse = false;
      // The store as the KB sees it, with a disk that fails on demand.
      const flaky = new Proxy(store, {
        get(target, prop) {
          if (prop === 'appendResults' && refuse) return () => Promise.reject(new Error('disk full'));
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const kb = await KnowledgeBase.open({ store: flaky, program, bus: new EventBus() });
      const [ada, bob] = [await addMember(store, 'ada', 0), await addMember(store, 'bob', 1)];
      await kb.submit(ada, { value: 3 });
      refuse = true;
      // A new champion and a duplicate of it, judged in memory, then refused by the disk.
      const lost = [kb.submit(bob, { value: 1, patch: lrPatch('0.02') }), kb.submit(ada, { value: 0.5, patch: lrPatch('0.02') })];
      for (const p of await Promise.allSettled(lost)) expect(p.status).toBe('rejected');
      refuse = false;
      // Judged on the rebuilt state: r2 never happened, so this is a keep with r2's id, not a duplicate.
      const again = await kb.submit(ada, { value: 2, patch: lrPatch('0.02') });
      expect(again.record).toMatchObject({ id: 'r2', status: 'keep', duplicate_of: null, champion: true });
      const live = await snapshot(kb);
      expect(live.payouts).toEqual([{ member: ada.id, name: 'ada', impact: 1, amount: '100.000000' }]);
      await store.close();

      const reopened = SqliteKbStore.open(file);
      try {
        expect(await snapshot(await KnowledgeBase.open({ store: reopened, program, bus: new EventBus() }))).toEqual(live);
      } finally {
        await reopened.close();
      }
    });
  });
});
