import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRASH_BLOCK, crashesThrough, firstCrowningFrom, noteResult, type Crowning } from './history.ts';
import { addMemberBest, rankMembers, type Leader } from './leaders.ts';

describe('the crash totals per block', () => {
  it('count the crashes up to any seq, with the partial block left to the caller', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 5 * CRASH_BLOCK }), fc.nat({ max: 6 * CRASH_BLOCK }), (crashed, at) => {
        const totals: number[] = [];
        crashed.forEach((c, i) => noteResult(totals, i + 1, c));
        const upTo = Math.min(at, crashed.length);
        const { counted, through } = crashesThrough(totals, upTo);
        const partial = crashed.slice(through, upTo).filter(Boolean).length;
        expect(through).toBeLessThanOrEqual(upTo);
        expect(upTo - through).toBeLessThan(CRASH_BLOCK);
        expect(counted + partial).toBe(crashed.slice(0, upTo).filter(Boolean).length);
      }),
      { numRuns: 50 },
    );
  });

  it('finds the first crowning at or after a seq', () => {
    const crownings: Crowning[] = [3, 9, 20].map((seq) => ({ id: `r${seq}`, seq, member: 'm', value: 1 }));
    expect([0, 3, 4, 9, 10, 20, 21].map((s) => firstCrowningFrom(crownings, s))).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });
});

describe("each member's best", () => {
  it('is the best of its results by the leaderboard order, ranked like it', () => {
    fc.assert(
      fc.property(fc.constantFrom('minimize' as const, 'maximize' as const), fc.array(fc.tuple(fc.nat({ max: 4 }), fc.integer({ min: 0, max: 8 })), { maxLength: 60 }), (direction, results) => {
        const best = new Map<string, Leader>();
        const all = results.map(([m, v], i) => ({ member: `m${m}`, entry: { id: `r${i + 1}`, seq: i + 1, value: v } }));
        for (const { member, entry } of all) addMemberBest(best, member, entry, direction);
        const sign = direction === 'minimize' ? 1 : -1;
        const naive = [...new Set(all.map((r) => r.member))].map((m) =>
          all.filter((r) => r.member === m).map((r) => r.entry).sort((a, b) => sign * (a.value - b.value) || a.seq - b.seq)[0]!);
        naive.sort((a, b) => sign * (a.value - b.value) || a.seq - b.seq);
        expect(rankMembers(best, direction)).toEqual(naive);
      }),
    );
  });
});
