import { describe, expect, it } from 'vitest';
import { improvement, isBetter, judge, reference } from './judge.ts';
import type { JudgeInput, RuleSpec, Verdict } from './judge.ts';

const MIN: RuleSpec = { direction: 'minimize', accept: 'beats-champion', min_improvement: 0 };
const MAX: RuleSpec = { direction: 'maximize', accept: 'beats-champion', min_improvement: 0 };

function run(partial: Partial<JudgeInput> & { value: number | null }): Verdict {
  return judge({ spec: MIN, champion: null, baseline: null, crashed: false, duplicateOf: null, ...partial });
}

/** Replays values through judge the way the KB does, carrying champion and baseline along. */
function replay(spec: RuleSpec, values: number[], baseline: number | null = null): Verdict[] {
  let champion: number | null = null;
  let base = baseline;
  return values.map((value) => {
    const v = judge({ spec, champion, baseline: base, value, crashed: false, duplicateOf: null });
    if (v.setsBaseline) base = value;
    if (v.champion) champion = value;
    return v;
  });
}

describe('helpers', () => {
  it('isBetter is strict in both directions', () => {
    expect(isBetter('minimize', 1, 2)).toBe(true);
    expect(isBetter('minimize', 2, 2)).toBe(false);
    expect(isBetter('maximize', 3, 2)).toBe(true);
    expect(isBetter('maximize', 2, 2)).toBe(false);
  });

  it('improvement is directional and free of float noise', () => {
    expect(improvement('minimize', 3.0, 2.192544)).toBe(0.807456);
    expect(improvement('minimize', 2.192544, 2.110563)).toBe(0.081981);
    expect(improvement('maximize', 0.1, 0.3)).toBe(0.2);
    expect(improvement('minimize', 1, 1.5)).toBe(-0.5);
    expect(Object.is(improvement('minimize', 2, 2), 0)).toBe(true);
  });

  it('reference is champion, else baseline; the threshold under threshold', () => {
    expect(reference(MIN, 2, 3)).toBe(2);
    expect(reference(MIN, null, 3)).toBe(3);
    expect(reference(MIN, null, null)).toBeNull();
    expect(reference({ accept: 'threshold', threshold: 1.5 }, 2, 3)).toBe(1.5);
  });
});

describe('judge: beats-champion', () => {
  it('the worked example of docs/design.md: baseline 3.0, minimize', () => {
    const [w1, w2] = replay(MIN, [2.192544, 2.110563], 3.0);
    expect(w1).toMatchObject({ status: 'keep', impact: 0.807456, champion: true, setsBaseline: false });
    expect(w1?.reason).toBe('2.192544 beats the baseline 3 by 0.807456 (> min_improvement 0)');
    expect(w2).toMatchObject({ status: 'keep', impact: 0.081981, champion: true, setsBaseline: false });
    expect(w2?.reason).toBe('2.110563 beats the champion 2.192544 by 0.081981 (> min_improvement 0)');
  });

  it('maximize keeps higher values and discards lower ones', () => {
    const v = replay(MAX, [0.5, 0.7, 0.6, 0.9]);
    expect(v.map((x) => x.status)).toEqual(['keep', 'keep', 'discard', 'keep']);
    expect(v.map((x) => x.impact)).toEqual([0, 0.2, 0, 0.2]);
    expect(v.map((x) => x.champion)).toEqual([true, true, false, true]);
    expect(v[2]?.reason).toBe('not better than the champion 0.7');
  });

  it('the first result with no baseline and no champion is a keep with impact 0 and sets the baseline', () => {
    const v = run({ value: 2.5 });
    expect(v).toMatchObject({ status: 'keep', impact: 0, champion: true, setsBaseline: true });
    expect(v.reason).toMatch(/sets the baseline/);
  });

  it('a first result worse than a given baseline is discarded and crowns no one', () => {
    const v = run({ value: 3.5, baseline: 3.0 });
    expect(v).toEqual({ status: 'discard', impact: 0, champion: false, setsBaseline: false, reason: 'not better than the baseline 3' });
  });

  it('ties with the champion are discarded: the first submitter of a value wins', () => {
    expect(run({ value: 2.2, champion: 2.2, baseline: 3 })).toMatchObject({ status: 'discard', champion: false, impact: 0 });
    expect(replay(MAX, [1, 2, 2]).map((x) => x.status)).toEqual(['keep', 'keep', 'discard']);
  });

  it('min_improvement: equal is a discard, strictly above is a keep', () => {
    const spec: RuleSpec = { ...MIN, min_improvement: 0.1 };
    // 3.0 − 2.9 is 0.10000000000000009 in floats; it counts as exactly 0.1, so not "more than".
    const equal = run({ spec, value: 2.9, champion: 3.0, baseline: 3.0 });
    expect(equal).toMatchObject({ status: 'discard', impact: 0, champion: false });
    expect(equal.reason).toBe('2.9 beats the champion 3 by only 0.1 (needs > min_improvement 0.1)');
    // 3.0 − 2.8 is 0.19999999999999996 in floats; it counts as exactly 0.2.
    const equal2 = run({ spec: { ...MIN, min_improvement: 0.2 }, value: 2.8, champion: 3.0, baseline: 3.0 });
    expect(equal2.status).toBe('discard');
    const above = run({ spec, value: 2.89, champion: 3.0, baseline: 3.0 });
    expect(above).toMatchObject({ status: 'keep', impact: 0.11, champion: true });
    expect(above.reason).toBe('2.89 beats the champion 3 by 0.11 (> min_improvement 0.1)');
    const maxEqual = run({ spec: { ...MAX, min_improvement: 0.5 }, value: 1.5, champion: 1, baseline: 1 });
    expect(maxEqual.status).toBe('discard');
    expect(run({ spec: { ...MAX, min_improvement: 0.5 }, value: 1.6, champion: 1, baseline: 1 }).status).toBe('keep');
  });

  it('with min_improvement 0 any strictly better value is a keep, however small', () => {
    const v = run({ value: 1 - 1e-15, champion: 1, baseline: 1 });
    expect(v).toMatchObject({ status: 'keep', champion: true, impact: 0 });
  });

  it('the first result is a keep even under min_improvement (there is no reference)', () => {
    expect(run({ spec: { ...MIN, min_improvement: 1 }, value: 9 })).toMatchObject({ status: 'keep', champion: true, setsBaseline: true });
  });
});

describe('judge: crash and duplicate are never accepted', () => {
  it('crashed, null value or a non-finite value is a crash', () => {
    const crashes = [
      run({ value: null, crashed: true }),
      run({ value: null }),
      run({ value: 1.0, crashed: true, champion: 5, baseline: 5 }),
      run({ value: Number.NaN }),
      run({ value: Number.NEGATIVE_INFINITY, champion: 5, baseline: 5 }),
    ];
    for (const v of crashes) {
      expect(v).toMatchObject({ status: 'crash', impact: 0, champion: false, setsBaseline: false });
    }
    expect(crashes[0]?.reason).toBe('crashed');
    expect(crashes[3]?.reason).toMatch(/not a finite number/);
  });

  it('crash wins over duplicate', () => {
    expect(run({ value: null, crashed: true, duplicateOf: 'r1' }).status).toBe('crash');
  });

  it('a duplicate names the earlier result, even when it would beat the champion', () => {
    const v = run({ value: 1.0, champion: 2.0, baseline: 3.0, duplicateOf: 'r3' });
    expect(v).toEqual({ status: 'duplicate', impact: 0, champion: false, setsBaseline: false, reason: 'duplicate of r3 (same code; first submission wins)' });
    const t = judge({ spec: { ...MIN, accept: 'threshold', threshold: 5 }, champion: null, baseline: null, value: 1, crashed: false, duplicateOf: 'r1' });
    expect(t.status).toBe('duplicate');
  });
});

describe('judge: threshold', () => {
  const TMIN: RuleSpec = { direction: 'minimize', accept: 'threshold', threshold: 1.5, min_improvement: 0 };
  const TMAX: RuleSpec = { direction: 'maximize', accept: 'threshold', threshold: 0.8, min_improvement: 0 };
  const at = (spec: RuleSpec, value: number, champion: number | null, baseline: number | null = 9) =>
    judge({ spec, champion, baseline, value, crashed: false, duplicateOf: null });

  it('exactly at the threshold is a keep with impact 0', () => {
    expect(at(TMIN, 1.5, null)).toMatchObject({ status: 'keep', impact: 0, champion: true });
    expect(at(TMAX, 0.8, null)).toMatchObject({ status: 'keep', impact: 0, champion: true });
  });

  it('worse than the threshold is a discard', () => {
    const v = at(TMIN, 1.6, null);
    expect(v).toMatchObject({ status: 'discard', impact: 0, champion: false });
    expect(v.reason).toBe('1.6 is above the threshold 1.5');
    expect(at(TMAX, 0.7, 0.9).reason).toBe('0.7 is below the threshold 0.8');
  });

  it('impact is measured against the threshold, not the champion', () => {
    expect(at(TMIN, 1.2, 1.1)).toMatchObject({ status: 'keep', impact: 0.3, champion: false });
    expect(at(TMAX, 0.95, 0.9)).toMatchObject({ status: 'keep', impact: 0.15, champion: true });
  });

  it('a passing result is champion only when strictly better than the champion', () => {
    const tie = at(TMIN, 1.2, 1.2);
    expect(tie).toMatchObject({ status: 'keep', champion: false, impact: 0.3 });
    expect(tie.reason).toBe('1.2 passes the threshold 1.5 but is not better than the champion 1.2');
    const better = at(TMIN, 1.1, 1.2);
    expect(better).toMatchObject({ status: 'keep', champion: true, impact: 0.4 });
    expect(better.reason).toBe('1.1 passes the threshold 1.5 and beats the champion 1.2');
  });

  it('min_improvement does not apply to passing the threshold', () => {
    expect(at({ ...TMIN, min_improvement: 1 }, 1.4, null)).toMatchObject({ status: 'keep', champion: true });
  });

  it('the first result sets the baseline, but its impact is still measured against the threshold', () => {
    const pass = at(TMIN, 1.0, null, null);
    expect(pass).toMatchObject({ status: 'keep', impact: 0.5, champion: true, setsBaseline: true });
    const fail = at(TMIN, 2.0, null, null);
    expect(fail).toMatchObject({ status: 'discard', impact: 0, champion: false, setsBaseline: true });
    const v = replay(TMIN, [2.0, 1.0, 1.0, 1.4]);
    expect(v.map((x) => [x.status, x.impact, x.champion])).toEqual([
      ['discard', 0, false],
      ['keep', 0.5, true],
      ['keep', 0.5, false],
      ['keep', 0.1, false],
    ]);
  });

  it('throws when the spec has no threshold (TaskSpec forbids it)', () => {
    expect(() => at({ ...TMIN, threshold: undefined }, 1, null)).toThrow(/threshold/);
  });
});
