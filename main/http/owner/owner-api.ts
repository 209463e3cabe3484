import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DenySourceRequest, UnblockRequest, type Member } from '../../../protocol/index.ts';
import { HttpError, parseWith } from '../errors.ts';
import { parseResultPageQuery } from '../listing-query.ts';
import { parseChampionsQuery, parseLeaderboardQuery, parseSeriesQuery } from '../view-query.ts';
import { ResultIdParams } from '../public/member-api.ts';
import type { OwnerRouteOptions } from '../services.ts';
import { payoutsCsv } from './payouts-csv.ts';

const CodeParams = z.object({ code: z.string().min(1).max(32) });
const MemberParams = z.object({ member: z.string().min(1).max(128) });

/** The owner's API: join requests, members, status and payouts. Guarded by the owner plugin. */
export const ownerApiRoutes: FastifyPluginAsync<OwnerRouteOptions> = async (app, { services }) => {
  app.get<{ Querystring: { all?: string } }>('/api/owner/requests', async (request) => ({
    requests: await services().auth.requests({ all: request.query.all === '1' || request.query.all === 'true' }),
  }));

  app.post('/api/owner/requests/:code/approve', async (request) => {
    const { code } = parseWith(CodeParams, request.params, 'The user code');
    return { request: await services().auth.approve(code) };
  });

  app.post('/api/owner/requests/:code/deny', async (request) => {
    const { code } = parseWith(CodeParams, request.params, 'The user code');
    return { request: await services().auth.deny(code) };
  });

  // Every pending request from one address or network, in one action (docs/security.md, Membership).
  app.post('/api/owner/requests/deny-source', async (request) => {
    const { block, ...source } = parseWith(DenySourceRequest, request.body, 'The source (send {"address": …} or {"network": …}, and "block": true to refuse its later requests too)');
    return services().auth.denyFrom(source, { block: block === true });
  });

  // A pending claim back in the verification queue (docs/design.md, "Verified champions").
  app.post('/api/owner/verifications/:id/requeue', async (request) => {
    const { id } = parseWith(ResultIdParams, request.params, 'The claim');
    return services().kb.requeue(id);
  });

  app.get('/api/owner/blocked', async () => ({
    blocked: (await services().auth.blockedSources()).map((b) => ({ source: b.source, at: new Date(b.at).toISOString() })),
  }));

  app.post('/api/owner/blocked/remove', async (request) => {
    const { source } = parseWith(UnblockRequest, request.body, 'The source to unblock (send {"source": …})');
    return services().auth.unblock(source);
  });

  // Each member with its quota use, so the owner sees who is at their limit.
  const withUsage = async (): Promise<Member[]> => {
    const { kb, auth } = services();
    return (await auth.members()).map((m) => ({ ...m, usage: kb.usage(m.id), verification: kb.verificationOf(m.id) }));
  };

  app.get('/api/owner/members', async () => ({ members: await withUsage() }));

  app.post('/api/owner/members/:member/revoke', async (request) => {
    const { member } = parseWith(MemberParams, request.params, 'The member');
    return { member: await services().auth.revoke(member) };
  });

  app.get('/api/owner/results', async (request) => services().kb.page(parseResultPageQuery(request.query)));

  // One result with its patch (its diff against its parent): the lineage view's step.
  app.get('/api/owner/results/:id', async (request) => {
    const { id } = parseWith(ResultIdParams, request.params, 'The result id');
    const result = await services().kb.result(id);
    if (!result) throw new HttpError('not_found', `There is no result "${id}" in this program's KB.`);
    return { result };
  });

  // The owner's views of a long program (docs/host.md): each costs what it returns, never the log.
  app.get('/api/owner/leaderboard', async (request) => {
    const { view, limit } = parseLeaderboardQuery(request.query);
    return { view, entries: await services().kb.leaderboard(view, limit) };
  });

  app.get('/api/owner/champions', async (request) => services().kb.champions(parseChampionsQuery(request.query)));

  app.get('/api/owner/series', async (request) => services().kb.series(parseSeriesQuery(request.query)));

  app.get('/api/owner/results/:id/lineage', async (request) => {
    const { id } = parseWith(ResultIdParams, request.params, 'The result id');
    const lineage = await services().kb.lineage(id);
    if (!lineage) throw new HttpError('not_found', `There is no result "${id}" in this program's KB.`);
    return lineage;
  });

  app.get('/api/owner/status', async () => {
    const { kb, auth, publicUrl, tunnel, previousPublicUrl } = services();
    const [status, members, requests] = await Promise.all([kb.status(), withUsage(), auth.requests()]);
    const previous = previousPublicUrl();
    return {
      ...status,
      members,
      requests,
      public_url: publicUrl(),
      previous_public_url: previous !== null && previous !== publicUrl() ? previous : null,
      join_command: `cohort join ${publicUrl()}`,
      tunnel: tunnel(),
      // In force: TASK.md's, or the host's override (`cohort publish --membership open`).
      membership: auth.membership,
    };
  });

  app.get<{ Querystring: { format?: string } }>('/api/owner/payouts', async (request, reply) => {
    const { kb } = services();
    const payouts = await kb.payouts();
    if (request.query.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${kb.spec.name}-payouts.csv"`)
        .send(payoutsCsv(payouts, kb.spec.token));
    }
    return { pool: kb.spec.pool, token: kb.spec.token, split: kb.spec.split, payouts };
  });
};
