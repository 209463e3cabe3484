import type { FastifyPluginAsync } from 'fastify';
import type { HostServices } from '../services.ts';

const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events of the KB (`join-request`, `member-approved`, `member-denied`, `member-joined`,
 * `member-revoked`, `result`, `champion`), so the owner's UI updates without reloading.
 */
export const eventsRoutes: FastifyPluginAsync<HostServices> = async (app, { bus }) => {
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
    const unsubscribe = bus.subscribe((event) => {
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    request.raw.on('close', stop);
    res.on('error', stop);
  });
};
