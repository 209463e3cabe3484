/** `requires` as a person meets it: a warning right after approval, then `cohort run` refusing, exit 1, no stack. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../main/host.ts';
import { loadProgram } from '../main/program/load-program.ts';
import { fakeNvidiaSmi, GB10 } from '../worker-runtime/hardware/testing.ts';
import { runCohort } from './testing.ts';

const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const NOT_MET = 'this machine does not meet the program\'s requires: needs a GPU matching H100; this machine has 1× NVIDIA GB10. The program needs a GPU matching H100.';

describe('a machine that does not meet the program\'s requires, from the command line', () => {
  let home: string;
  let host: RunningHost;
  let nvidiaSmi: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cohort-cli-requires-'));
    const program = join(home, 'program');
    await cp(QUADRATIC, program, { recursive: true });
    const task = await readFile(join(program, 'TASK.md'), 'utf8');
    await writeFile(join(program, 'TASK.md'), task.replace('\nmembership: invite\n', '\nmembership: open\nrequires: { gpu: H100 }\n'));
    host = await startHost({ program: await loadProgram(program), paths: { configDir: join(home, 'owner', 'config'), dataDir: join(home, 'owner', 'data') }, writeState: false, intervalSeconds: 1 });
    nvidiaSmi = await fakeNvidiaSmi({ query: GB10 });
  });
  afterAll(async () => {
    await host?.close();
    await rm(home, { recursive: true, force: true });
    await rm(dirname(nvidiaSmi), { recursive: true, force: true });
  });

  it('cohort join warns right after approval; cohort run refuses with the reason alone, exit 1, and submits nothing', async () => {
    const env = { COHORT_NVIDIA_SMI: nvidiaSmi };
    const joined = await runCohort(home, ['join', host.publicUrl, '--name', 'spark'], env);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain('NVIDIA GB10');
    expect(joined.stderr).toContain(`[cohort] ! Approved, but ${NOT_MET} \`cohort run\` will refuse to run here.`);

    const run = await runCohort(home, ['run', '--no-sandbox'], env);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`cohort: ${NOT_MET}`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await host.kb.results()).toEqual([]);
  }, 60_000);
});
