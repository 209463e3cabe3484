import { afterEach, describe, expect, it } from 'vitest';
import type { JoinRequest, KbEvent } from '../../protocol/index.ts';
import { call, joinMember, sampleProgram, startTestHost, type TestHost } from '../testing/harness.ts';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

async function ask(h: TestHost, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return call<{ device_code: string; user_code: string; interval: number; expires_in: number; verification_uri: string; verification_uri_complete: string }>(
    h.publicUrl, '/oauth/device_authorization', { form: { client_id: 'cohort-worker', name: 'ada', hostname: 'spark-1', os: 'linux', gpu: 'NVIDIA GB10', app_version: '0.1.0', ...extra }, headers },
  );
}

async function poll(h: TestHost, deviceCode: string, clientId = 'cohort-worker') {
  return call<{ error?: string; access_token?: string; token_type?: string }>(h.publicUrl, '/oauth/token', {
    form: { grant_type: GRANT, device_code: deviceCode, client_id: clientId },
  });
}

describe('RFC 8628 device flow over HTTP', () => {
  it('publishes RFC 8414 metadata naming the device endpoints', async () => {
    host = await startTestHost();
    const res = await call<Record<string, unknown>>(host.publicUrl, '/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.body.issuer).toBe(host.publicUrl);
    expect(res.body.device_authorization_endpoint).toBe(`${host.publicUrl}/oauth/device_authorization`);
    expect(res.body.token_endpoint).toBe(`${host.publicUrl}/oauth/token`);
    expect(res.body.grant_types_supported).toContain(GRANT);
  });

  it('invite flow: pending until the owner approves, then one token, once', async () => {
    host = await startTestHost();
    const auth = await ask(host);
    expect(auth.status).toBe(200);
    expect(auth.body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(auth.body.device_code.length).toBeGreaterThanOrEqual(43);
    expect(auth.body).toMatchObject({ expires_in: 600, interval: 5 });
    expect(auth.body.verification_uri_complete).toContain(auth.body.user_code);

    expect((await poll(host, auth.body.device_code)).body.error).toBe('authorization_pending');

    const pending = await call<{ requests: Record<string, unknown>[] }>(host.ownerUrl, '/api/owner/requests', { token: host.ownerToken });
    expect(pending.body.requests).toHaveLength(1);
    expect(pending.body.requests[0]).toMatchObject({ name: 'ada', hostname: 'spark-1', os: 'linux', gpu: 'NVIDIA GB10', app_version: '0.1.0', ip: '127.0.0.1', status: 'pending' });

    // Codes are case-insensitive and punctuation is ignored.
    const typed = auth.body.user_code.toLowerCase().replace('-', ' ');
    const approved = await call(host.ownerUrl, `/api/owner/requests/${encodeURIComponent(typed)}/approve`, { method: 'POST', token: host.ownerToken });
    expect(approved.status).toBe(200);

    await new Promise((r) => setTimeout(r, 10));
    const tok = await poll(host, auth.body.device_code);
    expect(tok.status).toBe(200);
    expect(tok.body.token_type).toBe('Bearer');
    expect(tok.body.access_token).toMatch(/^cohort_mt_[A-Za-z0-9_-]{43}$/);
    expect(tok.headers.get('cache-control')).toBe('no-store');

    const again = await poll(host, auth.body.device_code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');

    const task = await call(host.publicUrl, '/api/task', { token: tok.body.access_token! });
    expect(task.status).toBe(200);
  });

  it('hands out the token once even to concurrent polls', async () => {
    host = await startTestHost({ membership: 'open' });
    const auth = await ask(host);
    const polls = await Promise.all(Array.from({ length: 12 }, () => poll(host!, auth.body.device_code)));
    expect(polls.filter((p) => p.status === 200)).toHaveLength(1);
    expect(polls.filter((p) => p.body.error === 'invalid_grant' || p.body.error === 'slow_down')).toHaveLength(11);
    const members = await call<{ members: unknown[] }>(host.ownerUrl, '/api/owner/members', { token: host.ownerToken });
    expect(members.body.members).toHaveLength(1);
  });

  it('open membership approves at once', async () => {
    host = await startTestHost({ membership: 'open' });
    const auth = await ask(host);
    const tok = await poll(host, auth.body.device_code);
    expect(tok.status).toBe(200);
    expect(tok.body.access_token).toBeDefined();
  });

  it('slow_down when polled faster than the interval, and the interval grows by 5 s each time', async () => {
    host = await startTestHost();
    const auth = await ask(host);
    expect((await poll(host, auth.body.device_code)).body.error).toBe('authorization_pending');
    const fast = await poll(host, auth.body.device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe('slow_down');
    const requests = await host.auth.requests();
    expect(requests).toHaveLength(1);
    const faster = await poll(host, auth.body.device_code);
    expect(faster.body.error).toBe('slow_down');
    expect((faster.body as { error_description?: string }).error_description).toContain('15 s');
  });

  it('waits out the interval without slow_down', async () => {
    let clock = Date.now();
    host = await startTestHost({ now: () => clock });
    const auth = await ask(host);
    expect((await poll(host, auth.body.device_code)).body.error).toBe('authorization_pending');
    clock += 5_000;
    expect((await poll(host, auth.body.device_code)).body.error).toBe('authorization_pending');
  });

  it('access_denied after the owner denies, and the worker cannot retry the same code', async () => {
    host = await startTestHost();
    const auth = await ask(host);
    const denied = await call(host.ownerUrl, `/api/owner/requests/${auth.body.user_code}/deny`, { method: 'POST', token: host.ownerToken });
    expect(denied.status).toBe(200);
    expect((await poll(host, auth.body.device_code)).body.error).toBe('access_denied');
    const approveLater = await call<{ error: string }>(host.ownerUrl, `/api/owner/requests/${auth.body.user_code}/approve`, { method: 'POST', token: host.ownerToken });
    expect(approveLater.status).toBe(409);
  });

  it('expired_token after 10 minutes, and an expired request cannot be approved', async () => {
    let clock = Date.now();
    host = await startTestHost({ now: () => clock });
    const auth = await ask(host);
    clock += 600_000;
    const res = await poll(host, auth.body.device_code);
    expect(res.body.error).toBe('expired_token');
    const approve = await call<{ error: string; message: string }>(host.ownerUrl, `/api/owner/requests/${auth.body.user_code}/approve`, { method: 'POST', token: host.ownerToken });
    expect(approve.status).toBe(410);
    expect(approve.body.message).toMatch(/expired/);
    expect(await host.auth.requests()).toHaveLength(0);
  });

  it('refuses unknown codes, other clients and other grant types with the RFC errors', async () => {
    host = await startTestHost({ membership: 'open' });
    expect((await poll(host, 'not-a-real-device-code')).body.error).toBe('invalid_grant');
    const auth = await ask(host);
    expect((await poll(host, auth.body.device_code, 'someone-else')).body.error).toBe('invalid_grant');
    const wrongGrant = await call<{ error: string }>(host.publicUrl, '/oauth/token', { form: { grant_type: 'password', device_code: auth.body.device_code, client_id: 'cohort-worker' } });
    expect(wrongGrant.body.error).toBe('unsupported_grant_type');
    const noClient = await call<{ error: string }>(host.publicUrl, '/oauth/token', { form: { grant_type: GRANT, device_code: auth.body.device_code } });
    expect(noClient.body.error).toBe('invalid_request');
    // The code still works for its own client afterwards.
    expect((await poll(host, auth.body.device_code)).status).toBe(200);
  });

  it('accepts JSON as well as form-encoded requests', async () => {
    host = await startTestHost({ membership: 'open' });
    const auth = await call<{ device_code: string }>(host.publicUrl, '/oauth/device_authorization', { json: { client_id: 'cohort-worker', name: 'json-worker' } });
    expect(auth.status).toBe(200);
    const tok = await call(host.publicUrl, '/oauth/token', { json: { grant_type: GRANT, device_code: auth.body.device_code, client_id: 'cohort-worker' } });
    expect(tok.status).toBe(200);
  });

  it('a join request shows whether the machine it declares meets the program\'s requires, live and in the owner\'s list', async () => {
    host = await startTestHost({ program: sampleProgram({ requires: { gpu: 'GB10|H100', gpu_memory_gb: 64 } }) });
    const events: KbEvent[] = [];
    host.bus.subscribe((e) => events.push(e));
    const spark = await ask(host, { name: 'spark', gpu: '', gpu_model: 'NVIDIA GB10', gpu_count: '1', gpu_memory_mb: '131072' });
    const small = await ask(host, { name: 'small', gpu: 'NVIDIA A100-SXM4-40GB', gpu_model: 'NVIDIA A100-SXM4-40GB', gpu_count: '1', gpu_memory_mb: '40960' });
    const cpu = await ask(host, { name: 'laptop', gpu: '', gpu_model: '', gpu_count: '0', gpu_memory_mb: '0' });
    const old = await ask(host, { name: 'old' }); // a worker from before `requires` says nothing of its GPUs
    for (const r of [spark, small, cpu, old]) expect(r.status).toBe(200);

    const { body } = await call<{ requests: JoinRequest[] }>(host.ownerUrl, '/api/owner/requests', { token: host.ownerToken });
    const byName = new Map(body.requests.map((r) => [r.name, r.requirements]));
    expect(byName.get('spark')).toEqual({ ok: true, problems: [] });
    // The GPU the owner sees is the one matched, also when the request sent only the facts.
    expect(body.requests.find((r) => r.name === 'spark')?.gpu).toBe('1× NVIDIA GB10');
    expect(byName.get('small')).toEqual({ ok: false, problems: ['needs a GPU matching GB10 or H100; this machine has 1× NVIDIA A100-SXM4-40GB', 'needs 64 GiB of memory per GPU; this machine\'s have 40 GiB'] });
    expect(byName.get('laptop')).toEqual({ ok: false, problems: ['needs a GPU matching GB10 or H100 with 64 GiB or more; this machine has no NVIDIA GPU'] });
    expect(byName.get('old')?.ok).toBe(false);
    expect(byName.get('old')?.problems.join()).toMatch(/did not say what GPUs it has/);
    // The owner's feed says it as the request arrives.
    const live = events.flatMap((e) => (e.type === 'join-request' ? [e.request] : []));
    expect(live.map((r) => [r.name, r.requirements?.ok])).toEqual([['spark', true], ['small', false], ['laptop', false], ['old', false]]);
    // And the decision's view keeps it.
    const approved = await call<{ request: JoinRequest }>(host.ownerUrl, `/api/owner/requests/${spark.body.user_code}/approve`, { method: 'POST', token: host.ownerToken });
    expect(approved.body.request.requirements).toEqual({ ok: true, problems: [] });
  });

  it('requirements is null when the program has no requires', async () => {
    host = await startTestHost();
    await ask(host, { gpu_model: 'NVIDIA GB10', gpu_count: '1', gpu_memory_mb: '131072' });
    const { body } = await call<{ requests: JoinRequest[] }>(host.ownerUrl, '/api/owner/requests', { token: host.ownerToken });
    expect(body.requests[0]?.requirements).toBeNull();
  });

  it('refuses declared GPU facts that are not whole numbers in range, naming the field', async () => {
    host = await startTestHost();
    for (const [field, value, message] of [
      ['gpu_count', 'lots', 'gpu_count: must be a whole number of GPUs'],
      ['gpu_count', '-1', 'gpu_count: must be a whole number of GPUs'],
      ['gpu_count', '5000', 'gpu_count: must be a whole number of GPUs from 0 to 1024'],
      ['gpu_memory_mb', '1e9', 'gpu_memory_mb: must be a whole number of MiB'],
      ['gpu_memory_mb', '99999999999', 'gpu_memory_mb: must be a whole number of MiB from 0 to 1000000000'],
      ['gpu_model', 'x'.repeat(300), 'gpu_model: '],
    ] as const) {
      const res = await call<{ error: string; error_description: string }>(host.publicUrl, '/oauth/device_authorization', { form: { client_id: 'cohort-worker', [field]: value } });
      expect(res.status, `${field}=${value.slice(0, 20)}`).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description.startsWith(message), res.body.error_description).toBe(true);
    }
    // JSON may send numbers.
    const json = await call(host.publicUrl, '/oauth/device_authorization', { json: { client_id: 'cohort-worker', gpu_count: 2, gpu_memory_mb: 163118 } });
    expect(json.status).toBe(200);
  });

  it('limits pending requests per address and in total', async () => {
    host = await startTestHost({ limits: { pendingPerIp: 3, pendingTotal: 100 } });
    for (let i = 0; i < 3; i++) expect((await ask(host)).status).toBe(200);
    const fourth = await ask(host);
    expect(fourth.status).toBe(429);
    expect((fourth.body as unknown as { message: string }).message).toMatch(/already 3 join requests/);
    await host.dispose();

    host = await startTestHost({ limits: { pendingPerIp: 100, pendingTotal: 2 } });
    expect((await ask(host)).status).toBe(200);
    expect((await ask(host)).status).toBe(200);
    expect((await ask(host)).status).toBe(429);
  });

  it('pauses approvals after repeated wrong codes, so codes cannot be guessed', async () => {
    host = await startTestHost({ limits: { failedAttempts: 3 } });
    const auth = await ask(host);
    for (let i = 0; i < 3; i++) {
      const wrong = await call(host.ownerUrl, '/api/owner/requests/BBBB-BBBB/approve', { method: 'POST', token: host.ownerToken });
      expect(wrong.status).toBe(404);
    }
    const locked = await call<{ error: string }>(host.ownerUrl, `/api/owner/requests/${auth.body.user_code}/approve`, { method: 'POST', token: host.ownerToken });
    expect(locked.status).toBe(429);
  });

  it('revoked tokens are refused with 403 not_a_member; missing tokens with 401', async () => {
    host = await startTestHost();
    const m = await joinMember(host, 'grace');
    expect((await call(host.publicUrl, '/api/champion', { token: m.token })).status).toBe(200);
    const none = await call<{ error: string }>(host.publicUrl, '/api/champion');
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('auth_required');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bogus = await call<{ error: string }>(host.publicUrl, '/api/champion', { token: 'cohort_mt_bogus' });
    expect(bogus.status).toBe(403);
    expect(bogus.body.error).toBe('not_a_member');

    const revoked = await call(host.ownerUrl, `/api/owner/members/${m.memberId}/revoke`, { method: 'POST', token: host.ownerToken });
    expect(revoked.status).toBe(200);
    const after = await call<{ error: string; message: string }>(host.publicUrl, '/api/champion', { token: m.token });
    expect(after.status).toBe(403);
    expect(after.body.error).toBe('not_a_member');
    expect(after.body.message).toMatch(/revoked/);
  });

  it('stores only hashes of device codes and member tokens', async () => {
    host = await startTestHost();
    const m = await joinMember(host, 'hopper');
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(host.kbFile, { readOnly: true });
    const dump = JSON.stringify([db.prepare('SELECT * FROM members').all(), db.prepare('SELECT * FROM join_requests').all()]);
    db.close();
    expect(dump).not.toContain(m.token);
    expect(dump).not.toContain(m.token.slice('cohort_mt_'.length));
  });
});
