import * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startTestHost, type TestHost } from '../testing/harness.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

describe('a standard RFC 8628 client (openid-client) joins', () => {
  it('discovery → device authorization → owner approval → token → GET /api/task', async () => {
    // A 1 s interval keeps the test short; the flow is otherwise exactly what a worker sees.
    host = await startTestHost({ intervalSeconds: 1 });
    const config = await oidc.discovery(new URL(host.publicUrl), 'cohort-worker', undefined, oidc.None(), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${host.publicUrl}/oauth/device_authorization`);

    const device = await oidc.initiateDeviceAuthorization(config, { name: 'rfc-client', hostname: 'spark-7', os: 'linux' });
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);

    // The owner approves once the request shows up, as a person would from the list.
    const owner = (async () => {
      for (;;) {
        const list = await call<{ requests: { user_code: string; name: string }[] }>(host!.ownerUrl, '/api/owner/requests', { token: host!.ownerToken });
        const mine = list.body.requests.find((r) => r.user_code === device.user_code);
        if (mine) {
          expect(mine.name).toBe('rfc-client');
          await new Promise((r) => setTimeout(r, 1_500)); // let the client see authorization_pending first
          return call(host!.ownerUrl, `/api/owner/requests/${device.user_code}/approve`, { method: 'POST', token: host!.ownerToken });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
    expect((await owner).status).toBe(200);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.access_token).toMatch(/^cohort_mt_/);

    const task = await call<{ program: { spec: { name: string } }; files: { path: string }[] }>(host.publicUrl, '/api/task', { token: tokens.access_token });
    expect(task.status).toBe(200);
    expect(task.body.program.spec.name).toBe('sample');
    expect(task.body.files.map((f) => f.path)).toContain('train.py');
  });

  it('reports access_denied to the client when the owner denies', async () => {
    host = await startTestHost({ intervalSeconds: 1 });
    const config = await oidc.discovery(new URL(host.publicUrl), 'cohort-worker', undefined, oidc.None(), { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
    const device = await oidc.initiateDeviceAuthorization(config, { name: 'denied-client' });
    await call(host.ownerUrl, `/api/owner/requests/${device.user_code}/deny`, { method: 'POST', token: host.ownerToken });
    await expect(oidc.pollDeviceAuthorizationGrant(config, device)).rejects.toMatchObject({ error: 'access_denied' });
  });
});
