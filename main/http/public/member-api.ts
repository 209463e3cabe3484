import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { NextJobRequest, PROTOCOL_VERSION, RerunReport, SEARCH_SCAN_MAX, splitSubmission, SubmitResultRequest } from '../../../protocol/index.ts';
import { QuotaError } from '../../kb/quotas.ts';
import type { MemberRow } from '../../store/kb-store.ts';
import { z } from 'zod';
import { HttpError, parseWith } from '../errors.ts';
import { parseResultPageQuery } from '../listing-query.ts';
import { SearchBudget } from './search-budget.ts';
import type { HostServices } from '../services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    member: MemberRow | null;
  }
}

export const ResultIdParams = z.object({ id: z.string().min(1).max(64) });
/** A code hash is SHA-256 in lower-case hex (protocol/node/code-hash.ts). */
const LeaseParams = z.object({ lease: z.string().regex(/^ls_[A-Za-z0-9_-]{1,64}$/, 'must be a lease id as the job gave it (ls_…)') });
const CodeHashParams = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (SHA-256)') });

/** A result body holds a patch (≤ 512 KiB) and an output tail; 1 MiB leaves room for JSON escaping. */
const RESULT_BODY_LIMIT = 1024 * 1024;

/**
 * The member API. Identity comes from the bearer token alone (docs/design.md, "Rules of the KB"): nothing in a body can
 * say who submitted it.
 */
export const memberRoutes: FastifyPluginAsync<HostServices> = async (app, { kb, auth }) => {
  app.decorateRequest('member', null);

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      reply.header('www-authenticate', 'Bearer realm="cohort"');
      throw new HttpError(
        'auth_required',
        header === undefined
          ? 'This endpoint needs a member token (Authorization: Bearer …); join the program first with `cohort join <url>`.'
          : 'The Authorization header must be "Bearer <member token>" (one token, no spaces in it); join the program first with `cohort join <url>`.',
      );
    }
    const member = await auth.authenticate(match[1]!);
    if (member === 'revoked') throw new HttpError('not_a_member', 'Your membership of this program was revoked by its owner.');
    if (member === null) throw new HttpError('not_a_member', 'This token is not a member token of this program; join it with `cohort join <url>`.');
    request.member = member;
  });

  app.get('/api/task', async () => ({
    program: { spec: kb.spec, body: kb.program.body },
    champion: kb.champion(),
    files: kb.championCode(),
    original: kb.originalCode(),
    reference: kb.reference(),
    protocol: PROTOCOL_VERSION,
  }));

  app.get('/api/champion', async () => ({ champion: kb.champion() }));

  // Re-pointing (docs/worker.md): a worker checks its token here at a program's new URL.
  app.get('/api/me', async (request) => ({ member: request.member!.id, name: request.member!.name, program: kb.spec.name }));

  const searches = new SearchBudget();
  app.get('/api/results', async (request, reply) => {
    const query = parseResultPageQuery(request.query);
    if (query.q !== undefined || query.verification !== undefined) {
      const wait = searches.take(request.member!.id);
      if (wait !== null) {
        void reply.header('retry-after', String(wait));
        throw new HttpError('too_many_requests', `Too many searched pages (q, verification) in a row: each examines up to ${SEARCH_SCAN_MAX} results. Wait ${wait} s, or page without searching.`);
      }
    }
    return kb.page(query);
  });

  app.get('/api/results/:id/lineage', async (request) => {
    const { id } = parseWith(ResultIdParams, request.params, 'The result id');
    const lineage = await kb.lineage(id);
    if (!lineage) throw new HttpError('not_found', `There is no result "${id}" in this program's KB.`);
    return lineage;
  });

  app.get('/api/codes/:hash', async (request) => kb.code(parseWith(CodeHashParams, request.params, 'The code hash').hash));

  app.post('/api/results', { bodyLimit: RESULT_BODY_LIMIT }, async (request, reply) => {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      throw new HttpError('unsupported_media_type', 'Send results as JSON (Content-Type: application/json).');
    }
    // A newer worker's fields are ignored and named, not refused (docs/host.md, "Versions").
    const { known, hostAssigned, warnings } = splitSubmission(request.body, PROTOCOL_VERSION);
    if (hostAssigned.length > 0) {
      throw new HttpError('invalid_result', `The result is invalid: ${hostAssigned.map((k) => `"${k}"`).join(', ')} ${hostAssigned.length === 1 ? 'is' : 'are'} set by the host, never by a member.`);
    }
    const body = parseWith(SubmitResultRequest, known, 'The result', 'invalid_result');
    const { record, replayed } = await kb.submit(request.member!, body).catch((err: unknown) => {
      // RFC 9110 §10.2.3; the error handler keeps headers set on the reply.
      if (err instanceof QuotaError && err.retryAfterSeconds !== null) void reply.header('retry-after', String(err.retryAfterSeconds));
      throw err;
    });
    const { id, member, value, status, impact, champion, duplicate_of, reason, verification } = record;
    if (warnings.length > 0) request.log.info({ warnings, workerProtocol: request.headers['cohort-protocol'] }, 'result accepted with unknown fields');
    return reply.code(replayed ? 200 : 201).send({ result: { id, member, value, status, impact, champion, duplicate_of, reason, verification }, ...(warnings.length > 0 ? { warnings } : {}) });
  });

  // Verified champions (docs/design.md): a pending claim leased to another member, who re-runs it.
  app.post('/api/verifications/next', { bodyLimit: 64 * 1024 }, async (request) => {
    const body = parseWith(NextJobRequest, request.body ?? {}, 'The request (send {"hardware": {…}} or {})');
    return { job: await kb.nextJob(request.member!, body.hardware) };
  });

  app.post('/api/verifications/:lease/report', { bodyLimit: RESULT_BODY_LIMIT }, async (request, reply) => {
    const { lease } = parseWith(LeaseParams, request.params, 'The lease');
    const body = parseWith(RerunReport, request.body, 'The report', 'invalid_result');
    const { response, replayed } = await kb.report(request.member!, lease, body);
    return reply.code(replayed ? 200 : 201).send(response);
  });

  // Sent as the KB keeps it serialised: the same summary until something changes.
  app.get('/api/status', async (_request, reply) => reply.type('application/json; charset=utf-8').send(await kb.statusJson()));
};
