import { useMemo } from 'react';
import type { WorkerProgramResponse } from '../../../../protocol/index.ts';
import { DEFAULT_FORMAT, metricDecimals, metricFormat, type MetricFormat } from '../../format.ts';

/** The numbers of the program's metric the worker view has: its rule, the champion, this member's results and their re-runs. */
function* programNumbers(program: WorkerProgramResponse): Generator<number | null | undefined> {
  const { spec } = program.program;
  yield spec.baseline;
  yield spec.threshold;
  yield spec.min_improvement;
  yield program.champion?.value;
  for (const r of program.mine) {
    yield r.value;
    yield r.effective_value;
    for (const rerun of r.reruns) yield rerun.value;
  }
}

/**
 * The program's metric format in the worker view, by the owner view's rule (format.ts): as many
 * decimals as the program's own values carry, so a value reads the same on both sides (the owner
 * view sees every member's best results, this view this member's and the champion: a program's
 * values, printed by one train.py, carry the same decimals).
 */
export function useProgramFormat(program: WorkerProgramResponse | null): MetricFormat {
  // Before any result (no champion, none of this member's), the rule's numbers alone say too little
  // (a min_improvement of 0 has no decimals): the live run's readings then get autoresearch's 6.
  const known = program !== null && (program.champion !== null || program.mine.some((r) => r.value !== null));
  const decimals = useMemo(() => (program === null || !known ? DEFAULT_FORMAT.decimals : metricDecimals(programNumbers(program))), [program, known]);
  return useMemo(() => metricFormat(decimals), [decimals]);
}
