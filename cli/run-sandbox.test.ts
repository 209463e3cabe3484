/** `cohort run` and the sandbox: refused without bubblewrap, `--no-sandbox` with a warning, sandboxed by default. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { testSandbox } from '../worker-runtime/sandbox/testing.ts';
import { runCohort } from './testing.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const SANDBOX = await testSandbox();

let home: string;
let host: RunningHost;

const cohort = (args: string[], env: NodeJS.ProcessEnv = {}) => runCohort(home, args, env);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-sandbox-'));
  host = await startHost({ program: await loadProgram(QUADRATIC), paths: { configDir: join(home, 'owner', 'config'), dataDir: join(home, 'owner', 'data') }, membership: 'open', writeState: false, intervalSeconds: 1 });
  const joined = await cohort(['join', host.publicUrl, '--name', 'ada']);
  expect(joined.code, joined.stderr).toBe(0);
  // The workspace exists right after joining, with how to edit and run it.
  const dir = /Your workspace: (\S+)/.exec(joined.stdout)?.[1];
  expect(dir, joined.stdout).toBeDefined();
  expect(await readFile(join(dir!, 'train.py'), 'utf8')).toContain('LEARNING_RATE');
  expect(joined.stdout).toMatch(/Edit train\.py there \(the champion's code\), then `cohort run` runs `python3 train\.py` on it, sandboxed, and submits the result\./);
});
afterAll(async () => {
  await host?.close();
  await rm(home, { recursive: true, force: true });
});

describe('cohort run and the sandbox', () => {
  it('refuses to run without bubblewrap, saying once how to install it and that --no-sandbox must be explicit', async () => {
    const res = await cohort(['run', '--hypothesis', 'no bwrap'], { COHORT_BWRAP: join(home, 'no-such', 'bwrap') });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^cohort: Runs execute code from other members, so Cohort runs them in a bubblewrap sandbox, but bubblewrap was not found at /);
    expect(res.stderr.match(/sudo apt-get install bubblewrap/g)).toHaveLength(1);
    expect(res.stderr).toContain('pass --no-sandbox explicitly');
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout).not.toMatch(/run 1/);
    expect(await host.kb.results()).toHaveLength(0);
  });

  it('runs with --no-sandbox, warning that the code has all of the user\'s rights', async () => {
    const res = await cohort(['run', '--no-sandbox', '--hypothesis', 'unsandboxed'], { COHORT_BWRAP: join(home, 'no-such', 'bwrap') });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/! runs are NOT sandboxed: code from other members runs with all of your user's rights/);
    expect(res.stdout).toMatch(/run 1 \(NOT sandboxed\): python3 train\.py/);
    expect(res.stdout).toMatch(/code of run 1: the program's original code/);
    expect(await host.kb.results()).toHaveLength(1);
  });

  it.skipIf(!SANDBOX.usable)(`runs sandboxed by default and says whose code it runs${SANDBOX.skipReason ? ` (skipped: ${SANDBOX.skipReason})` : ''}`, async () => {
    const res = await cohort(['run', '--hypothesis', 'sandboxed']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/\[cohort\] runs are sandboxed \(bubblewrap [\d.]+ at \S*bwrap\): no network, your home folder hidden, read-only system; writable: the workspace and the program home \S+homes\/quadratic\S* \(HOME\)/);
    expect(res.stdout).toMatch(/code of run 1: changes by you \(r1\)/);
    expect(res.stdout).toMatch(/run 1 \(sandboxed\): python3 train\.py/);
    expect(res.stdout).toMatch(/val_loss:\s+\d/);
    expect(res.stderr).not.toMatch(/NOT sandboxed/);
    expect(await host.kb.results()).toHaveLength(2);
  });
});
