import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../main/testing/harness.ts';

const COHORT = fileURLToPath(new URL('./cohort.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/quadratic', import.meta.url));

let home: string;
let publisher: ChildProcess | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-'));
});
afterEach(async () => {
  if (publisher && publisher.exitCode === null) {
    publisher.kill('SIGKILL');
    await once(publisher, 'exit');
  }
  publisher = undefined;
  await rm(home, { recursive: true, force: true });
});

function cohort(...args: string[]): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [COHORT, ...args], { env: { ...process.env, COHORT_HOME: home }, encoding: 'utf8', timeout: 20_000 });
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** Starts `cohort publish` and resolves with its output once it is ready. */
async function publish(...args: string[]): Promise<{ output: () => string; publicUrl: string }> {
  publisher = spawn(process.execPath, [COHORT, 'publish', ...args], { env: { ...process.env, COHORT_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  publisher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  publisher.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!out.includes('Workers join with')) {
    if (publisher.exitCode !== null || Date.now() > deadline) throw new Error(`publish did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const publicUrl = /public URL\s+(\S+)/.exec(out)![1]!;
  return { output: () => out, publicUrl };
}

describe('cohort CLI', () => {
  it('publish, then requests / approve / members / status / payouts / revoke against the running host, then Ctrl-C', async () => {
    // No tunnel: the test must not reach Cloudflare on a machine where cloudflared is installed.
    const pub = await publish(EXAMPLE, '--no-tunnel');
    expect(pub.output()).toMatch(/hosting "quadratic"/);
    expect(pub.output()).toMatch(/^Members will receive 2 files \(\d+(\.\d)? KiB\): TASK\.md, train\.py$/m);
    expect(pub.output()).toMatch(/tunnel\s+off \(--no-tunnel\) — reachable from this machine only/);
    expect(pub.output()).toMatch(/owner UI\s+http:\/\/127\.0\.0\.1:\d+\/#token=/);
    expect(pub.output()).toContain(`cohort join ${pub.publicUrl}`);

    const auth = await call<{ device_code: string; user_code: string }>(pub.publicUrl, '/oauth/device_authorization', {
      form: { client_id: 'cohort-worker', name: 'ada', hostname: 'spark-1', os: 'Ubuntu 24.04', gpu: 'NVIDIA GB10', app_version: '0.1.0' },
    });
    const requests = cohort('requests');
    expect(requests.code).toBe(0);
    expect(requests.stdout).toMatch(new RegExp(`${auth.body.user_code}\\s+ada\\s+spark-1\\s+Ubuntu 24.04\\s+NVIDIA GB10\\s+127\\.0\\.0\\.1`));

    const approve = cohort('approve', auth.body.user_code.toLowerCase());
    expect(approve.code).toBe(0);
    expect(approve.stdout).toMatch(/Approved .*ada/);
    expect(cohort('approve', auth.body.user_code).stderr).toMatch(/already approved/);

    const tok = await call<{ access_token: string; member_id: string }>(pub.publicUrl, '/oauth/token', {
      form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: auth.body.device_code, client_id: 'cohort-worker' },
    });
    expect(tok.status).toBe(200);
    const submitted = await call(pub.publicUrl, '/api/results', { token: tok.body.access_token, json: { value: 0.004889, hypothesis: 'baseline run' } });
    expect(submitted.status).toBe(201);

    const members = cohort('members');
    expect(members.stdout).toMatch(new RegExp(`${tok.body.member_id}\\s+ada\\s+spark-1`));

    const status = cohort('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Tunnel: off');
    expect(status.stdout).toMatch(/Champion: r1 val_loss 0\.004889 \(unverified\) by ada — baseline run/);
    const json = JSON.parse(cohort('status', '--json').stdout) as { champion: { id: string }; total: number; recent: unknown[] };
    expect(json.champion.id).toBe('r1');
    expect(json.total).toBe(1);
    expect(json.recent).toHaveLength(1);

    // A single first result has impact 0: nothing to pay yet, said plainly.
    expect(cohort('payouts').stdout).toMatch(/Nothing to pay yet/);
    expect(cohort('payouts', '--format', 'csv').stdout).toBe('member,name,impact,amount,token\n');
    expect(JSON.parse(cohort('payouts', '--format', 'json').stdout)).toMatchObject({ pool: 100, token: 'OBOL', payouts: [] });
    expect(cohort('payouts', '--format', 'xml').stderr).toMatch(/--format must be table, json or csv/);

    const revoke = cohort('revoke', 'ada');
    expect(revoke.stdout).toMatch(/Revoked m_\w+ \(ada\)/);
    expect((await call(pub.publicUrl, '/api/champion', { token: tok.body.access_token })).status).toBe(403);

    expect(pub.output()).toMatch(/join request [A-Z]{4}-[A-Z]{4} from "ada" \(declared\)/);
    expect(pub.output()).toMatch(/result r1 by ada: val_loss 0\.004889 → KEEP/);

    publisher!.kill('SIGINT');
    const [code] = (await once(publisher!, 'exit')) as [number];
    expect(code).toBe(0);
    expect(pub.output()).toMatch(/Stopped/);

    const gone = cohort('status');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No Cohort host is running here.*cohort publish/);
  }, 60_000);

  it('refuses a bad TASK.md with the file, line and field', async () => {
    const dir = join(home, 'bad-program');
    await cp(EXAMPLE, dir, { recursive: true });
    await writeFile(join(dir, 'TASK.md'), '---\nname: bad\nobjective: x\nmetric: val_loss\ndirection: lower\n---\n');
    const res = cohort('publish', dir);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('TASK.md:5: direction must be "minimize" or "maximize", got "lower"');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a folder holding a secret-looking file, saying which and how to fix it', async () => {
    const dir = join(home, 'leaky-program');
    await cp(EXAMPLE, dir, { recursive: true });
    await writeFile(join(dir, '.env'), 'OPENAI_API_KEY=sk-1\n');
    const res = cohort('publish', dir, '--no-tunnel');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('.env: looks like a secret (an environment file, where API keys usually live) and must not reach members');
    expect(res.stdout).not.toContain('Members will receive');
  });

  it('explains wrong user codes and a missing host', () => {
    expect(cohort('approve', 'nope').stderr).toMatch(/not a user code/);
    expect(cohort('requests').stderr).toMatch(/No Cohort host is running here/);
  });
});

describe('cohort publish start-up failures', () => {
  it('says plainly when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const res = cohort('publish', EXAMPLE, '--port', String(port));
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(new RegExp(`Port ${port} .*already in use`));
    } finally {
      blocker.close();
    }
  });
});
