import type { FastifyPluginAsync } from 'fastify';
import type { OwnerRouteOptions } from '../services.ts';

const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events of the KB (`join-request`, `member-approved`, `member-denied`, `member-joined`,
 * `member-revoked`, `result`, `champion`) and of the tunnel (`tunnel`), so the owner's UI updates
 * without reloading.
 */
export const eventsRoutes: FastifyPluginAsync<OwnerRouteOptions> = async (app, { services }) => {
  // Open streams never go idle, so the server could not close while one is open: end them first.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get('/api/owner/events', async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    const unsubscribe = services().bus.subscribe((event) => {
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
    };
    const end = () => {
      stop();
      res.end();
    };
    open.add(end);
    request.raw.on('close', stop);
    res.on('error', stop);
  });
};
