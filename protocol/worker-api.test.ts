import { describe, expect, it } from 'vitest';
import { settleClaim, type Submission } from './worker-api.ts';

function submission(id: string, verification: Submission['verdict']['verification']): Submission {
  return {
    program: 'p',
    membership: 'p-1',
    at: 1,
    replayed: false,
    hypothesis: `idea ${id}`,
    verdict: { id, member: 'm', value: 1, status: 'keep', impact: 0.1, champion: true, duplicate_of: null, reason: 'beats', verification },
  };
}

describe('settleClaim: the submission list after another member re-ran a claim', () => {
  it('moves only that claim to its verdict, keeping its hypothesis and the others as they were', () => {
    const list = [submission('r1', 'pending'), submission('r2', 'pending')];
    const after = settleClaim(list, 'p-1', { id: 'r2', verification: 'not_reproduced' });
    expect(after.map((s) => [s.verdict.id, s.verdict.verification, s.hypothesis])).toEqual([
      ['r1', 'pending', 'idea r1'],
      ['r2', 'not_reproduced', 'idea r2'],
    ]);
    expect(list[1]!.verdict.verification).toBe('pending');
    expect(settleClaim(list, 'p-1', { id: 'r9', verification: 'reproduced' })).toEqual(list);
    // Every host numbers its results from r1: another membership's r1 is another result.
    expect(settleClaim(list, 'q-2', { id: 'r1', verification: 'reproduced' })).toEqual(list);
  });
});
