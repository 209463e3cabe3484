/**
 * A large KB for tests and end-to-end specs of the owner's views at scale: `buildBigKb` writes a KB
 * file of `results` results from `members` members through the store (join requests approved and
 * consumed as the device flow does, results in batches of prepared inserts, main/testing/seed-kb.ts),
 * each with the verdict the fold gives it, so a host started on the same paths opens it as its own.
 * 100 000 results take a few seconds (docs/benchmarks.md, "The owner's views at scale").
 *
 * Usage from a spec: `const big = await buildBigKb({ paths, results: 100_000, members: 20 });` then
 * `startHost({ program: big.program, paths })`.
 */
import { kbPath, type CohortPaths } from '../../protocol/node/paths.ts';
import type { ProgramSnapshot } from '../kb/knowledge-base.ts';
import type { KbStore } from '../store/kb-store.ts';
import { SqliteKbStore } from '../store/sqlite-store.ts';
import { sampleProgram, TRAIN_PY } from './harness.ts';
import { seedResults } from './seed-kb.ts';

export interface BigKbOptions {
  paths: CohortPaths;
  results: number;
  members: number;
  /** The program the host will publish (default: the harness's sample program); its rules judge the results. */
  program?: ProgramSnapshot & { dir: string };
  /** Result `seq`'s hypothesis instead of the seeded one (undefined: the seeded one). */
  hypothesis?: (seq: number) => string | undefined;
  /** Time of result 1 (Unix ms); result n is recorded n seconds later. */
  start?: number;
}

export interface BigKb {
  kbFile: string;
  program: ProgramSnapshot & { dir: string };
  /** Member ids, in the order they joined (result n is member n mod count's). */
  members: string[];
  champions: number;
  champion: string | null;
  ms: number;
}

/** Members through the store's own path: an approved join request, consumed once. */
export async function addSeedMembers(store: KbStore, count: number, at = 1_700_000_000_000): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(3, '0');
    const id = `m_seed${n}`;
    const name = `seed-${i}`;
    await store.insertJoinRequest({
      id: `jr_seed${i}`, deviceCodeHash: `seed-dc-${i}`, userCode: `SEED-${String(i).padStart(4, '0')}`, status: 'approved', clientId: 'cohort-worker',
      name, hostname: `${name}-host`, os: 'linux', gpu: 'NVIDIA H100 80GB HBM3', appVersion: '0.1.0', ip: '127.0.0.1',
      createdAt: at, expiresAt: at + 900_000, interval: 5, lastPollAt: null, decidedAt: at, memberId: null,
    });
    await store.consumeJoinRequest(`jr_seed${i}`, {
      id, name, hostname: `${name}-host`, os: 'linux', gpu: 'NVIDIA H100 80GB HBM3', appVersion: '0.1.0', ip: '127.0.0.1',
      tokenHash: `seed-token-${i}`, joinRequestId: `jr_seed${i}`, joinedAt: at, revokedAt: null,
    });
    ids.push(id);
  }
  return ids;
}

export async function buildBigKb(opts: BigKbOptions): Promise<BigKb> {
  const t0 = performance.now();
  const program = opts.program ?? sampleProgram();
  const kbFile = kbPath(opts.paths, program.spec.name);
  const store = SqliteKbStore.open(kbFile);
  try {
    const members = await addSeedMembers(store, opts.members);
    const { direction, accept, threshold, min_improvement, baseline } = program.spec;
    const seeded = await seedResults(store, {
      spec: { direction, accept, threshold, min_improvement, baseline },
      members,
      count: opts.results,
      championFiles: new Map([['train.py', TRAIN_PY]]),
      ...(opts.hypothesis ? { hypothesis: opts.hypothesis } : {}),
      ...(opts.start !== undefined ? { now: opts.start - 1000 } : {}),
    });
    await store.setMeta('program', program.spec.name);
    return { kbFile, program, members, champions: seeded.champions, champion: seeded.last, ms: Math.round(performance.now() - t0) };
  } finally {
    await store.close();
  }
}
