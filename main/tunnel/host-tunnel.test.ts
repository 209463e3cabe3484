import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { KbEvent, OwnerStatusResponse, type TunnelStatus } from '../../protocol/index.ts';
import { startHost, type HostTunnelOptions, type RunningHost } from '../host.ts';
import { readHostState } from '../state-file.ts';
import { call, sampleProgram, tempHome, type TempHome } from '../testing/harness.ts';
import { isAlive, standIn, waitFor, type StandIn } from './fixtures/stand-in.ts';

const URL1 = 'https://some-words-here.trycloudflare.com';

let home: TempHome | undefined;
let fake: StandIn | undefined;
let host: RunningHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  await fake?.cleanup();
  fake = undefined;
  await home?.cleanup();
  home = undefined;
});

async function start(knobs: Record<string, string | number> | null, tunnel: Partial<HostTunnelOptions> | false = {}) {
  home = await tempHome();
  fake = await standIn(knobs ?? {});
  host = await startHost({
    program: sampleProgram(),
    paths: home.paths,
    tunnel: tunnel === false ? false : { binary: knobs === null ? null : fake.binary, env: fake.env, timeoutMs: 10_000, ...tunnel },
  });
  return { host, fake, home };
}

async function ownerStatus(h: RunningHost) {
  const res = await call(h.ownerUrl, '/api/owner/status', { token: h.ownerToken });
  expect(res.status).toBe(200);
  return OwnerStatusResponse.parse(res.body);
}

/** Asks to join through the public listener, as cloudflared would forward it: with Cf-Connecting-Ip. */
async function askToJoin(h: RunningHost, name: string, headers: Record<string, string>) {
  const res = await call<{ user_code: string }>(h.listenerUrl, '/oauth/device_authorization', { form: { client_id: 'cohort-worker', name }, headers });
  expect(res.status).toBe(200);
  const list = await call<{ requests: { user_code: string; ip: string }[] }>(h.ownerUrl, '/api/owner/requests', { token: h.ownerToken });
  return list.body.requests.find((r) => r.user_code === res.body.user_code)!;
}

/** A GET with a Host header of our choosing (fetch does not let us set one), as cloudflared forwards it. */
function getWithHost(base: string, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function lanIPv4(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

/**
 * Follows the owner's SSE stream and resolves with the events so far once `match` accepts one. The
 * stream is left open, as a browser would, until the host's close() ends it.
 */
async function sseUntil(h: RunningHost, match: (e: KbEvent) => boolean, ms = 10_000): Promise<KbEvent[]> {
  const res = await fetch(`${h.ownerUrl}/api/owner/events`, { headers: { authorization: `Bearer ${h.ownerToken}` } });
  const events: KbEvent[] = [];
  return new Promise<KbEvent[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching event within ${ms} ms: ${JSON.stringify(events)}`)), ms);
    const done = (err?: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(events);
    };
    void (async () => {
      let buf = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data === undefined) continue;
          const event = KbEvent.parse(JSON.parse(data));
          if (/^event: (.*)$/m.exec(block)?.[1] !== event.type) throw new Error(`event name does not match: ${block}`);
          events.push(event);
          if (match(event)) done();
        }
      }
      done(new Error('the event stream ended'));
    })().catch((err: Error) => done(err));
  });
}

describe('startHost with a cloudflared tunnel (stand-in)', () => {
  it('shows the tunnel up with its URL, binds 127.0.0.1, trusts Cf-Connecting-Ip, and close() leaves no cloudflared behind', async () => {
    const { host, fake, home } = await start({ DELAY_MS: 400 });
    expect(host.listenerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.tunnel).toMatchObject({ state: 'starting', binary: fake.binary });
    // Until the tunnel is up, members can only use the listener itself.
    expect(host.publicUrl).toBe(host.listenerUrl);

    await waitFor('up', () => host.tunnel.state === 'up');

    const status = await ownerStatus(host);
    expect(status.tunnel).toEqual({ state: 'up', url: URL1, binary: fake.binary, attempt: 1 });
    expect(status.public_url).toBe(URL1);
    expect(status.join_command).toBe(`cohort join ${URL1}`);
    expect(host.publicUrl).toBe(URL1);
    expect(host.joinCommand).toBe(`cohort join ${URL1}`);
    // The state file follows, so the CLI's commands show the URL members use.
    await waitFor('state file', async () => (await readHostState(home.paths)).publicUrl === URL1);

    const [run] = await fake.starts();
    expect(run!.args).toEqual(['tunnel', '--no-autoupdate', '--url', host.listenerUrl]);

    // Loopback only: from the machine's LAN address the listener is not there.
    const lan = lanIPv4();
    if (lan !== null) {
      const port = Number(new URL(host.listenerUrl).port);
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const s = connect({ host: lan, port }, () => {
          s.destroy();
          resolve(null);
        });
        s.on('error', resolve);
      });
      expect(err?.code).toBe('ECONNREFUSED');
    }

    // Cloudflare's Cf-Connecting-Ip is the client address the owner sees.
    const req = await askToJoin(host, 'ada', { 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-proto': 'https' });
    expect(req.ip).toBe('203.0.113.7');
    const junk = await askToJoin(host, 'bob', { 'cf-connecting-ip': 'not-an-ip' });
    expect(junk.ip).toBe('127.0.0.1');

    // Discovery names the URL the caller used: the tunnel's (https) through the tunnel, plain http for a program on this machine.
    const viaTunnel = await getWithHost(host.listenerUrl, '/.well-known/oauth-authorization-server', { host: 'some-words-here.trycloudflare.com', 'cf-connecting-ip': '203.0.113.7' });
    expect(JSON.parse(viaTunnel).issuer).toBe(URL1);
    const direct = await call<{ issuer: string }>(host.listenerUrl, '/.well-known/oauth-authorization-server');
    expect(direct.body.issuer).toBe(host.listenerUrl);

    await host.close();
    expect(isAlive(run!.pid)).toBe(false);
    expect((await fake.entries()).filter((e) => e.event === 'signal').map((e) => e.signal)).toEqual(['SIGTERM']);
    await expect(readHostState(home.paths)).rejects.toThrow(/No Cohort host is running/);
  });

  it('follows cloudflared going down and coming back: status, public URL and the state file', async () => {
    const { host, home, fake } = await start({ EXIT_AFTER_MS: 300 }, { backoff: { initialMs: 1_000 } });
    const seen: TunnelStatus[] = [];
    host.bus.subscribe((e) => {
      if (e.type === 'tunnel') seen.push(e.tunnel);
    });
    // The owner's UI hears of every change over SSE: `event: tunnel`, data {type: 'tunnel', tunnel: {...}}.
    const sse = sseUntil(host, (e) => e.type === 'tunnel' && e.tunnel.state === 'up' && e.tunnel.url !== URL1);
    await waitFor('down', () => seen.find((s) => s.state === 'down'));
    const down = await ownerStatus(host);
    expect(down.tunnel).toMatchObject({ state: 'down', reason: 'cloudflared exited with code 1: connection with edge closed', retry_at: expect.any(String) });
    expect(down.public_url).toBe(host.listenerUrl);
    await waitFor('state file back to the listener', async () => (await readHostState(home.paths)).publicUrl === host.listenerUrl);

    await waitFor('up again', () => seen.findLast((s) => s.state === 'up')?.url?.endsWith('-2.trycloudflare.com'));
    expect(seen.map((s) => s.state).slice(-3)).toEqual(['down', 'starting', 'up']);
    const again = await ownerStatus(host);
    expect(again.public_url).toBe('https://some-words-here-2.trycloudflare.com');
    await waitFor('state file', async () => (await readHostState(home.paths)).publicUrl === again.public_url);

    const tunnelEvents = (await sse).filter((e) => e.type === 'tunnel');
    expect(tunnelEvents.map((e) => e.tunnel.state).slice(-3)).toEqual(['down', 'starting', 'up']);
    expect(tunnelEvents.at(-1)).toEqual({ type: 'tunnel', tunnel: { state: 'up', url: again.public_url, binary: fake.binary, attempt: 2 } });
  });

  it('without a tunnel the header is the caller\'s to forge, so it is ignored; the status says off', async () => {
    const { host } = await start({}, false);
    expect((await askToJoin(host, 'spoof', { 'cf-connecting-ip': '203.0.113.7' })).ip).toBe('127.0.0.1');
    const status = await ownerStatus(host);
    expect(status.tunnel).toEqual({ state: 'off' });
    expect(status.public_url).toBe(host.listenerUrl);
    expect(await fake!.starts()).toHaveLength(0);
  });

  it('with no cloudflared found: not-found with an install hint, serving locally, header ignored', async () => {
    const { host } = await start(null);
    const status = await ownerStatus(host);
    expect(status.tunnel).toMatchObject({ state: 'not-found', hint: expect.stringMatching(/cloudflared/) });
    expect(status.public_url).toBe(host.listenerUrl);
    expect((await askToJoin(host, 'spoof', { 'cf-connecting-ip': '203.0.113.7' })).ip).toBe('127.0.0.1');
  });

  it('refuses a LAN listener together with a tunnel, and starts nothing', async () => {
    home = await tempHome();
    fake = await standIn();
    await expect(startHost({ program: sampleProgram(), paths: home.paths, host: '0.0.0.0', tunnel: { binary: fake.binary, env: fake.env } })).rejects.toThrow(/tunnel needs the public listener on 127\.0\.0\.1/);
    expect(await fake.starts()).toHaveLength(0);
  });

  it('a tunnel that never prints a URL: down after the timeout, and the host keeps serving locally', async () => {
    const { host } = await start({ MODE: 'silent' }, { timeoutMs: 300 });
    await waitFor('gave up', () => host.tunnel.state === 'down');
    const status = await ownerStatus(host);
    expect(status.tunnel.reason).toMatch(/no tunnel URL within 0\.3 s; gave up/);
    expect(status.tunnel.retry_at).toBeUndefined();
    expect(status.public_url).toBe(host.listenerUrl);
    expect((await call(host.listenerUrl, '/healthz')).status).toBe(200);
  });
});
