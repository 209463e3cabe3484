import type { ResultSummary } from '../../../protocol/index.ts';

/**
 * The host's ranking as the board shows it. The host ranks by effective value (ties: the first
 * submitted) and keeps claims that did not reproduce at the value they were judged by; a claim
 * nobody could reproduce must not head the board, so those are left out here (the history keeps
 * them, badged). The order is the host's, untouched.
 */
export function boardRows<R extends ResultSummary>(entries: readonly R[]): { rows: R[]; leftOut: number } {
  const rows = entries.filter((r) => r.verification !== 'not_reproduced' && (r.effective_value ?? r.value) !== null);
  return { rows, leftOut: entries.filter((r) => r.verification === 'not_reproduced').length };
}
