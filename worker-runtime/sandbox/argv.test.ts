import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapArgv, pinnedFolders, type SandboxPlan } from './argv.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cohort-argv-'));
  for (const d of ['home/.pyenv', 'cohort/config', 'cohort/data/workspaces/p/.cohort', 'cohort/data/cache/p', 'dev/nvidia0']) await mkdir(join(root, d), { recursive: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Index of `flag` followed by `path` in argv; -1 when absent. */
function at(argv: string[], flag: string, path: string): number {
  return argv.findIndex((a, i) => a === flag && argv[i + 1] === path);
}

describe('bwrapArgv', () => {
  it('lays the mounts in the order that makes them hold: system, hidden, re-shown, secrets, writable, read-only code', () => {
    const r = (p: string) => join(root, p);
    const plan: SandboxPlan = {
      bwrap: '/usr/bin/bwrap',
      features: { disableUserns: true },
      scratch: [r('home'), r('home/nested'), r('missing-home')],
      exposed: [r('home/.pyenv'), r('home/gone')],
      secret: [r('cohort/config'), r('cohort/data'), r('cohort/data/inner'), r('cohort/nothing')],
      devices: [r('dev/nvidia0'), r('dev/absent')],
    };
    const ws = r('cohort/data/workspaces/p');
    const argv = bwrapArgv(plan, { workspace: ws, home: r('cohort/data/homes/p'), cache: r('cohort/data/cache/p'), readOnly: [join(ws, '.cohort'), join(ws, 'train.py')] });

    expect(argv[0]).toBe('/usr/bin/bwrap');
    expect(argv.slice(-3)).toEqual(['--chdir', ws, '--']);
    for (const flag of ['--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--die-with-parent', '--disable-userns']) expect(argv).toContain(flag);
    expect(at(argv, '--cap-drop', 'ALL')).toBeGreaterThan(0);

    const system = at(argv, '--ro-bind', '/');
    const dev = at(argv, '--dev', '/dev');
    const gpu = at(argv, '--dev-bind', r('dev/nvidia0'));
    const home = at(argv, '--tmpfs', r('home'));
    const pyenv = at(argv, '--ro-bind', r('home/.pyenv'));
    const config = at(argv, '--tmpfs', r('cohort/config'));
    const data = at(argv, '--tmpfs', r('cohort/data'));
    const workspace = at(argv, '--bind', ws);
    const programHome = at(argv, '--ro-bind', r('cohort/data/homes/p'));
    const runCache = at(argv, '--bind', r('cohort/data/cache/p'));
    const meta = at(argv, '--ro-bind', join(ws, '.cohort'));
    const readOnlyData = at(argv, '--remount-ro', r('cohort/data'));
    const order = [system, dev, gpu, home, pyenv, data, workspace, programHome, runCache, meta, readOnlyData];
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(config).toBeGreaterThan(pyenv);
    expect(config).toBeLessThan(workspace);
    expect(at(argv, '--remount-ro', r('cohort/config'))).toBeGreaterThan(meta);

    // What does not exist (and could not be created) is left out; nested entries are covered once.
    expect(argv).not.toContain(r('missing-home'));
    expect(argv).not.toContain(r('home/nested'));
    expect(argv).not.toContain(r('home/gone'));
    expect(argv).not.toContain(r('cohort/nothing'));
    expect(argv).not.toContain(r('cohort/data/inner'));
    expect(argv).not.toContain(r('dev/absent'));
    expect(argv).not.toContain(join(ws, 'train.py'));
  });

  it('pins every folder between the workspace and a read-only file, outer first, before the read-only binds', async () => {
    const ws = join(root, 'pin-ws');
    await mkdir(join(ws, 'src', 'model'), { recursive: true });
    await writeFile(join(ws, 'src', 'model', 'train.py'), '');
    await writeFile(join(ws, 'prepare.py'), '');
    await mkdir(join(root, 'elsewhere'));
    await symlink(join(root, 'elsewhere'), join(ws, 'linked'));
    const readOnly = [join(ws, 'src', 'model', 'train.py'), join(ws, 'prepare.py'), join(ws, 'linked', 'x.py'), join(ws, 'gone', 'y.py'), join(root, 'outside.py')];
    expect(pinnedFolders(`${ws}/`, readOnly)).toEqual([join(ws, 'src'), join(ws, 'src', 'model')]);

    const argv = bwrapArgv({ bwrap: 'bwrap', features: { disableUserns: false }, scratch: [], exposed: [], secret: [], devices: [] }, { workspace: ws, home: root, cache: root, readOnly });
    const order = [at(argv, '--bind', ws), at(argv, '--bind', join(ws, 'src')), at(argv, '--bind', join(ws, 'src', 'model')), at(argv, '--ro-bind', join(ws, 'src', 'model', 'train.py'))];
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(at(argv, '--ro-bind', join(ws, 'prepare.py'))).toBeGreaterThan(order[2]!);
    // Neither a symbolic link (it would pin its target) nor a folder that does not exist is bound.
    expect(argv).not.toContain(join(ws, 'linked'));
    expect(argv).not.toContain(join(ws, 'gone'));
  });

  it('gives setup the network and a writable home, and runs neither (nor setup the run cache)', () => {
    const plan: SandboxPlan = { bwrap: 'bwrap', features: { disableUserns: false }, scratch: [], exposed: [], secret: [], devices: [] };
    const [ws, home, cache] = [join(root, 'ws'), join(root, 'home'), join(root, 'cache')];
    const run = bwrapArgv(plan, { workspace: ws, home, cache, readOnly: [] });
    const setup = bwrapArgv(plan, { workspace: ws, home, cache, readOnly: [], setup: true });
    expect(run).toContain('--unshare-net');
    expect(setup).not.toContain('--unshare-net');
    expect(at(run, '--ro-bind', home)).toBeGreaterThan(0);
    expect(at(run, '--bind', cache)).toBeGreaterThan(0);
    expect(at(setup, '--bind', home)).toBeGreaterThan(0);
    expect(setup).not.toContain(cache);
    expect(setup.filter((a) => a !== home && a !== '--bind' && a !== '--ro-bind')).toEqual(run.filter((a) => a !== '--unshare-net' && a !== home && a !== cache && a !== '--bind' && a !== '--ro-bind'));
  });

  it('leaves out --disable-userns where bubblewrap lacks it', () => {
    const argv = bwrapArgv({ bwrap: 'bwrap', features: { disableUserns: false }, scratch: [], exposed: [], secret: [], devices: [] }, { workspace: root, home: root, cache: root, readOnly: [] });
    expect(argv).not.toContain('--disable-userns');
  });
});
