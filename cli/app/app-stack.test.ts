import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinState, NextJobResponse, RunState, WorkerProgramResponse, WorkerServiceState } from '../../protocol/index.ts';
import { startHost, type RunningHost } from '../../main/host.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import { call, joinMember, tempHome, type TempHome } from '../../main/testing/harness.ts';
import { newMembership, saveMembership } from '../../worker-runtime/credentials.ts';
import { workerDirs } from '../../worker-runtime/dirs.ts';
import type { Hardware } from '../../worker-runtime/hardware.ts';
import { membershipId } from '../../worker-runtime/membership-id.ts';
import { startAppStack, type AppStack } from './app-stack.ts';

const QUADRATIC = fileURLToPath(new URL('../../examples/quadratic', import.meta.url));
const hardware: Hardware = { hostname: 'ui-box', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };

let ownerHome: TempHome;
let workerHome: TempHome;
let programDir: string;
let host: RunningHost;
let stack: AppStack;
let api: (path: string, opts?: Parameters<typeof call>[2]) => ReturnType<typeof call>;

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const workerState = async () => (await api('/api/worker/state')).body as unknown as WorkerServiceState;

beforeAll(async () => {
  ownerHome = await tempHome();
  workerHome = await tempHome();
  programDir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
  await cp(QUADRATIC, programDir, { recursive: true });
  host = await startHost({ program: await loadProgram(programDir), paths: ownerHome.paths, writeState: false, intervalSeconds: 1 });
  stack = await startAppStack({ paths: workerHome.paths, rendererDir: null, worker: { appVersion: 'test', hardware } });
  api = (path, opts = {}) => call(stack.app.url, path, { token: stack.app.token, ...opts });
});

afterAll(async () => {
  await stack?.close();
  await host?.close();
  await ownerHome?.cleanup();
  await workerHome?.cleanup();
  await rm(programDir, { recursive: true, force: true });
});

describe('the app listener', () => {
  it('offers both views, wants its token, and answers owner routes with 409 until a program is published', async () => {
    expect((await api('/api/app')).body).toEqual({ views: ['owner', 'worker'], can_publish: true, program: null });
    expect((await call(stack.app.url, '/api/worker/state')).status).toBe(401);
    expect((await call(stack.app.url, '/api/app', { token: 'nope' })).status).toBe(403);
    const status = await api('/api/owner/status');
    expect(status.status).toBe(409);
    expect(status.body).toMatchObject({ error: 'conflict', message: expect.stringMatching(/publish/) });
  });

  it('refuses a bad TASK.md with each issue placed by file, line and field, and hosts nothing', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'cohort-bad-'));
    try {
      await writeFile(join(bad, 'TASK.md'), '---\nname: bad\nobjective: x\nmetric: loss\ndirection: sideways\n---\nbody\n');
      await writeFile(join(bad, 'train.py'), 'print(1)\n');
      const res = await api('/api/app/publish', { json: { dir: bad } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_program', dir: bad, issues: [{ file: 'TASK.md', field: 'direction', line: 5 }] });
      expect((await api('/api/app/publish', { json: { dir: '' } })).status).toBe(400);
      expect((await api('/api/app')).body).toMatchObject({ program: null });
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('the worker routes', () => {
  it('join: the code arrives at once; a denial and then an approval reach the worker', async () => {
    const first = await api('/api/worker/join', { json: { url: host.publicUrl, name: 'ui-worker' } });
    expect(first.status).toBe(202);
    const join = (first.body as { join: JoinState }).join;
    expect(join).toMatchObject({ state: 'waiting', name: 'ui-worker', user_code: expect.stringMatching(/^[B-Z]{4}-[B-Z]{4}$/) });
    expect(join.expires_at).toBeGreaterThan(Date.now());
    expect((await api('/api/worker/join', { json: { url: host.publicUrl } })).status).toBe(409);

    await host.auth.deny(join.user_code!);
    const denied = await until('the denial', async () => ((await workerState()).join?.state === 'denied' ? (await workerState()).join : null));
    expect(denied!.message).toMatch(/denied/);

    const second = (await api('/api/worker/join', { json: { url: host.publicUrl, name: 'ui-worker' } })).body as { join: JoinState };
    await host.auth.approve(second.join.user_code!);
    await until('the approval', async () => (await workerState()).join?.state === 'approved');
    expect((await workerState()).memberships).toMatchObject([{ id: membershipId(host.publicUrl, 'quadratic'), program: 'quadratic', name: 'ui-worker', url: host.publicUrl }]);
    expect((await workerState()).join).toMatchObject({ state: 'approved', membership: membershipId(host.publicUrl, 'quadratic') });

    // Right after approval the workspace is laid out with the champion's code, something to edit before the first run.
    const laidOut = await until('the workspace', async () => {
      const ws = (await workerState()).join?.workspace;
      return ws?.state === 'ready' ? ws : null;
    });
    expect(laidOut).toEqual({ state: 'ready', dir: expect.stringContaining(workerHome.dir), editable: ['train.py'], run: 'python3 train.py', sandboxed: true });
    expect(await readFile(`${laidOut.dir}/train.py`, 'utf8')).toBe(await readFile(`${programDir}/train.py`, 'utf8'));
  });

  it('run: the GPUs asked for are checked strictly, and GPUs this machine lacks are refused before anything starts', async () => {
    const bad: unknown[] = [[], [-1], [1.5], [0, 0], 'some', 0, Array.from({ length: 65 }, (_, i) => i), [256]];
    for (const gpus of bad) {
      const res = await api('/api/worker/run', { json: { program: 'quadratic', gpus } });
      expect(res.status, JSON.stringify(gpus)).toBe(400);
      expect(res.body).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/gpus/) });
    }
    expect((await api('/api/worker/run', { json: { program: 'quadratic', runs: 0 } })).status).toBe(400);
    // This machine (the test's hardware) has no GPU.
    for (const gpus of ['all', [0]]) {
      const res = await api('/api/worker/run', { json: { program: 'quadratic', gpus } });
      expect(res.body).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/\(nvidia-smi lists no GPU on this machine\); run one at a time/) });
    }
    expect((await workerState()).run).toBeNull();
    expect((await workerState()).machine).toEqual({ hostname: 'ui-box', os: 'linux', gpu: null, gpu_count: 0 });
  });

  it('run: live output and metric lines over SSE, the submission and its verdict, then the champion', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${stack.app.url}/api/worker/events?token=${stack.app.token}`, { signal: controller.signal });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    let seen = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body!) {
        seen += decoder.decode(chunk as Uint8Array, { stream: true });
        if (seen.includes('event: submitted')) break;
      }
    })().catch(() => undefined);

    expect((await api('/api/worker/run', { json: { program: 'nope' } })).status).toBe(404);
    expect((await api('/api/worker/run', { json: { program: 'quadratic', loop: 'yes' } })).status).toBe(400);
    const started = await api('/api/worker/run', { json: { program: 'quadratic', hypothesis: 'the shipped constants' } });
    expect(started.status).toBe(202);
    expect((await api('/api/worker/run', { json: { program: 'quadratic' } })).status).toBe(409);

    const done = await until('the run to finish', async () => {
      const s = await workerState();
      return s.run?.state === 'finished' ? s : null;
    }, 60_000);
    await reading;
    controller.abort();
    expect(done.run).toMatchObject({ program: 'quadratic', membership: membershipId(host.publicUrl, 'quadratic'), runs: 1, message: 'done' });
    expect(done.output).toContain('val_loss:');
    expect(done.metrics.some((m) => m.name === 'val_loss')).toBe(true);
    expect(done.submissions).toHaveLength(1);
    // What a page loading now needs: the run's hypothesis, the submission's, and how the run was confined.
    expect(done.run!.hypothesis).toBe('the shipped constants');
    expect(done.submissions[0]!.hypothesis).toBe('the shipped constants');
    expect(done.sandbox).toMatchObject({ type: 'sandbox', sandboxed: done.run!.sandboxed });
    expect(done.lineage).toMatchObject({ type: 'lineage', run: 1, chain: [] });
    const verdict = done.submissions[0]!.verdict;
    expect(verdict).toMatchObject({ status: 'keep', champion: true });
    for (const type of ['run-start', 'output', 'metric', 'run-end', 'submitted']) expect(seen).toContain(`event: ${type}`);

    const program = (await api(`/api/worker/programs/${membershipId(host.publicUrl, 'quadratic')}`)).body as unknown as WorkerProgramResponse;
    expect(program.champion).toMatchObject({ id: verdict.id, member_name: 'ui-worker' });
    expect(program.mine.map((r) => [r.id, r.hypothesis])).toEqual([[verdict.id, 'the shipped constants']]);
    expect(program.workspace.dir).toContain(workerHome.dir);
  });

  it('stop: a loop stops when asked, and the stopped run is not submitted', async () => {
    const before = (await host.kb.results()).length;
    await api('/api/worker/run', { json: { program: 'quadratic', loop: true, propose: 'mutate' } });
    await until('a run to start', async () => (await workerState()).run?.runs === 1);
    // A page loading mid-loop reads its options, and the proposer's hypothesis for the run going on.
    const going = await until('the proposer\'s hypothesis', async () => {
      const run = (await workerState()).run;
      return run?.hypothesis ? run : null;
    });
    expect(going).toMatchObject({ state: 'running', loop: true, propose: 'mutate', gpus: null, slots: [{ index: 0 }] });
    const stopped = await api('/api/worker/stop', { method: 'POST' });
    expect((stopped.body as { run: { state: string } }).run.state).toMatch(/stopping|finished/);
    const end = await until('the loop to stop', async () => {
      const s = await workerState();
      return s.run?.state === 'finished' ? s : null;
    });
    expect(end.run!.message).toBe('stopped');
    // A run that finished before the stop landed may have been submitted; the stopped one never is.
    expect((await host.kb.results()).length - before).toBeLessThanOrEqual(1);
  });

  it('two hosts\' programs of one name: the name alone is refused with the choices, the id picks; a corrupt membership file is reported', async () => {
    const other = newMembership({ program: 'quadratic', url: 'http://other.example:8080', token: 't', memberId: 'm_x', name: 'ui-worker', joinedAt: new Date().toISOString() });
    await saveMembership(workerHome.paths, other);
    const ours = membershipId(host.publicUrl, 'quadratic');
    expect((await workerState()).memberships.map((m) => m.id).sort()).toEqual([ours, other.id].sort());

    const ambiguous = await api('/api/worker/programs/quadratic');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body).toMatchObject({ error: 'ambiguous', message: expect.stringContaining(`--program ${other.id}`) });
    expect((await api('/api/worker/run', { json: { program: 'quadratic' } })).status).toBe(409);
    expect((await api(`/api/worker/programs/${ours}`)).status).toBe(200);

    const broken = join(workerHome.paths.configDir, 'memberships', 'broken.json');
    await mkdir(join(workerHome.paths.configDir, 'memberships'), { recursive: true });
    await writeFile(broken, '{');
    const state = await workerState();
    expect(state.memberships).toHaveLength(2);
    expect(state.membership_problems).toEqual([{ file: broken, message: expect.stringMatching(/broken\.json is not valid JSON .*cohort join/) }]);
  });

  it('joining a program whose host moved re-points the membership: no code, the same member, a message that says so', async () => {
    const id = membershipId(host.publicUrl, 'quadratic');
    const before = (await workerState()).memberships.find((m) => m.id === id)!;
    const oldUrl = host.publicUrl;
    await host.close();
    host = await startHost({ program: await loadProgram(programDir), paths: ownerHome.paths, writeState: false, intervalSeconds: 1, port: 0 });
    expect(host.publicUrl).not.toBe(oldUrl);
    expect((await api('/api/worker/join', { json: { url: host.publicUrl } })).status).toBeLessThan(300);
    const joined = await until('the re-point', async () => ((await workerState()).join?.state === 'approved' ? (await workerState()).join : null));
    expect(joined).toMatchObject({ membership: id, user_code: null, message: expect.stringContaining(`moved from ${oldUrl} to ${host.publicUrl}`) });
    expect((await workerState()).memberships.find((m) => m.id === id)).toMatchObject({ url: host.publicUrl, member_id: before.member_id });
    expect(await host.auth.members()).toHaveLength(1);
  });
});

describe('the worker routes: a claim another member re-runs', () => {
  let dir: string;
  let verifiedHost: RunningHost;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-verified-'));
    await cp(QUADRATIC, dir, { recursive: true });
    const task = await readFile(join(dir, 'TASK.md'), 'utf8');
    await writeFile(join(dir, 'TASK.md'), task.replace('name: quadratic', 'name: verified\nverify: { replicas: 1 }'));
    verifiedHost = await startHost({ program: await loadProgram(dir), paths: ownerHome.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
  });

  afterAll(async () => {
    await verifiedHost?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the submission keeps its hypothesis, and its verification moves to reproduced when the re-run decides it', async () => {
    await api('/api/worker/join', { json: { url: verifiedHost.publicUrl } });
    await until('the join', async () => (await workerState()).join?.program === 'verified' && (await workerState()).join?.state === 'approved');
    // A loop without the proposer: the typed hypothesis goes with each of its runs.
    const id = membershipId(verifiedHost.publicUrl, 'verified');
    await api('/api/worker/run', { json: { program: id, loop: true, hypothesis: 'as shipped' } });
    const claim = await until('the claim', async () => (await workerState()).submissions.find((s) => s.membership === id && s.verdict.status === 'keep'));
    expect(claim).toMatchObject({ hypothesis: 'as shipped', verdict: { verification: 'pending' } });

    const bob = await joinMember(verifiedHost, 'bob');
    const job = (await call<NextJobResponse>(verifiedHost.publicUrl, '/api/verifications/next', { token: bob.token, json: { hardware: {} } })).body.job!;
    expect(job.claim.id).toBe(claim.verdict.id);
    await call(verifiedHost.publicUrl, `/api/verifications/${job.lease}/report`, { token: bob.token, json: { value: claim.verdict.value } });
    // The loop's next look at its claims hears the verdict; the state a reloaded page reads has it.
    const settled = await until('the claim-verdict', async () => (await workerState()).submissions.find((s) => s.membership === id && s.verdict.id === claim.verdict.id && s.verdict.verification === 'reproduced'));
    expect(settled.hypothesis).toBe('as shipped');
    await api('/api/worker/stop', { method: 'POST' });
    await until('the loop to stop', async () => (await workerState()).run?.state === 'finished');
  });
});

describe('the worker routes: setup and slots', () => {
  // Setup fails until the program home holds `ok` (the test puts it there), then leaves `ready` there.
  const SETUP = 'test -f "$HOME/ok" || { echo "no ok in the home" >&2; exit 3; }; echo ready > "$HOME/ready"';
  const twoGpus: Hardware = { ...hardware, hostname: 'gpu-box', gpu: '2× Stand-in GPU', gpu_count: 2, gpu_memory_mb: 32768 };
  let dir: string;
  let setupHost: RunningHost;
  let gpuHome: TempHome;
  let gpuStack: AppStack;
  let gpuApi: typeof api;
  const gpuState = async () => (await gpuApi('/api/worker/state')).body as unknown as WorkerServiceState;
  const finished = () => until('the run to end', async () => {
    const run = (await gpuState()).run;
    return run?.state === 'finished' || run?.state === 'failed' ? run : null;
  }, 60_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-prepared-'));
    await cp(QUADRATIC, dir, { recursive: true });
    const task = await readFile(join(dir, 'TASK.md'), 'utf8');
    await writeFile(join(dir, 'TASK.md'), task.replace('name: quadratic', `name: prepared\nsetup: '${SETUP}'`));
    setupHost = await startHost({ program: await loadProgram(dir), paths: ownerHome.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
    gpuHome = await tempHome();
    gpuStack = await startAppStack({ paths: gpuHome.paths, rendererDir: null, worker: { appVersion: 'test', hardware: twoGpus } });
    gpuApi = (path, opts = {}) => call(gpuStack.app.url, path, { token: gpuStack.app.token, ...opts });
    await gpuApi('/api/worker/join', { json: { url: setupHost.publicUrl } });
    await until('the workspace', async () => (await gpuState()).join?.workspace?.state === 'ready');
  });

  afterAll(async () => {
    await gpuStack?.close();
    await setupHost?.close();
    await gpuHome?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('Set up runs only the setup: a failure says why and where its log is; run again, it succeeds', async () => {
    expect((await gpuState()).machine.gpu_count).toBe(2);
    const started = await gpuApi('/api/worker/run', { json: { program: 'prepared', setup_only: true } });
    expect(started.status).toBe(202);
    expect((started.body as { run: RunState }).run).toMatchObject({ setup_only: true, state: 'running' });
    const failed = await finished();
    expect(failed).toMatchObject({ state: 'finished', runs: 0, setup: { state: 'failed', command: SETUP, reason: expect.stringMatching(/exit code 3.*no ok in the home/) } });
    expect(failed.message).toMatch(/setup failed: exit code 3.*\(its log: .*setup-.*\.log\)/);
    expect(failed.message).toContain(failed.setup!.log_file);

    const home = workerDirs(gpuHome.paths, { id: membershipId(setupHost.publicUrl, 'prepared') }).home;
    await writeFile(join(home, 'ok'), '');
    await gpuApi('/api/worker/run', { json: { program: 'prepared', setup_only: true } });
    const done = await finished();
    expect(done).toMatchObject({ state: 'finished', message: 'done', runs: 0, setup: { state: 'done', reason: null } });
    expect(await readFile(join(home, 'ready'), 'utf8')).toBe('ready\n');
  });

  it('one run per GPU: the run state has a slot per GPU, each with what it does and its last value; Stop stops all', async () => {
    expect((await gpuApi('/api/worker/run', { json: { program: 'prepared', gpus: [2] } })).body).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/GPU 2 does not exist \(this machine has 2: 0, 1\)/) });
    await gpuApi('/api/worker/run', { json: { program: 'prepared', gpus: 'all', loop: true } });
    const both = await until('both slots to have run', async () => {
      const run = (await gpuState()).run;
      return run !== null && run.slots.length === 2 && run.slots.every((s) => s.last !== null) ? run : null;
    }, 60_000);
    expect(both.gpus).toBe('all');
    expect(both.slots.map((s) => [s.index, s.gpus])).toEqual([[0, [0]], [1, [1]]]);
    for (const slot of both.slots) expect(slot.last).toMatchObject({ status: 'ok', value: expect.any(Number) });
    await gpuApi('/api/worker/stop', { method: 'POST' });
    const end = await finished();
    expect(end).toMatchObject({ state: 'finished', message: 'stopped' });
    expect(end.slots.every((s) => s.state === 'idle')).toBe(true);
  });
});
