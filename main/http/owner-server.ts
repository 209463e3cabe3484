import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { AppInfo } from '../../protocol/index.ts';
import { HttpError, installErrorHandling } from './errors.ts';
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
  /** More route groups behind the same guard (the app's publish and worker routes). */
  routes?: FastifyPluginAsync[];
  /** What `GET /api/app` says (default: the owner view of the program being hosted). */
  appInfo?: () => AppInfo;
  /** Larger bodies than the owner API needs (publish requests carry a path). */
  bodyLimit?: number;
}

/**
 * The owner listener: loopback only, never tunnelled, owner token on every API route. `services`
 * is null while no program is published (the app's listener before its UI publishes one).
 */
export async function buildOwnerServer(services: () => HostServices | null, opts: OwnerServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 16 * 1024 });
  installErrorHandling(app);
  const appInfo = opts.appInfo ?? (() => ({ views: ['owner' as const], can_publish: false, program: services()?.kb.spec.name ?? null }));
  await app.register(async (api) => {
    api.addHook('onRequest', ownerGuard(opts.ownerToken));
    api.get('/api/app', async () => appInfo());
    await api.register(async (owner) => {
      owner.addHook('onRequest', async () => {
        if (services() === null) throw new HttpError('conflict', 'No program is published yet; publish one first (the Owner tab, or `cohort publish DIR`).');
      });
      const current = () => services()!;
      await owner.register(ownerApiRoutes, { services: current });
      await owner.register(eventsRoutes, { services: current });
    });
    for (const routes of opts.routes ?? []) await api.register(routes);
  });
  await app.register(rendererRoutes, { rendererDir: opts.rendererDir });
  return app;
}
