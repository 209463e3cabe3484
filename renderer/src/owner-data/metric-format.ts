import { useMemo } from 'react';
import type { OwnerStatusResponse, ResultSummary } from '../../../protocol/index.ts';
import { DEFAULT_FORMAT, metricDecimals, metricFormat, type MetricFormat } from '../format.ts';
import { useOwnerStore } from '../store.ts';

/** The numbers of the program's metric the owner view has: they decide how many decimals it shows. */
export function* metricNumbers(status: OwnerStatusResponse, results: readonly Pick<ResultSummary, 'value' | 'effective_value'>[]): Generator<number | null | undefined> {
  const { spec } = status.program;
  yield status.baseline;
  yield spec.threshold;
  yield spec.min_improvement;
  yield status.champion?.value;
  for (const r of status.leaderboard) {
    yield r.value;
    yield r.effective_value;
    for (const rerun of r.reruns) yield rerun.value;
  }
  for (const r of results) {
    yield r.value;
    yield r.effective_value;
  }
}

/**
 * The one number format of the program's metric (format.ts has the rule), from the status (its
 * baseline, rule and best results); every owner component writes values through it. Not from the
 * chart's points: the decimals would change as the owner zooms.
 */
export function useMetricFormat(): MetricFormat {
  const status = useOwnerStore((s) => s.status);
  const decimals = useMemo(() => (status === null ? DEFAULT_FORMAT.decimals : metricDecimals(metricNumbers(status, []))), [status]);
  return useMemo(() => metricFormat(decimals), [decimals]);
}
