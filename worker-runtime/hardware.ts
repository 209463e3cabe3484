import { arch as osArch, cpus, hostname, platform as osPlatform, release, totalmem, type as osType } from 'node:os';
import { LIMITS } from '../protocol/results.ts';
import type { GpuFacts } from '../protocol/requirements.ts';
import { cut, nvidiaSmiBinary, plainText, queryNvidia, type NvidiaGpu } from './hardware/nvidia-smi.ts';

/** What kind of accelerator runs the program: `apple` is Metal on Apple silicon, not a CUDA GPU. */
export type GpuKind = 'nvidia' | 'apple' | 'none';

/**
 * What a result carries about the machine it ran on, and what a join request shows the owner
 * (docs/design.md, "Hardware"). Every value fits protocol/results.ts `detailMap`. The fields after
 * `gpu_memory_mb` are optional only so that hand-written machines in tests stay short:
 * detectHardware always fills them. A type rather than an interface: it is then assignable to the
 * wire's `Record<string, …>` (results' `hardware`) without an index signature that would let any
 * key through.
 */
export type Hardware = {
  hostname: string;
  os: string;
  cpu: string;
  cpu_count: number;
  memory_gb: number;
  /** For people: "2× NVIDIA H100 80GB HBM3", "Apple M2 Max (Metal)", or '' without a GPU. */
  gpu: string;
  /** NVIDIA GPUs (an Apple GPU is not one: `requires` needs CUDA). */
  gpu_count: number;
  /** All GPUs' memory together, MiB; a unified-memory GPU counts the machine's memory. */
  gpu_memory_mb: number;
  /** One GPU's name, as `requires.gpu` is matched against ("NVIDIA GB10"); '' without a GPU. */
  gpu_model?: string;
  gpu_kind?: GpuKind;
  /** Present when the GPU shares the machine's memory (DGX Spark's GB10, Apple silicon). */
  gpu_memory?: 'unified';
  /** CUDA compute capability, "12.1"; '' when the driver does not say. */
  gpu_compute_capability?: string;
  gpu_driver?: string;
  /** The CUDA version the driver supports, "13.0". */
  cuda_version?: string;
};

/** One GPU a run can be pinned to (`CUDA_VISIBLE_DEVICES=index`). */
export interface GpuInfo {
  index: number;
  name: string;
  /** MiB; a unified-memory GPU counts the machine's memory. */
  memoryMb: number;
}

export interface HardwareOptions {
  /** The `nvidia-smi` to ask (default: COHORT_NVIDIA_SMI, else the one on PATH). */
  nvidiaSmi?: string;
  env?: NodeJS.ProcessEnv;
  /** For tests: another machine's platform, architecture, CPU and memory. */
  platform?: NodeJS.Platform;
  arch?: string;
  cpuModel?: string;
  totalMemoryBytes?: number;
}

const MIB = 2 ** 20;

/** What a result carries about the machine it ran on, and what a join request shows the owner. */
export async function detectHardware(opts: HardwareOptions = {}): Promise<Hardware> {
  const cpuList = cpus();
  const cpu = plainText(opts.cpuModel ?? cpuList[0]?.model ?? '', 256) || 'unknown';
  const totalBytes = opts.totalMemoryBytes ?? totalmem();
  const base = {
    // Within what a join request may declare (protocol/oauth.ts), so joining never fails on them.
    hostname: plainText(hostname(), 128),
    os: plainText(`${osType()} ${release()}`, 128),
    cpu,
    cpu_count: cpuList.length,
    memory_gb: Math.round((totalBytes / 2 ** 30) * 10) / 10,
  };
  const none = { gpu: '', gpu_model: '', gpu_kind: 'none', gpu_count: 0, gpu_memory_mb: 0, gpu_compute_capability: '', gpu_driver: '', cuda_version: '' } as const;
  if ((opts.platform ?? osPlatform()) === 'darwin' && (opts.arch ?? osArch()) === 'arm64') {
    // Apple silicon: the GPU is on the chip the CPU names, and shares its memory. It runs Metal
    // (PyTorch's `mps`), not CUDA, so it counts as no GPU for `requires`.
    return { ...base, ...none, gpu: clip(`${cpu} (Metal)`), gpu_model: cpu, gpu_kind: 'apple', gpu_memory: 'unified', gpu_memory_mb: Math.round(totalBytes / MIB) };
  }
  const report = await queryNvidia(nvidiaSmiBinary(opts.nvidiaSmi, opts.env ?? process.env));
  if (report.gpus.length === 0) return { ...base, ...none };
  const gpus = withMemory(report.gpus, totalBytes);
  const unified = report.gpus.some((g) => g.memoryMb === null);
  return {
    ...base,
    gpu: displayName(gpus),
    gpu_model: gpus[0]!.name,
    gpu_kind: 'nvidia',
    gpu_count: gpus.length,
    gpu_memory_mb: unified ? Math.round(totalBytes / MIB) : gpus.reduce((s, g) => s + g.memoryMb, 0),
    ...(unified ? { gpu_memory: 'unified' as const } : {}),
    gpu_compute_capability: report.gpus[0]!.computeCapability,
    gpu_driver: report.gpus[0]!.driver,
    cuda_version: report.cudaVersion,
  };
}

/** The NVIDIA GPUs a run can be pinned to, one per experiment slot; [] without any. */
export async function listGpus(opts: Pick<HardwareOptions, 'nvidiaSmi' | 'env' | 'totalMemoryBytes'> = {}): Promise<GpuInfo[]> {
  const report = await queryNvidia(nvidiaSmiBinary(opts.nvidiaSmi, opts.env ?? process.env));
  return withMemory(report.gpus, opts.totalMemoryBytes ?? totalmem());
}

/**
 * The Hardware of a run pinned to some of the machine's GPUs: their count, memory and name; the
 * rest is the machine's. Unified memory is the machine's whatever the GPUs (it is shared).
 */
export function slotHardware(hardware: Hardware, gpus: readonly GpuInfo[]): Hardware {
  const unified = hardware.gpu_memory === 'unified';
  return {
    ...hardware,
    gpu: displayName(gpus),
    gpu_model: gpus[0]?.name ?? '',
    gpu_count: gpus.length,
    gpu_memory_mb: gpus.length === 0 ? 0 : unified ? hardware.gpu_memory_mb : gpus.reduce((s, g) => s + g.memoryMb, 0),
  };
}

/** What `requires` is checked against (protocol/requirements.ts). */
export function gpuFacts(hardware: Hardware): GpuFacts {
  return { gpu_model: hardware.gpu_model ?? hardware.gpu, gpu_count: hardware.gpu_count, gpu_memory_mb: hardware.gpu_memory_mb };
}

function withMemory(gpus: readonly NvidiaGpu[], totalBytes: number): GpuInfo[] {
  return gpus.map((g) => ({ index: g.index, name: g.name, memoryMb: g.memoryMb ?? Math.round(totalBytes / MIB) }));
}

/** "NVIDIA GB10", "2× NVIDIA H100 80GB HBM3", or for a mixed machine "2× NVIDIA H100 + 1× NVIDIA A100". */
function displayName(gpus: readonly GpuInfo[]): string {
  if (gpus.length === 0) return '';
  if (gpus.length === 1) return gpus[0]!.name;
  const counts = new Map<string, number>();
  for (const g of gpus) counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
  return clip([...counts].map(([name, n]) => `${n}× ${name}`).join(' + '));
}

/**
 * Within the join request's bound on `gpu` (protocol/oauth.ts, 256), which is tighter than a
 * result's (LIMITS.detailValue): only a machine with several models of long names gets there.
 */
const MAX_DISPLAY = Math.min(256, LIMITS.detailValue);
const clip = (text: string) => (text.length <= MAX_DISPLAY ? text : `${cut(text, MAX_DISPLAY - 1)}…`);
