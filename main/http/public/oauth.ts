import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { DEVICE_CODE_GRANT, DeviceAuthorizationRequest, DeviceTokenRequest, type OAuthErrorCode } from '../../../protocol/index.ts';
import type { ServiceError } from '../../errors.ts';
import { GroupAuthError } from '../../groupauth/device-flow.ts';
import { installFormParser } from '../body-parsers.ts';
import { clientIp, externalBase } from '../client-ip.ts';
import { clientError, sendServerError } from '../errors.ts';
import type { HostServices } from '../services.ts';

/** RFC 6749 §5.2 error body, with Cohort's `message` beside the standard `error_description`. */
function oauthError(reply: FastifyReply, status: number, error: OAuthErrorCode | string, description: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description, message: description });
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
  // A body these endpoints cannot read is an RFC 6749 §5.2 `invalid_request`, in the OAuth error shape.
  app.setErrorHandler((err: FastifyError | ServiceError, request, reply) => {
    const report = clientError(err, request, 'the parameters form-encoded (Content-Type: application/x-www-form-urlencoded), or as JSON');
    if (report === null) return sendServerError(err, request, reply);
    return oauthError(reply, report.status, err instanceof GroupAuthError ? report.code : 'invalid_request', report.message);
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
    const parsed = DeviceAuthorizationRequest.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return oauthError(reply, 400, 'invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    try {
      const res = await auth.authorize(parsed.data, clientIp(request, tunnelled), `${base(request)}/device`);
      return reply.header('cache-control', 'no-store').send(res);
    } catch (err) {
      if (err instanceof GroupAuthError) return oauthError(reply, err.status, err.code, err.message);
      throw err;
    }
  });

  app.post('/oauth/token', { bodyLimit: 8 * 1024 }, async (request, reply) => {
    const parsed = DeviceTokenRequest.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return oauthError(reply, 400, 'invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const { grant_type, device_code, client_id } = parsed.data;
    const outcome = await auth.token(grant_type, device_code, client_id);
    if (!outcome.ok) return oauthError(reply, 400, outcome.error, outcome.description);
    // RFC 6749 §5.1: token responses must not be cached.
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ access_token: outcome.accessToken, token_type: 'Bearer', member_id: outcome.member.id });
  });

  // The verification URI: the worker shows the code; this page tells a person what to do with it.
  app.get('/device', async (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send('Cohort join requests are approved by the program\'s owner.\nTell the owner the code your worker shows (XXXX-XXXX); they approve it in the Cohort app or with `cohort approve CODE`.\n'),
  );
};
