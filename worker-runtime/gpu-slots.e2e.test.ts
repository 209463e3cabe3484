/**
 * One experiment per GPU (`--gpus`), with stand-in GPUs: each slot's run sees its own
 * `CUDA_VISIBLE_DEVICES`, runs in a workspace of its own at the same time as the others, and
 * submits through the one outbox; Stop stops every slot. Real host, real (sandboxed) processes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { tempHome, type TempHome } from '../main/testing/harness.ts';
import { workerDirs } from './dirs.ts';
import type { Hardware } from './hardware.ts';
import { join as joinProgram } from './join.ts';
import { testSandbox } from './sandbox/testing.ts';
import { startWorker, type WorkerEvent } from './worker.ts';

const SANDBOX = (await testSandbox()).option;
const hardware: Hardware = { hostname: 'test', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '2× Stand-in GPU', gpu_model: 'Stand-in GPU', gpu_count: 2, gpu_memory_mb: 2 * 16384 };

// Each run says which GPU it sees, then waits (up to 20 s) until the other slot's run has started
// too: both finishing proves they ran at once. The run cache is shared by the slots.
const TRAIN_PY = `import os, sys, time
LR = 0.5
gpu = os.environ.get("CUDA_VISIBLE_DEVICES", "none")
here = os.environ["COHORT_CACHE_DIR"]
os.makedirs(here, exist_ok=True)
open(os.path.join(here, "started-" + gpu), "w").write(os.getcwd())
others = {"0": "1", "1": "0"}
deadline = time.time() + 20
while not os.path.exists(os.path.join(here, "started-" + others.get(gpu, "?"))):
    if time.time() > deadline:
        sys.exit("the other slot never ran at the same time")
    time.sleep(0.05)
if os.environ.get("HOLD"):
    time.sleep(60)
print("gpu:", gpu)
print("val_bpb:", 1.0 + int(gpu))
`;

let home: TempHome | undefined;
let host: RunningHost | undefined;
let dir: string | undefined;
afterEach(async () => {
  await host?.close();
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  host = undefined;
  home = undefined;
  dir = undefined;
});

async function setUp(hold: boolean) {
  dir = await mkdtemp(join(tmpdir(), 'cohort-gpus-'));
  const env = hold ? '\nenv:\n  HOLD: 1' : '';
  await writeFile(join(dir, 'TASK.md'), `---\nname: gpus\nobjective: o\nmetric: val_bpb\ndirection: minimize\ntime_budget: 60${env}\n---\n`);
  await writeFile(join(dir, 'train.py'), TRAIN_PY);
  home = await tempHome();
  host = await startHost({ program: await loadProgram(dir), paths: home.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
  const membership = await joinProgram({ url: host.publicUrl, name: 'w1', hardware, appVersion: 'test', paths: home.paths });
  return { membership, paths: home.paths };
}

it('runs one experiment per GPU at once, each pinned and in its own workspace, through one outbox', async () => {
  const { membership, paths } = await setUp(false);
  const events: WorkerEvent[] = [];
  const summary = await startWorker({ ...SANDBOX, membership, paths, hardware, gpus: 'all', runs: 2, onEvent: (e) => events.push(e) });
  const output = events.flatMap((e) => (e.type === 'output' ? [e.chunk] : [])).join('');
  expect(summary, output).toMatchObject({ runs: 2, stoppedBecause: 'done' });

  const ws = workerDirs(paths, membership).workspace;
  expect(events.find((e) => e.type === 'slots')).toEqual({ type: 'slots', slots: [{ index: 0, gpus: [0], workspace: ws }, { index: 1, gpus: [1], workspace: `${ws}.slot1` }] });
  // Every event of a slot's run says which slot; each slot ran once, on its own GPU.
  const ends = events.flatMap((e) => (e.type === 'run-end' ? [{ slot: e.slot, status: e.outcome.status, value: e.outcome.value }] : []));
  expect(ends.sort((a, b) => a.slot! - b.slot!)).toEqual([{ slot: 0, status: 'ok', value: 1 }, { slot: 1, status: 'ok', value: 2 }]);
  const syncs = events.flatMap((e) => (e.type === 'sync' ? [[e.slot, e.report.dir]] : []));
  expect(syncs.sort()).toEqual([[0, ws], [1, `${ws}.slot1`]]);

  const results = await host!.kb.results();
  expect(results.map((r) => r.value).sort()).toEqual([1, 2]);
  expect(results.map((r) => /gpu: (\d)/.exec(r.output)?.[1]).sort()).toEqual(['0', '1']);
  // Each result says the GPU its run saw, not the whole machine.
  for (const r of results) expect(r.hardware).toMatchObject({ gpu_count: 1, gpu_memory_mb: 16384, gpu: 'Stand-in GPU' });
}, 90_000);

it('Stop stops every slot; nothing stopped is submitted', async () => {
  const { membership, paths } = await setUp(true);
  const stop = new AbortController();
  const events: WorkerEvent[] = [];
  const started = new Set<number>();
  const summary = await startWorker({
    ...SANDBOX, membership, paths, hardware, gpus: [1, 0], loop: true, signal: stop.signal,
    onEvent: (e) => {
      events.push(e);
      // Once both runs have printed nothing yet but are running: stop after both started.
      if (e.type === 'run-start' && e.slot !== undefined) started.add(e.slot);
      if (started.size === 2 && !stop.signal.aborted) setTimeout(() => stop.abort(), 1500);
    },
  });
  expect(summary).toMatchObject({ stoppedBecause: 'stopped', submitted: [] });
  const ends = events.flatMap((e) => (e.type === 'run-end' ? [e.outcome.stopped] : []));
  expect(ends).toEqual([true, true]);
  expect(await host!.kb.results()).toHaveLength(0);
}, 90_000);
