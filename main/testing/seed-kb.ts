import { createHash } from 'node:crypto';
import { applyResult, emptyState, type FoldSpec } from '../rules/fold.ts';
import type { KbStore, NewResult } from '../store/kb-store.ts';
import { seededRandom } from '../../protocol/random.ts';

/**
 * Fills an empty KB with `count` results through the store, fast (tests of listings at scale and
 * `npm run bench`): batches of `batch` rows, each one transaction of prepared inserts. Every row
 * carries the verdict the fold gives it, so the host opens the file as its own (the start-up fold
 * checks each stored verdict). Values drift down slowly with noise, so the champion changes now and
 * then; one result in 20 crashes and one in 50 repeats an earlier code (a duplicate).
 */
export interface SeedOptions {
  spec: FoldSpec;
  /** Member ids that exist in the store; results go to them in turn. */
  members: readonly string[];
  count: number;
  /** The editable files each seeded champion carries (they become parents a live submission may name). */
  championFiles: ReadonlyMap<string, string>;
  batch?: number;
  /** Deterministic by default. */
  seed?: number;
  now?: number;
  /** The hypothesis of result `seq` instead of the seeded one (e.g. a rare word for search tests); undefined keeps the seeded one. */
  hypothesis?: (seq: number) => string | undefined;
}

const OUTPUT = 'step 100 | loss 2.91\nstep 200 | loss 2.74\n---\nval_bpb: ';

export async function seedResults(store: KbStore, opts: SeedOptions): Promise<{ champions: number; last: string | null }> {
  // Seeded, so a seeded KB is the same every run.
  const rand = seededRandom(opts.seed ?? 1);
  const state = emptyState(opts.spec);
  const batchSize = opts.batch ?? 20_000;
  const codes: string[] = [];
  let champions = 0;
  let batch: NewResult[] = [];
  const sign = opts.spec.direction === 'minimize' ? -1 : 1;
  for (let seq = 1; seq <= opts.count; seq++) {
    const id = `r${seq}`;
    const member = opts.members[seq % opts.members.length]!;
    const crashed = rand() < 0.05;
    const repeat = !crashed && codes.length > 0 && rand() < 0.02;
    const hash = repeat ? codes[Math.floor(rand() * codes.length)]! : createHash('sha256').update(`seed ${seq}`).digest('hex');
    if (!repeat && codes.length < 10_000) codes.push(hash);
    // Slow drift towards better values: about one new champion per few thousand results.
    const value = crashed ? null : Number((3 + sign * (Math.log1p(seq) / 10) + (rand() - 0.5) * 0.3).toFixed(6));
    const parent = state.champion?.id ?? null;
    const lr = (0.001 + rand() * 0.02).toFixed(5);
    const seeded = `seeded run ${seq}: try LEARNING_RATE = ${lr} with a warmup of ${Math.floor(rand() * 1000)} steps`;
    const hypothesis = opts.hypothesis?.(seq) ?? seeded;
    const patch = `--- a/train.py\n+++ b/train.py\n@@ -1,1 +1,1 @@\n-LEARNING_RATE = 0.01\n+LEARNING_RATE = ${lr}\n`;
    const output = crashed ? 'Traceback (most recent call last):\nRuntimeError: CUDA out of memory' : `${OUTPUT}${value}`;
    const bytes = Buffer.byteLength(hypothesis) + Buffer.byteLength(patch) + Buffer.byteLength(output);
    const verdict = applyResult(state, { seq, id, member, value, crashed, codeHash: hash, bytes });
    if (verdict.champion) champions++;
    batch.push({
      seq,
      id,
      memberId: member,
      value,
      status: verdict.status,
      impact: verdict.impact,
      champion: verdict.champion,
      duplicateOf: verdict.duplicateOf,
      reason: verdict.reason,
      hypothesis,
      patch,
      parent,
      codeHash: hash,
      output,
      hardware: { gpu: 'H100', gpus: 1 },
      durations: { train_s: 300, total_s: 320 },
      idempotencyKey: null,
      createdAt: (opts.now ?? 1_700_000_000_000) + seq * 1000,
      files: verdict.champion ? opts.championFiles : null,
    });
    if (batch.length >= batchSize) {
      await store.appendResults(batch);
      batch = [];
    }
  }
  await store.appendResults(batch);
  return { champions, last: state.champion?.id ?? null };
}
