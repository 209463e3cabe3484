import type { ResultSummary, TaskSpec } from '../../../protocol/index.ts';

/** The value a result is ranked and judged by: its effective value (docs/design.md, "The KB is a fold"). */
export function judgedValue(r: Pick<ResultSummary, 'value' | 'effective_value'>): number | null {
  return r.effective_value ?? r.value;
}

/**
 * Results best first by effective value (ties: the first submitted, as the host's rule). Claims
 * that did not reproduce are left out: the host ranks them at their claimed value, and a claim
 * nobody could reproduce must not head the board (they stay in the history, badged).
 */
export function rankResults<R extends ResultSummary>(rows: readonly R[], direction: TaskSpec['direction']): R[] {
  const ranked = rows.filter((r) => r.verification !== 'not_reproduced' && judgedValue(r) !== null);
  return ranked.sort((a, b) => {
    const va = judgedValue(a)!;
    const vb = judgedValue(b)!;
    if (va !== vb) return direction === 'minimize' ? va - vb : vb - va;
    return a.seq - b.seq;
  });
}

/** Each member's best result only, best first: from ranked rows, the first of each member. */
export function bestPerMember<R extends ResultSummary>(ranked: readonly R[]): R[] {
  const seen = new Set<string>();
  return ranked.filter((r) => !seen.has(r.member) && seen.add(r.member));
}
