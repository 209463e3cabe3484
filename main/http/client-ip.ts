import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

/**
 * The caller's address. Behind the tunnel every connection comes from cloudflared on loopback, so
 * the address is Cloudflare's `Cf-Connecting-Ip`; without a tunnel that header is anyone's to
 * forge, so only the socket counts.
 */
export function clientIp(request: FastifyRequest, tunnelled: boolean): string {
  if (tunnelled) {
    const header = request.headers['cf-connecting-ip'];
    const value = Array.isArray(header) ? header[0] : header;
    if (value !== undefined && isIP(value.trim()) !== 0) return value.trim();
  }
  return request.socket.remoteAddress ?? 'unknown';
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** The base URL the caller used to reach us, so discovery works on loopback, a LAN and the tunnel alike. */
export function externalBase(request: FastifyRequest, tunnelled: boolean, fallback: string): string {
  const host = request.headers.host;
  if (host === undefined || !/^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host)) return fallback;
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = tunnelled && (forwarded === 'https' || forwarded === 'http') ? forwarded : tunnelled ? 'https' : 'http';
  return `${proto}://${host}`;
}
