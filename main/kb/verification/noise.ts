import type { NoiseReport } from '../../../protocol/index.ts';
import { median } from '../../rules/verification.ts';

/**
 * The run-to-run noise the host has seen (docs/design.md, "Verified champions"): how far re-runs
 * land from the claims they re-ran, and from each other when a claim has several. A program whose
 * runs are noisy must set `min_improvement` (and `verify.tolerance`) above it, or luck wins
 * champions. Computed over the latest NOISE_WINDOW re-runs: a bounded cost, and recent noise is the
 * one that matters (the code changed since the first ones).
 */
export const NOISE_WINDOW = 1_000;

export interface NoiseInput {
  claimed: number;
  reruns: readonly (number | null)[];
}

/** The 90th percentile (nearest rank). */
function p90(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
}

/** Rounded up to two significant digits: a suggestion reads 0.0013, not 0.001287339. */
function roundUp2(x: number): number {
  if (x <= 0) return 0;
  const scale = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.ceil(x / scale - 1e-9) * scale).toPrecision(2));
}

export function noiseReport(claims: readonly NoiseInput[]): NoiseReport | null {
  const diffs: number[] = [];
  const spreads: number[] = [];
  for (const c of claims) {
    const values = c.reruns.filter((v): v is number => v !== null);
    for (const v of values) diffs.push(Math.abs(v - c.claimed));
    if (values.length >= 2) spreads.push(Math.max(...values) - Math.min(...values));
  }
  if (diffs.length === 0) return null;
  const high = p90(diffs);
  return {
    reruns: diffs.length,
    claim_vs_rerun: { median: median(diffs), p90: high },
    between_reruns: spreads.length === 0 ? null : { claims: spreads.length, median: median(spreads) },
    // Above what 9 re-runs in 10 moved by: a lucky run alone then rarely wins.
    suggested_min_improvement: roundUp2(high),
  };
}
