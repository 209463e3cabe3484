import { describe, expect, it } from 'vitest';
import { abandoned, admit, type PendingSource } from './join-admission.ts';

const limits = { pendingPerIp: 5, pendingPerNetwork: 10, pendingTotal: 20 };
let seq = 0;
const req = (ip: string): PendingSource => ({ id: `jr${++seq}`, ip, createdAt: seq });
const many = (n: number, ip: (i: number) => string) => Array.from({ length: n }, (_, i) => req(ip(i)));

describe('join request admission', () => {
  it('caps one address and one network', () => {
    expect(admit(many(5, () => '203.0.113.7'), '203.0.113.7', limits)).toMatchObject({ admit: false, limit: 'address' });
    expect(admit(many(10, (i) => `203.0.113.${i}`), '203.0.113.99', limits)).toMatchObject({ admit: false, limit: 'network', network: '203.0.113.0/24' });
    expect(admit(many(10, (i) => `203.0.113.${i}`), '203.0.114.1', limits)).toEqual({ admit: true, network: '203.0.114.0/24', evict: null });
    expect(admit(many(10, (i) => `2001:db8:0:1::${i + 1}`), '2001:db8:0:1:ffff::1', limits)).toMatchObject({ admit: false, limit: 'network' });
  });

  it('when full, the oldest request of the largest network gives way to a smaller one', () => {
    const flood = [...many(10, (i) => `203.0.113.${i}`), ...many(9, (i) => `198.51.100.${i}`), req('192.0.2.1')];
    const res = admit(flood, '192.0.2.2', limits);
    expect(res).toMatchObject({ admit: true, evict: flood[0] });
    // A network holding as many as the largest is refused rather than evicting an equal.
    expect(admit([...flood.slice(1), req('192.0.2.3')], '198.51.100.201', limits)).toMatchObject({ admit: false, limit: 'total' });
    // Among equal holders the one with the oldest request gives way.
    const even = [...many(10, (i) => `198.51.100.${i}`), ...many(10, (i) => `203.0.113.${i}`)];
    expect(admit(even, '192.0.2.9', limits)).toMatchObject({ admit: true, evict: even[0] });
  });

  it('drops a request whose worker stopped polling', () => {
    const r = { createdAt: 0, lastPollAt: null, interval: 5 };
    expect(abandoned(r, 45_000)).toBe(false);
    expect(abandoned(r, 45_001)).toBe(true);
    expect(abandoned({ ...r, lastPollAt: 40_000 }, 80_000)).toBe(false);
    expect(abandoned({ ...r, lastPollAt: 40_000, interval: 10 }, 100_000)).toBe(false);
    expect(abandoned({ ...r, lastPollAt: 40_000, interval: 10 }, 100_001)).toBe(true);
  });
});
