import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS, detailMap } from '../protocol/results.ts';
import { detectHardware, gpuFacts, listGpus, slotHardware, type Hardware } from './hardware.ts';
import { MAX_GPUS, MAX_NAME } from './hardware/nvidia-smi.ts';
import { fakeNvidiaSmi, GB10, TWO_H100, type FakeNvidiaSmi } from './hardware/testing.ts';

const made: string[] = [];
afterEach(async () => {
  for (const f of made.splice(0)) await rm(dirname(f), { recursive: true, force: true });
});

async function smi(fake: FakeNvidiaSmi): Promise<string> {
  const file = await fakeNvidiaSmi(fake);
  made.push(file);
  return file;
}

/** 128 GiB, as a DGX Spark has. */
const SPARK_MEMORY = 128 * 2 ** 30;

/** Every value a result carries must pass the host's check of `hardware`. */
function expectWireSafe(hw: Hardware): void {
  expect(detailMap.safeParse(hw).success).toBe(true);
  expect(Object.keys(hw).length).toBeLessThanOrEqual(LIMITS.detailKeys);
}

describe('detectHardware', () => {
  it('two H100s: model, count, total memory, compute capability, driver and the CUDA version of the banner', async () => {
    const hw = await detectHardware({ nvidiaSmi: await smi({ query: TWO_H100 }), platform: 'linux' });
    expect(hw).toMatchObject({
      gpu: '2× NVIDIA H100 80GB HBM3',
      gpu_model: 'NVIDIA H100 80GB HBM3',
      gpu_kind: 'nvidia',
      gpu_count: 2,
      gpu_memory_mb: 2 * 81559,
      gpu_compute_capability: '9.0',
      gpu_driver: '580.65.06',
      cuda_version: '13.0',
    });
    expect(hw.gpu_memory).toBeUndefined();
    expectWireSafe(hw);
    expect(gpuFacts(hw)).toEqual({ gpu_model: 'NVIDIA H100 80GB HBM3', gpu_count: 2, gpu_memory_mb: 163118 });
  });

  it('a GB10 (DGX Spark) with "[N/A]" or "[Not Supported]" memory counts the machine\'s memory, as unified', async () => {
    for (const query of [GB10, `printf '0, NVIDIA GB10, [Not Supported], 12.1, 580.95.05\\n'`]) {
      const hw = await detectHardware({ nvidiaSmi: await smi({ query }), platform: 'linux', totalMemoryBytes: SPARK_MEMORY });
      expect(hw).toMatchObject({ gpu: 'NVIDIA GB10', gpu_count: 1, gpu_memory_mb: 128 * 1024, gpu_memory: 'unified', gpu_compute_capability: '12.1', memory_gb: 128 });
      expectWireSafe(hw);
    }
  });

  it('an old driver that refuses compute_cap is asked again without it', async () => {
    const query = `if echo "$1" | grep -q compute_cap; then echo 'Field "compute_cap" is not a valid field to query.'; exit 2; fi; printf '0, Tesla V100-SXM2-16GB, 16160, 470.57.02\\n'`;
    const hw = await detectHardware({ nvidiaSmi: await smi({ query, header: `echo '| NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 11.4     |'` }), platform: 'linux' });
    expect(hw).toMatchObject({ gpu: 'Tesla V100-SXM2-16GB', gpu_count: 1, gpu_memory_mb: 16160, gpu_compute_capability: '', gpu_driver: '470.57.02', cuda_version: '11.4' });
  });

  it('no NVIDIA GPU when nvidia-smi fails, is missing, or hangs (and the hang costs at most its timeout)', async () => {
    const failing = await smi({ query: `echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'; exit 9`, header: 'exit 9' });
    const cpuOnly = { gpu: '', gpu_model: '', gpu_kind: 'none', gpu_count: 0, gpu_memory_mb: 0, gpu_compute_capability: '', gpu_driver: '', cuda_version: '' };
    expect(await detectHardware({ nvidiaSmi: failing, platform: 'linux' })).toMatchObject(cpuOnly);
    expect(await detectHardware({ nvidiaSmi: '/nonexistent/nvidia-smi', platform: 'linux' })).toMatchObject(cpuOnly);
    // `sleep` is the script's child: the whole group goes, or it would hold the pipe for 60 s.
    const hanging = await smi({ query: 'sleep 60', header: 'sleep 60' });
    const started = Date.now();
    expect(await detectHardware({ nvidiaSmi: hanging, platform: 'linux' })).toMatchObject(cpuOnly);
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 15_000);

  it('COHORT_NVIDIA_SMI names the binary when no option does', async () => {
    const hw = await detectHardware({ env: { COHORT_NVIDIA_SMI: await smi({ query: GB10 }) }, platform: 'linux' });
    expect(hw.gpu_model).toBe('NVIDIA GB10');
  });

  it('a hostile nvidia-smi: 10 MB of output is no GPU; control characters, absurd numbers and endless lists are bounded', async () => {
    const flood = await smi({ query: `head -c 10000000 /dev/zero | tr '\\0' 'A'`, header: `head -c 10000000 /dev/zero | tr '\\0' 'B'` });
    expect(await detectHardware({ nvidiaSmi: flood, platform: 'linux' })).toMatchObject({ gpu_kind: 'none', gpu_count: 0, cuda_version: '' });

    const junk = [
      String.raw`printf '0, \033]52;c;cHduZWQ=\007NVIDIA\033[2J H100\342\200\256 evil\r\n'`, // wrong field count: skipped
      String.raw`printf '0, \033]52;c;cHduZWQ=\007NVIDIA\033[2J H100\342\200\256, 1e400, 99.99.99, 580;rm -rf\n'`,
      String.raw`printf '99999, NVIDIA H100, 81559, 9.0, 580.65\n'`, // absurd index: skipped
      String.raw`printf '1, ${'X'.repeat(5000)}, 99999999999999, 9.0, 580.65\n'`,
      String.raw`printf '2, NVIDIA H100, -5, 9.0, 580.65\n'`,
      `i=3; while [ $i -lt 500 ]; do printf '%s, NVIDIA H100, 81559, 9.0, 580.65\\n' $i; i=$((i+1)); done`,
    ].join('; ');
    const hw = await detectHardware({ nvidiaSmi: await smi({ query: junk, header: String.raw`printf 'CUDA Version: 99999999.1\033[2J\n'` }), platform: 'linux' });
    expectWireSafe(hw);
    expect(hw.gpu_count).toBe(MAX_GPUS);
    expect(hw.gpu_model).toBe(']52;c;cHduZWQ= NVIDIA [2J H100');
    expect([...(hw.gpu_model ?? '')].filter((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) || c === '\u202e')).toEqual([]);
    expect(hw.gpu_compute_capability).toBe('');
    expect(hw.gpu_driver).toBe('');
    expect(hw.cuda_version).toBe('');
    expect(hw.gpu.length).toBeLessThanOrEqual(LIMITS.detailValue);
    const gpus = await listGpus({ nvidiaSmi: await smi({ query: junk }) });
    expect(gpus.slice(0, 3)).toEqual([
      { index: 0, name: ']52;c;cHduZWQ= NVIDIA [2J H100', memoryMb: 0 },
      { index: 1, name: 'X'.repeat(MAX_NAME), memoryMb: 0 },
      { index: 2, name: 'NVIDIA H100', memoryMb: 0 },
    ]);
    expect(hw.gpu_memory_mb).toBe((MAX_GPUS - 3) * 81559);
  });

  it('Apple silicon: the chip\'s GPU by name, through Metal, with unified memory; no GPU for requires', async () => {
    const hw = await detectHardware({ platform: 'darwin', arch: 'arm64', cpuModel: 'Apple M2 Max', totalMemoryBytes: 64 * 2 ** 30, nvidiaSmi: '/nonexistent' });
    expect(hw).toMatchObject({ gpu: 'Apple M2 Max (Metal)', gpu_model: 'Apple M2 Max', gpu_kind: 'apple', gpu_count: 0, gpu_memory: 'unified', gpu_memory_mb: 64 * 1024, cpu: 'Apple M2 Max' });
    expectWireSafe(hw);
    expect(gpuFacts(hw).gpu_count).toBe(0);
  });

  it('CPU only: gpu kind none and an empty gpu', async () => {
    const hw = await detectHardware({ platform: 'linux', nvidiaSmi: '/nonexistent' });
    expect(hw).toMatchObject({ gpu: '', gpu_kind: 'none', gpu_count: 0 });
    expectWireSafe(hw);
  });
});

describe('listGpus and slotHardware', () => {
  it('lists each GPU with its index, and a run pinned to some of them reports only those', async () => {
    const nvidiaSmi = await smi({ query: TWO_H100 });
    const gpus = await listGpus({ nvidiaSmi });
    expect(gpus).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMb: 81559 },
      { index: 1, name: 'NVIDIA H100 80GB HBM3', memoryMb: 81559 },
    ]);
    const hw = await detectHardware({ nvidiaSmi, platform: 'linux' });
    const slot = slotHardware(hw, [gpus[1]!]);
    expect(slot).toEqual({ ...hw, gpu: 'NVIDIA H100 80GB HBM3', gpu_model: 'NVIDIA H100 80GB HBM3', gpu_count: 1, gpu_memory_mb: 81559 });
    expect(slotHardware(hw, gpus)).toEqual(hw);
  });

  it('a unified-memory GPU\'s memory is the machine\'s, in the list and in a slot', async () => {
    const nvidiaSmi = await smi({ query: GB10 });
    expect(await listGpus({ nvidiaSmi, totalMemoryBytes: SPARK_MEMORY })).toEqual([{ index: 0, name: 'NVIDIA GB10', memoryMb: 128 * 1024 }]);
    const hw = await detectHardware({ nvidiaSmi, platform: 'linux', totalMemoryBytes: SPARK_MEMORY });
    expect(slotHardware(hw, await listGpus({ nvidiaSmi, totalMemoryBytes: SPARK_MEMORY }))).toEqual(hw);
  });

  it('a mixed machine is named by each model', async () => {
    const hw = await detectHardware({ nvidiaSmi: await smi({ query: TWO_H100 }), platform: 'linux' });
    const mixed = slotHardware(hw, [{ index: 0, name: 'NVIDIA H100', memoryMb: 80 }, { index: 1, name: 'NVIDIA H100', memoryMb: 80 }, { index: 2, name: 'NVIDIA A100', memoryMb: 40 }]);
    expect(mixed).toMatchObject({ gpu: '2× NVIDIA H100 + 1× NVIDIA A100', gpu_model: 'NVIDIA H100', gpu_count: 3, gpu_memory_mb: 200 });
    // Many long names: cut to what a join request may declare (256), never inside a character.
    const many = slotHardware(hw, Array.from({ length: 8 }, (_, i) => ({ index: i, name: `GPU ${i} ${'😀'.repeat(40)}`, memoryMb: 1 })));
    expect(many.gpu.length).toBeLessThanOrEqual(256);
    expect(many.gpu.endsWith('…')).toBe(true);
    expect(many.gpu.isWellFormed()).toBe(true);
  });
});
