import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { EventStreams } from '../../protocol/node/sse.ts';
import { ErrorCode, errorBody, errorStatus, JoinStartRequest, RunStartRequest, type WorkerFeedEvent } from '../../protocol/index.ts';
import { WorkerServiceError, type WorkerService } from './worker-service.ts';

const MembershipParams = z.object({ membership: z.string().min(1).max(128) });

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  throw new WorkerServiceError('bad_request', `${what} is invalid: ${problems.join('; ')}`);
}

/** The `{error, message}` body, written by protocol's errorBody as the host's listeners write it. */
function send(reply: FastifyReply, status: number, code: ErrorCode, message: string) {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
}

/**
 * The worker's loopback API, mounted by the app's listener behind its owner guard (loopback only,
 * token required). Every body is checked against its protocol schema; every error is `{error, message}`.
 */
export const workerRoutes: FastifyPluginAsync<{ service: WorkerService }> = async (app, { service }) => {
  // Errors of this scope keep their status and code: the worker's refusals, and the owner guard's
  // (main's ServiceError, known here by its shape and a code protocol knows); anything else says little.
  app.setErrorHandler((err: FastifyError | WorkerServiceError, request, reply) => {
    if (err instanceof WorkerServiceError) return send(reply, err.status, err.code, err.message);
    const known = err as { status?: unknown; code?: unknown };
    const code = ErrorCode.safeParse(known.code);
    if (typeof known.status === 'number' && known.status < 500 && code.success) return send(reply, known.status, code.data, err.message);
    const status = typeof (err as FastifyError).statusCode === 'number' ? (err as FastifyError).statusCode! : 500;
    if (status >= 400 && status < 500) return send(reply, status, 'bad_request', err.message);
    request.log.error({ err }, 'worker request failed');
    return send(reply, errorStatus('internal_error'), 'internal_error', 'Something went wrong in the worker; its log has the details.');
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

  // The membership's id; a program name only one membership has works too.
  app.get('/api/worker/programs/:membership', async (request) => {
    const { membership } = parse(MembershipParams, request.params, 'The membership');
    return service.program(membership);
  });

  // Followed from the start, so a window that reconnects gets what it missed (protocol/node/sse.ts).
  const streams = new EventStreams<WorkerFeedEvent>();
  streams.follow(service, (send) => service.subscribe(send));
  app.addHook('preClose', async () => streams.endAll());

  app.get('/api/worker/events', async (request, reply) => {
    reply.hijack();
    streams.open(request.raw, reply.raw);
  });
};
