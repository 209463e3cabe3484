import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSandbox } from './session.ts';
import { testSandbox } from './testing.ts';

const SANDBOX = await testSandbox();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-session-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const open = (setting: boolean, root: boolean) =>
  openSandbox({ setting, paths: { configDir: join(dir, 'config'), dataDir: join(dir, 'data') }, home: join(dir, 'home'), runCache: join(dir, 'cache'), env: { PATH: '/usr/bin:/bin' }, root });

describe('openSandbox', () => {
  it.skipIf(!SANDBOX.usable)('warns, as root, that the sandbox exposes every file root can read', async () => {
    expect((await open(true, false)).info).toMatchObject({ sandboxed: true, reaper: 'bwrap', warnings: [] });
    const { warnings } = (await open(true, true)).info;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the worker runs as root, so the sandbox exposes every file root can read on this machine .*run the worker as an ordinary user$/);
  });

  it('warns, as root without a sandbox, that runs have root\'s rights', async () => {
    expect((await open(false, true)).info.warnings.join('\n')).toMatch(/runs from other members have every right root has on this machine/);
  });

  it('without a sandbox, falls back to the process group where bubblewrap cannot start a pid namespace, and says what that leaves', async () => {
    const fake = join(dir, 'bwrap');
    await writeFile(fake, '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    vi.stubEnv('COHORT_BWRAP', fake);
    const session = await open(false, false);
    expect(session.info).toMatchObject({ sandboxed: false, bwrap: null, reaper: 'process-group' });
    expect(session.info.warnings).toEqual([
      'a run is ended with the worker by its process group only (bubblewrap could not start a pid namespace: bwrap: No permissions to create new namespace): processes a run moves into a session of their own (setsid) outlive the worker (a working bubblewrap would end them too)',
    ]);
    expect(session.forRun({ workspace: dir, readOnly: [] }).launcher).toBeUndefined();
  });
});
