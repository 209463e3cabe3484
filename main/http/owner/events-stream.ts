import type { FastifyPluginAsync } from 'fastify';
import { EventStreams } from '../../../protocol/node/sse.ts';
import type { OwnerRouteOptions } from '../services.ts';

/**
 * Server-sent events of the KB (`join-request`, `member-approved`, `member-denied`, `member-joined`,
 * `member-revoked`, `result`, `champion`) and of the tunnel (`tunnel`), so the owner's UI updates
 * without reloading.
 */
export const eventsRoutes: FastifyPluginAsync<OwnerRouteOptions> = async (app, { services }) => {
  const streams = new EventStreams();
  app.addHook('preClose', async () => streams.endAll());

  app.get('/api/owner/events', async (request, reply) => {
    reply.hijack();
    streams.open(request.raw, reply.raw, (send) => services().bus.subscribe(send));
  });
};
