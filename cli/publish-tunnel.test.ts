import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCloudflared } from '../main/tunnel/find-cloudflared.ts';
import { isAlive, standIn, waitFor, type StandIn } from '../main/tunnel/fixtures/stand-in.ts';

const COHORT = fileURLToPath(new URL('./cohort.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const URL1 = 'https://some-words-here.trycloudflare.com';
const onlyNode = dirname(process.execPath);
/** A machine with a real cloudflared in a usual place cannot play "not installed". */
const installedHere = (await findCloudflared({ env: { PATH: onlyNode } })) !== null;

let home: string;
let fake: StandIn;
let publisher: ChildProcess | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-tunnel-'));
  fake = await standIn();
});
afterEach(async () => {
  if (publisher && publisher.exitCode === null) {
    publisher.kill('SIGKILL');
    await once(publisher, 'exit');
  }
  publisher = undefined;
  await fake.cleanup();
  await rm(home, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, COHORT_HOME: home, ...fake.env, ...extra };
  delete e.CLOUDFLARED_BIN;
  return e;
}

function cohort(args: string[], extra: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [COHORT, ...args], { env: env(extra), encoding: 'utf8', timeout: 20_000 });
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** Starts `cohort publish`; `output()` is everything it printed so far. */
async function publish(args: string[], extra: Record<string, string> = {}): Promise<{ output: () => string; until: (text: string) => Promise<void> }> {
  publisher = spawn(process.execPath, [COHORT, 'publish', EXAMPLE, ...args], { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  publisher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  publisher.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const until = async (text: string) => {
    await waitFor(`"${text}" in:\n${out}`, () => out.includes(text) || publisher!.exitCode !== null, 20_000);
    if (!out.includes(text)) throw new Error(`publish exited without printing "${text}":\n${out}`);
  };
  await until('Workers join with');
  return { output: () => out, until };
}

describe('cohort publish with a tunnel', () => {
  it('--cloudflared <stand-in>: prints the tunnel URL and its join command; status shows it; Ctrl-C ends cloudflared', async () => {
    const pub = await publish(['--cloudflared', fake.binary]);
    expect(pub.output()).toMatch(new RegExp(`tunnel\\s+starting cloudflared… \\(${fake.binary}, from --cloudflared\\); gives up after 30 s without a URL`));
    expect(pub.output()).toMatch(/public URL\s+http:\/\/127\.0\.0\.1:\d+/);
    await pub.until('cohort join https://');
    expect(pub.output()).toContain(`Tunnel up: ${URL1}`);
    expect(pub.output()).toContain(`Workers join with: cohort join ${URL1}`);

    const status = cohort(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Public URL: ${URL1}    join: cohort join ${URL1}`);
    expect(status.stdout).toContain(`Tunnel: up: ${URL1}`);
    const json = JSON.parse(cohort(['status', '--json']).stdout) as { tunnel: { state: string; url: string; binary: string } };
    expect(json.tunnel).toMatchObject({ state: 'up', url: URL1, binary: fake.binary });

    const [run] = await fake.starts();
    publisher!.kill('SIGINT');
    const [code] = (await once(publisher!, 'exit')) as [number];
    expect(code).toBe(0);
    expect(isAlive(run!.pid)).toBe(false);
  }, 60_000);

  it('gives up after --tunnel-timeout and carries on locally, saying so', async () => {
    const pub = await publish(['--cloudflared', fake.binary, '--tunnel-timeout', '0.5'], { FAKE_CLOUDFLARED_MODE: 'silent' });
    await pub.until('tunnel down:');
    expect(pub.output()).toMatch(/tunnel down: cloudflared printed no tunnel URL within 0\.5 s; gave up on the tunnel, the host carries on without it/);
    expect(cohort(['status']).stdout).toMatch(/Public URL: http:\/\/127\.0\.0\.1:\d+/);
  }, 60_000);

  it('--no-tunnel: tunnel off, cloudflared never started', async () => {
    const pub = await publish(['--no-tunnel', '--cloudflared', fake.binary]);
    expect(pub.output()).toMatch(/tunnel\s+off \(--no-tunnel\) — reachable from this machine only/);
    expect(cohort(['status']).stdout).toContain('Tunnel: off');
    expect(await fake.starts()).toHaveLength(0);
  }, 60_000);

  it('refuses a --cloudflared that is not there, a LAN listener with --cloudflared, and a bad --tunnel-timeout', () => {
    const missing = cohort(['publish', EXAMPLE, '--cloudflared', join(home, 'nope', 'cloudflared')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--cloudflared .*nope\/cloudflared: no executable file there/);
    const lan = cohort(['publish', EXAMPLE, '--host', '0.0.0.0', '--cloudflared', fake.binary]);
    expect(lan.code).toBe(1);
    expect(lan.stderr).toMatch(/--cloudflared and --host 0\.0\.0\.0 do not mix/);
    const timeout = cohort(['publish', EXAMPLE, '--tunnel-timeout', 'soon']);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toMatch(/--tunnel-timeout must be a number of seconds above 0, got "soon"/);
  });

  it.skipIf(installedHere)('without cloudflared anywhere: says how to install it and carries on', async () => {
    const pub = await publish([], { PATH: onlyNode });
    expect(pub.output()).toMatch(/tunnel\s+not found — reachable from this machine only\. Install cloudflared .*npm i -g cloudflared/);
    expect(cohort(['status']).stdout).toMatch(/Tunnel: not found: cloudflared is not installed/);
  }, 60_000);
});
