/**
 * The KB's acceptance rules (docs/design.md, "Rules of the KB"): one pure function that turns a
 * submission and the current state (champion, baseline) into a verdict. No I/O, no clock: the
 * caller (the knowledge base) owns the state and applies the verdict.
 */
import type { TaskSpec } from '../../protocol/task.ts';
import type { ResultStatus } from '../../protocol/results.ts';
import { roundImpact } from './decimal.ts';

export type RuleSpec = Pick<TaskSpec, 'direction' | 'accept' | 'threshold' | 'min_improvement'>;
type Direction = RuleSpec['direction'];

export interface JudgeInput {
  spec: RuleSpec;
  /** The current champion's value. */
  champion: number | null;
  /** The effective baseline: TASK.md's, or the value of the first result when TASK.md has none. */
  baseline: number | null;
  /** null for a crash. */
  value: number | null;
  crashed: boolean;
  /** Id of an earlier result with the same code, found by the caller. */
  duplicateOf: string | null;
}

export interface Verdict {
  status: ResultStatus;
  /** Directional improvement over the reference, ≥ 0; 0 unless accepted. */
  impact: number;
  /** The result becomes the new champion. */
  champion: boolean;
  /** First non-crash result with no baseline and no champion: its value becomes the baseline. */
  setsBaseline: boolean;
  /** One human sentence explaining the verdict. */
  reason: string;
}

/** `a` is strictly better than `b` in the program's direction. */
export function isBetter(direction: Direction, a: number, b: number): boolean {
  return direction === 'minimize' ? a < b : a > b;
}

/**
 * Directional improvement of `value` over `reference` (`ref − value` when minimizing,
 * `value − ref` when maximizing); negative when worse. Rounded to 12 decimals (see roundImpact)
 * so 3.0 − 2.192544 reads 0.807456, not 0.8074560000000001.
 */
export function improvement(direction: Direction, reference: number, value: number): number {
  return roundImpact(direction === 'minimize' ? reference - value : value - reference);
}

/**
 * The value a result is measured against: under `beats-champion` the champion, else the baseline
 * (null when there is neither); under `threshold` the threshold.
 */
export function reference(spec: Pick<RuleSpec, 'accept' | 'threshold'>, champion: number | null, baseline: number | null): number | null {
  if (spec.accept === 'threshold') return spec.threshold ?? null;
  return champion ?? baseline;
}

export function judge(input: JudgeInput): Verdict {
  const { spec, champion, baseline, value, crashed, duplicateOf } = input;

  // Crash first: a crashed run, a missing value or a non-finite one is never accepted.
  if (crashed || value === null || !Number.isFinite(value)) {
    const reason = crashed || value === null ? 'crashed' : `crashed: the value ${value} is not a finite number`;
    return rejected('crash', reason);
  }
  if (duplicateOf !== null) {
    return rejected('duplicate', `duplicate of ${duplicateOf} (same code; first submission wins)`);
  }
  const first = baseline === null && champion === null;
  return spec.accept === 'threshold' ? judgeThreshold(spec, champion, value, first) : judgeBeatsChampion(spec, champion, baseline, value, first);
}

function rejected(status: ResultStatus, reason: string, setsBaseline = false): Verdict {
  return { status, impact: 0, champion: false, setsBaseline, reason };
}

function judgeBeatsChampion(spec: RuleSpec, champion: number | null, baseline: number | null, value: number, first: boolean): Verdict {
  // With no reference at all the first result is kept, crowned, and becomes the baseline; its impact is 0.
  if (first) {
    return { status: 'keep', impact: 0, champion: true, setsBaseline: true, reason: `first result: ${value} sets the baseline and becomes the champion` };
  }
  const ref = champion ?? baseline;
  if (ref === null) throw new Error('unreachable: a non-first result has a champion or a baseline');
  const what = champion !== null ? 'the champion' : 'the baseline';
  if (!isBetter(spec.direction, value, ref)) return rejected('discard', `not better than ${what} ${ref}`);

  const gain = improvement(spec.direction, ref, value);
  // min_improvement 0 means "strictly better", which the exact comparison above already decided
  // (a gain below 5e-13 rounds to 0 but is still a keep). Otherwise compare the rounded gain, so a
  // gain equal to min_improvement in decimal terms (3.0 − 2.9 vs 0.1) is not "more than" it.
  if (spec.min_improvement > 0 && !(gain > spec.min_improvement)) {
    return rejected('discard', `${value} beats ${what} ${ref} by only ${gain} (needs > min_improvement ${spec.min_improvement})`);
  }
  return {
    status: 'keep',
    impact: Math.max(0, gain),
    champion: true,
    setsBaseline: false,
    reason: `${value} beats ${what} ${ref} by ${gain} (> min_improvement ${spec.min_improvement})`,
  };
}

function judgeThreshold(spec: RuleSpec, champion: number | null, value: number, first: boolean): Verdict {
  const threshold = spec.threshold;
  // TaskSpec requires a threshold under accept: threshold; reaching here without one is a caller bug.
  if (threshold === undefined) throw new Error('accept "threshold" needs spec.threshold');

  if (isBetter(spec.direction, threshold, value)) {
    const side = spec.direction === 'minimize' ? 'above' : 'below';
    const note = first ? '; as the first result it sets the baseline' : '';
    return rejected('discard', `${value} is ${side} the threshold ${threshold}${note}`, first);
  }
  // Passing (at least as good as the threshold) is a keep; the crown needs strictly better than the champion.
  const crowned = champion === null || isBetter(spec.direction, value, champion);
  const passes = `${value} passes the threshold ${threshold}`;
  let reason: string;
  if (champion === null) reason = `${passes} and becomes the first champion`;
  else if (crowned) reason = `${passes} and beats the champion ${champion}`;
  else reason = `${passes} but is not better than the champion ${champion}`;
  if (first) reason += '; as the first result it also sets the baseline';
  return {
    status: 'keep',
    // Under threshold the reference is always the threshold (docs/design.md), so even the first passing
    // result has its impact measured against it; "impact 0" is for programs with no reference at all.
    impact: Math.max(0, improvement(spec.direction, threshold, value)),
    champion: crowned,
    setsBaseline: first,
    reason,
  };
}
