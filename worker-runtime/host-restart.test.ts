/**
 * The owner restarts the host while a worker loops with the built-in proposer: the worker waits the
 * restart out wherever its loop is (here: the proposer's look-up of what was already tried, right
 * after the task came) and every run is submitted. Real host, real KB file, real sandboxed runs.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { tempHome, type TempHome } from '../main/testing/harness.ts';
import type { Hardware } from './hardware.ts';
import { join as joinProgram } from './join.ts';
import { seededRandom } from './proposer/mutate.ts';
import { testSandbox } from './sandbox/testing.ts';
import { startWorker, type WorkerEvent } from './worker.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const SANDBOX = (await testSandbox()).option;
const hardware: Hardware = { hostname: 'test', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };
const RUNS = 3;

let home: TempHome | undefined;
let dir: string | undefined;
const hosts: RunningHost[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const h of hosts.splice(0)) await h.close();
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  home = undefined;
  dir = undefined;
});

it('a host restart during a loop with the mutator is waited out, and every run is submitted', async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-quad-'));
  await cp(QUADRATIC, dir, { recursive: true });
  const program = await loadProgram(dir);
  home = await tempHome();
  const first = await startHost({ program, paths: home.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
  hosts.push(first);
  const port = Number(new URL(first.publicUrl).port);
  const membership = await joinProgram({ url: first.publicUrl, name: 'w1', hardware, appVersion: 'test', paths: home.paths });

  // The host goes down right after it answered the task of run 2, so the next call the worker makes
  // (the mutator's look-up of the codes already tried) finds nobody listening.
  const realFetch = globalThis.fetch;
  let tasks = 0;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const res = await realFetch(input, init);
    if (!String(input instanceof Request ? input.url : input).endsWith('/api/task') || ++tasks !== 2) return res;
    const body = await res.arrayBuffer();
    await first.close();
    return new Response(body, { status: res.status, headers: res.headers });
  });
  // It comes back on the same port with the same KB file (so the member token is still good) once
  // the worker has found it down.
  let restarting: Promise<RunningHost> | undefined;
  const events: WorkerEvent[] = [];
  const onEvent = (e: WorkerEvent) => {
    events.push(e);
    if (e.type === 'retry' && e.attempt === 2 && !restarting) {
      restarting = startHost({ program, paths: home!.paths, kbFile: first.kbFile, port, membership: 'open', writeState: false });
      void restarting.then((h) => hosts.push(h));
    }
  };

  const summary = await startWorker({ ...SANDBOX, membership, paths: home.paths, hardware, loop: true, runs: RUNS, propose: 'mutate', random: seededRandom(7), retry: { baseDelayMs: 20, maxDelayMs: 200 }, onEvent });

  expect(summary).toMatchObject({ runs: RUNS, stoppedBecause: 'done' });
  expect(summary.submitted).toHaveLength(RUNS);
  expect(tasks).toBeGreaterThanOrEqual(RUNS);
  const retries = events.filter((e) => e.type === 'retry');
  expect(retries.length).toBeGreaterThanOrEqual(2);
  expect(retries.every((e) => e.type === 'retry' && /cannot reach/.test(e.reason))).toBe(true);
  // The run during which the host restarted was proposed, run and submitted like the others.
  expect(events.filter((e) => e.type === 'propose')).toHaveLength(RUNS);
  const second = await restarting!;
  const results = await second.kb.results();
  expect(results).toHaveLength(RUNS);
  expect(results.every((r) => r.hypothesis.startsWith('mutate: '))).toBe(true);
}, 60_000);
