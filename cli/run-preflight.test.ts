/**
 * `cohort run` on a machine that cannot run the program's own code (a module missing for the
 * interpreter): the crash is not sent, the message says what failed and what to do, exit 1
 * (docs/worker.md, "Preflight").
 */
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortPaths } from '../protocol/node/paths.ts';
import type { RunOutcome } from '../worker-runtime/runner/run-experiment.ts';
import { newMembership, saveMembership } from '../worker-runtime/credentials.ts';
import { testSandbox } from '../worker-runtime/sandbox/testing.ts';
import { startHostileHost, type HostileHost } from '../worker-runtime/testing/hostile-host.ts';
import { describeWorkerEvent } from './commands/worker.ts';
import { runCohort } from './testing.ts';

const SANDBOX = await testSandbox();
let home: string;
let host: HostileHost;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-preflight-'));
  host = await startHostileHost({
    spec: { name: 'nomodule', objective: 'x', metric: 'val_loss', direction: 'minimize', run: '/usr/bin/python3 train.py' },
    files: [{ path: 'train.py', content: 'import no_such_module_xyz\nprint("val_loss: 0.5")\n' }],
  });
  await saveMembership(cohortPaths({ COHORT_HOME: home }), newMembership({ program: 'nomodule', url: host.url, token: 'cohort_mt_x', memberId: 'm1', name: 'ada', joinedAt: new Date().toISOString() }));
});
afterAll(async () => {
  await host?.close();
  await rm(home, { recursive: true, force: true });
});

describe('cohort run on a machine that cannot run the champion\'s code', () => {
  it('sends no crash, says which interpreter lacks which package and what to do, and exits 1', async () => {
    const run = await runCohort(home, ['run', '--loop', '--runs', '5', '--propose', 'true', ...SANDBOX.cliArgs]);
    expect(run.code).toBe(1);
    expect(host.submissions).toHaveLength(0);
    expect(run.stderr).toMatch(/\[cohort\] ! run 1 ran the program's original code and crashed: this is this machine's problem, not the code's, so the crash was not submitted and the worker stops\. failing line: ModuleNotFoundError: No module named 'no_such_module_xyz'\. The Python module `no_such_module_xyz` is missing for the interpreter `\/usr\/bin\/python3`/);
    expect(run.stderr).toContain(`\`${realpathSync('/usr/bin/python3')} -m pip install no_such_module_xyz\`), or add its installation to the program's \`setup\` (TASK.md)`);
    expect(run.stdout).toContain("1 run(s), 0 result(s) submitted (stopped: the champion's code does not run on this machine, see above).");
  }, 60_000);

  it('prints a preflight\'s run events as the preflight they are', () => {
    const ok = { status: 'ok', value: 0.5, reason: 'val_loss = 0.5', durations: { wall_seconds: 3 } } as RunOutcome;
    const crashed = { status: 'crash', value: null, reason: "exit code 1: ModuleNotFoundError: No module named 'x'", durations: { wall_seconds: 1 } } as RunOutcome;
    expect(describeWorkerEvent({ type: 'run-start', run: 4, command: 'python3 train.py', logFile: '/l.log', budgetSeconds: 300, sandboxed: true, preflight: { champion: 'r7' } }, 'val_loss'))
      .toBe("[cohort] preflight for run 4 (sandboxed): does champion r7's unchanged code run on this machine? python3 train.py (budget 5m 00s; log /l.log)");
    expect(describeWorkerEvent({ type: 'run-end', run: 4, outcome: ok, preflight: { champion: null } }, 'val_loss'))
      .toBe("[cohort] preflight: the program's original code runs here (val_loss 0.5 in 3s), so the crash of run 4 is the code's, not this machine's");
    expect(describeWorkerEvent({ type: 'run-end', run: 4, outcome: crashed, preflight: { champion: 'r7' } }, 'val_loss'))
      .toBe("[cohort] preflight: champion r7's unchanged code crashed here too: exit code 1: ModuleNotFoundError: No module named 'x'");
  });
});
