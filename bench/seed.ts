/**
 * `npm run bench`, step 1: a KB of BENCH_KB_RESULTS results (default 1 000 000) for the bench host
 * to open, written through the store (main/testing/seed-kb.ts: batches of 20 000 prepared inserts,
 * one transaction each) in its own process, so that the host's open time and memory are measured
 * in a process that did nothing else.
 *
 * Usage: node bench/seed.ts HOME COUNT. Prints one JSON line: {kbFile, results, champions, champion, seedMs}.
 */
import { join } from 'node:path';
import { kbPath } from '../protocol/node/paths.ts';
import { SqliteKbStore } from '../main/store/sqlite-store.ts';
import { sampleProgram, TRAIN_PY } from '../main/testing/harness.ts';
import { seedResults } from '../main/testing/seed-kb.ts';

export interface SeedInfo {
  kbFile: string;
  results: number;
  champions: number;
  champion: string | null;
  members: number;
  seedMs: number;
}

/** The program the bench host publishes; the seeded KB is judged by its rules. */
// The bench measures throughput, far past what a member may send: quotas at their maximum.
// Verification on (one re-run per claim): the verification scenario lands re-runs; the others run with it on and none landing.
export const benchProgram = () =>
  sampleProgram({ name: 'bench', quota: { storage_mb: 1_048_576, submissions_per_hour: 1_000_000 }, verify: { replicas: 1, tolerance: 0 } });

const SEED_MEMBERS = 200;

async function main(home: string, count: number): Promise<SeedInfo> {
  const t0 = performance.now();
  const paths = { configDir: join(home, 'config'), dataDir: join(home, 'data') };
  const kbFile = kbPath(paths, benchProgram().spec.name);
  const store = SqliteKbStore.open(kbFile);
  try {
    // Members through the store's own path: an approved join request, consumed once.
    const members: string[] = [];
    for (let i = 0; i < SEED_MEMBERS; i++) {
      const id = `m_seed${String(i).padStart(3, '0')}`;
      const at = 1_700_000_000_000;
      await store.insertJoinRequest({
        id: `jr_seed${i}`, deviceCodeHash: `seed-dc-${i}`, userCode: `SEED-${String(i).padStart(4, '0')}`, status: 'approved', clientId: 'cohort-worker',
        name: `seed-${i}`, hostname: `seed-${i}-host`, os: 'linux', gpu: 'NVIDIA H100 80GB HBM3', appVersion: '0.1.0', ip: '127.0.0.1',
        createdAt: at, expiresAt: at + 900_000, interval: 5, lastPollAt: null, decidedAt: at, memberId: null,
      });
      await store.consumeJoinRequest(`jr_seed${i}`, {
        id, name: `seed-${i}`, hostname: `seed-${i}-host`, os: 'linux', gpu: 'NVIDIA H100 80GB HBM3', appVersion: '0.1.0', ip: '127.0.0.1',
        tokenHash: `seed-token-${i}`, joinRequestId: `jr_seed${i}`, joinedAt: at, revokedAt: null,
      });
      members.push(id);
    }
    const { direction, accept, threshold, min_improvement, baseline } = benchProgram().spec;
    const seeded = await seedResults(store, {
      spec: { direction, accept, threshold, min_improvement, baseline },
      members,
      count,
      championFiles: new Map([['train.py', TRAIN_PY]]),
    });
    return { kbFile, results: count, champions: seeded.champions, champion: seeded.last, members: SEED_MEMBERS, seedMs: Math.round(performance.now() - t0) };
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  const [home, count] = process.argv.slice(2);
  if (home === undefined || !/^\d+$/.test(count ?? '')) throw new Error('usage: node bench/seed.ts HOME COUNT');
  process.stdout.write(`${JSON.stringify(await main(home, Number(count)))}\n`);
}
