import { describe, expect, it } from 'vitest';
import { canonicalAddress, networkOf, parseNetwork } from './network.ts';

describe('source networks', () => {
  it('groups IPv4 by /24 and IPv6 by /64, whatever the spelling', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.250')).toBe('203.0.113.0/24');
    expect(networkOf('203.0.114.7')).toBe('203.0.114.0/24');
    expect(networkOf('2001:db8:0:1::7')).toBe('2001:db8:0:1::/64');
    expect(networkOf('2001:0DB8:0000:0001:ffff:0:0:1')).toBe('2001:db8:0:1::/64');
    expect(networkOf('2001:db8::1')).toBe('2001:db8::/64');
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(networkOf('::')).toBe('::/64');
    expect(networkOf('fe80::1%eth0')).toBe('fe80::/64');
  });

  it('takes an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(canonicalAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(canonicalAddress('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(networkOf('::ffff:203.0.113.7')).toBe('203.0.113.0/24');
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('unknown')).toBe('unknown');
    expect(networkOf('unknown')).toBe('unknown');
  });

  it('counts every loopback address as this machine', () => {
    expect(networkOf('127.0.0.1')).toBe('127.0.0.0/8');
    expect(networkOf('127.1.2.3')).toBe('127.0.0.0/8');
    expect(networkOf('::1')).toBe('127.0.0.0/8');
    expect(networkOf('::ffff:127.0.0.1')).toBe('127.0.0.0/8');
  });

  it('reads the network an owner names, refusing other prefix lengths', () => {
    expect(parseNetwork('203.0.113.0/24')).toBe('203.0.113.0/24');
    expect(parseNetwork('203.0.113.99')).toBe('203.0.113.0/24');
    expect(parseNetwork('2001:db8:0:1::/64')).toBe('2001:db8:0:1::/64');
    expect(parseNetwork('2001:DB8:0:1:0::/64')).toBe('2001:db8:0:1::/64');
    expect(parseNetwork('127.0.0.0/8')).toBe('127.0.0.0/8');
    expect(parseNetwork('203.0.0.0/16')).toBeNull();
    expect(parseNetwork('2001:db8::/48')).toBeNull();
    expect(parseNetwork('example.com')).toBeNull();
    expect(parseNetwork('1.2.3.4/24/8')).toBeNull();
  });
});
