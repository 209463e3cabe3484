import { realpathSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { call, joinMember, tempHome, type TempHome } from '../main/testing/harness.ts';
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

  it('records a run that prints FAIL as a crash (a single run of an edit: submitted without a preflight run)', async () => {
    const dir = await programFolder('name: failing\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: /usr/bin/env python3 train.py\ntime_budget: 30', 'print("val_bpb: 1.0")\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const diverges = `printf '%s\\n' 'print("step 1 | loss nan")' 'print("FAIL")' 'raise SystemExit(1)' > train.py`;
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, hypothesis: 'diverges', propose: diverges });
    expect(summary.submitted[0]).toMatchObject({ status: 'crash', champion: false });
    const [r] = await h.kb.results();
    expect(r!.output).toMatch(/^\[cohort\] crash: .*FAIL/);
    await rm(dir, { recursive: true, force: true });
  });

  it('kills a run that exceeds its budget, with its children, and records a crash', async () => {
    const dir = await programFolder('name: slow\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: sh train.py\ntime_budget: 1', 'echo "val_bpb: 1.0"\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const started = Date.now();
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, graceSeconds: 0.5, propose: "echo 'sleep 300 & sleep 300' > train.py" });
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

  it('a loop whose edits crash the same way three times in a row stops and says why; each crash is submitted once, after one preflight of the champion', async () => {
    const dir = await programFolder('name: crashy\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: python3 train.py\nsearch:\n  X: { min: 2, max: 9, integer: true }', 'X = 1\nif X != 1:\n    import no_such_module_here\nprint("val_bpb: 1.0")\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const warnings: string[] = [];
    const events: WorkerEvent[] = [];
    const summary = await startWorker({
      ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 20, propose: 'mutate', random: seededRandom(3),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'warning') warnings.push(e.message);
      },
    });
    expect(summary).toMatchObject({ runs: 3, stoppedBecause: 'crashes' });
    expect(warnings.join('\n')).toMatch(/the last 3 runs crashed the same way \(.*no_such_module_here.*\): the loop stops/);
    expect(summary.reason).toMatch(/the last 3 runs crashed the same way/);
    const results = await h.kb.results();
    expect(results.map((r) => r.status)).toEqual(['crash', 'crash', 'crash']); // the edits' fault: each submitted, once
    expect(summary.submitted).toHaveLength(3);
    // The original code was checked once, after the first crash, and ran.
    const preflights = events.filter((e) => e.type === 'run-end' && e.preflight !== undefined);
    expect(preflights).toEqual([expect.objectContaining({ run: 1, preflight: { champion: null }, outcome: expect.objectContaining({ status: 'ok', value: 1 }) })]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a loop on a machine whose interpreter lacks a module sends no crash: the preflight fails too, and the worker stops naming the interpreter and the package', async () => {
    const dir = await programFolder('name: nomodule\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: /usr/bin/python3 train.py\nsearch:\n  X: { min: 2, max: 9, integer: true }', 'import no_such_module_xyz\nX = 1\nprint("val_bpb: 1.0")\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const events: WorkerEvent[] = [];
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 20, propose: 'mutate', random: seededRandom(3), onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ runs: 1, stoppedBecause: 'machine', submitted: [] });
    expect(await h.kb.results()).toHaveLength(0);
    const python = realpathSync('/usr/bin/python3');
    expect(summary.reason).toMatch(/^run 1 crashed, and the program's original code crashes on this machine too \(preflight\): .* so the crash was not submitted and the worker stops\./);
    expect(summary.reason).toContain("failing line: ModuleNotFoundError: No module named 'no_such_module_xyz'");
    expect(summary.reason).toContain('the interpreter `/usr/bin/python3`');
    expect(summary.reason).toContain(`install the package \`no_such_module_xyz\` for that interpreter (\`${python} -m pip install no_such_module_xyz\`)`);
    expect(events.filter((e) => e.type === 'warning').map((e) => e.type === 'warning' && e.message)).toContain(summary.reason);
    // The preflight ran the original code apart, not in the workspace, which the loop put back.
    const start = events.find((e) => e.type === 'run-start' && e.preflight !== undefined);
    expect(start).toMatchObject({ run: 1, preflight: { champion: null }, logFile: expect.stringContaining(`${join('worker-state', membership.id, 'preflight')}`) });
    expect(await readFile(join(workerDirs(hm.paths, membership).workspace, 'train.py'), 'utf8')).toBe('import no_such_module_xyz\nX = 1\nprint("val_bpb: 1.0")\n');
    await rm(dir, { recursive: true, force: true });
  });

  it('a crash of the unchanged code is its own preflight: nothing is submitted, no preflight runs, the worker stops', async () => {
    const dir = await programFolder('name: crashy\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: python3 train.py', 'import no_such_module_here\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    const events: WorkerEvent[] = [];
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 20, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ runs: 1, stoppedBecause: 'machine' });
    expect(summary.reason).toMatch(/^run 1 ran the program's original code and crashed: .*No module named 'no_such_module_here'.*the interpreter `python3` \(\//);
    expect(events.some((e) => e.type === 'run-start' && e.preflight !== undefined)).toBe(false);
    expect(await h.kb.results()).toHaveLength(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('a verification re-run that crashes is not reported when the program\'s own code crashes here too: the claim keeps its lease to lapse, the worker stops', async () => {
    const dir = await programFolder('name: verifynomodule\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: /usr/bin/python3 train.py\nverify:\n  replicas: 1', 'LEARNING_RATE = 0.01\nimport no_such_module_xyz\nprint("val_bpb: 1.0")\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    // Another member's two claims: r1, then r2 on top of it (the champion); r1 is offered first.
    const mallory = await joinMember(h, 'mallory');
    const lr = (from: string, to: string) => ['--- a/train.py', '+++ b/train.py', '@@ -1,1 +1,1 @@', `-LEARNING_RATE = ${from}`, `+LEARNING_RATE = ${to}`, ''].join('\n');
    for (const [value, patch, parent] of [[0.9, lr('0.01', '0.02'), null], [0.8, lr('0.02', '0.03'), 'r1']] as const) {
      const res = await call<{ result: { status: string } }>(h.publicUrl, '/api/results', { token: mallory.token, json: { value, patch, hypothesis: 'trust me', ...(parent ? { parent } : {}) } });
      expect(res.body.result.status).toBe('keep');
    }
    const events: WorkerEvent[] = [];
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 5, propose: 'mutate', random: seededRandom(3), onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ runs: 1, stoppedBecause: 'machine', submitted: [] });
    // The champion (r2) is a pending claim itself: the preflight runs the program's own code instead.
    expect(summary.reason).toMatch(/^the re-run of claim r1 crashed, and the program's original code crashes on this machine too \(preflight\): .*so the crash was not reported \(the lease lapses and another member re-runs the claim\) and the worker stops\. failing line: ModuleNotFoundError: No module named 'no_such_module_xyz'/);
    expect(events.find((e) => e.type === 'verify-end')).toMatchObject({ claimId: 'r1', verdict: null, note: expect.stringMatching(/^not reported/) });
    expect(events.filter((e) => e.type === 'run-start').map((e) => e.type === 'run-start' && e.preflight)).toEqual([undefined, { champion: null }]);
    // Neither claim was sunk by this machine's crash.
    const results = await h.kb.results();
    expect(results.map((r) => [r.id, r.verification, r.reruns.length])).toEqual([['r1', 'pending', 0], ['r2', 'pending', 0]]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a claim whose code crashes everywhere does not stop the workers: its re-run\'s crash is reported (the program\'s own code runs here) and the claim falls', async () => {
    const dir = await programFolder('name: sabotage\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: /usr/bin/python3 train.py\nverify:\n  replicas: 1\nsearch:\n  LEARNING_RATE: { min: 0.001, max: 0.1 }', 'LEARNING_RATE = 0.01\nprint("val_bpb: 1.0")\n');
    const { membership, h, home: hm } = await hostAndJoin(dir);
    // Mallory claims a fantastic value with code that crashes wherever it runs; it becomes the (pending) champion.
    const mallory = await joinMember(h, 'mallory');
    const patch = ['--- a/train.py', '+++ b/train.py', '@@ -1,1 +1,1 @@', '-LEARNING_RATE = 0.01', '+raise SystemExit("sabotage")', ''].join('\n');
    const claim = await call<{ result: { id: string; status: string } }>(h.publicUrl, '/api/results', { token: mallory.token, json: { value: 0.1, patch, hypothesis: 'trust me' } });
    expect(claim.body.result.status).toBe('keep');
    const events: WorkerEvent[] = [];
    const summary = await startWorker({ ...SANDBOX, membership, paths: hm.paths, hardware, loop: true, runs: 2, propose: 'mutate', random: seededRandom(3), onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ runs: 2, stoppedBecause: 'done' });
    // The preflight ran the program's own code (not the claim's), which runs here: the crash was reported.
    expect(events.filter((e) => e.type === 'run-start' && e.preflight !== undefined).map((e) => e.type === 'run-start' && e.preflight)).toEqual([{ champion: null }]);
    expect(events.find((e) => e.type === 'verify-end')).toMatchObject({ claimId: claim.body.result.id, value: null, verdict: { verification: 'not_reproduced' } });
    const [fallen] = await h.kb.results();
    expect(fallen).toMatchObject({ id: claim.body.result.id, verification: 'not_reproduced' });
    // The next experiment builds on the program's own code again, and its value stands.
    expect(summary.submitted).toHaveLength(1);
    expect(summary.submitted[0]).toMatchObject({ status: 'keep' });
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
