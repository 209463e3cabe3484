import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../main/host.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import { tempHome, type TempHome } from '../../main/testing/harness.ts';
import { failure } from '../../cli/exit-codes.ts';
import { workerDirs } from '../dirs.ts';
import { detectHardware } from '../hardware.ts';
import { fakeNvidiaSmi, GB10, TWO_H100 } from '../hardware/testing.ts';
import { join as joinProgram } from '../join.ts';
import { testSandbox } from '../sandbox/testing.ts';
import { startWorker, type WorkerEvent } from '../worker.ts';
import { assertRequirements, RequirementsNotMetError } from './requirements.ts';

const SANDBOX = (await testSandbox()).option;
const REQUIRES = { gpu: 'H100', gpu_memory_gb: 40 };
const NOT_MET = 'this machine does not meet the program\'s requires: needs a GPU matching H100; this machine has 1× NVIDIA GB10. The program needs a GPU matching H100 with 40 GiB or more.';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function machine(query: string) {
  const nvidiaSmi = await fakeNvidiaSmi({ query });
  cleanup.push(() => rm(dirname(nvidiaSmi), { recursive: true, force: true }));
  return detectHardware({ nvidiaSmi, platform: 'linux', totalMemoryBytes: 128 * 2 ** 30 });
}

describe('assertRequirements', () => {
  it('refuses a machine that does not meet requires, saying what it lacks and what the program needs, as an expected error (exit 1, no stack)', async () => {
    const spark = await machine(GB10);
    let thrown: unknown;
    try {
      assertRequirements({ requires: REQUIRES }, spark);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RequirementsNotMetError);
    expect((thrown as Error).message).toBe(NOT_MET);
    expect(failure(thrown)).toEqual({ exitCode: 1, text: NOT_MET });
  });

  it('lets a machine that meets requires, or any machine when there are none, through', async () => {
    const h100 = await machine(TWO_H100);
    expect(() => assertRequirements({ requires: REQUIRES }, h100)).not.toThrow();
    const cpu = await detectHardware({ nvidiaSmi: '/nonexistent', platform: 'linux' });
    expect(() => assertRequirements({}, cpu)).not.toThrow();
    expect(() => assertRequirements({ requires: { gpu_count: 1 } }, cpu)).toThrow('needs a GPU; this machine has no NVIDIA GPU');
  });
});

describe('a worker on a machine that does not meet requires', () => {
  let home: TempHome | undefined;
  let host: RunningHost | undefined;
  afterEach(async () => {
    await host?.close();
    await home?.cleanup();
    host = undefined;
    home = undefined;
  });

  it('is told at join, then refuses to run and submits nothing; a machine that meets them runs and its result carries the GPU facts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-requires-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'TASK.md'), '---\nname: needs-h100\nobjective: x\nmetric: val_bpb\ndirection: minimize\nrun: python3 train.py\ntime_budget: 30\nrequires: { gpu: H100, gpu_memory_gb: 40 }\n---\nInstructions.\n');
    await writeFile(join(dir, 'train.py'), 'print("val_bpb: 1.0")\n');
    home = await tempHome();
    host = await startHost({ program: await loadProgram(dir), paths: home.paths, membership: 'open', writeState: false, intervalSeconds: 1 });

    const spark = await machine(GB10);
    const warned: string[] = [];
    const membership = await joinProgram({ url: host.publicUrl, name: 'spark', hardware: spark, appVersion: 'test', paths: home.paths, onRequirementsNotMet: (m) => warned.push(m) });
    expect(warned).toEqual([NOT_MET]);
    // The owner saw it too.
    expect((await host.auth.requests({ all: true }))[0]?.requirements).toEqual({ ok: false, problems: ['needs a GPU matching H100; this machine has 1× NVIDIA GB10'] });

    const events: WorkerEvent[] = [];
    const refused = startWorker({ ...SANDBOX, membership, paths: home.paths, hardware: spark, onEvent: (e) => events.push(e) });
    await expect(refused).rejects.toBeInstanceOf(RequirementsNotMetError);
    await expect(refused).rejects.toThrow(NOT_MET);
    expect(events.filter((e) => e.type === 'run-start' || e.type === 'submitted')).toEqual([]);
    expect(await host.kb.results()).toEqual([]);
    expect(await readdir(workerDirs(home.paths, membership).outbox).catch(() => [])).toEqual([]);

    // Two H100s qualify: the run goes ahead, and the result records the machine.
    const h100 = await machine(TWO_H100);
    const ok: string[] = [];
    const member = await joinProgram({ url: host.publicUrl, name: 'h100', hardware: h100, appVersion: 'test', paths: home.paths, onRequirementsNotMet: (m) => ok.push(m) });
    expect(ok).toEqual([]);
    const summary = await startWorker({ ...SANDBOX, membership: member, paths: home.paths, hardware: h100, hypothesis: 'baseline' });
    expect(summary.submitted).toHaveLength(1);
    const [result] = await host.kb.results();
    expect(result?.hardware).toMatchObject({ gpu: '2× NVIDIA H100 80GB HBM3', gpu_model: 'NVIDIA H100 80GB HBM3', gpu_count: 2, gpu_memory_mb: 163118, gpu_compute_capability: '9.0', gpu_driver: '580.65.06', cuda_version: '13.0', gpu_kind: 'nvidia' });
  }, 60_000);
});
