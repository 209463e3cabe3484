import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { ErrorCode } from '../../protocol/index.ts';
import { ServiceError } from '../errors.ts';

/** An HTTP-level refusal (bad header, bad query); domain refusals are ServiceErrors of their own. */
export class HttpError extends ServiceError {
  override name = 'HttpError';
}

/** Validates a payload against its protocol schema; the message names each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string, code: string = ErrorCode.badRequest): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  throw new HttpError(400, code, `${what} is invalid: ${problems}`);
}

const byStatus: Record<number, string> = {
  400: ErrorCode.badRequest,
  401: ErrorCode.authRequired,
  403: ErrorCode.forbidden,
  404: ErrorCode.notFound,
  413: ErrorCode.payloadTooLarge,
  415: ErrorCode.unsupportedMediaType,
  429: ErrorCode.tooManyRequests,
};

export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error, message });
}

/**
 * Every error leaves as `{error, message}`. Client mistakes keep fastify's own (safe) wording;
 * anything unexpected is logged here and reported without details: no stack trace leaves the process.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ServiceError, request, reply) => {
    if (err instanceof ServiceError) return sendError(reply, err.status, err.code, err.message);
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const message = status === 413 ? 'The request body is too large for this endpoint.' : err.message;
      return sendError(reply, status, byStatus[status] ?? ErrorCode.badRequest, message);
    }
    request.log.error({ err }, 'request failed');
    return sendError(reply, 500, ErrorCode.internal, 'Something went wrong on the host; the owner can find it in the host log.');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, ErrorCode.notFound, `There is no ${request.method} ${request.url.split('?')[0]} here.`),
  );
}
