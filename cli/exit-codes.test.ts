/** The one exit-code table: each kind of failure, mapped in-process and seen from a `cohort` process. */
import { CommanderError } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../main/errors.ts';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { ProgramError } from '../main/program/errors.ts';
import { WorkerError } from '../worker-runtime/credentials.ts';
import { HostUnavailableError, NotAMemberError } from '../worker-runtime/member-client.ts';
import { ExitCode, failure } from './exit-codes.ts';
import { CliError } from './owner-client.ts';
import { runCohort } from './testing.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));

describe('failure(): errors to exit codes', () => {
  it('prints expected errors as their message alone, exit 1', () => {
    const port = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:80'), { code: 'EADDRINUSE', syscall: 'listen' });
    for (const err of [new CliError('a'), new WorkerError('a'), new HostUnavailableError('a'), new ServiceError('conflict', 'a'), ProgramError.at('TASK.md', 'a')]) {
      expect(failure(err), err.name).toEqual({ exitCode: ExitCode.failed, text: err.message });
    }
    expect(failure(port)).toEqual({ exitCode: 1, text: port.message });
  });

  it('a revoked membership is 3; usage errors are 2 (commander printed them), --help and --version 0', () => {
    expect(failure(new NotAMemberError('Your membership of this program was revoked by its owner.'))).toEqual({ exitCode: 3, text: 'Your membership of this program was revoked by its owner.' });
    expect(failure(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'"))).toEqual({ exitCode: 2, text: null });
    expect(failure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({ exitCode: 0, text: null });
  });

  it('anything else is a bug: exit 70 with its stack', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const { exitCode, text } = failure(bug);
    expect(exitCode).toBe(70);
    expect(text).toMatch(/^unexpected error: TypeError: Cannot read properties of undefined/);
    expect(text).toMatch(/\n\s+at .*exit-codes\.test\.ts/);
    expect(failure('a string').exitCode).toBe(70);
  });
});

describe('exit codes of a cohort process', () => {
  let home: string;
  let host: RunningHost;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cohort-cli-exit-'));
    host = await startHost({ program: await loadProgram(QUADRATIC), paths: { configDir: join(home, 'owner', 'config'), dataDir: join(home, 'owner', 'data') }, membership: 'open', writeState: false, intervalSeconds: 1 });
  });
  afterAll(async () => {
    await host?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('--help is 0; an unknown option or command is 2, with commander\'s message and no stack', async () => {
    const help = await runCohort(home, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cohort /);
    const option = await runCohort(home, ['run', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^error: unknown option '--bogus'/);
    expect(option.stderr).not.toMatch(/\n\s+at /);
    expect((await runCohort(home, ['frobnicate'])).code).toBe(2);
  });

  it('a host that refuses the join is 1 and one line', async () => {
    const res = await runCohort(home, ['join', 'http://127.0.0.1:9/']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^cohort: Cannot reach a Cohort program at http:\/\/127\.0\.0\.1:9/m);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a membership the owner revoked is 3: the worker says so and stops', async () => {
    const joined = await runCohort(home, ['join', host.publicUrl, '--name', 'ada']);
    expect(joined.code, joined.stderr).toBe(0);
    const [member] = await host.auth.members();
    await host.auth.revoke(member!.id);
    const res = await runCohort(home, ['run', '--no-sandbox']);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toMatch(/revoked by its owner/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
