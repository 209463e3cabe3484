import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskSpec, type TaskResponse, type TaskSpecInput } from '../../protocol/index.ts';
import { programEnv } from './program-env.ts';
import { recordSetup, setupNeeded, setupStamp } from './setup-stamp.ts';

const task = (spec: Partial<TaskSpecInput> = {}, files: Record<string, string> = {}): TaskResponse => ({
  program: { spec: TaskSpec.parse({ name: 'p', objective: 'o', metric: 'val_bpb', direction: 'minimize', setup: 'uv sync', ...spec }), body: '' },
  champion: null,
  files: Object.entries({ 'train.py': 'LR = 1\n', 'prepare.py': 'print(1)\n', ...files }).map(([path, content]) => ({ path, content })),
  reference: null,
});

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('setup stamp', () => {
  it('changes with setup, env and the fixed files; not with the editable ones or the order of things', () => {
    const base = setupStamp(task());
    expect(setupStamp(task({}, { 'train.py': 'LR = 2\n' }))).toBe(base); // a new champion
    expect(setupStamp(task({ time_budget: 10 }))).toBe(base);
    expect(setupStamp(task({ setup: 'uv sync --frozen' }))).not.toBe(base);
    expect(setupStamp(task({}, { 'prepare.py': 'print(2)\n' }))).not.toBe(base);
    expect(setupStamp(task({}, { 'pyproject.toml': '' }))).not.toBe(base);
    expect(setupStamp(task({ env: { A: '1', B: '2' } }))).toBe(setupStamp(task({ env: { B: '2', A: '1' } })));
    expect(setupStamp(task({ env: { A: '1' } }))).not.toBe(setupStamp(task({ env: { A: '2' } })));
    // Boundaries are kept: moving text between a name and a value is a change.
    expect(setupStamp(task({ env: { AB: 'C' } }))).not.toBe(setupStamp(task({ env: { A: 'BC' } })));
  });

  it('says why setup must run: never ran, program changed, program home removed', async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-stamp-'));
    const dirs = { home: join(root, 'home'), state: join(root, 'state') };
    await mkdir(dirs.home);
    expect(await setupNeeded(task({ setup: undefined }), dirs)).toBeNull();
    expect(await setupNeeded(task(), dirs)).toBe('it has not run for this program yet');
    await recordSetup(task(), dirs, 1.5);
    expect(await setupNeeded(task(), dirs)).toBeNull();
    expect(await setupNeeded(task({}, { 'prepare.py': 'print(3)\n' }), dirs)).toBe('the program\'s setup, env or fixed files changed since it last ran');
    // A home removed and made again is a new folder, without what setup put there.
    await rm(dirs.home, { recursive: true });
    await mkdir(join(root, 'other')); // so the new home cannot get the old inode back
    await mkdir(dirs.home);
    expect(await setupNeeded(task(), dirs)).toBe('the program home was removed since it last ran');
    // A record the worker cannot read is no record.
    await writeFile(join(dirs.state, 'setup.json'), '{"stamp": 1');
    expect(await setupNeeded(task(), dirs)).toBe('it has not run for this program yet');
  });
});

describe('program env', () => {
  it('puts $HOME and ~ at the start of a value in the program home, and nothing else', () => {
    const spec = TaskSpec.parse({ name: 'p', objective: 'o', metric: 'm', direction: 'minimize', env: { A: '$HOME/venv', B: '~/x', C: '~', D: '$HOME', E: 'x$HOME', F: '$HOMER/x', G: '~user/x', H: 1 } });
    expect(programEnv(spec, '/data/homes/m1')).toEqual({ A: '/data/homes/m1/venv', B: '/data/homes/m1/x', C: '/data/homes/m1', D: '/data/homes/m1', E: 'x$HOME', F: '$HOMER/x', G: '~user/x', H: '1' });
  });
});
