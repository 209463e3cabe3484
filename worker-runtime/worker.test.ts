import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { call, tempHome, type TempHome } from '../main/testing/harness.ts';
import type { Membership } from './credentials.ts';
import { workerDirs } from './dirs.ts';
import type { Hardware } from './hardware.ts';
import { join as joinProgram } from './join.ts';
import { seededRandom } from './proposer/mutate.ts';
import { testSandbox } from './sandbox/testing.ts';
import { startWorker, type WorkerEvent } from './worker.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
// The real sandbox (the default), unless the kernel forbids it here.
const SANDBOX = (await testSandbox()).option;
const hardware: Hardware = { hostname: 'test', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };

let home: TempHome | undefined;
let host: RunningHost | undefined;
afterEach(async () => {
  await host?.close();
  await home?.cleanup();
  host = undefined;
  home = undefined;
});

/** A program folder: TASK.md frontmatter lines plus a train.py. */
async function programFolder(frontmatter: string, trainPy: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-prog-'));
  await writeFile(join(dir, 'TASK.md'), `---\n${frontmatter}\n---\nInstructions.\n`);
  await writeFile(join(dir, 'train.py'), trainPy);
  return dir;
}

async function hostAndJoin(dir: string, name = 'w1'): Promise<{ membership: Membership; h: RunningHost; home: TempHome }> {
  home = await tempHome();
  host = await startHost({ program: await loadProgram(dir), paths: home.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
  const membership = await joinProgram({ url: host.publicUrl, name, hardware, appVersion: 'test', paths: home.paths });
  return { membership, h: host, home };
}

describe('startWorker', () => {
  it('loops sync → mutate → run → submit on a real program; every result carries its diff and the champion only moves on a better value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
    await cp(QUADRATIC, dir, { recursive: true });
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const events: WorkerEvent[] = [];
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 4, propose: 'mutate', random: seededRandom(3), onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ runs: 4, stoppedBecause: 'done' });
    expect(summary.submitted).toHaveLength(4);
    const results = await h.kb.results();
    expect(results).toHaveLength(4);
    let best = Number.POSITIVE_INFINITY;
    for (const r of results) {
      expect(r.hypothesis).toMatch(/^mutate: /);
      expect(r.patch).toMatch(/^--- a\/train\.py\n\+\+\+ b\/train\.py/);
      expect(r.hardware).toMatchObject({ hostname: 'test' });
      expect(r.output).toContain('val_loss:');
      expect(r.champion).toBe(r.status === 'keep');
      if (r.status === 'keep') {
        expect(r.value!).toBeLessThan(best);
        best = r.value!;
      }
    }
    // Each run starts from the champion of its time.
    expect(results.map((r) => r.parent)).toEqual(results.map((_, i) => results.slice(0, i).filter((x) => x.champion).at(-1)?.id ?? null));
    expect(events.filter((e) => e.type === 'metric').length).toBeGreaterThan(0);
    // Before each run: whose code it is (the champion it started from, walked back through the keeps).
    const lineages = events.flatMap((e) => (e.type === 'lineage' ? [e] : []));
    expect(lineages.map((l) => l.champion)).toEqual(results.map((r) => r.parent));
    for (const l of lineages) {
      expect(l.chain.every((s) => s.you && s.memberName === 'w1')).toBe(true);
      expect(l.localEdits).toEqual(['train.py']); // the proposer's change
    }
    expect(events.filter((e) => e.type === 'run-start').every((e) => e.type === 'run-start' && e.sandboxed === (SANDBOX.sandbox !== false))).toBe(true);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('--propose CMD runs in the workspace with KB.md, and its HYPOTHESIS.md becomes the hypothesis', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
    await cp(QUADRATIC, dir, { recursive: true });
    const { membership, h, home: hm } = await hostAndJoin(dir);
    await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, hypothesis: 'first' });
    // A proposer that reads the digest, edits train.py and explains itself, as an agent would.
    const agent = [
      'grep -q "^# KB digest: quadratic" "$COHORT_KB"',
      'grep -q "^r1: val_loss = " KB.md',
      "sed -i 's/^STEPS = 50/STEPS = 80/' train.py",
      'echo "more steps: the loss was still falling at step 50" > HYPOTHESIS.md',
    ].join(' && ');
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, propose: agent });
    expect(summary.submitted).toHaveLength(1);
    const results = await h.kb.results();
    expect(results[1]).toMatchObject({ hypothesis: 'more steps: the loss was still falling at step 50', parent: 'r1' });
    expect(results[1]!.patch).toContain('+STEPS = 80');
    // A failing proposer stops before running anything.
    await expect(startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, propose: 'exit 3' })).rejects.toThrow(/propose command exited with code 3/);
    expect(await h.kb.results()).toHaveLength(2);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('records a run that prints FAIL as a crash', async () => {
    const dir = await programFolder('name: failing\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: /usr/bin/env python3 train.py\ntime_budget: 30', 'print("step 1 | loss nan")\nprint("FAIL")\nraise SystemExit(1)\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, hypothesis: 'diverges' });
    expect(summary.submitted[0]).toMatchObject({ status: 'crash', champion: false });
    const [r] = await h.kb.results();
    expect(r!.output).toMatch(/^\[cohort\] crash: .*FAIL/);
    await rm(dir, { recursive: true, force: true });
  });

  it('kills a run that exceeds its budget, with its children, and records a crash', async () => {
    const dir = await programFolder('name: slow\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: sleep 300 & sleep 300\ntime_budget: 1', 'unused = 1\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const started = Date.now();
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, graceSeconds: 0.5 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(summary.submitted[0]).toMatchObject({ status: 'crash' });
    const [r] = await h.kb.results();
    expect(r!.output).toMatch(/crash: .*(budget|killed)/);
    await rm(dir, { recursive: true, force: true });
  });

  it('stops with a clear message when the owner revokes the member', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
    await cp(QUADRATIC, dir, { recursive: true });
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const warnings: string[] = [];
    let revoked = false;
    const summary = await startWorker({
      ...SANDBOX,
      membership, paths: hm.paths, hardware, loop: true, propose: 'mutate', random: seededRandom(5),
      onEvent: (e) => {
        if (e.type === 'warning') warnings.push(e.message);
        if (e.type === 'submitted' && !revoked) {
          revoked = true;
          void call(h.ownerUrl, `/api/owner/members/${membership.memberId}/revoke`, { method: 'POST', token: h.ownerToken });
        }
      },
    });
    expect(summary.stoppedBecause).toBe('revoked');
    expect(warnings.join('\n')).toMatch(/revoked by its owner.*The worker stops/s);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('Stop during a proposed run puts the editable files back as they were before the proposer edited them', async () => {
    const dir = await programFolder('name: stoppable\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: sleep 30\ntime_budget: 60\nsearch:\n  X: { min: 2, max: 9, integer: true }', 'X = 1\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const controller = new AbortController();
    const events: WorkerEvent[] = [];
    const summary = await startWorker({
      ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, propose: 'mutate', random: seededRandom(3), signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'run-start') setTimeout(() => controller.abort(), 300);
      },
    });
    expect(summary.stoppedBecause).toBe('stopped');
    expect(events.some((e) => e.type === 'propose')).toBe(true); // the mutator did edit X
    expect(await readFile(join(workerDirs(hm.paths, membership).workspace, 'train.py'), 'utf8')).toBe('X = 1\n');
    expect(events.some((e) => e.type === 'info' && /put back as they were/.test(e.message))).toBe(true);
    expect(await h.kb.results()).toHaveLength(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('a loop whose runs crash the same way three times in a row stops and says why (no crash flood)', async () => {
    const dir = await programFolder('name: crashy\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: python3 train.py', 'import no_such_module_here\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const warnings: string[] = [];
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 20, onEvent: (e) => e.type === 'warning' && warnings.push(e.message) });
    expect(summary).toMatchObject({ runs: 3, stoppedBecause: 'crashes' });
    expect(warnings.join('\n')).toMatch(/the last 3 runs crashed the same way \(.*no_such_module_here.*\): the loop stops/);
    expect(await h.kb.results()).toHaveLength(3); // at most three crashes reach the host, not twenty
    await rm(dir, { recursive: true, force: true });
  });

  it('stops a loop on abort without submitting the interrupted run', async () => {
    const dir = await programFolder('name: stoppable\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: sleep 30\ntime_budget: 60', 'x = 1\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const controller = new AbortController();
    const running = startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, propose: undefined, signal: controller.signal, onEvent: (e) => e.type === 'run-start' && setTimeout(() => controller.abort(), 300) });
    const summary = await running;
    expect(summary.stoppedBecause).toBe('stopped');
    expect(await h.kb.results()).toHaveLength(0);
    await rm(dir, { recursive: true, force: true });
  });
});
