/**
 * The KB's state as a fold over its results (DESIGN.md, "Rules of the KB": "The KB is a fold").
 * `applyResult` is the one place where a result changes the state: the knowledge base calls it to
 * judge a new submission, and start-up is the same function over the stored results, in arrival
 * order (`foldResults`). The state keeps only what the rules need: a few numbers per member and one
 * entry per distinct code, never the results themselves, so a million results fold in bounded
 * memory per result.
 *
 * Pure in the sense that matters: no I/O, no clock, deterministic (the same results in the same
 * order always give the same state and verdicts). It updates `state` in place, because the state
 * holds every distinct code hash and copying that per result would make the fold quadratic.
 *
 * Verified champions (DESIGN.md): a result the rules accept is a claim. Its re-runs (`reruns`)
 * decide it (verification.ts): pending and unverified claims count at their claimed value, a
 * reproduced one at its effective value (the worse of claim and re-runs: judged again with it), and
 * one not reproduced is a discard whose code blocks nothing. Only reproduced (or, with verification
 * off, unverified) claims earn. A new re-run changes the input, so the caller folds again from the
 * start: the state is always the fold of the log as it now stands.
 */
import type { ResultStatus } from '../../protocol/results.ts';
import { judge, type RuleSpec, type Verdict } from './judge.ts';
import { noteResult, type Crowning } from './history.ts';
import { addLeader, addMemberBest, type Leader } from './leaders.ts';
import { addWeight, type PayoutSpec } from './payouts.ts';
import { verifyClaim, type Rerun, type VerificationState, type VerifySpec } from './verification.ts';

/** `verify` absent: verification off (every claim counts as it is, "unverified"). */
export type FoldSpec = RuleSpec & Pick<PayoutSpec, 'accept'> & { baseline?: number | undefined; verify?: VerifySpec | undefined };

const VERIFY_OFF: VerifySpec = { replicas: 0, tolerance: 0 };

/** What the rules read of one result. */
export interface FoldInput {
  seq: number;
  id: string;
  member: string;
  /** The value the rules judge (with verification: the effective value). null for a crash. */
  value: number | null;
  /** The run crashed or went over budget. */
  crashed: boolean;
  /** Hash of the editable files after the patch (protocol/node/code-hash.ts). */
  codeHash: string;
  /** UTF-8 bytes of the result's patch, output and hypothesis: what it costs its member's storage quota. */
  bytes: number;
  /** Re-runs of this result's code by other members, in the order they were reported. */
  reruns?: readonly Rerun[] | undefined;
}

/** The champion as the rules see it. */
export interface ChampionRef {
  id: string;
  seq: number;
  member: string;
  /** The effective value (the claim until reproduced). */
  value: number;
  impact: number;
  verification: VerificationState;
}

/** What the fold keeps per member (in order of first appearance: payouts break ties by it). */
export interface MemberTally {
  results: number;
  keeps: number;
  /** impact_w at 10^-12, as `addWeight` (payouts.ts) accumulates it. */
  weight: bigint;
  /** UTF-8 bytes of patches, outputs and hypotheses stored (main/kb/quotas.ts bounds it). */
  storedBytes: number;
  /** impact_w counting pending claims too: what the member would earn if they all reproduce. */
  pendingWeight: bigint;
  /** Claims of this member that did not reproduce (the owner sees a member who has several). */
  notReproduced: number;
}

export interface KbState {
  readonly spec: FoldSpec;
  /** Sequence number of the last result folded in; 0 for none. */
  seq: number;
  /** TASK.md's baseline, else the value of the first result that set one. */
  baseline: number | null;
  champion: ChampionRef | null;
  /** Code hash → the first result with that code that can block later ones (not a crash, not a duplicate). */
  codes: Map<string, string>;
  members: Map<string, MemberTally>;
  counts: Record<ResultStatus, number>;
  /** The best judged results (kept or discarded), best first, bounded (leaders.ts). */
  leaders: Leader[];
  /** Each member's best judged result (one per member, leaders.ts). */
  best: Map<string, Leader>;
  /** Every result that became champion, in order (history.ts). */
  crownings: Crowning[];
  /** Crashes per block of results, cumulative (history.ts). */
  crashTotals: number[];
}

export interface FoldVerdict extends Verdict {
  /** The earlier result with the same code, for a duplicate. */
  duplicateOf: string | null;
  verification: VerificationState;
  /** The value the verdict was given by: the claim, or its effective value once reproduced; null for a crash. */
  effectiveValue: number | null;
}

export function emptyState(spec: FoldSpec): KbState {
  return {
    spec,
    seq: 0,
    baseline: spec.baseline ?? null,
    champion: null,
    codes: new Map(),
    members: new Map(),
    counts: { keep: 0, discard: 0, crash: 0, duplicate: 0 },
    leaders: [],
    best: new Map(),
    crownings: [],
    crashTotals: [],
  };
}

/** Judges `input` against `state`, applies the verdict to `state`, and returns the verdict. */
export function applyResult(state: KbState, input: FoldInput): FoldVerdict {
  if (!(input.seq > state.seq)) throw new Error(`results must be folded in arrival order: ${input.id} (seq ${input.seq}) after seq ${state.seq}`);
  const crashed = input.crashed || input.value === null;
  // Crashes and claims that did not reproduce do not count as earlier submissions of their code (DESIGN.md, "Ties").
  const duplicateOf = crashed ? null : (state.codes.get(input.codeHash) ?? null);
  const judged = (value: number | null) =>
    judge({ spec: state.spec, champion: state.champion?.value ?? null, baseline: state.baseline, value, crashed, duplicateOf });
  let verdict = judged(input.value);
  let verification: VerificationState = 'none';
  let effectiveValue = crashed ? null : input.value;
  // Accepted: a claim, decided by its re-runs.
  if (verdict.status === 'keep' && input.value !== null) {
    const claim = verifyClaim(state.spec.direction, input.value, input.reruns ?? [], state.spec.verify ?? VERIFY_OFF);
    verification = claim.state;
    if (claim.state === 'not_reproduced') {
      verdict = { status: 'discard', impact: 0, champion: false, setsBaseline: false, reason: `not reproduced: ${claim.reason}` };
    } else if (claim.effective !== input.value) {
      effectiveValue = claim.effective;
      const again = judged(claim.effective);
      verdict = { ...again, reason: `${again.reason} (reproduced: ${claim.reason})` };
    } else if (claim.reason !== null) {
      verdict = { ...verdict, reason: `${verdict.reason} (reproduced: ${claim.reason})` };
    }
  }

  state.seq = input.seq;
  const blocks = verdict.status !== 'crash' && verdict.status !== 'duplicate' && verification !== 'not_reproduced';
  if (blocks && !state.codes.has(input.codeHash)) state.codes.set(input.codeHash, input.id);
  if (verdict.setsBaseline && effectiveValue !== null) state.baseline = effectiveValue;
  if (verdict.champion && effectiveValue !== null) {
    state.champion = { id: input.id, seq: input.seq, member: input.member, value: effectiveValue, impact: verdict.impact, verification };
    state.crownings.push({ id: input.id, seq: input.seq, member: input.member, value: effectiveValue });
  }
  const tally = state.members.get(input.member) ?? { results: 0, keeps: 0, weight: 0n, storedBytes: 0, pendingWeight: 0n, notReproduced: 0 };
  tally.results += 1;
  tally.storedBytes += input.bytes;
  if (verdict.status === 'keep') tally.keeps += 1;
  // Only claims that reproduced (or count unverified, with verification off) earn; pending ones would.
  if (verification === 'reproduced' || verification === 'unverified') tally.weight = addWeight(state.spec.accept, tally.weight, verdict);
  if (verification !== 'not_reproduced') tally.pendingWeight = addWeight(state.spec.accept, tally.pendingWeight, verdict);
  if (verification === 'not_reproduced') tally.notReproduced += 1;
  state.members.set(input.member, tally);
  state.counts[verdict.status] += 1;
  // A claim that did not reproduce has no value anyone measured again: it ranks nowhere.
  if ((verdict.status === 'keep' || verdict.status === 'discard') && effectiveValue !== null && verification !== 'not_reproduced') {
    const entry = { id: input.id, seq: input.seq, value: effectiveValue };
    addLeader(state.leaders, entry, state.spec.direction);
    addMemberBest(state.best, input.member, entry, state.spec.direction);
  }
  noteResult(state.crashTotals, input.seq, verdict.status === 'crash');
  return { ...verdict, duplicateOf, verification, effectiveValue };
}

/** The state after `results`, in arrival order; `onVerdict` sees each verdict as it is given. */
export function foldResults(spec: FoldSpec, results: Iterable<FoldInput>, onVerdict?: (input: FoldInput, verdict: FoldVerdict) => void): KbState {
  const state = emptyState(spec);
  for (const r of results) {
    const verdict = applyResult(state, r);
    onVerdict?.(r, verdict);
  }
  return state;
}
