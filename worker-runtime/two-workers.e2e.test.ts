/**
 * End to end, as people would run it: `cohort publish` in one process, two workers that
 * `cohort join` and `cohort run --loop` in their own processes, real training (tiny-gpt on
 * PyTorch), real HTTP over loopback and a real SQLite KB. CI installs PyTorch from Debian.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnerStatusResponse, ResultRecord } from '../protocol/index.ts';
import { startPublish } from '../cli/testing.ts';
import { torchEnv } from '../scripts/python-env.ts';
import { testSandbox } from './sandbox/testing.ts';

const COHORT = fileURLToPath(new URL('../cli/cohort.ts', import.meta.url));
const PROGRAM = fileURLToPath(new URL(`../examples/${process.env.E2E_PROGRAM ?? 'tiny-gpt'}`, import.meta.url));
const RUNS_EACH = 2;
// Runs are sandboxed (the default), unless the kernel forbids user namespaces here.
const SANDBOX = await testSandbox();

const homes: string[] = [];
let publisher: ChildProcess | undefined;
let ownerEnv: NodeJS.ProcessEnv;

async function newHome(): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-e2e-'));
  homes.push(dir);
  return { COHORT_HOME: dir };
}

function cohort(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [COHORT, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(async () => {
  ownerEnv = { ...process.env, ...(await newHome()) };
});
afterAll(async () => {
  if (publisher && publisher.exitCode === null) {
    publisher.kill('SIGINT');
    await once(publisher, 'exit');
  }
  for (const dir of homes) await rm(dir, { recursive: true, force: true });
});

describe('two workers, one program, real training', () => {
  it('both join, run and submit; the champion moves only on strictly better values; payouts follow the rules; every result has its diff', async () => {
    const pythonEnv = torchEnv();
    expect(pythonEnv, 'PyTorch is needed (apt-get install python3-torch libopenblas0-pthread)').not.toBeNull();

    const published = await startPublish(ownerEnv, [PROGRAM, '--membership', 'open']);
    publisher = published.child;
    const url = published.publicUrl;

    const workers = await Promise.all(['ada', 'bob'].map(async (name) => ({ name, env: { ...pythonEnv!, ...(await newHome()) } })));
    for (const w of workers) {
      const joined = cohort(w.env, 'join', url, '--name', w.name);
      expect(joined.status, joined.stdout + joined.stderr).toBe(0);
      expect(joined.stdout).toMatch(/Approved/);
    }
    const runs = workers.map((w) => {
      const child = spawn(process.execPath, [COHORT, 'run', '--loop', '--runs', String(RUNS_EACH), '--propose', 'mutate', ...SANDBOX.cliArgs], { env: w.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      return once(child, 'exit').then(([code]) => ({ code: code as number, out }));
    });
    for (const r of await Promise.all(runs)) {
      expect(r.code, r.out.slice(-3000)).toBe(0);
      expect(r.out).toMatch(new RegExp(`${RUNS_EACH} run\\(s\\), ${RUNS_EACH} result\\(s\\) submitted`));
      expect(r.out).toMatch(SANDBOX.usable ? /run 1 \(sandboxed\): python3 train\.py/ : /run 1 \(NOT sandboxed\)/);
      expect(r.out).toMatch(/code of run 2: /);
    }

    const statusRun = cohort(ownerEnv, 'status', '--json');
    expect(statusRun.status, statusRun.stderr).toBe(0);
    // `--json` adds the latest results (newest first) to the status summary.
    const status = JSON.parse(statusRun.stdout) as OwnerStatusResponse & { recent: ResultRecord[] };
    const { members, payouts } = status;
    const results = [...status.recent].reverse();
    expect(members.map((m) => m.name).sort()).toEqual(['ada', 'bob']);
    expect(status.total).toBe(2 * RUNS_EACH);
    expect(results).toHaveLength(2 * RUNS_EACH);
    expect(new Set(results.map((r) => r.member_name))).toEqual(new Set(['ada', 'bob']));

    const { direction, min_improvement: minImprovement } = status.program.spec;
    const gain = (value: number, reference: number) => (direction === 'minimize' ? reference - value : value - reference);
    let champion: number | null = null;
    for (const r of results) {
      expect(r.patch, `${r.id} has no diff`).toMatch(/^--- a\/train\.py\n\+\+\+ b\/train\.py\n@@/m);
      expect(r.hypothesis).toMatch(/^mutate: /);
      if (r.champion) {
        expect(r.status).toBe('keep');
        if (champion !== null) expect(gain(r.value!, champion), `${r.id} became champion without beating ${champion}`).toBeGreaterThan(minImprovement);
        champion = r.value;
      } else if (r.status === 'discard' && champion !== null) {
        expect(gain(r.value!, champion), `${r.id} beat the champion ${champion} but was discarded`).toBeLessThanOrEqual(minImprovement + 1e-9);
      }
    }
    expect(status.champion?.value).toBe(champion);

    // Payouts by impact: each member's summed keep impact over the total, the amounts summing to the pool.
    const impact = new Map<string, number>();
    for (const r of results) if (r.status === 'keep') impact.set(r.member, (impact.get(r.member) ?? 0) + r.impact);
    const total = [...impact.values()].reduce((a, b) => a + b, 0);
    if (total > 0) {
      const pool = status.program.spec.pool;
      expect(payouts.reduce((s, p) => s + Math.round(Number(p.amount) * 1e6), 0)).toBe(Math.round(pool * 1e6));
      for (const p of payouts) expect(Number(p.amount)).toBeCloseTo((pool * impact.get(p.member)!) / total, 5);
    } else expect(payouts).toEqual([]);

    expect(published.output()).toMatch(/result r1 by (ada|bob)/);
  }, 480_000);
});
