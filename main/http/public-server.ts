import Fastify, { type FastifyInstance } from 'fastify';
import { installJsonParser } from './body-parsers.ts';
import { clientErrorHandler, frameworkErrors, HttpError, installErrorHandling } from './errors.ts';
import { healthRoutes } from './public/health.ts';
import { memberRoutes } from './public/member-api.ts';
import { oauthRoutes } from './public/oauth.ts';
import type { HostServices } from './services.ts';

export interface ServerLogOptions {
  /** Fastify's logger: false in tests, a level name for the CLI. */
  logger?: boolean | { level: string };
}

export interface PublicServerOptions extends ServerLogOptions {
  /**
   * A request (headers and body) must arrive within this long, or it is answered 408 and closed.
   * Fastify's default is no limit, which lets a client that dribbles a body hold a connection
   * open forever. 60 s carries the largest body (1 MiB) over a slow uplink.
   */
  requestTimeoutMs?: number;
}

/**
 * The public listener: what the tunnel exposes. Health, the device flow, and the member API, each
 * a plugin with its own routes and limits. Owner routes do not exist here at all.
 */
export async function buildPublicServer(services: HostServices, opts: PublicServerOptions = {}): Promise<FastifyInstance> {
  const requestTimeout = opts.requestTimeoutMs ?? 60_000;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 64 * 1024,
    // Behind the tunnel the socket is cloudflared's; client addresses come from Cf-Connecting-Ip.
    trustProxy: false,
    return503OnClosing: true,
    // Malformed HTTP and bad URLs are refused before fastify's error handler; these keep them {error, message}.
    clientErrorHandler,
    frameworkErrors,
    // requireHostHeader: Node answers an HTTP/1.1 request without Host with a bare 400 of its own; the
    // onRequest hook below refuses it in JSON instead. Timeouts: Node looks for late requests on an
    // interval (30 s by default), and enforces the body deadline only while headersTimeout ≤ requestTimeout.
    http: {
      requireHostHeader: false,
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(requestTimeout / 4))),
    },
    requestTimeout,
  });
  installErrorHandling(app);
  app.addHook('onRequest', async (request) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new HttpError('bad_request', 'An HTTP/1.1 request needs a Host header (RFC 9112 §3.2).');
    }
  });
  // Strict UTF-8 JSON only (docs/hostile-input.md); the OAuth plugin adds its form parser.
  installJsonParser(app);
  await app.register(healthRoutes, services);
  await app.register(oauthRoutes, services);
  await app.register(memberRoutes, services);
  return app;
}
