/**
 * Verified champions end to end, with real processes (docs/design.md, "Verified champions"):
 * `cohort publish` of a program whose value is a pure function of its code (examples/quadratic,
 * with `verify`), a member who submits a made-up value through the API, and two honest workers in
 * `cohort run --loop`. The false claim is re-run and not reproduced, the champion is an honest result
 * that the other honest worker re-ran, and the false claimant is paid nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { OwnerStatusResponse, ResultRecord } from '../protocol/index.ts';
import { startPublish } from '../cli/testing.ts';
import { call } from '../main/testing/harness.ts';
import { testSandbox } from './sandbox/testing.ts';

const COHORT = fileURLToPath(new URL('../cli/cohort.ts', import.meta.url));
const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const SANDBOX = await testSandbox();

const dirs: string[] = [];
let publisher: ChildProcess | undefined;
afterAll(async () => {
  if (publisher && publisher.exitCode === null) {
    publisher.kill('SIGINT');
    await once(publisher, 'exit');
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const cohort = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [COHORT, ...args], { env, encoding: 'utf8', timeout: 60_000 });

function loop(env: NodeJS.ProcessEnv, runs: number): Promise<{ code: number; out: string }> {
  const child = spawn(process.execPath, [COHORT, 'run', '--loop', '--runs', String(runs), '--propose', 'mutate', ...SANDBOX.cliArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return once(child, 'exit').then(([code]) => ({ code: code as number, out }));
}

describe('verified champions, end to end', () => {
  it('a false claim is not reproduced, the champion is an honest result re-run by the other honest worker, the liar earns nothing', async () => {
    // examples/quadratic with verification on: a re-run of the same code gives the same value, so no tolerance.
    const program = await tempDir('cohort-verify-program-');
    await cp(QUADRATIC, program, { recursive: true });
    const task = await readFile(join(program, 'TASK.md'), 'utf8');
    await writeFile(join(program, 'TASK.md'), task.replace('membership: invite', 'membership: open\nverify:\n  replicas: 1\n  tolerance: 0'));

    const owner = { ...process.env, COHORT_HOME: await tempDir('cohort-verify-owner-') };
    const published = await startPublish(owner, [program, '--no-tunnel']);
    publisher = published.child;
    const url = published.publicUrl;

    // Mallory joins over the device flow by hand and claims a value its code does not give.
    const asked = await call<{ device_code: string }>(url, '/oauth/device_authorization', { form: { client_id: 'cohort-worker', name: 'mallory' } });
    const token = await call<{ access_token: string }>(url, '/oauth/token', { form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: asked.body.device_code, client_id: 'cohort-worker' } });
    const patch = ['--- a/train.py', '+++ b/train.py', '@@ -4,1 +4,1 @@', '-LEARNING_RATE = 0.02', '+LEARNING_RATE = 0.021', ''].join('\n');
    const lie = await call<{ result: { id: string; status: string; champion: boolean } }>(url, '/api/results', { token: token.body.access_token, json: { value: 1e-9, patch, hypothesis: 'trust me' } });
    expect(lie.body.result).toMatchObject({ status: 'keep', champion: true });
    const lieId = lie.body.result.id;

    const workers = await Promise.all(['ada', 'bob'].map(async (name) => ({ name, env: { ...process.env, COHORT_HOME: await tempDir(`cohort-verify-${name}-`) } })));
    for (const w of workers) expect(cohort(w.env, 'join', url, '--name', w.name).status).toBe(0);
    for (const r of await Promise.all(workers.map((w) => loop(w.env, 4)))) expect(r.code, r.out.slice(-3000)).toBe(0);

    const status = (): OwnerStatusResponse & { recent: ResultRecord[] } => JSON.parse(cohort(owner, 'status', '--json').stdout) as OwnerStatusResponse & { recent: ResultRecord[] };
    let s = status();
    const liar = s.recent.find((r) => r.id === lieId)!;
    expect(liar).toMatchObject({ status: 'discard', verification: 'not_reproduced' });
    expect(liar.reruns[0]?.member_name).toMatch(/^(ada|bob)$/);
    // The champion is an honest result; while it is pending, the other honest worker takes jobs (older
    // pending claims of the champion's member come first, oldest first) until it has re-run it.
    const champion = s.recent.find((r) => r.id === s.champion!.id)!;
    expect(champion.member_name).toMatch(/^(ada|bob)$/);
    const other = workers.find((w) => w.name !== champion.member_name)!;
    for (let i = 0; i < 6 && s.champion!.verification === 'pending'; i++) {
      const extra = await loop(other.env, 1);
      expect(extra.code, extra.out.slice(-2000)).toBe(0);
      expect(extra.out).toMatch(new RegExp(`re-runs ${champion.member_name}'s claim r\\d+`));
      s = status();
    }
    expect(s.champion!.id).toBe(champion.id);
    const verified = s.recent.find((r) => r.id === s.champion!.id)!;
    expect(verified.verification).toBe('reproduced');
    expect(verified.reruns.map((r) => r.member_name)).toEqual([workers.find((w) => w.name !== verified.member_name)!.name]);
    expect(s.payouts.map((p) => p.name)).not.toContain('mallory');
    // Only reproduced claims earn: whoever is paid has one with impact (the first honest keep only sets the baseline).
    const earners = new Set(s.recent.filter((r) => r.verification === 'reproduced' && r.impact > 0).map((r) => r.member_name));
    expect(new Set(s.payouts.map((p) => p.name))).toEqual(earners);
    expect(published.output()).toMatch(new RegExp(`verified ${lieId} by mallory: not reproduced`));
  }, 240_000);
});
