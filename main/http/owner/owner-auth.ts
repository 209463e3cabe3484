import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { isLoopback } from '../client-ip.ts';
import { HttpError } from '../errors.ts';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Guards every owner route: the caller must be on this machine, must have addressed us by a
 * loopback name (a DNS-rebinding page in a browser sends its own host name), and must hold the owner
 * token. `?token=` is accepted only where a browser cannot set headers (EventSource).
 */
export function ownerGuard(ownerToken: string) {
  return async (request: FastifyRequest<{ Querystring: { token?: string } }>): Promise<void> => {
    if (!isLoopback(request.socket.remoteAddress)) throw new HttpError('forbidden', 'Owner endpoints answer only on this machine.');
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      throw new HttpError('forbidden', 'Owner endpoints answer only to 127.0.0.1 or localhost.');
    }
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const presented = bearer ?? (typeof request.query.token === 'string' ? request.query.token : undefined);
    if (presented === undefined) throw new HttpError('auth_required', 'Owner endpoints need the owner token (Authorization: Bearer …) from the host\'s state file.');
    if (!sameSecret(presented, ownerToken)) throw new HttpError('forbidden', 'That is not this host\'s owner token.');
  };
}
