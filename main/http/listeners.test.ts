import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { call, joinMember, startTestHost, type TestHost } from '../testing/harness.ts';
import { PROTOCOL_VERSION } from '../../protocol/index.ts';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

describe('the two listeners', () => {
  it('owner routes do not exist on the public listener, even with the owner token', async () => {
    host = await startTestHost();
    for (const path of ['/api/owner/requests', '/api/owner/members', '/api/owner/status', '/api/owner/events', '/api/owner/payouts']) {
      const res = await call<{ error: string }>(host.publicUrl, path, { token: host.ownerToken });
      expect(res.status, path).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
    const approve = await call(host.publicUrl, '/api/owner/requests/BCDF-GHJK/approve', { method: 'POST', token: host.ownerToken });
    expect(approve.status).toBe(404);
  });

  it('the owner listener wants the owner token and a loopback Host', async () => {
    host = await startTestHost();
    expect((await call(host.ownerUrl, '/api/owner/status')).status).toBe(401);
    expect((await call(host.ownerUrl, '/api/owner/status', { token: 'wrong' })).status).toBe(403);
    const member = await joinMember(host, 'eve');
    expect((await call(host.ownerUrl, '/api/owner/status', { token: member.token })).status).toBe(403);
    // A DNS-rebinding page reaches 127.0.0.1 under its own host name; the Host header gives it away.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${host!.ownerUrl}/api/owner/status`);
      request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'evil.example', authorization: `Bearer ${host!.ownerToken}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    expect(rebinding).toBe(403);
    const ok = await call<{ public_url: string; join_command: string }>(host.ownerUrl, '/api/owner/status', { token: host.ownerToken });
    expect(ok.status).toBe(200);
    expect(ok.body.join_command).toBe(`cohort join ${host.publicUrl}`);
  });

  it('the owner listener binds 127.0.0.1 only', async () => {
    host = await startTestHost();
    expect(new URL(host.ownerUrl).hostname).toBe('127.0.0.1');
  });

  it('errors are JSON {error, message} without stack traces', async () => {
    host = await startTestHost({ membership: 'open' });
    const m = await joinMember(host, 'mallory');
    const bad = await fetch(`${host.publicUrl}/api/results`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
      body: '{"value": 1.0,',
    });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'bad_request' });
    expect(text).not.toMatch(/at .*\.ts:\d+|node_modules/);

    const wrongType = await fetch(`${host.publicUrl}/api/results`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m.token}`, 'content-type': 'text/plain' },
      body: 'value=1',
    });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ error: 'unsupported_media_type' });

    const huge = await fetch(`${host.publicUrl}/api/results`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1, output: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'payload_too_large' });

    const bigOauth = await call(host.publicUrl, '/oauth/device_authorization', { form: { client_id: 'x', name: 'y'.repeat(20_000) } });
    expect(bigOauth.status).toBe(413);

    const missing = await call<{ error: string }>(host.publicUrl, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
  });

  it('healthz answers without a token', async () => {
    host = await startTestHost();
    const res = await call<{ ok: boolean; program: string }>(host.publicUrl, '/healthz');
    expect(res.body).toEqual({ ok: true, program: 'sample', protocol: PROTOCOL_VERSION });
  });

  it('takes the client address from the socket, not from a forged Cf-Connecting-Ip', async () => {
    host = await startTestHost();
    await call(host.publicUrl, '/oauth/device_authorization', { form: { client_id: 'x', name: 'spoof' }, headers: { 'cf-connecting-ip': '203.0.113.9' } });
    const [req] = await host.auth.requests();
    expect(req?.ip).toBe('127.0.0.1');
  });
});
