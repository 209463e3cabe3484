/**
 * The verdict on a claim from its re-runs (docs/design.md and DESIGN.md, "Verified champions"):
 * pure, like judge.ts. The fold (fold.ts) asks it about every accepted result and judges the
 * result again with the effective value it returns.
 */
import { improvement, type RuleSpec } from './judge.ts';

export interface VerifySpec {
  /** Re-runs a claim needs; 0 turns verification off (claims count as they are, shown "unverified"). */
  replicas: number;
  /** How much worse than the claim the re-runs' median may be and the claim still reproduce. */
  tolerance: number;
}

/** `none`: not a claim. `unverified`: a claim under `replicas: 0`. */
export type VerificationState = 'none' | 'pending' | 'reproduced' | 'not_reproduced' | 'unverified';

/** One re-run of a claim's exact code by another member; `value` null when it crashed. */
export interface Rerun {
  member: string;
  value: number | null;
}

export interface ClaimVerdict {
  state: Exclude<VerificationState, 'none'>;
  /** The value the rules judge the claim by: the claim until reproduced, then the worse of claim and median. */
  effective: number;
  /** The median of the re-runs that decided it; null until decided (or when one crashed). */
  median: number | null;
  /** Why, for a decided claim. */
  reason: string | null;
}

/** The median of values (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Decides a claim of `claim` from its re-runs, in the order they were reported. A crashed re-run
 * decides at once (not reproduced); otherwise the claim waits for `replicas` of them, and their
 * median must not be worse than the claim by more than `tolerance`.
 */
export function verifyClaim(direction: RuleSpec['direction'], claim: number, reruns: readonly Rerun[], spec: VerifySpec): ClaimVerdict {
  if (spec.replicas === 0) return { state: 'unverified', effective: claim, median: null, reason: null };
  const counted = reruns.slice(0, spec.replicas);
  const crashed = counted.find((r) => r.value === null);
  if (crashed) return { state: 'not_reproduced', effective: claim, median: null, reason: `a re-run by ${crashed.member} crashed` };
  if (counted.length < spec.replicas) return { state: 'pending', effective: claim, median: null, reason: null };
  const m = median(counted.map((r) => r.value!));
  // How much worse than the claim the median is (≤ 0 when it is as good or better), rounded like impacts.
  const shortfall = improvement(direction, m, claim);
  const runs = counted.length === 1 ? `the re-run got ${m}` : `the median of ${counted.length} re-runs is ${m}`;
  if (shortfall > spec.tolerance) {
    return { state: 'not_reproduced', effective: claim, median: m, reason: `claimed ${claim}, ${runs}: worse by ${shortfall} (more than the tolerance ${spec.tolerance})` };
  }
  // A lucky run earns only what its code does again: the worse of the two.
  const effective = shortfall > 0 ? m : claim;
  return { state: 'reproduced', effective, median: m, reason: `claimed ${claim}, ${runs}${shortfall > 0 ? `: counts as ${m}` : ''}` };
}
