import type { FastifyPluginAsync } from 'fastify';
import type { KbEvent } from '../../../protocol/index.ts';
import { EventStreams } from '../../../protocol/node/sse.ts';
import type { OwnerRouteOptions } from '../services.ts';

/**
 * Server-sent events of the KB (`join-request`, `member-approved`, `member-denied`, `member-joined`,
 * `member-revoked`, `result`, `champion`) and of the tunnel (`tunnel`), so the owner's UI updates
 * without reloading. Resumable after `Last-Event-ID`, and a client that stops reading is dropped
 * (protocol/node/sse.ts).
 */
export const eventsRoutes: FastifyPluginAsync<OwnerRouteOptions> = async (app, { services }) => {
  const streams = new EventStreams<KbEvent>();
  app.addHook('preClose', async () => streams.endAll());

  app.get('/api/owner/events', async (request, reply) => {
    // The bus of the program published now (the app may publish another): a new one starts a new epoch.
    const { bus } = services();
    streams.follow(bus, (send) => bus.subscribe(send));
    reply.hijack();
    streams.open(request.raw, reply.raw);
  });
};
