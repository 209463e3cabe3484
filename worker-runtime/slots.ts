import { WorkerError } from './credentials.ts';
import type { GpuInfo, Hardware } from './hardware.ts';

/**
 * The GPUs of each slot for `--gpus` (docs/design.md, "Hardware"): `all` or a list of indexes, as
 * `nvidia-smi` numbers them, cut into groups of `perRun` (TASK.md `requires.gpu_count`, default 1).
 * A GPU that does not exist, or fewer GPUs than one run needs, is a WorkerError saying what is here.
 */
export function slotGpus(gpus: 'all' | readonly number[], hardware: Pick<Hardware, 'gpu_count'>, perRun: number): number[][] {
  const count = hardware.gpu_count;
  const here = count === 0 ? 'nvidia-smi lists no GPU on this machine' : `nvidia-smi lists ${count}: ${Array.from({ length: count }, (_, i) => i).join(', ')}`;
  const chosen = gpus === 'all' ? Array.from({ length: count }, (_, i) => i) : [...new Set(gpus)];
  if (chosen.length === 0) throw new WorkerError(`--gpus ${gpus === 'all' ? 'all' : '(none)'}: there is no GPU to run on (${here}). Run without --gpus.`);
  const missing = chosen.filter((g) => !Number.isInteger(g) || g < 0 || g >= count);
  if (missing.length > 0) throw new WorkerError(`--gpus: GPU ${missing.join(', ')} does not exist here (${here}).`);
  if (chosen.length < perRun) throw new WorkerError(`--gpus: the program needs ${perRun} GPUs per run (requires.gpu_count) and ${chosen.length} were given.`);
  const groups: number[][] = [];
  for (let i = 0; i + perRun <= chosen.length; i += perRun) groups.push(chosen.slice(i, i + perRun));
  return groups;
}

/** `--gpus` as typed: `all`, or indexes separated by commas ("0,1,3"). Throws a WorkerError for anything else. */
export function parseGpus(text: string): 'all' | number[] {
  if (text.trim() === 'all') return 'all';
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d{1,3}$/.test(p))) throw new WorkerError(`--gpus must be "all" or GPU indexes separated by commas, e.g. "0,1"; got "${text}".`);
  return parts.map(Number);
}

/**
 * The GPUs at `indexes` as the machine's facts describe them: its GPUs are taken to be alike (one
 * model name, memory shared evenly), which is what `nvidia-smi`'s summary in Hardware can say.
 */
export function machineGpus(hardware: Pick<Hardware, 'gpu_model' | 'gpu' | 'gpu_count' | 'gpu_memory_mb'>, indexes: readonly number[]): GpuInfo[] {
  const name = hardware.gpu_model ?? hardware.gpu;
  const each = hardware.gpu_count > 0 ? Math.round(hardware.gpu_memory_mb / hardware.gpu_count) : 0;
  return indexes.map((index) => ({ index, name, memoryMb: each }));
}
