import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { DEVICE_CODE_GRANT, DeviceAuthorizationRequest, DeviceTokenRequest, oauthErrorBody, type ErrorCode, type OAuthErrorCode } from '../../../protocol/index.ts';
import type { ServiceError } from '../../errors.ts';
import { GroupAuthError, OAuthFlowError } from '../../groupauth/device-flow.ts';
import { installFormParser } from '../body-parsers.ts';
import { clientIp, externalBase } from '../client-ip.ts';
import { clientError, sendServerError } from '../errors.ts';
import type { HostServices } from '../services.ts';

/** RFC 6749 §5.2 error body (protocol's oauthErrorBody); the OAuth routes' error handler is its only caller. */
function oauthError(reply: FastifyReply, status: number, error: OAuthErrorCode | ErrorCode, description: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send(oauthErrorBody(error, description));
}

/** A request the RFC schema refuses: RFC 6749 §5.2 `invalid_request`, naming the first bad field. */
function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new OAuthFlowError('invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}

/**
 * The RFC 8628 device flow and RFC 8414 metadata. Requests are form-encoded as the RFCs say;
 * JSON is accepted too. Small bodies only: nothing here needs more than a few hundred bytes.
 */
export const oauthRoutes: FastifyPluginAsync<HostServices> = async (app, opts) => {
  const { auth, tunnelled, publicUrl } = opts;
  // Our own strict parser rather than @fastify/formbody, which decodes bytes that are not UTF-8 to
  // U+FFFD and turns a repeated parameter into a list (docs/hostile-input.md).
  installFormParser(app, 8 * 1024);
  // The one error boundary of these endpoints: the flow's refusals (RFC codes, and Cohort's 429 and
  // 503) keep their status and code; a body these endpoints cannot read is an RFC 6749 §5.2
  // `invalid_request` that keeps fastify's status (400, 413, 415); all of it in the OAuth error shape.
  app.setErrorHandler((err: FastifyError | ServiceError | OAuthFlowError, request, reply) => {
    if (err instanceof OAuthFlowError || err instanceof GroupAuthError) return oauthError(reply, err.status, err.code, err.message);
    const report = clientError(err, request, 'the parameters form-encoded (Content-Type: application/x-www-form-urlencoded), or as JSON');
    if (report === null) return sendServerError(err, request, reply);
    return oauthError(reply, report.status, 'invalid_request', report.message);
  });
  const base = (request: Parameters<typeof externalBase>[0]) => externalBase(request, tunnelled, publicUrl());

  // RFC 8414 §3: the issuer identifier is the base URL the client discovered us at.
  app.get('/.well-known/oauth-authorization-server', async (request) => {
    const issuer = base(request);
    return {
      issuer,
      device_authorization_endpoint: `${issuer}/oauth/device_authorization`,
      token_endpoint: `${issuer}/oauth/token`,
      grant_types_supported: [DEVICE_CODE_GRANT],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['none'],
    };
  });

  app.post('/oauth/device_authorization', { bodyLimit: 8 * 1024 }, async (request, reply) => {
    const body = parseRequest(DeviceAuthorizationRequest, request.body);
    const res = await auth.authorize(body, clientIp(request, tunnelled), `${base(request)}/device`);
    return reply.header('cache-control', 'no-store').send(res);
  });

  app.post('/oauth/token', { bodyLimit: 8 * 1024 }, async (request, reply) => {
    const { grant_type, device_code, client_id } = parseRequest(DeviceTokenRequest, request.body);
    const issued = await auth.token(grant_type, device_code, client_id);
    // RFC 6749 §5.1: token responses must not be cached.
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ access_token: issued.accessToken, token_type: 'Bearer', member_id: issued.member.id });
  });

  // The verification URI: the worker shows the code; this page tells a person what to do with it.
  app.get('/device', async (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send('Cohort join requests are approved by the program\'s owner.\nTell the owner the code your worker shows (XXXX-XXXX); they approve it in the Cohort app or with `cohort approve CODE`.\n'),
  );
};
