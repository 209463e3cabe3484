import type { RequiresSpec } from './task.ts';

/** What `requires` is checked against: a worker's GPUs as it reports them (worker-runtime/hardware.ts). */
export interface GpuFacts {
  /** One GPU's model name, e.g. "NVIDIA GB10"; empty without a GPU. */
  gpu_model: string;
  gpu_count: number;
  /** Memory of all GPUs together, in MiB (a unified-memory GPU reports the machine's memory). */
  gpu_memory_mb: number;
}

export interface RequirementsMatch {
  ok: boolean;
  /** One line per requirement not met, saying what is required and what this machine has. */
  problems: string[];
}

/**
 * Whether a machine meets a program's `requires` (docs/design.md, "Hardware"). Plain substring
 * matching, so a hostile model name costs nothing to check. Used by the host to show the owner
 * whether a join request matches, and by the worker before it runs anything.
 */
export function matchRequirements(requires: RequiresSpec | undefined, facts: GpuFacts): RequirementsMatch {
  if (requires === undefined) return { ok: true, problems: [] };
  const problems: string[] = [];
  const needsGpu = requires.gpu !== undefined || requires.gpu_memory_gb !== undefined || requires.gpu_count !== undefined;
  const count = Math.max(0, Math.floor(facts.gpu_count));
  const has = count === 0 ? 'no NVIDIA GPU' : `${count}× ${facts.gpu_model || 'unknown GPU'}`;
  if (needsGpu && count === 0) {
    return { ok: false, problems: [`needs ${describeRequirements(requires)}; this machine has no NVIDIA GPU`] };
  }
  if (requires.gpu !== undefined) {
    const model = facts.gpu_model.toLowerCase();
    const names = requires.gpu.split('|').map((n) => n.trim()).filter((n) => n.length > 0);
    if (!names.some((n) => model.includes(n.toLowerCase()))) problems.push(`needs a GPU matching ${names.join(' or ')}; this machine has ${has}`);
  }
  const wanted = requires.gpu_count ?? 1;
  if (needsGpu && count < wanted) problems.push(`needs ${wanted} GPUs per run; this machine has ${count}`);
  if (requires.gpu_memory_gb !== undefined) {
    const eachGb = count > 0 ? facts.gpu_memory_mb / count / 1024 : 0;
    if (eachGb + 1e-9 < requires.gpu_memory_gb) problems.push(`needs ${requires.gpu_memory_gb} GiB of memory per GPU; this machine's have ${formatGb(eachGb)} GiB`);
  }
  return { ok: problems.length === 0, problems };
}

/** `requires` in one line, e.g. "a GPU matching GB10 or H100 with 16 GiB or more". */
export function describeRequirements(requires: RequiresSpec): string {
  const parts: string[] = [];
  const count = requires.gpu_count ?? 1;
  const names = requires.gpu?.split('|').map((n) => n.trim()).filter((n) => n.length > 0);
  parts.push(`${count === 1 ? 'a GPU' : `${count} GPUs`}${names ? ` matching ${names.join(' or ')}` : ''}`);
  if (requires.gpu_memory_gb !== undefined) parts.push(`with ${requires.gpu_memory_gb} GiB or more${count === 1 ? '' : ' each'}`);
  return parts.join(' ');
}

const formatGb = (gb: number) => (Math.round(gb * 10) / 10).toString();
