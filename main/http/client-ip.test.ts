import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientIp, externalBase } from './client-ip.ts';

/** Just the parts of a request these helpers read. */
function req(remoteAddress: string, headers: Record<string, string> = {}): FastifyRequest {
  return { headers, socket: { remoteAddress } } as unknown as FastifyRequest;
}

describe('client address and base URL', () => {
  it('takes Cf-Connecting-Ip only when tunnelled, from a loopback socket, holding one IP', () => {
    const cf = { 'cf-connecting-ip': '203.0.113.7' };
    expect(clientIp(req('127.0.0.1', cf), true)).toBe('203.0.113.7');
    expect(clientIp(req('::ffff:127.0.0.1', { 'cf-connecting-ip': ' 2001:db8::1 ' }), true)).toBe('2001:db8::1');
    expect(clientIp(req('127.0.0.1', cf), false)).toBe('127.0.0.1');
    expect(clientIp(req('192.0.2.10', cf), true)).toBe('192.0.2.10');
    expect(clientIp(req('127.0.0.1', { 'cf-connecting-ip': '203.0.113.7, 198.51.100.1' }), true)).toBe('127.0.0.1');
  });

  it('gives https URLs to tunnelled requests and http to a local program talking to the listener', () => {
    const viaTunnel = req('127.0.0.1', { host: 'a-b.trycloudflare.com', 'cf-connecting-ip': '203.0.113.7' });
    expect(externalBase(viaTunnel, true, 'x')).toBe('https://a-b.trycloudflare.com');
    expect(externalBase(req('127.0.0.1', { host: '127.0.0.1:4000' }), true, 'x')).toBe('http://127.0.0.1:4000');
    expect(externalBase(req('127.0.0.1', { host: 'evil.example', 'x-forwarded-proto': 'https', 'cf-connecting-ip': '203.0.113.7' }), false, 'x')).toBe('http://evil.example');
    expect(externalBase(req('127.0.0.1', { host: 'bad host' }), true, 'http://fallback')).toBe('http://fallback');
  });
});
