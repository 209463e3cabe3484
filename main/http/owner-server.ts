import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandling } from './errors.ts';
import { eventsRoutes } from './owner/events-stream.ts';
import { ownerApiRoutes } from './owner/owner-api.ts';
import { ownerGuard } from './owner/owner-auth.ts';
import { rendererRoutes } from './owner/renderer-static.ts';
import type { ServerLogOptions } from './public-server.ts';
import type { HostServices } from './services.ts';

export interface OwnerServerOptions extends ServerLogOptions {
  ownerToken: string;
  /** The built renderer (renderer/dist), or null to serve a placeholder page. */
  rendererDir: string | null;
}

/** The owner listener: loopback only, never tunnelled, owner token on every API route. */
export async function buildOwnerServer(services: HostServices, opts: OwnerServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 16 * 1024 });
  installErrorHandling(app);
  await app.register(async (api) => {
    api.addHook('onRequest', ownerGuard(opts.ownerToken));
    await api.register(ownerApiRoutes, services);
    await api.register(eventsRoutes, services);
  });
  await app.register(rendererRoutes, { rendererDir: opts.rendererDir });
  return app;
}
