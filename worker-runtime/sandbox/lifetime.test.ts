/**
 * Runs die with the worker, sandboxed or not: a real worker process (openSandbox + runExperiment)
 * whose run leaves a child in the process group and one in a session of its own, killed with
 * SIGKILL. Unsandboxed, bubblewrap still ties the run's whole pid namespace to the worker; without
 * bubblewrap a watchdog kills the process group, and what left it survives (said in the warning).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../runner/run-experiment.ts';
import { openSandbox, type SandboxInfo } from './session.ts';
import { processesWith, testSandbox } from './testing.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SANDBOX = await testSandbox();

let root: string;
let script: string;
beforeAll(async () => {
  await mkdir(join(REPO, '.cohort-test'), { recursive: true });
  root = await mkdtemp(join(REPO, '.cohort-test', 'lifetime-'));
  script = join(root, 'worker.mjs');
  const from = (p: string) => JSON.stringify(pathToFileURL(join(REPO, p)).href);
  // The marker reaches the run through a variable, so that only the two children's command lines
  // hold "<marker>-group" and "<marker>-setsid".
  await writeFile(script, [
    `import { openSandbox } from ${from('worker-runtime/sandbox/session.ts')};`,
    `import { runExperiment } from ${from('worker-runtime/runner/run-experiment.ts')};`,
    'const [dir, marker] = process.argv.slice(2);',
    'const sandbox = await openSandbox({ setting: false, paths: { configDir: dir + "/config", dataDir: dir + "/data" }, home: dir + "/home", runCache: dir + "/cache", env: { ...process.env, M: marker } });',
    'const { launcher, env } = sandbox.forRun({ workspace: dir, readOnly: [] });',
    'process.stdout.write(JSON.stringify(sandbox.info) + "\\n");',
    'await runExperiment({ command: `sh -c "sleep 1000; : $M-group" & setsid sh -c "sleep 1000; : $M-setsid" & wait`, ...(launcher ? { launcher } : {}), env, cwd: dir, metric: "x", timeBudgetSeconds: 600 });',
    '',
  ].join('\n'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Starts the worker process, waits for both children of its run, and kills it with SIGKILL. */
async function killWorkerMidRun(env: NodeJS.ProcessEnv): Promise<{ info: SandboxInfo; marker: string }> {
  const marker = `cohort-lifetime-${process.pid}-${Date.now()}`;
  const child = spawn(process.execPath, [script, root, marker], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [first] = (await once(child.stdout, 'data')) as [Buffer];
  const info = JSON.parse(first.toString().split('\n')[0]!) as SandboxInfo;
  const started = await until(() => processesWith(`${marker}-group`).length === 1 && processesWith(`${marker}-setsid`).length === 1, 10_000);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  expect(started).toBe(true);
  return { info, marker };
}

describe('a run dies with the worker', () => {
  it.skipIf(!SANDBOX.usable)('unsandboxed, bubblewrap ends the whole run when the worker is killed, children in their own session included', async () => {
    const { info, marker } = await killWorkerMidRun({});
    expect(info).toMatchObject({ sandboxed: false, reaper: 'bwrap', bwrap: expect.stringMatching(/bwrap$/) });
    expect(await until(() => processesWith(marker).length === 0, 5000), `left: ${processesWith(marker).join(' ')}`).toBe(true);
  }, 30_000);

  it('without bubblewrap, a watchdog ends the run\'s process group; a child that left it survives, as the warning says', async () => {
    const { info, marker } = await killWorkerMidRun({ COHORT_BWRAP: join(root, 'no-such', 'bwrap') });
    const escaped = processesWith(`${marker}-setsid`);
    try {
      expect(info).toMatchObject({ sandboxed: false, reaper: 'process-group', bwrap: null });
      expect(info.warnings.join('\n')).toMatch(/process group only .*setsid\) outlive the worker/);
      expect(await until(() => processesWith(`${marker}-group`).length === 0, 5000)).toBe(true);
      expect(escaped).toHaveLength(1);
    } finally {
      for (const pid of escaped) process.kill(-pid, 'SIGKILL');
    }
  }, 30_000);
});

describe.skipIf(!SANDBOX.usable)('unsandboxed runs under bubblewrap', () => {
  const unsandboxed = async () => {
    const sandbox = await openSandbox({ setting: false, paths: { configDir: join(root, 'config'), dataDir: join(root, 'data') }, home: join(root, 'home'), runCache: join(root, 'cache'), env: process.env, root: false });
    return sandbox.forRun({ workspace: root, readOnly: [] });
  };

  it('see and write everything as without it, and the network too', async () => {
    const { launcher, env } = await unsandboxed();
    expect(launcher?.slice(-3)).toEqual(['--chdir', root, '--']);
    const outside = join(REPO, '.cohort-test', `lifetime-${process.pid}.txt`);
    const outcome = await runExperiment({
      command: `echo x > ${JSON.stringify(outside)} && test -r /etc/passwd && pwd && echo "val: 1"`,
      ...(launcher ? { launcher } : {}), env, cwd: root, metric: 'val', timeBudgetSeconds: 10,
    });
    await rm(outside);
    expect(outcome.status, outcome.tail).toBe('ok');
    expect(outcome.tail).toContain(root);
  });

  it('still get SIGTERM first and time to end cleanly, and the budget kill ends children in their own session', async () => {
    const { launcher, env } = await unsandboxed();
    const marker = `cohort-lifetime-budget-${process.pid}`;
    const source = [
      'import signal, subprocess, sys, time',
      `subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 1000; : ${marker}"], start_new_session=True)`,
      'def stop(*_):',
      '    time.sleep(0.3)',
      '    print("checkpoint saved", flush=True)',
      '    sys.exit(1)',
      'signal.signal(signal.SIGTERM, stop)',
      'time.sleep(300)',
      '',
    ].join('\n');
    await writeFile(join(root, 'graceful.py'), source);
    const outcome = await runExperiment({
      command: 'python3 graceful.py',
      ...(launcher ? { launcher } : {}), env, cwd: root, metric: 'val', timeBudgetSeconds: 1, graceSeconds: 0.5, killAfterSeconds: 2,
    });
    expect(outcome.reason).toMatch(/killed after the 1 s time budget/);
    expect(outcome.tail).toContain('checkpoint saved');
    expect(await until(() => processesWith(marker).length === 0, 3000)).toBe(true);
  });
});
