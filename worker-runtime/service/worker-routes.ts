import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { JoinStartRequest, RunStartRequest, type WorkerFeedEvent } from '../../protocol/index.ts';
import { WorkerServiceError, type WorkerService } from './worker-service.ts';

const HEARTBEAT_MS = 15_000;
const ProgramParams = z.object({ program: z.string().min(1).max(128) });

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  throw new WorkerServiceError(400, 'bad_request', `${what} is invalid: ${problems.join('; ')}`);
}

function send(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).type('application/json; charset=utf-8').send({ error, message });
}

/**
 * The worker's loopback API, mounted by the app's listener behind its owner guard (loopback only,
 * token required). Every body is checked against its protocol schema; every error is `{error, message}`.
 */
export const workerRoutes: FastifyPluginAsync<{ service: WorkerService }> = async (app, { service }) => {
  // Errors of this scope (the guard's too) keep their status and code; anything else says little.
  app.setErrorHandler((err: FastifyError | WorkerServiceError, request, reply) => {
    const known = err as { status?: unknown; code?: unknown };
    if (typeof known.status === 'number' && typeof known.code === 'string' && known.status < 500) return send(reply, known.status, known.code, err.message);
    if (err instanceof WorkerServiceError) return send(reply, err.status, err.code, err.message);
    const status = typeof (err as FastifyError).statusCode === 'number' ? (err as FastifyError).statusCode! : 500;
    if (status >= 400 && status < 500) return send(reply, status, 'bad_request', err.message);
    request.log.error({ err }, 'worker request failed');
    return send(reply, 500, 'internal_error', 'Something went wrong in the worker; its log has the details.');
  });

  app.get('/api/worker/state', async () => service.state());

  app.post('/api/worker/join', async (request, reply) => {
    const body = parse(JoinStartRequest, request.body, 'The join request');
    return reply.code(202).send({ join: await service.startJoin(body) });
  });

  app.post('/api/worker/join/cancel', async () => ({ join: service.cancelJoin() }));

  app.post('/api/worker/run', async (request, reply) => {
    const body = parse(RunStartRequest, request.body, 'The run request');
    return reply.code(202).send({ run: await service.startRun(body) });
  });

  app.post('/api/worker/stop', async () => ({ run: service.stopRun() }));

  app.get('/api/worker/programs/:program', async (request) => {
    const { program } = parse(ProgramParams, request.params, 'The program');
    return service.program(program);
  });

  // Open streams never go idle, so the server could not close while one is open: end them first.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get('/api/worker/events', async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    const unsubscribe = service.subscribe((event: WorkerFeedEvent) => {
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
