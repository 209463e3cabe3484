import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
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

/** A refusal as it leaves: HTTP status, wire code, message. */
export interface ClientErrorReport {
  status: number;
  code: string;
  message: string;
}

/** What the routes of a listener accept as a body, for 415 messages. */
export const JSON_BODY = 'JSON (Content-Type: application/json)';

/**
 * The caller's mistake behind `err`, or null when `err` is a bug of ours (5xx). Client mistakes
 * keep fastify's own (safe) wording, except where it says too little to act on.
 */
export function clientError(err: FastifyError | ServiceError, request: FastifyRequest, accepted = JSON_BODY): ClientErrorReport | null {
  if (err instanceof ServiceError) return err.status < 500 ? { status: err.status, code: err.code, message: err.message } : null;
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status < 400 || status >= 500) return null;
  let message = err.message;
  if (status === 413) message = 'The request body is too large for this endpoint.';
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    const type = request.headers['content-type'];
    message = type === undefined || type.trim() === ''
      ? `The body has no Content-Type: send ${accepted}.`
      : `Content-Type "${type.length > 60 ? `${type.slice(0, 60)}…` : type}" is not accepted here: send ${accepted}.`;
  }
  return { status, code: byStatus[status] ?? ErrorCode.badRequest, message };
}

/** A bug: logged here, reported without details (no stack trace leaves the process). */
export function sendServerError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A ServiceError is a deliberate refusal (e.g. 503 "try again"): its message is meant for the caller.
  if (err instanceof ServiceError) return sendError(reply, err.status, err.code, err.message);
  request.log.error({ err }, 'request failed');
  return sendError(reply, 500, ErrorCode.internal, 'Something went wrong on the host; the owner can find it in the host log.');
}

/**
 * Every error leaves as `{error, message}`. Client mistakes keep fastify's own (safe) wording;
 * anything unexpected is logged here and reported without details: no stack trace leaves the process.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ServiceError, request, reply) => {
    const report = clientError(err, request);
    if (report === null) return sendServerError(err, request, reply);
    return sendError(reply, report.status, report.code, report.message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, ErrorCode.notFound, `There is no ${request.method} ${request.url.split('?')[0]} here.`),
  );
}

/**
 * Fastify option `frameworkErrors`: errors the router raises before any route or error handler
 * (a URL with a malformed percent-escape). Without it they leave in fastify's own shape.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_BAD_URL'
    ? 'The URL is not valid: each "%" in the path must start the two hex digits of a UTF-8 byte.'
    : 'The request cannot be routed.';
  void sendError(reply, 400, ErrorCode.badRequest, message);
}

/**
 * Fastify option `clientErrorHandler`: requests Node's HTTP parser refuses (headers over 16 KiB,
 * control characters in a header, two Content-Lengths…) never reach fastify's error handler, so
 * this writes the `{error, message}` JSON on the socket itself, then closes it, as Node does.
 */
export function clientErrorHandler(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let body: { error: string; message: string };
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    body = { error: ErrorCode.headersTooLarge, message: 'The request headers are too large (16 KiB in all at most): send a shorter Authorization header or fewer headers.' };
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = { error: 'request_timeout', message: 'The request took too long to arrive.' };
  } else {
    const reason = typeof err.reason === 'string' && /^[\w ,.'-]{1,80}$/.test(err.reason) ? `: ${err.reason.toLowerCase()}` : '';
    body = { error: ErrorCode.badRequest, message: `The request is not valid HTTP/1.1${reason}.` };
  }
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy();
}
