import { HomeLock } from '../setup/home-lock.ts';
import { realpathSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResponse } from '../../protocol/index.ts';
import type { WorkerEvent } from '../events.ts';
import type { JobContext } from '../jobs/job.ts';
import type { RunOutcome } from '../runner/run-experiment.ts';
import { openSandbox } from '../sandbox/session.ts';
import { Preflight, type MachineProblem } from './preflight.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cohort-preflight-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

function task(run: string, champion: string | null, content = 'x = 1\n'): TaskResponse {
  return {
    program: { spec: { name: 'p', run, metric: 'val_bpb', time_budget: 20 }, body: '' },
    champion: champion === null ? null : { id: champion, member: 'm', member_name: 'ada', value: 1, impact: 0, hypothesis: 'h', parent: null, created_at: '', verification: 'none' },
    files: [{ path: 'train.py', content }],
    reference: null,
  } as unknown as TaskResponse;
}

/** A job context on an unsandboxed slot under `root` (the preflight only needs a slot to run in). */
async function context(events: WorkerEvent[], signal?: AbortSignal): Promise<JobContext> {
  const dirs = { workspace: join(root, 'ws'), state: join(root, 'state'), outbox: join(root, 'outbox'), home: join(root, 'home'), cache: join(root, 'home', '.cache'), runCache: join(root, 'cache') };
  const sandbox = await openSandbox({ setting: false, paths: { configDir: join(root, 'c'), dataDir: join(root, 'd') }, home: dirs.home, runCache: dirs.runCache, env: process.env });
  return { slot: { index: 0, dirs, sandbox, gpus: null, home: new HomeLock() }, host: undefined as never, emit: (e) => events.push(e), ...(signal ? { signal } : {}), nextRun: () => 0 };
}

const crash = (run: number) => ({ run, what: `run ${run}`, dropped: 'the crash was not submitted' });
const preflightStarts = (events: WorkerEvent[]) => events.filter((e) => e.type === 'run-start' && e.preflight !== undefined);

describe('Preflight', () => {
  it('runs a champion\'s code once however many callers ask at once, in a folder of its own; a code known to run needs none', async () => {
    const events: WorkerEvent[] = [];
    const ctx = await context(events);
    const problems: MachineProblem[] = [];
    const preflight = new Preflight({ run: true, onProblem: (p) => problems.push(p) });
    const good = task('sleep 0.3; test -f train.py && echo "val_bpb: 1.0"', 'r1');
    const verdicts = await Promise.all([preflight.check(ctx, good, crash(1)), preflight.check(ctx, good, crash(2)), preflight.check(ctx, task(good.program.spec.run, 'r1'), crash(3))]);
    expect(verdicts).toEqual([{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }]);
    expect(preflight.runs).toBe(1);
    expect(preflightStarts(events)).toEqual([expect.objectContaining({ run: 1, preflight: { champion: 'r1' } })]);
    expect(events.find((e) => e.type === 'run-end')).toMatchObject({ preflight: { champion: 'r1' }, outcome: { status: 'ok', value: 1 } });
    expect(await readdir(join(root, 'state', 'preflight'))).toEqual([expect.stringMatching(/^r1-.*\.log$/)]); // its folder is gone, its log kept
    // A code that gave a value here is known to run; another code (a new champion) is checked anew.
    const next = task(good.program.spec.run, 'r2', 'x = 2\n');
    preflight.ran(next);
    expect(await preflight.check(ctx, next, crash(4))).toEqual({ kind: 'ok' });
    expect(await preflight.check(ctx, task(good.program.spec.run, 'r3', 'x = 3\n'), crash(5))).toEqual({ kind: 'ok' });
    expect(preflight.runs).toBe(2);
    expect(problems).toEqual([]);
  });

  it('a champion that crashes here too is this machine\'s problem: told once, with the interpreter and the package', async () => {
    const events: WorkerEvent[] = [];
    const ctx = await context(events);
    const problems: MachineProblem[] = [];
    const preflight = new Preflight({ run: true, onProblem: (p) => problems.push(p) });
    const broken = task('sleep 0.2; /usr/bin/python3 -c "import no_such_module_xyz"', 'r4');
    const [a, b] = await Promise.all([preflight.check(ctx, broken, crash(7)), preflight.check(ctx, broken, crash(8))]);
    expect(preflight.runs).toBe(1);
    expect(a).toEqual(b);
    expect(problems).toHaveLength(1);
    const problem = problems[0]!;
    expect(a).toEqual({ kind: 'machine', problem });
    expect(problem).toMatchObject({ champion: 'r4', failingLine: "ModuleNotFoundError: No module named 'no_such_module_xyz'" });
    expect(problem.message).toMatch(/^run 7 crashed, and the unchanged code of champion r4 crashes on this machine too \(preflight\): this is this machine's problem, not the code's, so the crash was not submitted and the worker stops\./);
    expect(problem.message).toContain(`the interpreter \`/usr/bin/python3\` (/usr/bin/python3${realpathSync('/usr/bin/python3') === '/usr/bin/python3' ? '' : ` → ${realpathSync('/usr/bin/python3')}`})`);
    expect(problem.message).toContain(`${realpathSync('/usr/bin/python3')} -m pip install no_such_module_xyz`);
    expect(problem.message).toMatch(/the log: .*preflight\/r4-.*\.log\.$/);
    // The worker is stopping: every further check answers with the problem, without a run.
    expect(await preflight.check(ctx, task('echo "val_bpb: 1"', 'r5'), crash(9))).toEqual({ kind: 'machine', problem });
    expect(preflight.runs).toBe(1);
    expect(problems).toHaveLength(1);
  });

  it('a crash of the champion\'s unchanged code is its own preflight (no run), unless that code gave a value here before', async () => {
    const events: WorkerEvent[] = [];
    const ctx = await context(events);
    const problems: MachineProblem[] = [];
    const preflight = new Preflight({ run: true, onProblem: (p) => problems.push(p) });
    const outcome = { status: 'crash', reason: 'killed after the 20 s time budget + 2 s grace', tail: 'step 10\n' } as RunOutcome;
    const known = task('python3 train.py', 'r6');
    preflight.ran(known);
    expect(await preflight.crashed(ctx, known, outcome, crash(1))).toEqual({ kind: 'ok' }); // flaky, not this machine's standing problem
    const verdict = await preflight.crashed(ctx, task('python3 train.py', null, 'y = 1\n'), outcome, crash(2));
    expect(verdict.kind).toBe('machine');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^run 2 ran the program's original code and crashed: .* failing line: killed after the 20 s time budget \+ 2 s grace\. Fix this machine and run again\.$/);
    expect(preflight.runs).toBe(0);
    expect(events).toEqual([]);
  });

  it('a session that spends no runs on preflights (a single run) leaves an unknown code unchecked', async () => {
    const events: WorkerEvent[] = [];
    const ctx = await context(events);
    const preflight = new Preflight({ run: false, onProblem: () => undefined });
    const code = task('/usr/bin/python3 -c "import no_such_module_xyz"', 'r8');
    expect(await preflight.check(ctx, code, crash(1))).toEqual({ kind: 'unchecked' });
    preflight.ran(code);
    expect(await preflight.check(ctx, code, crash(2))).toEqual({ kind: 'ok' });
    expect(preflight.runs).toBe(0);
    expect(events).toEqual([]);
  });

  it('a stopped preflight decides nothing: the next crash checks again', async () => {
    const events: WorkerEvent[] = [];
    const controller = new AbortController();
    const preflight = new Preflight({ run: true, onProblem: () => undefined, graceSeconds: 0 });
    const slow = task('sleep 0.5; echo "val_bpb: 1.0"', 'r7');
    const stopping = preflight.check(await context(events, controller.signal), slow, crash(1));
    setTimeout(() => controller.abort(), 100);
    expect(await stopping).toEqual({ kind: 'stopped' });
    expect(await preflight.check(await context(events), slow, crash(2))).toEqual({ kind: 'ok' });
    expect(preflight.runs).toBe(2);
  });
});
