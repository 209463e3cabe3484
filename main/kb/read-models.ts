import type { Payout, RosterEntry } from '../../protocol/index.ts';
import type { KbState } from '../rules/fold.ts';
import { splitPool, type PayoutSpec } from '../rules/payouts.ts';
import type { MemberRow } from '../store/kb-store.ts';
import { iso } from './records.ts';

/**
 * What members and the owner read of the KB, built from the fold's state (main/rules/fold.ts) and
 * the members table. Each costs in proportion to the members, never to the results.
 */

/** Members with their counts, as members see each other (no addresses); revoked members are left out. */
export function roster(members: readonly MemberRow[], state: KbState): RosterEntry[] {
  return members
    .filter((m) => m.revokedAt === null)
    .map((m) => {
      const tally = state.members.get(m.id);
      return { id: m.id, name: m.name, gpu: m.gpu, joined_at: iso(m.joinedAt), results: tally?.results ?? 0, keeps: tally?.keeps ?? 0 };
    });
}

/**
 * The pool split (main/rules/payouts.ts) by the impact_w the fold accumulated per member. `spec`
 * is today's TASK.md: the pool may change between runs, the accept rule may not.
 */
export function payouts(spec: PayoutSpec, state: KbState, names: ReadonlyMap<string, string>, which: 'earned' | 'pending' = 'earned'): Payout[] {
  const weights = new Map([...state.members].map(([member, tally]) => [member, which === 'earned' ? tally.weight : tally.pendingWeight]));
  // Champion-takes-all pays a champion whose claim reproduced (or counts unverified); a pending one would be paid.
  const champion = state.champion;
  const paid = champion && (which === 'pending' || champion.verification === 'reproduced' || champion.verification === 'unverified') ? champion.member : null;
  return splitPool(spec, weights, paid).map((l) => ({
    member: l.member,
    name: names.get(l.member) ?? l.member,
    impact: l.impact,
    amount: l.amount,
  }));
}
