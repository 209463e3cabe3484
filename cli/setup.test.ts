/** The program's setup as a person meets it on the command line: announced at join, `cohort setup`, run once by `cohort run`. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

describe('cohort setup', () => {
  let home: string;
  let host: RunningHost;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cohort-cli-setup-'));
    const program = join(home, 'program');
    await cp(QUADRATIC, program, { recursive: true });
    const task = await readFile(join(program, 'TASK.md'), 'utf8');
    const setup = 'setup: \'echo "setting up in $PWD"; date +%s%N >> "$HOME/setups"\'';
    await writeFile(join(program, 'TASK.md'), task.replace('\nmembership: invite\n', `\nmembership: open\n${setup}\n`));
    host = await startHost({ program: await loadProgram(program), paths: { configDir: join(home, 'owner', 'config'), dataDir: join(home, 'owner', 'data') }, writeState: false, intervalSeconds: 1 });
  });
  afterAll(async () => {
    await host?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('join says what setup will run with network; cohort run runs it once; cohort setup runs it again on demand', async () => {
    const joined = await runCohort(home, ['join', host.publicUrl, '--name', 'ada']);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain('Before the first run, the program\'s setup runs once, sandboxed but WITH network, into the program\'s own home: `echo "setting up in $PWD"; date +%s%N >> "$HOME/setups"` (`cohort setup` runs it now).');

    const first = await runCohort(home, ['run', ...SANDBOX.cliArgs, '--runs', '2', '--hypothesis', 'as is']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.match(/\[cohort\] setup \(it has not run for this program yet\)/g)).toHaveLength(1);
    expect(first.stdout).toMatch(/\[cohort\] setup done in/);
    expect(first.stdout).toMatch(/setting up in \S+\/worker-state\/\S+\/setup\n/);
    expect(first.stdout).toContain('2 run(s), 2 result(s) submitted.');

    const asked = await runCohort(home, ['setup', ...SANDBOX.cliArgs]);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('[cohort] setup (you asked for it)');
    expect(asked.stdout).not.toContain('run(s)');
  }, 90_000);
});
