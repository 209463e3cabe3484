/** Test support: stand-in `nvidia-smi` executables that print canned answers. */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeNvidiaSmi {
  /** What `--query-gpu=…` prints (a sh fragment), e.g. `printf '0, NVIDIA H100, 81559, 9.0, 580.65\n'`. */
  query: string;
  /** What plain `nvidia-smi` prints (a sh fragment); default: a header saying CUDA 13.0. */
  header?: string;
}

/** An H100 machine's banner, trimmed to what the worker reads. */
export const HEADER = `printf '%s\\n' '+------------------------------------------------------------------------------+' '| NVIDIA-SMI 580.65.06    Driver Version: 580.65.06      CUDA Version: 13.0     |'`;

/** Two H100s, as a recent driver lists them. */
export const TWO_H100 = `printf '0, NVIDIA H100 80GB HBM3, 81559, 9.0, 580.65.06\\n1, NVIDIA H100 80GB HBM3, 81559, 9.0, 580.65.06\\n'`;

/** A DGX Spark: one GB10 whose memory is the machine's (unified), so nvidia-smi has no number for it. */
export const GB10 = `printf '0, NVIDIA GB10, [N/A], 12.1, 580.95.05\\n'`;

/** Writes an executable sh script in a new temp folder and returns its path. */
export async function fakeNvidiaSmi(fake: FakeNvidiaSmi): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-nvidia-smi-'));
  const file = join(dir, 'nvidia-smi');
  await writeFile(file, [
    '#!/bin/sh',
    'case "$1" in',
    `  --query-gpu=*) ${fake.query} ;;`,
    `  *) ${fake.header ?? HEADER} ;;`,
    'esac',
    '',
  ].join('\n'));
  await chmod(file, 0o755);
  return file;
}
