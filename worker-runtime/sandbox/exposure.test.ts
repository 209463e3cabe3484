import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposedForPath } from './exposure.ts';

let root: string;
let home: string;
let scratch: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cohort-exposure-'));
  home = join(root, 'home');
  scratch = join(root, 'scratch');
  const dirs = [
    '.pyenv/shims', '.pyenv/libexec', '.pyenv/versions/3.12.1/bin', '.pyenv/versions/3.12.1/lib/python3.12',
    'venvs/ml/bin', 'venvs/ml/lib/python3.12/site-packages',
    'miniconda3/envs/gpu/bin', 'miniconda3/envs/gpu/conda-meta',
    '.local/bin', '.local/lib/python3.12/site-packages', '.local/share/cohort', '.local/share/keyrings',
    '.cargo/bin', '.ssh',
  ];
  for (const d of dirs) await mkdir(join(home, d), { recursive: true });
  await writeFile(join(home, '.pyenv/libexec/pyenv'), '');
  await writeFile(join(home, '.pyenv/shims/python3'), '#!/bin/sh\n');
  await writeFile(join(home, '.cargo/credentials.toml'), 'token = "secret"\n');
  // A venv made from pyenv's 3.12: its python links there, its pyvenv.cfg says so.
  await symlink(join(home, '.pyenv/versions/3.12.1/bin/python3.12'), join(home, 'venvs/ml/bin/python3'));
  await writeFile(join(home, 'venvs/ml/pyvenv.cfg'), `home = ${join(home, '.pyenv/versions/3.12.1/bin')}\n`);
  await mkdir(join(scratch, 'cohort-python-x', 'bin'), { recursive: true });
  await symlink('/usr/bin/python3', join(scratch, 'cohort-python-x', 'bin', 'python3'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

function exposed(path: string[]): string[] {
  return exposedForPath({ path: path.join(':'), hidden: [home, scratch], protect: [join(home, '.local/share/cohort')], homes: [home] }).map((p) => p.slice(root.length + 1));
}

describe('exposedForPath', () => {
  it('shows a venv, its base interpreter, a conda env and pyenv whole, but only the bin of other tools', () => {
    expect(exposed([join(home, 'venvs/ml/bin'), join(home, 'miniconda3/envs/gpu/bin'), join(home, '.cargo/bin'), '/usr/bin']).sort()).toEqual([
      'home/.cargo/bin', // not ~/.cargo: it holds credentials.toml
      'home/.local/lib', // the user site-packages
      'home/.pyenv/versions/3.12.1', // the interpreter the venv was made from
      'home/miniconda3/envs/gpu',
      'home/venvs/ml',
    ]);
  });

  it('shows pyenv\'s root for its shims, and ~/.local/bin with the user site, never ~/.local or the home itself', () => {
    expect(exposed([join(home, '.pyenv/shims'), join(home, '.local/bin'), home, join(home, '.local')])).toEqual(['home/.pyenv', 'home/.local/bin', 'home/.local/lib']);
  });

  it('shows a PATH shim in a hidden /tmp (its python links to the system), and nothing that is visible anyway', () => {
    expect(exposed([join(scratch, 'cohort-python-x', 'bin'), '/usr/local/bin', '/bin'])).toEqual(['home/.local/lib', 'scratch/cohort-python-x/bin']);
  });

  it('never shows a folder that holds a Cohort folder', () => {
    const r = exposedForPath({ path: join(home, '.local/bin'), hidden: [home], protect: [join(home, '.local/bin/cohort-data')], homes: [] });
    expect(r).toEqual([]);
  });
});
