import type { Member } from '../../../protocol/index.ts';

/**
 * The members' colours: Tableau's ten, which stay apart from each other on a light and a dark
 * background and from the staircase (drawn in the text colour).
 */
export const MEMBER_PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#9c755f', '#ff9da7', '#edc948', '#17becf'] as const;

/** A string's FNV-1a hash: a colour for an id the roster does not know. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Each member's colour, by the order they joined: a member keeps its colour as others join (the
 * roster only grows) and whatever range the chart shows, and the first ten never share one, which
 * hashing the ids alone would not promise.
 */
export function memberColors(roster: readonly Pick<Member, 'id' | 'joined_at'>[]): (id: string) => string {
  const order = [...roster].sort((a, b) => a.joined_at.localeCompare(b.joined_at) || a.id.localeCompare(b.id));
  const index = new Map(order.map((m, i) => [m.id, i]));
  return (id) => MEMBER_PALETTE[(index.get(id) ?? hash(id)) % MEMBER_PALETTE.length]!;
}
