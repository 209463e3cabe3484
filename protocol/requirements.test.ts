import { describe, expect, it } from 'vitest';
import { matchRequirements } from './requirements.ts';
import { TaskSpec } from './task.ts';

const spark = { gpu_model: 'NVIDIA GB10', gpu_count: 1, gpu_memory_mb: 128 * 1024 };
const cpu = { gpu_model: '', gpu_count: 0, gpu_memory_mb: 0 };

describe('requires', () => {
  it('matches any of the names, case-insensitively, as substrings', () => {
    expect(matchRequirements({ gpu: 'gb10|H100' }, spark)).toEqual({ ok: true, problems: [] });
    expect(matchRequirements({ gpu: 'H100' }, { gpu_model: 'NVIDIA H100 80GB HBM3', gpu_count: 8, gpu_memory_mb: 8 * 81559 })).toMatchObject({ ok: true });
    expect(matchRequirements({ gpu: 'H100' }, spark)).toEqual({ ok: false, problems: ['needs a GPU matching H100; this machine has 1× NVIDIA GB10'] });
  });

  it('says what is required of a machine without a GPU', () => {
    expect(matchRequirements({ gpu: 'GB10|H100', gpu_memory_gb: 16 }, cpu)).toEqual({ ok: false, problems: ['needs a GPU matching GB10 or H100 with 16 GiB or more; this machine has no NVIDIA GPU'] });
    expect(matchRequirements(undefined, cpu).ok).toBe(true);
    expect(matchRequirements({}, cpu).ok).toBe(true);
  });

  it('checks memory per GPU and the GPUs one run needs', () => {
    const two = { gpu_model: 'NVIDIA RTX 4090', gpu_count: 2, gpu_memory_mb: 2 * 24564 };
    expect(matchRequirements({ gpu_memory_gb: 24 }, two).ok).toBe(false);
    expect(matchRequirements({ gpu_memory_gb: 23.9 }, two).ok).toBe(true);
    expect(matchRequirements({ gpu_count: 4 }, two)).toEqual({ ok: false, problems: ['needs 4 GPUs per run; this machine has 2'] });
  });

  it('treats a hostile model name as text', () => {
    const model = `${'a'.repeat(100_000)}(.*)*$`;
    expect(matchRequirements({ gpu: '(a+)+$|H100' }, { gpu_model: model, gpu_count: 1, gpu_memory_mb: 1 }).ok).toBe(false);
  });
});

describe('TASK.md setup, env, requires', () => {
  const base = { name: 'p', objective: 'o', metric: 'm', direction: 'minimize' } as const;
  it('accepts them and turns env values into strings', () => {
    const spec = TaskSpec.parse({ ...base, setup: 'uv sync', env: { HF_HUB_OFFLINE: 1, TRITON_PTXAS_PATH: '/usr/local/cuda/bin/ptxas', FLAG: true }, requires: { gpu: 'GB10', gpu_memory_gb: 16 } });
    expect(spec.env).toEqual({ HF_HUB_OFFLINE: '1', TRITON_PTXAS_PATH: '/usr/local/cuda/bin/ptxas', FLAG: 'true' });
    expect(TaskSpec.parse(spec)).toEqual(spec); // what the host serves parses the same on the worker
  });

  it('refuses names the worker sets, control characters and regex-free junk', () => {
    const bad = (extra: object) => TaskSpec.safeParse({ ...base, ...extra }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(bad({ env: { HOME: '/x' } })?.[0]).toMatch(/^env.HOME: is set by the worker/);
    expect(bad({ env: { COHORT_CACHE_DIR: '/x' } })?.[0]).toMatch(/is set by the worker/);
    expect(bad({ env: { A: 'x\ny' } })?.[0]).toMatch(/control characters/);
    expect(bad({ env: { 'A-B': 'x' } })?.[0]).toMatch(/environment variable name/);
    // A "__proto__" key never becomes the parsed map's prototype, nor a variable.
    const proto = TaskSpec.safeParse({ ...base, env: JSON.parse('{"__proto__": {"PATH": "/evil"}, "A": "1"}') as object });
    expect(proto.success ? [Object.keys(proto.data.env ?? {}), (proto.data.env as Record<string, string>).PATH] : 'refused').not.toEqual([['A'], '/evil']);
    if (proto.success) expect(Object.keys(proto.data.env ?? {})).toEqual(['A']);
    expect(bad({ requires: { gpu: 'GB10||H100' } })?.[0]).toMatch(/separated by "\|"/);
    expect(bad({ requires: { gpus: 2 } })?.[0]).toMatch(/gpus/);
    expect(bad({ requires: { gpu_count: 0 } })?.[0]).toMatch(/between 1 and 64/);
  });
});
