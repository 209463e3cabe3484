import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addLeader, type Leader } from './leaders.ts';

describe('addLeader', () => {
  it('keeps exactly the best `kept` entries of everything added, best first, ties to the first submitted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 300 }), // few distinct values: many ties
        fc.constantFrom<'minimize' | 'maximize'>('minimize', 'maximize'),
        fc.integer({ min: 1, max: 40 }),
        (values, direction, kept) => {
          const leaders: Leader[] = [];
          const all = values.map((v, i) => ({ id: `r${i + 1}`, seq: i + 1, value: v / 10 }));
          for (const entry of all) addLeader(leaders, entry, direction, kept);
          const expected = [...all].sort((a, b) => (a.value !== b.value ? (direction === 'minimize' ? a.value - b.value : b.value - a.value) : a.seq - b.seq)).slice(0, kept);
          expect(leaders).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
