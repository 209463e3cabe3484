import { isIPv4, isIPv6 } from 'node:net';

/**
 * Source networks, for the join request caps (docs/security.md, Membership). One household, office
 * or cloud tenant usually holds an IPv4 /24 or an IPv6 /64 (RFC 6177 and RFC 7934 give each
 * subscriber at least a /64), so a flood from many addresses of one such block counts as one source.
 * Every loopback address is this machine, so all of them are one network.
 */

export const IPV4_PREFIX = 24;
export const IPV6_PREFIX = 64;
export const LOOPBACK_NETWORK = '127.0.0.0/8';

/**
 * An address in one spelling: an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, how a dual-stack
 * socket shows IPv4 callers) becomes the IPv4 address; IPv6 is lower-case and compressed (RFC 5952).
 * Anything else (`unknown`) is returned as it is.
 */
export function canonicalAddress(address: string): string {
  const trimmed = address.trim();
  if (isIPv4(trimmed)) return trimmed;
  if (!isIPv6(trimmed)) return trimmed;
  const groups = ipv6Groups(trimmed);
  if (isMappedIPv4(groups)) return mappedIPv4(groups);
  return formatIPv6(groups);
}

/** The network key of an address: `203.0.113.0/24`, `2001:db8:0:1::/64`, or `127.0.0.0/8` for loopback. */
export function networkOf(address: string): string {
  const a = canonicalAddress(address);
  if (isIPv4(a)) {
    if (a.startsWith('127.')) return LOOPBACK_NETWORK;
    return `${a.split('.').slice(0, 3).join('.')}.0/${IPV4_PREFIX}`;
  }
  if (isIPv6(a)) {
    if (a === '::1') return LOOPBACK_NETWORK;
    const groups = ipv6Groups(a);
    return `${formatIPv6([...groups.slice(0, 4), 0, 0, 0, 0])}/${IPV6_PREFIX}`;
  }
  // Not an address (a socket that closed early): its own source, so it never merges with others.
  return a;
}

/**
 * The network key the owner means by `input`: a network in CIDR form whose prefix is the one Cohort
 * groups by (`203.0.113.0/24`, `2001:db8::/64`, `127.0.0.0/8`), or any address in it. Null when the
 * input is neither, or names another prefix length (a /16 would deny far more than one source).
 */
export function parseNetwork(input: string): string | null {
  const [addr = '', prefix, ...rest] = input.trim().split('/');
  if (rest.length > 0 || !(isIPv4(addr) || isIPv6(addr))) return null;
  const key = networkOf(addr);
  if (prefix === undefined) return key;
  return key.endsWith(`/${prefix}`) ? key : null;
}

/** The eight 16-bit groups of an IPv6 address (node's isIPv6 has accepted it), an embedded IPv4 tail included. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function isMappedIPv4(groups: number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
}

function mappedIPv4(groups: number[]): string {
  const [hi = 0, lo = 0] = groups.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** RFC 5952 §4: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
