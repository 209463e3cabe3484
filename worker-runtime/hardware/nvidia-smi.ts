import { runTool } from './run-tool.ts';

/** One GPU as `nvidia-smi` lists it, checked and bounded. */
export interface NvidiaGpu {
  index: number;
  name: string;
  /** MiB; null when the GPU has no memory of its own (the GB10 of a DGX Spark says "[N/A]"). */
  memoryMb: number | null;
  /** "12.1"; empty when the driver is too old to say or said something else. */
  computeCapability: string;
  driver: string;
}

export interface NvidiaReport {
  gpus: NvidiaGpu[];
  /** "13.0" from the header of plain `nvidia-smi`; empty when it did not say. */
  cudaVersion: string;
}

/** nvidia-smi answers in well under a second; one that takes longer is wedged (a lost GPU). */
const TIMEOUT_MS = 5_000;
/** A machine has at most a few dozen GPUs: more lines than this are not a real answer. */
export const MAX_GPUS = 64;
/** The longest name kept; real ones are ~30 characters ("NVIDIA H100 80GB HBM3"). */
export const MAX_NAME = 128;
/** 16 TiB per GPU: anything larger is nonsense, and kept as unknown (0). */
const MAX_MEMORY_MB = 16 * 1024 * 1024;

const FIELDS = ['index', 'name', 'memory.total', 'compute_cap', 'driver_version'];

/** Which `nvidia-smi`: the option, else COHORT_NVIDIA_SMI (tests, installs outside PATH), else PATH's. */
export function nvidiaSmiBinary(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option ?? (env.COHORT_NVIDIA_SMI || 'nvidia-smi');
}

/**
 * The machine's NVIDIA GPUs and CUDA version. Any failure (no binary, no driver, a hang, junk)
 * means "no NVIDIA GPU": a worker without one still runs CPU programs, so this never throws.
 */
export async function queryNvidia(binary: string): Promise<NvidiaReport> {
  const [gpus, cudaVersion] = await Promise.all([queryGpus(binary), queryCudaVersion(binary)]);
  return { gpus, cudaVersion: gpus.length > 0 ? cudaVersion : '' };
}

async function queryGpus(binary: string): Promise<NvidiaGpu[]> {
  const query = (fields: string[]) =>
    runTool(binary, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'], { timeoutMs: TIMEOUT_MS, maxBytes: 64 * 1024 });
  let fields = FIELDS;
  let res = await query(fields);
  // Drivers before ~510 refuse the field: 'Field "compute_cap" is not a valid field to query.'
  if (!res.ok && res.output.includes('compute_cap')) {
    fields = FIELDS.filter((f) => f !== 'compute_cap');
    res = await query(fields);
  }
  // Cut off: 64 KiB is a thousand GPUs' worth, so this is not nvidia-smi talking.
  if (!res.ok || res.truncated) return [];
  return parseGpuList(res.stdout, fields.includes('compute_cap'));
}

async function queryCudaVersion(binary: string): Promise<string> {
  // The header comes first; the process table after it can be long, and is not needed.
  const res = await runTool(binary, [], { timeoutMs: TIMEOUT_MS, maxBytes: 16 * 1024 });
  return res.ok ? parseCudaVersion(res.stdout) : '';
}

/** `--query-gpu=index,name,memory.total[,compute_cap],driver_version --format=csv,noheader,nounits`. */
export function parseGpuList(stdout: string, withComputeCap: boolean): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of stdout.split('\n')) {
    if (gpus.length >= MAX_GPUS) break;
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length !== (withComputeCap ? 5 : 4)) continue;
    const [index, name, memory] = parts as [string, string, string];
    const driver = parts.at(-1)!;
    const gpuIndex = /^\d{1,4}$/.test(index) ? Number(index) : NaN;
    const cleanName = plainText(name, MAX_NAME);
    if (!Number.isInteger(gpuIndex) || gpuIndex >= 1024 || cleanName === '') continue;
    gpus.push({
      index: gpuIndex,
      name: cleanName,
      memoryMb: parseMemory(memory),
      computeCapability: withComputeCap && /^\d{1,2}\.\d{1,2}$/.test(parts[3]!) ? parts[3]! : '',
      driver: /^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$/.test(driver) ? driver : '',
    });
  }
  return gpus;
}

/** MiB, or null for a GPU without its own memory ("[N/A]", "[Not Supported]"); nonsense is 0 (unknown). */
function parseMemory(field: string): number | null {
  if (/^\[(N\/A|Not Supported)\]$/i.test(field)) return null;
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(field)) return 0;
  const mb = Math.round(Number(field));
  return mb <= MAX_MEMORY_MB ? mb : 0;
}

/** "CUDA Version: 13.0" in the banner of plain `nvidia-smi`. */
export function parseCudaVersion(stdout: string): string {
  return /CUDA Version\s*:\s*(\d{1,3}(?:\.\d{1,3}){0,2})\b/.exec(stdout)?.[1] ?? '';
}

/**
 * Text another program printed, fit for a result: control, bidi and invisible characters dropped,
 * runs of white space made one space, at most `max` characters. Results are shown to other
 * members, in terminals too (where protocol/terminal-text.ts makes them safe again).
 */
export function plainText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g, ' ');
  return cut(cleaned.replace(/\s+/g, ' ').trim(), max).trim();
}

/**
 * At most `max` UTF-16 units (what the wire's `.max()` counts), never half a character: a lone
 * surrogate would make the text invalid where it is stored.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}
