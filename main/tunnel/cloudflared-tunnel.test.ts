import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelStatus } from '../../protocol/index.ts';
import { CloudflaredTunnel, type TunnelOptions } from './cloudflared-tunnel.ts';
import { isAlive, standIn, waitFor, type StandIn } from './fixtures/stand-in.ts';

const TARGET = 'http://127.0.0.1:45678';
const URL1 = 'https://some-words-here.trycloudflare.com';

let fake: StandIn | undefined;
let tunnel: CloudflaredTunnel | undefined;
afterEach(async () => {
  await tunnel?.stop();
  tunnel = undefined;
  await fake?.cleanup();
  fake = undefined;
});

/** Starts a tunnel on the stand-in and records every status it reports, with when it came. */
async function run(knobs: Record<string, string | number>, opts: Partial<TunnelOptions> = {}) {
  fake = await standIn(knobs);
  const seen: (TunnelStatus & { at: number })[] = [];
  tunnel = new CloudflaredTunnel({ binary: fake.binary, target: TARGET, env: fake.env, timeoutMs: 5_000, ...opts });
  tunnel.subscribe((s) => seen.push({ ...s, at: Date.now() }));
  tunnel.start();
  return { fake, tunnel, seen, states: () => seen.map((s) => s.state) };
}

describe('cloudflared quick tunnel', () => {
  it('starts `cloudflared tunnel --no-autoupdate --url TARGET`, is up with the URL from the box, and stop() ends it', async () => {
    const { fake, tunnel, seen, states } = await run({});
    expect(tunnel.status).toMatchObject({ state: 'starting', binary: fake.binary, attempt: 1 });
    const up = await waitFor('up', () => seen.find((s) => s.state === 'up'));
    expect(up).toMatchObject({ url: URL1, binary: fake.binary, attempt: 1 });
    expect(tunnel.url).toBe(URL1);
    const [start] = await fake.starts();
    expect(start!.args).toEqual(['tunnel', '--no-autoupdate', '--url', TARGET]);
    expect(tunnel.pid).toBe(start!.pid);

    await tunnel.stop();
    expect(isAlive(start!.pid)).toBe(false);
    expect(tunnel.status).toMatchObject({ state: 'off' });
    expect(states()).toEqual(['starting', 'up', 'off']);
    expect((await fake.entries()).map((e) => e.event)).toEqual(['start', 'signal', 'exit']);
  });

  it('finds a URL written in two pieces with a pause between, and never reports half of it', async () => {
    const { seen } = await run({ MODE: 'split', SPLIT_PAUSE_MS: 300 });
    const up = await waitFor('up', () => seen.find((s) => s.state === 'up'));
    expect(up.url).toBe(URL1);
    expect(seen.filter((s) => s.state === 'up')).toHaveLength(1);
    expect(up.at - seen[0]!.at).toBeGreaterThanOrEqual(250);
  });

  it('reads stdout as well as stderr', async () => {
    const { seen } = await run({ STREAM: 'stdout' });
    expect((await waitFor('up', () => seen.find((s) => s.state === 'up'))).url).toBe(URL1);
  });

  it('ignores api.trycloudflare.com in error lines and restarts with exponential backoff until cloudflared comes up', async () => {
    const { fake, seen, states } = await run({ FAIL_RUNS: 3 }, { backoff: { initialMs: 100, factor: 2, maxMs: 10_000 } });
    await waitFor('up', () => seen.find((s) => s.state === 'up'));
    expect(states()).toEqual(['starting', 'down', 'starting', 'down', 'starting', 'down', 'starting', 'up']);
    expect(seen.every((s) => !s.url?.includes('api.'))).toBe(true);
    const downs = seen.filter((s) => s.state === 'down');
    expect(downs[0]!.reason).toMatch(/^cloudflared exited with code 1: failed to request quick Tunnel: Post "https:\/\/api\.trycloudflare\.com\/tunnel"/);
    expect(downs.map((d) => d.attempt)).toEqual([1, 2, 3]);
    expect(seen.filter((s) => s.state === 'starting').map((s) => s.attempt)).toEqual([1, 2, 3, 4]);
    // Each retry is announced for initial·2^n later, and the next start waits that long.
    const delays = downs.map((d) => Date.parse(d.retry_at!) - d.at);
    [100, 200, 400].forEach((want, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(want - 25);
      expect(delays[i]).toBeLessThanOrEqual(want + 5);
    });
    const startsAt = seen.filter((s) => s.state === 'starting').map((s) => s.at);
    const downsAt = downs.map((d) => d.at);
    [100, 200, 400].forEach((want, i) => expect(startsAt[i + 1]! - downsAt[i]!).toBeGreaterThanOrEqual(want - 5));
    expect(await fake.starts()).toHaveLength(4);
    expect(seen.at(-1)!.url).toBe('https://some-words-here-4.trycloudflare.com');
  });

  it('goes down when cloudflared exits after coming up, then starts again and is up with the new URL', async () => {
    const { fake, seen, states } = await run({ EXIT_AFTER_MS: 150 }, { backoff: { initialMs: 50 } });
    await waitFor('second up', () => seen.filter((s) => s.state === 'up').length === 2);
    expect(states()).toEqual(['starting', 'up', 'down', 'starting', 'up']);
    expect(seen[2]).toMatchObject({ state: 'down', reason: 'cloudflared exited with code 1: connection with edge closed', attempt: 1 });
    expect(seen[2]!.retry_at).toBeDefined();
    expect(seen[2]!.url).toBeUndefined();
    expect(seen[4]!.url).toBe('https://some-words-here-2.trycloudflare.com');
    const [first, second] = await fake.starts();
    expect(isAlive(first!.pid)).toBe(false);
    expect(isAlive(second!.pid)).toBe(true);
  });

  it('gives up when no URL comes within the timeout, ends cloudflared and does not start it again', async () => {
    const { fake, tunnel, seen } = await run({ MODE: 'silent' }, { timeoutMs: 300, backoff: { initialMs: 10 } });
    const pid = tunnel.pid!;
    const down = await waitFor('down', () => seen.find((s) => s.state === 'down'));
    expect(down.reason).toMatch(/^cloudflared printed no tunnel URL within 0\.3 s; gave up on the tunnel, the host carries on without it/);
    expect(down.retry_at).toBeUndefined();
    expect(down.at - seen[0]!.at).toBeGreaterThanOrEqual(290);
    await waitFor('cloudflared ended', () => !isAlive(pid));
    await new Promise((r) => setTimeout(r, 200));
    expect((await fake.starts()).length).toBeLessThanOrEqual(1);
    expect(seen.filter((s) => s.state === 'starting')).toHaveLength(1);
    expect(tunnel.status.state).toBe('down');
  });

  it('kills a cloudflared that ignores SIGTERM once the grace period is over', async () => {
    const { fake, tunnel, seen } = await run({ IGNORE_TERM: '1' }, { killGraceMs: 200 });
    await waitFor('up', () => seen.find((s) => s.state === 'up'));
    const [start] = await fake.starts();
    const t0 = Date.now();
    await tunnel.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(isAlive(start!.pid)).toBe(false);
    expect((await fake.entries()).map((e) => e.event)).toEqual(['start', 'signal']);
  });

  it('reports a binary that cannot be run as down with the reason, and keeps trying', async () => {
    fake = await standIn();
    const seen: TunnelStatus[] = [];
    tunnel = new CloudflaredTunnel({ binary: join(fake.dir, 'missing', 'cloudflared'), target: TARGET, backoff: { initialMs: 50 } });
    tunnel.subscribe((s) => seen.push(s));
    tunnel.start();
    await waitFor('second failure', () => seen.filter((s) => s.state === 'down').length >= 2);
    expect(seen[1]).toMatchObject({ state: 'down', reason: expect.stringMatching(/^cannot run .*missing\/cloudflared: .*ENOENT/) });
    expect(seen[1]!.retry_at).toBeDefined();
  });

  it('stop() before anything came up, or twice, is fine', async () => {
    const { fake, tunnel } = await run({ DELAY_MS: 5_000 });
    await waitFor('started', async () => (await fake.starts()).length === 1);
    await Promise.all([tunnel.stop(), tunnel.stop()]);
    const [start] = await fake.starts();
    expect(isAlive(start!.pid)).toBe(false);
    expect(tunnel.status.state).toBe('off');
  });
});
