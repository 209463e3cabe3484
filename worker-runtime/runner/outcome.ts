import type { ParseResult } from './metric-parser.ts';

export type RunStatus = 'ok' | 'crash';

export interface RunFacts {
  metric: string;
  parsed: ParseResult;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stopped: boolean;
  budgetSeconds: number;
  graceSeconds: number;
  /** The command could not be started at all. */
  startError?: string;
  /** The last meaningful line of stderr (e.g. a Python exception), to say why a non-zero exit happened. */
  lastErrorLine?: string | null;
}

/**
 * Decides ok vs crash, with the first reason that applies. A run is ok only when it exited 0 on its
 * own, never printed FAIL, and printed a finite value of the metric (docs/design.md: a crashed or
 * over-budget run is a crash).
 */
export function classifyRun(f: RunFacts): { status: RunStatus; reason: string } {
  const crash = (reason: string) => ({ status: 'crash' as const, reason });
  if (f.startError !== undefined) return crash(`could not start: ${f.startError}`);
  if (f.stopped) return crash('stopped');
  if (f.timedOut) return crash(`killed after the ${f.budgetSeconds} s time budget + ${f.graceSeconds} s grace`);
  // autoresearch prints FAIL and then exits 1: FAIL is the more telling reason.
  if (f.parsed.failed) return crash('printed FAIL');
  if (f.exitCode !== null && f.exitCode !== 0) return crash(`exit code ${f.exitCode}${f.lastErrorLine ? `: ${f.lastErrorLine}` : ''}`);
  if (f.exitCode === null) return crash(`killed by ${f.signal ?? 'an unknown signal'}`);
  if (f.parsed.value === null) return crash(`no ${f.metric} line in the output`);
  if (!f.parsed.finite) return crash(`${f.metric} is ${String(f.parsed.value)}`);
  return { status: 'ok', reason: `${f.metric} = ${f.parsed.value}` };
}
