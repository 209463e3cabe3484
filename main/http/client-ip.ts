import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

/**
 * The caller's address. Behind the tunnel every connection comes from cloudflared on loopback, so
 * the address is Cloudflare's `Cf-Connecting-Ip`; without a tunnel that header is anyone's to
 * forge, so only the socket counts. Even tunnelled, the header counts only on a loopback socket
 * (the tunnelled listener binds 127.0.0.1, so that is every socket; this keeps it so).
 */
export function clientIp(request: FastifyRequest, tunnelled: boolean): string {
  const socketIp = request.socket.remoteAddress;
  if (tunnelled && isLoopback(socketIp)) {
    const value = cfConnectingIp(request);
    if (value !== null) return value;
  }
  return socketIp ?? 'unknown';
}

/** The `Cf-Connecting-Ip` header when it holds one IP address, else null. */
function cfConnectingIp(request: FastifyRequest): string | null {
  const header = request.headers['cf-connecting-ip'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value !== undefined && isIP(value) !== 0 ? value : null;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/**
 * The base URL the caller used to reach us, so discovery works on loopback, a LAN and the tunnel
 * alike. A request came through the tunnel when it carries Cloudflare's `Cf-Connecting-Ip`: its
 * scheme is `X-Forwarded-Proto` (https by default). A program on this machine that talks to the
 * tunnelled listener directly gets plain http URLs back.
 */
export function externalBase(request: FastifyRequest, tunnelled: boolean, fallback: string): string {
  const host = request.headers.host;
  if (host === undefined || !/^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host)) return fallback;
  const viaTunnel = tunnelled && isLoopback(request.socket.remoteAddress) && cfConnectingIp(request) !== null;
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = viaTunnel ? (forwarded === 'http' ? 'http' : 'https') : 'http';
  return `${proto}://${host}`;
}
