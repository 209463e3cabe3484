import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

function hasTorch(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * The examples run `python3 train.py`. Where the first `python3` on PATH has no PyTorch (a pyenv
 * shim, say) but Debian's `/usr/bin/python3` has it, this returns an environment whose `python3`
 * is that one; null when no PyTorch is found at all.
 */
export function torchEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | null {
  if (hasTorch('python3')) return env;
  for (const candidate of ['/usr/bin/python3', '/usr/local/bin/python3', '/opt/homebrew/bin/python3']) {
    if (!hasTorch(candidate)) continue;
    const bin = join(mkdtempSync(join(tmpdir(), 'cohort-python-')), 'bin');
    mkdirSync(bin);
    symlinkSync(candidate, join(bin, 'python3'));
    return { ...env, PATH: `${bin}${delimiter}${env.PATH ?? ''}` };
  }
  return null;
}
