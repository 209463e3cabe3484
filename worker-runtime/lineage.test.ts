import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../protocol/index.ts';
import { codeLineage, describeLineage } from './lineage.ts';

function result(id: string, member: string, status: ResultRecord['status'], parent: string | null): ResultRecord {
  return {
    id, seq: Number(id.slice(1)), member, member_name: member.replace('m_', ''), value: 1, status, impact: 0, champion: false, duplicate_of: null,
    reason: '', hypothesis: `${id} idea`, patch: '', parent, code_hash: id, output: '', hardware: {}, durations: {}, created_at: '2026-01-01T00:00:00Z',
    verification: 'none', effective_value: 1, reruns: [],
  };
}

const results = [
  result('r1', 'm_ada', 'keep', null),
  result('r2', 'm_bob', 'discard', 'r1'),
  result('r3', 'm_bob', 'keep', 'r1'),
  result('r4', 'm_cy', 'crash', 'r3'),
  result('r5', 'm_ada', 'keep', 'r3'),
];

describe('codeLineage', () => {
  it('walks the champion back through the keeps, newest first, and marks this worker', () => {
    const l = codeLineage(results, 'r5', 'm_ada', ['train.py']);
    expect(l.chain.map((s) => [s.id, s.memberName, s.you])).toEqual([['r5', 'ada', true], ['r3', 'bob', false], ['r1', 'ada', true]]);
    expect(l.complete).toBe(true);
    expect(describeLineage(l)).toBe('changes by you (r5), bob (r3), you (r1), plus your local edits to train.py');
  });

  it('says when a link is missing, when there is no champion, and survives a cycle', () => {
    expect(codeLineage(results.slice(2), 'r5', 'm_x', [])).toMatchObject({ complete: false, chain: [{ id: 'r5' }, { id: 'r3' }] });
    expect(describeLineage(codeLineage(results.slice(2), 'r5', 'm_x', []))).toBe('changes by ada (r5), bob (r3), and earlier results that could not be listed');
    expect(describeLineage(codeLineage([], null, 'm_x', []))).toBe("the program's original code");
    expect(describeLineage(codeLineage([], null, 'm_x', ['train.py']))).toBe("the program's original code, plus your local edits to train.py");
    const loop = [result('r1', 'm_a', 'keep', 'r2'), result('r2', 'm_b', 'keep', 'r1')];
    expect(codeLineage(loop, 'r1', 'm_a', []).chain).toHaveLength(2);
  });
});
