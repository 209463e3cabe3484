/**
 * Join requests cannot lock others out (docs/security.md, Membership), with the real host behind the
 * cloudflared stand-in: tunnelled, the host takes the caller's address from Cf-Connecting-Ip, so
 * callers from any network can be played honestly over loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCohort } from '../../cli/testing.ts';
import type { HostOptions } from '../host.ts';
import { standIn, type StandIn } from '../tunnel/fixtures/stand-in.ts';
import { call, startTestHost, type TestHost } from '../testing/harness.ts';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let host: TestHost | undefined;
let fake: StandIn | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
  await fake?.cleanup();
  fake = undefined;
});

async function start(opts: Partial<HostOptions> = {}): Promise<TestHost> {
  fake = await standIn();
  host = await startTestHost({ tunnel: { binary: fake.binary, env: fake.env, timeoutMs: 10_000 }, ...opts });
  return host;
}

/** A join request as cloudflared forwards it from `ip`. */
async function ask(h: TestHost, ip: string, name = `w-${ip}`) {
  return call<{ device_code: string; user_code: string; error?: string; error_description?: string }>(h.listenerUrl, '/oauth/device_authorization', {
    form: { client_id: 'cohort-worker', name },
    headers: { 'cf-connecting-ip': ip },
  });
}

async function poll(h: TestHost, deviceCode: string) {
  const res = await call<{ error?: string }>(h.listenerUrl, '/oauth/token', { form: { grant_type: GRANT, device_code: deviceCode, client_id: 'cohort-worker' } });
  return res.body.error ?? 'token';
}

async function pendingIps(h: TestHost): Promise<string[]> {
  const res = await call<{ requests: { ip: string }[] }>(h.ownerUrl, '/api/owner/requests', { token: h.ownerToken });
  return res.body.requests.map((r) => r.ip);
}

describe('join request flood', () => {
  it('caps each network; when full, the largest network gives way and an honest worker still gets a code', async () => {
    const h = await start({ limits: { pendingPerIp: 5, pendingPerNetwork: 10, pendingTotal: 20 } });
    const flood: string[] = [];
    // Two /24s, two addresses each, five requests an address: the whole cap in forty ms.
    for (const net of ['203.0.113', '198.51.100']) {
      for (const host of [1, 2]) {
        for (let i = 0; i < 5; i++) {
          const res = await ask(h, `${net}.${host}`);
          expect(res.status).toBe(200);
          flood.push(res.body.device_code);
        }
      }
    }
    // A sixth from one address, and an eleventh from a /24 through a fresh address, are refused.
    expect((await ask(h, '203.0.113.1')).body.error_description).toMatch(/5 join requests waiting from your address/);
    const network = await ask(h, '203.0.113.3');
    expect(network.status).toBe(429);
    expect(network.body.error_description).toMatch(/10 join requests waiting from your network \(203\.0\.113\.0\/24\)/);

    // The cap is full; an honest worker from elsewhere still gets a code, and the oldest request of
    // the largest network (203.0.113.0/24 came first) gives way: its poll says the session is over.
    const honest = await ask(h, '192.0.2.50', 'honest');
    expect(honest.status).toBe(200);
    expect(await poll(h, flood[0]!)).toBe('expired_token');
    expect(await poll(h, flood[1]!)).toBe('authorization_pending');

    // The flooder refilling only pushes out its own: the honest request stays.
    for (let i = 0; i < 30; i++) await ask(h, `${i % 2 === 0 ? '203.0.113' : '198.51.100'}.${10 + i}`);
    const ips = await pendingIps(h);
    expect(ips).toHaveLength(20);
    expect(ips).toContain('192.0.2.50');
    expect(await poll(h, honest.body.device_code)).toBe('authorization_pending');

    // IPv6 callers are grouped by /64, whatever the spelling, and IPv4-mapped ones as IPv4.
    const v6 = await ask(h, '2001:DB8:0:7:0:0:0:1');
    expect(v6.status).toBe(200);
    expect((await ask(h, '::ffff:192.0.2.60')).status).toBe(200);
    expect(await pendingIps(h)).toEqual(expect.arrayContaining(['2001:db8:0:7::1', '192.0.2.60']));
  });

  it('drops a request whose worker stopped polling, so it holds no room', async () => {
    let clock = Date.now();
    const h = await start({ now: () => clock, limits: { pendingPerIp: 1 } });
    const polling = await ask(h, '203.0.113.7');
    const gone = await ask(h, '198.51.100.7');
    expect((await ask(h, '198.51.100.7')).status).toBe(429);
    for (let t = 0; t < 3; t++) {
      clock += 20_000;
      expect(await poll(h, polling.body.device_code)).toBe('authorization_pending');
    }
    // 60 s without a poll at a 5 s interval: dropped from the owner's list; its address may ask again.
    expect(await pendingIps(h)).toEqual(['203.0.113.7']);
    const listed = await call<{ requests: { ip: string; status: string }[] }>(h.ownerUrl, '/api/owner/requests?all=1', { token: h.ownerToken });
    expect(listed.body.requests.find((r) => r.ip === '198.51.100.7')?.status).toBe('expired');
    expect(await poll(h, gone.body.device_code)).toBe('expired_token');
    const approve = await call(h.ownerUrl, `/api/owner/requests/${gone.body.user_code}/approve`, { method: 'POST', token: h.ownerToken });
    expect(approve.status).toBe(410);
    expect((await ask(h, '198.51.100.7')).status).toBe(200);
  });

  it('the owner denies everything from one network or address in one action, over the API and the CLI', async () => {
    const h = await start();
    const a = await ask(h, '203.0.113.5');
    const b = await ask(h, '203.0.113.6');
    const c = await ask(h, '198.51.100.7');
    const d = await ask(h, '198.51.100.8');

    const deny = (body: unknown) => call<{ source: string; denied: { ip: string }[]; error?: string }>(h.ownerUrl, '/api/owner/requests/deny-source', { json: body, token: h.ownerToken });
    const res = await deny({ network: '203.0.113.0/24' });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('203.0.113.0/24');
    expect(res.body.denied.map((r) => r.ip).sort()).toEqual(['203.0.113.5', '203.0.113.6']);
    expect(await poll(h, a.body.device_code)).toBe('access_denied');
    expect(await poll(h, b.body.device_code)).toBe('access_denied');
    expect(await poll(h, c.body.device_code)).toBe('authorization_pending');

    expect((await deny({ network: '203.0.0.0/16' })).body.error).toBe('bad_request');
    expect((await deny({ address: 'nope' })).status).toBe(400);
    expect((await deny({ address: '1.2.3.4', network: '1.2.3.0/24' })).status).toBe(400);
    expect((await call(h.ownerUrl, '/api/owner/requests/deny-source', { json: { network: '198.51.100.0/24' } })).status).toBe(401);

    const byAddress = await runCohort(h.home.dir, ['deny', '--from', '198.51.100.7']);
    expect(byAddress.stderr).toBe('');
    expect(byAddress.stdout).toMatch(/Denied 1 join request\(s\) from 198\.51\.100\.7: .*198\.51\.100\.7/);
    expect(await poll(h, c.body.device_code)).toBe('access_denied');
    expect(await poll(h, d.body.device_code)).toBe('authorization_pending');

    const byNetwork = await runCohort(h.home.dir, ['deny', '--from-network', '198.51.100.0/24']);
    expect(byNetwork.stdout).toMatch(/Denied 1 join request\(s\) from 198\.51\.100\.0\/24/);
    expect(await poll(h, d.body.device_code)).toBe('access_denied');
    expect((await runCohort(h.home.dir, ['deny', '--from-network', '198.51.100.0/24'])).stdout).toMatch(/No join requests were waiting from 198\.51\.100\.0\/24/);
    const both = await runCohort(h.home.dir, ['deny', 'BCDF-GHJK', '--from', '1.2.3.4']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/exactly one of/);
  });

  it('a blocked network or address stays blocked: its later requests are refused (also after a restart) until unblocked', async () => {
    const h = await start();
    const waiting = await ask(h, '203.0.113.5');
    const cli = await runCohort(h.home.dir, ['deny', '--from-network', '203.0.113.9', '--block']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toMatch(/Denied 1 join request\(s\) from 203\.0\.113\.0\/24: .* 203\.0\.113\.0\/24 is blocked: its later join requests are refused \(`cohort unblock 203\.0\.113\.0\/24` lifts it\)/);
    expect(await poll(h, waiting.body.device_code)).toBe('access_denied');
    // From anywhere in that /24: refused before anything is stored, in the OAuth error shape.
    const again = await ask(h, '203.0.113.77');
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ error: 'forbidden', error_description: 'The owner of this program does not accept join requests from your network (203.0.113.0/24).' });
    expect((await ask(h, '198.51.100.7')).status).toBe(200); // other networks are not touched
    expect(await pendingIps(h)).toEqual(['198.51.100.7']);
    // One address, over the API.
    const byAddress = await call<{ blocked: boolean }>(h.ownerUrl, '/api/owner/requests/deny-source', { json: { address: '192.0.2.8', block: true }, token: h.ownerToken });
    expect(byAddress.body.blocked).toBe(true);
    expect((await ask(h, '192.0.2.8')).body.error_description).toBe('The owner of this program does not accept join requests from your address.');
    expect((await ask(h, '192.0.2.9')).status).toBe(200);
    const listed = await runCohort(h.home.dir, ['blocked']);
    expect(listed.stdout).toMatch(/203\.0\.113\.0\/24[\s\S]*192\.0\.2\.8/);
    expect((await runCohort(h.home.dir, ['deny', 'BCDF-GHJK', '--block'])).stderr).toMatch(/--block goes with --from or --from-network/);

    // The block is in the KB: a restart keeps it.
    await h.close();
    const h2 = (host = await startTestHost({ tunnel: { binary: fake!.binary, env: fake!.env, timeoutMs: 10_000 } }, h.home));
    expect((await ask(h2, '203.0.113.78')).status).toBe(403);
    // Unblocked by the network, or by any address in it.
    const unblocked = await runCohort(h2.home.dir, ['unblock', '203.0.113.1']);
    expect(unblocked.stdout).toMatch(/Unblocked 203\.0\.113\.0\/24: its join requests are accepted again\./);
    expect((await ask(h2, '203.0.113.78')).status).toBe(200);
    expect((await runCohort(h2.home.dir, ['unblock', '203.0.113.1'])).stdout).toMatch(/was not blocked/);
    expect((await call(h2.ownerUrl, '/api/owner/blocked/remove', { json: { source: 'x/99' }, token: h2.ownerToken })).status).toBe(400);
  });
});
