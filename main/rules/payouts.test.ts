import { describe, expect, it } from 'vitest';
import { computePayouts, formatMicros } from './payouts.ts';
import type { PayoutInput, PayoutLine, PayoutSpec } from './payouts.ts';
import { judge } from './judge.ts';
import type { RuleSpec } from './judge.ts';
import { toScaledInteger } from './decimal.ts';

const BY_IMPACT: PayoutSpec = { pool: 100, split: 'by-impact', accept: 'beats-champion' };
const keep = (member: string, impact: number): PayoutInput => ({ member, status: 'keep', impact });

/** Σ amounts in micro-units, parsed from the strings (no floats involved). */
function sumMicros(lines: PayoutLine[]): bigint {
  return lines.reduce((s, l) => s + BigInt(l.amount.replace('.', '')), 0n);
}

describe('formatMicros', () => {
  it('prints exact 6-place decimals', () => {
    expect(formatMicros(90782821n)).toBe('90.782821');
    expect(formatMicros(1n)).toBe('0.000001');
    expect(formatMicros(0n)).toBe('0.000000');
    expect(formatMicros(100000000n)).toBe('100.000000');
    expect(formatMicros(-1500000n)).toBe('-1.500000');
  });
});

describe('computePayouts: by-impact', () => {
  it('the worked example of docs/design.md, end to end through judge', () => {
    const spec: RuleSpec = { direction: 'minimize', accept: 'beats-champion', min_improvement: 0 };
    let champion: number | null = null;
    const ledger: PayoutInput[] = [];
    for (const [member, value] of [['w1', 2.192544], ['w2', 2.110563]] as const) {
      const v = judge({ spec, champion, baseline: 3.0, value, crashed: false, duplicateOf: null });
      if (v.champion) champion = value;
      ledger.push({ member, status: v.status, impact: v.impact });
    }
    expect(computePayouts(BY_IMPACT, ledger, 'w2')).toEqual([
      { member: 'w1', impact: 0.807456, amount: '90.782821' },
      { member: 'w2', impact: 0.081981, amount: '9.217179' },
    ]);
  });

  it('sums a member\'s keeps under beats-champion and ignores everything else', () => {
    const lines = computePayouts(
      BY_IMPACT,
      [
        keep('a', 0.1),
        { member: 'b', status: 'discard', impact: 5 },
        keep('a', 0.2),
        { member: 'c', status: 'crash', impact: 5 },
        { member: 'd', status: 'duplicate', impact: 5 },
        keep('b', 0.1),
      ],
      'b',
    );
    expect(lines).toEqual([
      { member: 'a', impact: 0.3, amount: '75.000000' },
      { member: 'b', impact: 0.1, amount: '25.000000' },
    ]);
  });

  it('under threshold a member counts only its single best keep, so resubmitting cannot inflate a share', () => {
    const spec: PayoutSpec = { pool: 100, split: 'by-impact', accept: 'threshold' };
    const honest = computePayouts(spec, [keep('a', 0.3), keep('b', 0.1)], 'a');
    const spammy = computePayouts(spec, [keep('a', 0.3), keep('b', 0.1), keep('b', 0.1), keep('b', 0.1), keep('b', 0.05)], 'a');
    expect(spammy).toEqual(honest);
    expect(honest).toEqual([
      { member: 'a', impact: 0.3, amount: '75.000000' },
      { member: 'b', impact: 0.1, amount: '25.000000' },
    ]);
    // The same ledger under beats-champion would sum: that is where resubmission would have paid.
    expect(computePayouts({ ...spec, accept: 'beats-champion' }, [keep('a', 0.3), keep('b', 0.1), keep('b', 0.1), keep('b', 0.1)], 'a')[0]?.amount).toBe('50.000000');
  });

  it('omits members whose impact_w is 0 (e.g. the baseline-setting first result)', () => {
    const lines = computePayouts(BY_IMPACT, [keep('first', 0), keep('b', 0.5)], 'b');
    expect(lines).toEqual([{ member: 'b', impact: 0.5, amount: '100.000000' }]);
  });

  it('Σ impact = 0 pays nothing', () => {
    expect(computePayouts(BY_IMPACT, [keep('a', 0), { member: 'b', status: 'discard', impact: 0 }], 'a')).toEqual([]);
    expect(computePayouts(BY_IMPACT, [], null)).toEqual([]);
  });

  it('three equal shares of 100: largest remainder gives the extra micro-unit to the earliest member', () => {
    const lines = computePayouts(BY_IMPACT, [{ member: 'z', status: 'crash', impact: 0 }, keep('y', 0.2), keep('x', 0.2), keep('z', 0.2)], 'x');
    // z appeared first (its crash), so the tie on remainder goes to z.
    expect(lines.map((l) => [l.member, l.amount])).toEqual([
      ['z', '33.333334'],
      ['y', '33.333333'],
      ['x', '33.333333'],
    ]);
    expect(sumMicros(lines)).toBe(100_000_000n);
  });

  it('largest remainder favours the biggest remainder, not the biggest share', () => {
    // Weights 1:1:1:3 of 0.000010 → exact shares 1.6667, 1.6667, 1.6667, 5 micro-units.
    const lines = computePayouts({ ...BY_IMPACT, pool: 0.00001 }, [keep('a', 1), keep('b', 1), keep('c', 1), keep('d', 3)], 'd');
    expect(lines.map((l) => [l.member, l.amount])).toEqual([
      ['d', '0.000005'],
      ['a', '0.000002'],
      ['b', '0.000002'],
      ['c', '0.000001'],
    ]);
  });

  it('fractional pools are exact', () => {
    const tiny = computePayouts({ ...BY_IMPACT, pool: 0.000001 }, [keep('a', 0.5), keep('b', 0.5)], 'b');
    expect(tiny).toEqual([{ member: 'a', impact: 0.5, amount: '0.000001' }, { member: 'b', impact: 0.5, amount: '0.000000' }]);
    const odd = computePayouts({ ...BY_IMPACT, pool: 1234.5678 }, [keep('a', 1), keep('b', 1), keep('c', 1)], 'c');
    expect(odd.map((l) => l.amount)).toEqual(['411.522600', '411.522600', '411.522600']);
    expect(sumMicros(odd)).toBe(1_234_567_800n);
    const seventh = computePayouts({ ...BY_IMPACT, pool: 1234.5678 }, [keep('a', 1), keep('b', 6)], 'b');
    expect(seventh.map((l) => l.amount)).toEqual(['1058.200971', '176.366829']);
    expect(sumMicros(seventh)).toBe(1_234_567_800n);
  });

  it('output is ordered by amount descending, then first appearance', () => {
    const lines = computePayouts(BY_IMPACT, [keep('small', 0.1), keep('big', 0.3), keep('mid', 0.2), keep('mid2', 0.2)], 'big');
    expect(lines.map((l) => l.member)).toEqual(['big', 'mid', 'mid2', 'small']);
  });

  it('property: for many members and pools the amounts always sum to the pool exactly', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const members = 1 + Math.floor(rand() * 40);
      const ledger: PayoutInput[] = [];
      for (let i = 0; i < members * 2; i++) {
        const impact = Math.round(rand() * 1e9) / 1e9;
        ledger.push({ member: `m${Math.floor(rand() * members)}`, status: rand() < 0.7 ? 'keep' : 'discard', impact });
      }
      const pool = Math.round(rand() * 1e6 * (rand() < 0.5 ? 1 : 1e-6) * 1e6) / 1e6;
      const accept = rand() < 0.5 ? 'beats-champion' : 'threshold';
      const lines = computePayouts({ pool, split: 'by-impact', accept }, ledger, null);
      if (lines.length === 0) continue;
      expect(sumMicros(lines)).toBe(toScaledInteger(pool, 6));
      for (const l of lines) expect(l.amount).toMatch(/^\d+\.\d{6}$/);
      expect(new Set(lines.map((l) => l.member)).size).toBe(lines.length);
    }
  });
});

describe('computePayouts: champion-takes-all and empty pools', () => {
  const CTA: PayoutSpec = { pool: 250.5, split: 'champion-takes-all', accept: 'beats-champion' };

  it('gives the whole pool to the champion\'s member', () => {
    const lines = computePayouts(CTA, [keep('a', 0.5), keep('b', 0.1), keep('b', 0.2)], 'b');
    expect(lines).toEqual([{ member: 'b', impact: 0.3, amount: '250.500000' }]);
  });

  it('pays even a champion whose impact is 0 (the first result)', () => {
    expect(computePayouts(CTA, [keep('a', 0)], 'a')).toEqual([{ member: 'a', impact: 0, amount: '250.500000' }]);
  });

  it('no champion, nothing paid', () => {
    expect(computePayouts(CTA, [{ member: 'a', status: 'crash', impact: 0 }], null)).toEqual([]);
  });

  it('pool 0 (or below, or under half a micro-unit) pays nothing', () => {
    const ledger = [keep('a', 1)];
    expect(computePayouts({ ...BY_IMPACT, pool: 0 }, ledger, 'a')).toEqual([]);
    expect(computePayouts({ ...BY_IMPACT, pool: -5 }, ledger, 'a')).toEqual([]);
    expect(computePayouts({ ...CTA, pool: 0 }, ledger, 'a')).toEqual([]);
    expect(computePayouts({ ...BY_IMPACT, pool: 4e-7 }, ledger, 'a')).toEqual([]);
  });
});
