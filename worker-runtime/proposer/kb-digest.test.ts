import { describe, expect, it } from 'vitest';
import { TaskSpec, type ResultRecord, type StatusResponse } from '../../protocol/index.ts';
import { kbDigest } from './kb-digest.ts';

function result(seq: number, status: ResultRecord['status'], value: number | null, parent: string | null): ResultRecord {
  return {
    id: `r${seq}`, seq, member: 'm_ada', member_name: 'ada', value, status, impact: 0, champion: false, duplicate_of: null, reason: `${status} because`,
    hypothesis: `idea ${seq}`, patch: '', parent, code_hash: `h${seq}`, output: '', hardware: {}, durations: {}, created_at: '2026-01-01T00:00:00Z',
    verification: 'none', effective_value: value, reruns: [],
  };
}

const spec = TaskSpec.parse({ name: 'sample', objective: 'lower val_bpb', metric: 'val_bpb', direction: 'minimize' });

function status(over: Partial<StatusResponse> = {}): StatusResponse {
  return {
    program: { spec, body: '' }, champion: null, baseline: null, total: 0, counts: { keep: 0, discard: 0, crash: 0, duplicate: 0 }, leaderboard: [],
    roster: [], payouts: [], pending_payouts: [], noise: null, pool: 0, token: 'OBOL', ...over,
  };
}

describe('kbDigest (KB.md)', () => {
  it('is written from the summary, the latest page and the lineage: never from a full listing', () => {
    const r1 = result(1, 'keep', 3, null);
    const r3 = result(3, 'keep', 2.5, 'r1');
    const champion = { id: 'r3', member: 'm_ada', member_name: 'ada', value: 2.5, impact: 0.5, hypothesis: 'idea 3', parent: 'r1', created_at: r3.created_at, verification: 'none' as const };
    const md = kbDigest(status({ champion, total: 1000, counts: { keep: 2, discard: 990, crash: 5, duplicate: 3 }, leaderboard: [r3, r1] }), {
      recent: [result(1000, 'discard', 2.9, 'r3'), result(999, 'crash', null, 'r3')],
      lineage: [r3, r1],
    });
    expect(md).toContain('r3: val_bpb = 2.5 by ada — idea 3');
    expect(md).toContain('Lineage (newest first):\n\n- r3 (val_bpb 2.5, ada): idea 3\n- r1 (val_bpb 3, ada): idea 1\n- original program code');
    expect(md).toContain('Results so far: 1000 (2 kept, 990 discarded, 5 crashed, 3 duplicates).');
    expect(md).toContain('## Best results (top 2)');
    expect(md).toContain('## Recent results (2 of 1000, newest first)');
    expect(md.indexOf('| r1000 |')).toBeLessThan(md.indexOf('| r999 |'));
  });

  it('says so when there is nothing yet', () => {
    const md = kbDigest(status({ baseline: 3 }), { recent: [], lineage: [] });
    expect(md).toContain('None yet; baseline 3.');
    expect(md).toContain('No results yet.');
    expect(md).not.toContain('Best results');
  });
});
