import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldResults, type FoldInput, type FoldSpec, type KbState } from './fold.ts';
import { splitPool } from './payouts.ts';
import { median, verifyClaim, type Rerun } from './verification.ts';

const ON = { replicas: 1, tolerance: 0.001 };

describe('verifyClaim', () => {
  it('waits for `replicas` re-runs, takes their median, and allows `tolerance` of shortfall', () => {
    expect(verifyClaim('minimize', 2.0, [], ON)).toMatchObject({ state: 'pending', effective: 2.0 });
    expect(verifyClaim('minimize', 2.0, [{ member: 'b', value: 1.99 }], ON)).toMatchObject({ state: 'reproduced', effective: 2.0, median: 1.99 });
    // Worse, within the tolerance: reproduced, and it counts at what it did again.
    expect(verifyClaim('minimize', 2.0, [{ member: 'b', value: 2.0005 }], ON)).toMatchObject({ state: 'reproduced', effective: 2.0005 });
    expect(verifyClaim('minimize', 2.0, [{ member: 'b', value: 2.0015 }], ON)).toMatchObject({ state: 'not_reproduced', reason: expect.stringMatching(/claimed 2, the re-run got 2\.0015: worse by 0\.0015 \(more than the tolerance 0\.001\)/) });
    expect(verifyClaim('maximize', 0.9, [{ member: 'b', value: 0.8995 }], ON)).toMatchObject({ state: 'reproduced', effective: 0.8995 });
    const three = { replicas: 3, tolerance: 0 };
    expect(verifyClaim('minimize', 2.0, [{ member: 'b', value: 1.9 }, { member: 'c', value: 2.2 }], three).state).toBe('pending');
    expect(verifyClaim('minimize', 2.0, [{ member: 'b', value: 1.9 }, { member: 'c', value: 2.2 }, { member: 'd', value: 1.95 }], three)).toMatchObject({ state: 'reproduced', median: 1.95, effective: 2.0 });
  });

  it('a crashed re-run decides at once; replicas 0 leaves every claim unverified', () => {
    expect(verifyClaim('minimize', 2, [{ member: 'b', value: null }], { replicas: 3, tolerance: 1 })).toMatchObject({ state: 'not_reproduced', reason: 'a re-run by b crashed' });
    expect(verifyClaim('minimize', 2, [{ member: 'b', value: 99 }], { replicas: 0, tolerance: 0 })).toMatchObject({ state: 'unverified', effective: 2 });
  });

  it('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

/** DESIGN.md's worked example, as a log with re-runs. */
const SPEC: FoldSpec = { direction: 'minimize', accept: 'beats-champion', min_improvement: 0, baseline: 3.0, verify: ON };
const input = (seq: number, member: string, value: number | null, code: string, reruns: Rerun[] = []): FoldInput => ({ seq, id: `r${seq}`, member, value, crashed: value === null, codeHash: code, bytes: 1, reruns });
const payouts = (state: KbState, weight: 'weight' | 'pendingWeight') =>
  splitPool({ pool: 100, split: 'by-impact', accept: 'beats-champion' }, new Map([...state.members].map(([m, t]) => [m, t[weight]])), state.champion?.member ?? null).map((p) => [p.member, p.amount]);

describe('the fold over verified claims', () => {
  it('the worked example gives 90.782821 / 9.217179 once both claims reproduce, and nothing is earned while they are pending', () => {
    const pending = foldResults(SPEC, [input(1, 'w1', 2.192544, 'a'), input(2, 'w2', 2.110563, 'b')]);
    expect(pending.champion).toMatchObject({ id: 'r2', verification: 'pending' });
    expect(payouts(pending, 'weight')).toEqual([]);
    expect(payouts(pending, 'pendingWeight')).toEqual([['w1', '90.782821'], ['w2', '9.217179']]);

    const both = foldResults(SPEC, [input(1, 'w1', 2.192544, 'a', [{ member: 'w2', value: 2.1926 }]), input(2, 'w2', 2.110563, 'b', [{ member: 'w1', value: 2.1101 }])]);
    // r1's re-run was 0.000056 worse: within the tolerance, so r1 counts at 2.1926 (impact 0.8074) and
    // r2 is measured against that (impact 0.082037): 100 × 0.8074 / 0.889437 = 90.776525.
    expect(both.champion).toMatchObject({ id: 'r2', verification: 'reproduced', value: 2.110563 });
    expect(payouts(both, 'weight')).toEqual([['w1', '90.776525'], ['w2', '9.223475']]);
    const exact = foldResults(SPEC, [input(1, 'w1', 2.192544, 'a', [{ member: 'w2', value: 2.19 }]), input(2, 'w2', 2.110563, 'b', [{ member: 'w1', value: 2.1 }])]);
    expect(payouts(exact, 'weight')).toEqual([['w1', '90.782821'], ['w2', '9.217179']]);
  });

  it('a claim that does not reproduce hands the champion back, earns nothing, blocks no code, and later results are judged again', () => {
    const verdicts: string[] = [];
    const log = [
      input(1, 'honest', 2.5, 'a', [{ member: 'other', value: 2.5 }]),
      input(2, 'liar', 1.0, 'b', [{ member: 'honest', value: 2.6 }]), // claimed 1.0, its code gets 2.6
      input(3, 'honest', 2.2, 'c'), // was a discard against the false 1.0; now beats 2.5
      input(4, 'other', 1.0, 'b'), // the liar's code again: no longer a duplicate of r2
    ];
    const state = foldResults(SPEC, log, (i, v) => verdicts.push(`${i.id}:${v.status}:${v.verification}`));
    expect(verdicts).toEqual(['r1:keep:reproduced', 'r2:discard:not_reproduced', 'r3:keep:pending', 'r4:keep:pending']);
    expect(state.champion).toMatchObject({ id: 'r4', member: 'other' });
    expect(state.members.get('liar')).toMatchObject({ weight: 0n, pendingWeight: 0n, notReproduced: 1, keeps: 0 });
    expect(state.members.get('honest')).toMatchObject({ weight: 500_000_000_000n, pendingWeight: 800_000_000_000n });
    // It ranks nowhere: no leaderboard shows the value nobody measured again (r4, the same code honestly run, does).
    expect(state.leaders.map((l) => l.id)).not.toContain('r2');
    expect(state.best.get('liar')).toBeUndefined();
    expect(state.leaders[0]).toMatchObject({ id: 'r4', value: 1.0 });
    // Before the re-run landed, the same log judged r3 a discard (not better than the claimed 1.0).
    const before = foldResults(SPEC, log.map((r) => (r.id === 'r2' ? { ...r, reruns: [] } : r)));
    expect(before.champion).toMatchObject({ id: 'r2', verification: 'pending' });
  });

  it('a reproduced claim judged again at its worse value can turn into a discard', () => {
    const spec: FoldSpec = { ...SPEC, min_improvement: 0.05, verify: { replicas: 1, tolerance: 0.1 } };
    const state = foldResults(spec, [input(1, 'a', 2.5, 'a', [{ member: 'b', value: 2.5 }]), input(2, 'b', 2.4, 'b', [{ member: 'a', value: 2.48 }])]);
    expect(state.champion).toMatchObject({ id: 'r1' });
    expect(state.counts).toMatchObject({ keep: 1, discard: 1 });
  });

  it('property: a re-run as good as the claim only settles it (no status changes); nothing not reproduced earns, leads or blocks a code', () => {
    const valueArb = fc.option(fc.integer({ min: 100, max: 300 }).map((n) => n / 100), { nil: null, freq: 8 });
    const log = fc.array(
      fc.record({
        member: fc.constantFrom('a', 'b', 'c'),
        value: valueArb,
        code: fc.constantFrom('x', 'y', 'z', 'w', 'v'),
        reruns: fc.array(fc.record({ member: fc.constantFrom('a', 'b', 'c'), value: valueArb }), { maxLength: 2 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(log, fc.nat(), (entries, pick) => {
        const inputs = entries.map((e, i) => input(i + 1, e.member, e.value, e.code, e.reruns));
        const verdicts: { status: string; verification: string }[] = [];
        const state = foldResults(SPEC, inputs, (_i, v) => verdicts.push({ status: v.status, verification: v.verification }));
        for (const [, t] of state.members) expect(t.weight <= t.pendingWeight).toBe(true);
        if (state.champion) expect(state.champion.verification).not.toBe('not_reproduced');
        inputs.forEach((x, k) => {
          if (verdicts[k]!.verification === 'not_reproduced') {
            expect(state.codes.get(x.codeHash)).not.toBe(x.id);
            expect(state.leaders.some((l) => l.id === x.id && l.value === x.value && verdicts[k]!.status === 'keep')).toBe(false);
          }
        });
        // Settle one pending claim with a re-run exactly at its claim: every status stays as it was.
        const pending = verdicts.map((v, k) => (v.verification === 'pending' ? k : -1)).filter((k) => k >= 0);
        if (pending.length === 0) return;
        const k = pending[pick % pending.length]!;
        const settled = inputs.map((x, n) => (n === k ? { ...x, reruns: [{ member: 'z', value: x.value }] } : x));
        const after: { status: string; verification: string }[] = [];
        foldResults(SPEC, settled, (_i, v) => after.push({ status: v.status, verification: v.verification }));
        expect(after.map((v) => v.status)).toEqual(verdicts.map((v) => v.status));
        expect(after[k]!.verification).toBe('reproduced');
      }),
      { numRuns: 300 },
    );
  });
});
