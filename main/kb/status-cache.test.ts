/** GET /api/status is kept serialised between changes: every change (a result, a join, a revocation) shows at once. */
import { afterEach, describe, expect, it } from 'vitest';
import type { LineageResponse, StatusResponse } from '../../protocol/index.ts';
import { call, joinMember, lrPatch, startTestHost, type TestHost } from '../testing/harness.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

describe('the kept status and lineages', () => {
  it('answers the same summary until a result, a join or a revocation changes it', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const status = async () => {
      const res = await call<StatusResponse>(host!.publicUrl, '/api/status', { token: ada.token });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      return res.body;
    };
    const first = await status();
    expect(await status()).toEqual(first);
    expect(first.total).toBe(0);

    const r1 = await call<{ result: { id: string } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 2, patch: lrPatch('0.02') } });
    expect(r1.status).toBe(201);
    const afterResult = await status();
    expect(afterResult.total).toBe(1);
    expect(afterResult.champion?.id).toBe(r1.body.result.id);

    const bob = await joinMember(host, 'bob');
    expect((await status()).roster.map((m) => m.name)).toEqual(['ada', 'bob']);
    const revoked = await call(host.ownerUrl, `/api/owner/members/${bob.memberId}/revoke`, { method: 'POST', token: host.ownerToken });
    expect(revoked.status).toBe(200);
    expect((await status()).roster.map((m) => m.name)).not.toContain('bob');
  });

  it('keeps a lineage once built, and builds a new result\'s', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const r1 = await call<{ result: { id: string } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 2, patch: lrPatch('0.02') } });
    const r2 = await call<{ result: { id: string } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1, patch: lrPatch('0.03', '0.02'), parent: r1.body.result.id } });
    const lineage = (id: string) => call<LineageResponse>(host!.publicUrl, `/api/results/${id}/lineage`, { token: ada.token });
    expect((await lineage(r1.body.result.id)).body.chain.map((s) => s.id)).toEqual([r1.body.result.id]);
    expect((await lineage(r2.body.result.id)).body.chain.map((s) => s.id)).toEqual([r2.body.result.id, r1.body.result.id]);
    expect((await lineage(r2.body.result.id)).body.complete).toBe(true);
    expect((await lineage('r99')).status).toBe(404);
  });
});
