import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskSpec } from '../../protocol/index.ts';
import { Workspace } from '../workspace/workspace.ts';
import { mutate, nudge, seededRandom } from './mutate.ts';

const SOURCE = ['import torch', 'LEARNING_RATE = 3e-3  # peak lr', 'N_LAYER = 4', 'DROPOUT: float = 0.1', 'def f():', '    N_LAYER = 99  # not top level', ''].join('\n');
const spec = TaskSpec.parse({
  name: 'm', objective: 'o', metric: 'val_bpb', direction: 'minimize',
  search: { LEARNING_RATE: { min: 1e-4, max: 1e-2, scale: 'log' }, N_LAYER: { min: 2, max: 8, integer: true }, DROPOUT: { min: 0, max: 0.3 } },
});

let dir: string;
let ws: Workspace;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-mutate-'));
  ws = new Workspace({ workspace: dir, state: join(dir, '..', `${dir.split('/').pop()}-state`) }, ['train.py']);
  await writeFile(join(dir, 'train.py'), SOURCE);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the built-in proposer', () => {
  it('changes one or two search constants within their ranges, keeping the rest of the file', async () => {
    const random = seededRandom(7);
    for (let i = 0; i < 30; i++) {
      await writeFile(join(dir, 'train.py'), SOURCE);
      const { hypothesis, mutations } = await mutate(ws, spec, random);
      expect(mutations.length).toBeGreaterThanOrEqual(1);
      expect(hypothesis).toMatch(/^mutate: /);
      const text = await readFile(join(dir, 'train.py'), 'utf8');
      expect(text).toContain('# peak lr');
      expect(text).toContain('    N_LAYER = 99  # not top level');
      for (const m of mutations) {
        expect(m.to).not.toBe(m.from);
        const range = spec.search![m.name]!;
        expect(Number(m.to)).toBeGreaterThanOrEqual(range.min);
        expect(Number(m.to)).toBeLessThanOrEqual(range.max);
        if (range.integer) expect(Number.isInteger(Number(m.to))).toBe(true);
      }
    }
  });

  it('is repeatable with a seed', async () => {
    const a = await mutate(ws, spec, seededRandom(42));
    await writeFile(join(dir, 'train.py'), SOURCE);
    const b = await mutate(ws, spec, seededRandom(42));
    expect(a).toEqual(b);
  });

  it('always moves, even at the edge of a range', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      const v = nudge(8, { min: 2, max: 8, integer: true, scale: 'linear' }, random);
      expect(v).not.toBe(8);
      expect(v).toBeGreaterThanOrEqual(2);
    }
  });

  it('says what to do when there is nothing to change', async () => {
    const bare = TaskSpec.parse({ name: 'm', objective: 'o', metric: 'x', direction: 'minimize' });
    await expect(mutate(ws, bare)).rejects.toThrow(/no `search` block/);
    const missing = TaskSpec.parse({ name: 'm', objective: 'o', metric: 'x', direction: 'minimize', search: { WARMUP: { min: 0, max: 1 } } });
    await expect(mutate(ws, missing)).rejects.toThrow(/no top-level `WARMUP = <number>` line/);
  });
});
