import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandling } from './errors.ts';
import { healthRoutes } from './public/health.ts';
import { memberRoutes } from './public/member-api.ts';
import { oauthRoutes } from './public/oauth.ts';
import type { HostServices } from './services.ts';

export interface ServerLogOptions {
  /** Fastify's logger: false in tests, a level name for the CLI. */
  logger?: boolean | { level: string };
}

/**
 * The public listener: what the tunnel exposes. Health, the device flow, and the member API, each
 * a plugin with its own routes and limits. Owner routes do not exist here at all.
 */
export async function buildPublicServer(services: HostServices, opts: ServerLogOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 64 * 1024,
    // Behind the tunnel the socket is cloudflared's; client addresses come from Cf-Connecting-Ip.
    trustProxy: false,
    return503OnClosing: true,
  });
  installErrorHandling(app);
  await app.register(healthRoutes, services);
  await app.register(oauthRoutes, services);
  await app.register(memberRoutes, services);
  return app;
}
