import { describe, expect, it } from 'vitest';
import { applyResult, emptyState, foldResults, type FoldInput, type FoldSpec } from './fold.ts';

const MIN: FoldSpec = { direction: 'minimize', accept: 'beats-champion', min_improvement: 0 };
let seq = 0;
const r = (member: string, value: number | null, codeHash: string, crashed = false): FoldInput => {
  seq += 1;
  return { seq, id: `r${seq}`, member, value, crashed, codeHash, bytes: 10 };
};

describe('applyResult', () => {
  it('judges against the state and applies the verdict: baseline, champion, codes, tallies', () => {
    seq = 0;
    const verdicts: string[] = [];
    const state = foldResults(MIN, [r('a', null, 'c1', true), r('a', 3, 'c1'), r('b', 2.5, 'c2'), r('b', 2, 'c1'), r('a', 2.6, 'c3')], (input, v) =>
      verdicts.push(`${input.id}:${v.status}${v.duplicateOf ? `>${v.duplicateOf}` : ''}`),
    );
    // The crash does not claim c1: r2 with the same code is not its duplicate, r4 is r2's.
    expect(verdicts).toEqual(['r1:crash', 'r2:keep', 'r3:keep', 'r4:duplicate>r2', 'r5:discard']);
    expect(state).toMatchObject({ seq: 5, baseline: 3, champion: { id: 'r3', member: 'b', value: 2.5, impact: 0.5 } });
    expect(state.counts).toEqual({ keep: 2, discard: 1, crash: 1, duplicate: 1 });
    expect([...state.codes]).toEqual([['c1', 'r2'], ['c2', 'r3'], ['c3', 'r5']]);
    // Every result counts toward its member's storage, crashes and duplicates too (10 bytes each here).
    expect(state.members.get('a')).toEqual({ results: 3, keeps: 1, weight: 0n, storedBytes: 30, pendingWeight: 0n, notReproduced: 0 });
    expect(state.members.get('b')).toEqual({ results: 2, keeps: 1, weight: 500_000_000_000n, storedBytes: 20, pendingWeight: 500_000_000_000n, notReproduced: 0 });
  });

  it('under threshold a discarded first result still sets the baseline, and weight is the best keep', () => {
    seq = 0;
    const spec: FoldSpec = { direction: 'minimize', accept: 'threshold', threshold: 2, min_improvement: 0 };
    const state = foldResults(spec, [r('a', 3, 'c1'), r('a', 1.5, 'c2'), r('a', 1.8, 'c3'), r('a', 1, 'c4')]);
    expect(state.baseline).toBe(3);
    expect(state.champion?.id).toBe('r4');
    expect(state.members.get('a')?.weight).toBe(1_000_000_000_000n);
  });

  it('refuses results out of arrival order', () => {
    const state = emptyState(MIN);
    applyResult(state, { seq: 2, id: 'r2', member: 'a', value: 1, crashed: false, codeHash: 'x', bytes: 0 });
    expect(() => applyResult(state, { seq: 2, id: 'r2', member: 'a', value: 1, crashed: false, codeHash: 'y', bytes: 0 })).toThrow(/arrival order/);
  });
});
