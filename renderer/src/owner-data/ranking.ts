import type { ResultSummary } from '../../../protocol/index.ts';

/** The value a result was judged by: its effective value (a reproduced claim's worse value), else its own. */
export function judgedValue(r: Pick<ResultSummary, 'value' | 'effective_value'>): number | null {
  return r.effective_value ?? r.value;
}

/**
 * The host's ranking as the board shows it. The host ranks by effective value (ties: the first
 * submitted) and leaves out claims that did not reproduce; a host from before that kept them at
 * their claimed value, so they are left out here too (the history keeps them, badged). The order
 * is the host's, untouched.
 */
export function boardRows<R extends ResultSummary>(entries: readonly R[]): { rows: R[]; leftOut: number } {
  const rows = entries.filter((r) => r.verification !== 'not_reproduced' && judgedValue(r) !== null);
  return { rows, leftOut: entries.filter((r) => r.verification === 'not_reproduced').length };
}
