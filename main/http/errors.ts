import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { errorBody, errorStatus, type ErrorCode } from '../../protocol/index.ts';
import { ServiceError } from '../errors.ts';

/** An HTTP-level refusal (bad header, bad query); domain refusals are ServiceErrors of their own. */
export class HttpError extends ServiceError {
  override name = 'HttpError';
}

/** Validates a payload against its protocol schema; the message names each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string, code: ErrorCode = 'bad_request'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  throw new HttpError(code, `${what} is invalid: ${problems}`);
}

/**
 * The code for a 4xx fastify raises itself (body limit, media type, a route's schema…). Statuses
 * not listed keep fastify's status and go out as `bad_request`: the one place a
 * code leaves with a status other than its own, so the wire stays as it always was.
 */
const byStatus: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'auth_required',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** Sends the `{error, message}` body (protocol's errorBody); every listener of main/ answers through this. */
export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
}

/** A refusal as it leaves: HTTP status, wire code, message. */
export interface ClientErrorReport {
  status: number;
  code: ErrorCode;
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
  return { status, code: byStatus[status] ?? 'bad_request', message };
}

/** A bug: logged here, reported without details (no stack trace leaves the process). */
export function sendServerError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A ServiceError is a deliberate refusal (e.g. 503 "try again"): its message is meant for the caller.
  if (err instanceof ServiceError) return sendError(reply, err.status, err.code, err.message);
  request.log.error({ err }, 'request failed');
  return sendError(reply, errorStatus('internal_error'), 'internal_error', 'Something went wrong on the host; the owner can find it in the host log.');
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
    sendError(reply, errorStatus('not_found'), 'not_found', `There is no ${request.method} ${request.url.split('?')[0]} here.`),
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
  void sendError(reply, errorStatus('bad_request'), 'bad_request', message);
}

/**
 * Fastify option `clientErrorHandler`: requests Node's HTTP parser refuses (headers over 16 KiB,
 * control characters in a header, two Content-Lengths…) never reach fastify's error handler, so
 * this writes the `{error, message}` JSON on the socket itself, then closes it, as Node does.
 */
export function clientErrorHandler(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let body: { error: ErrorCode; message: string };
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    body = errorBody('headers_too_large', 'The request headers are too large (16 KiB in all at most): send a shorter Authorization header or fewer headers.');
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    body = errorBody('request_timeout', 'The request took too long to arrive.');
  } else {
    const reason = typeof err.reason === 'string' && /^[\w ,.'-]{1,80}$/.test(err.reason) ? `: ${err.reason.toLowerCase()}` : '';
    body = errorBody('bad_request', `The request is not valid HTTP/1.1${reason}.`);
  }
  const status = errorStatus(body.error);
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy();
}
