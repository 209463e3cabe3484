import { networkOf } from './network.ts';

/**
 * Who may add a join request while others wait (docs/security.md, Membership): caps per address,
 * per source network and in total, and which request gives way when the total is reached. Pure: the
 * device flow hands it the pending requests and carries out the answer.
 */

export interface AdmissionLimits {
  /** Pending join requests one client address may have at once. */
  pendingPerIp: number;
  /** Pending join requests one source network (IPv4 /24, IPv6 /64; network.ts) may have at once. */
  pendingPerNetwork: number;
  /** Pending join requests in total, so a flood cannot bury the owner's list. */
  pendingTotal: number;
}

/** What admission needs of a pending request. */
export interface PendingSource {
  id: string;
  ip: string;
  createdAt: number;
}

export type Admission<R extends PendingSource> =
  | { admit: true; network: string; evict: R | null }
  | { admit: false; network: string; limit: 'address' | 'network' | 'total' };

/**
 * The newcomer from `address` is refused when its address or network is at its cap. When the total
 * is reached, the network holding the most pending requests gives way: its oldest request is
 * evicted for the newcomer, unless the newcomer's own network holds as many (ties included), in
 * which case the newcomer is refused. So a flood from a few networks can never starve a network
 * that holds fewer: it only pushes out its own.
 */
export function admit<R extends PendingSource>(pending: readonly R[], address: string, limits: AdmissionLimits): Admission<R> {
  const network = networkOf(address);
  const byNetwork = new Map<string, R[]>();
  let fromAddress = 0;
  for (const r of pending) {
    if (r.ip === address) fromAddress++;
    const key = networkOf(r.ip);
    const rows = byNetwork.get(key);
    if (rows) rows.push(r);
    else byNetwork.set(key, [r]);
  }
  if (fromAddress >= limits.pendingPerIp) return { admit: false, network, limit: 'address' };
  const mine = byNetwork.get(network)?.length ?? 0;
  if (mine >= limits.pendingPerNetwork) return { admit: false, network, limit: 'network' };
  if (pending.length < limits.pendingTotal) return { admit: true, network, evict: null };
  // The largest holder; among equals, the one whose oldest request is oldest.
  let largest: R[] = [];
  for (const rows of byNetwork.values()) {
    const oldest = (xs: R[]) => Math.min(...xs.map((x) => x.createdAt));
    if (rows.length > largest.length || (rows.length === largest.length && rows.length > 0 && oldest(rows) < oldest(largest))) largest = rows;
  }
  if (largest.length <= mine) return { admit: false, network, limit: 'total' };
  const victim = largest.reduce((a, b) => (b.createdAt < a.createdAt ? b : a));
  return { admit: true, network, evict: victim };
}

/**
 * RFC 8628 §3.5: a client polls every `interval` seconds until it gets an answer. A pending request
 * not polled for three intervals and 30 s more (45 s at the usual 5 s) has lost its worker (the
 * join command was stopped, or never meant to wait) and is dropped, so it holds no room under the caps.
 */
export function abandoned(r: { createdAt: number; lastPollAt: number | null; interval: number }, now: number): boolean {
  return now - (r.lastPollAt ?? r.createdAt) > (3 * r.interval + 30) * 1000;
}
