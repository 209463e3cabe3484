import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStat } from './process-group.ts';
import { runExperiment, type RunOptions, type RunProgress } from './run-experiment.ts';
import { AUTORESEARCH_VALUES } from './autoresearch-fixture.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-runner-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NODE = JSON.stringify(process.execPath);

// A way to force garbage collection for the memory test, without starting node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const PYTHON = '/usr/bin/python3';

function run(command: string, extra: Partial<RunOptions> = {}) {
  return runExperiment({ command, cwd: dir, metric: 'val_bpb', timeBudgetSeconds: 10, ...extra });
}

/** Writes a script into the temp folder and returns a shell command running it with node. */
async function nodeScript(name: string, source: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, source);
  return `${NODE} ${JSON.stringify(file)}`;
}

/**
 * Dead means kill(pid, 0) throws ESRCH. An orphaned grandchild is reaped by init, which in some
 * containers happens a moment later, so poll a little and accept an unreaped zombie at the end.
 */
async function expectGone(pid: number): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
      return;
    }
    if (Date.now() > deadline) {
      expect(readStat(pid)?.state ?? 'gone').toMatch(/^(Z|X|gone)$/);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function readPid(file: string): Promise<number> {
  return Number((await readFile(join(dir, file), 'utf8')).trim());
}

describe('runExperiment', () => {
  it('reads the exact autoresearch summary of a successful run', async () => {
    const cmd = `${PYTHON} -c '
print("step 00952 (99.9%) | loss: 3.012345 | lrm: 0.01")
print("---")
print(f"val_bpb:          {0.9979:.6f}")
print(f"training_seconds: {300.1:.1f}")
print(f"total_seconds:    {325.9:.1f}")
print(f"peak_vram_mb:     {45060.2:.1f}")
print(f"mfu_percent:      {39.80:.2f}")
print(f"total_tokens_M:   {499.6:.1f}")
print(f"num_steps:        {953}")
print(f"num_params_M:     {50.3:.1f}")
print(f"depth:            {8}")
'`;
    const o = await run(cmd);
    expect(o).toMatchObject({
      status: 'ok',
      value: 0.9979,
      exitCode: 0,
      signal: null,
      timedOut: false,
      stopped: false,
      summary: AUTORESEARCH_VALUES,
      durations: { training_seconds: 300.1, total_seconds: 325.9 },
    });
    expect(o.durations.wall_seconds).toBeGreaterThan(0);
    expect(o.tail).toContain('val_bpb:          0.997900');
    expect(o.logFile).toBeUndefined();
  });

  it('is a crash when the run prints FAIL and exits 1', async () => {
    const o = await run(`${PYTHON} -c 'import sys
print("step 00010 (1.0%) | loss: nan")
print("FAIL")
sys.exit(1)'`);
    expect(o).toMatchObject({ status: 'crash', reason: 'printed FAIL', exitCode: 1, value: null });
  });

  it('is a crash when the metric is NaN', async () => {
    const o = await run(`echo 'val_bpb: nan'`);
    expect(o).toMatchObject({ status: 'crash', reason: 'val_bpb is NaN', exitCode: 0, value: null });
  });

  it('is a crash when the metric is missing', async () => {
    const o = await run(`echo 'loss: 2.5'`);
    expect(o).toMatchObject({ status: 'crash', reason: 'no val_bpb line in the output', metrics: { loss: 2.5 } });
  });

  it('is a crash on a non-zero exit, keeping the value it printed', async () => {
    const o = await run(`echo 'val_bpb: 1.0'; echo 'Traceback: boom' >&2; exit 3`);
    expect(o).toMatchObject({ status: 'crash', reason: 'exit code 3: Traceback: boom', exitCode: 3, value: 1 });
    expect(o.tail).toContain('Traceback: boom');
  });

  it('is a crash when the command cannot start', async () => {
    const o = await run('true', { cwd: join(dir, 'does-not-exist') });
    expect(o.status).toBe('crash');
    expect(o.reason).toMatch(/^could not start: /);
  });

  it('reads carriage-return progress bars with metric lines in between', async () => {
    const seen: Array<[string, number]> = [];
    const o = await run(
      `${PYTHON} -c 'import sys
for i in range(1, 101):
    sys.stderr.write(f"step {i}/100\\r")
    if i % 25 == 0:
        sys.stdout.write(f"loss: {4 - i / 50}\\r")
sys.stderr.write("\\n")
sys.stdout.write("\\r\\nval_bpb: 1.5\\n")'`,
      { onMetric: (name, value) => seen.push([name, value]) },
    );
    expect(o).toMatchObject({ status: 'ok', value: 1.5, metrics: { loss: 2, val_bpb: 1.5 } });
    expect(seen).toEqual([
      ['loss', 3.5],
      ['loss', 3],
      ['loss', 2.5],
      ['loss', 2],
      ['val_bpb', 1.5],
    ]);
  });

  it('survives a 10 MB line without newlines and finds the metric after it', async () => {
    const cmd = await nodeScript('long-line.mjs', `process.stdout.write('x'.repeat(10 * 1024 * 1024) + '\\nval_bpb: 1.0\\n');`);
    const o = await run(cmd);
    expect(o).toMatchObject({ status: 'ok', value: 1 });
    expect(o.tail.endsWith('x\nval_bpb: 1.0\n')).toBe(true);
  });

  it('streams 100 MB of output in bounded memory and finds the metric at the end', async () => {
    // 1600 blocks of 64 KiB, 1 KiB lines, written with back-pressure, then the metric.
    const cmd = await nodeScript(
      'flood.mjs',
      `const block = Buffer.from(('loss: 1.0 ' + 'x'.repeat(1013) + '\\n').repeat(64));
let left = 1600;
function write() {
  while (left > 0) {
    left -= 1;
    if (!process.stdout.write(block)) { process.stdout.once('drain', write); return; }
  }
  process.stdout.write('---\\nval_bpb: 0.5\\n');
}
write();`,
    );
    // Garbage is collected lazily (V8 lets ~64 MB of dead Buffers pile up), so RSS alone is noisy:
    // collect every 2 MB and measure what is still alive, plus RSS as a sanity bound.
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const liveBefore = live();
    const rssBefore = process.memoryUsage().rss;
    let livePeak = liveBefore;
    let rssPeak = rssBefore;
    let bytes = 0;
    let chunks = 0;
    const o = await run(cmd, {
      timeBudgetSeconds: 60,
      onOutput: (chunk) => {
        bytes += chunk.length;
        if (++chunks % 32 === 0) {
          livePeak = Math.max(livePeak, live());
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        }
      },
    });
    expect(o).toMatchObject({ status: 'ok', value: 0.5, summary: { val_bpb: 0.5 } });
    expect(bytes).toBe(1600 * 64 * 1024 + 17);
    expect(livePeak - liveBefore).toBeLessThan(16 * 1024 * 1024);
    expect(rssPeak - rssBefore).toBeLessThan(50 * 1024 * 1024);
    expect(Buffer.byteLength(o.tail)).toBeLessThanOrEqual(4096);
  }, 30_000);

  it('kills an over-budget run with its grandchildren', async () => {
    const started = Date.now();
    const o = await run(`sleep 300 & echo $! > bg.pid; echo $$ > sh.pid; sleep 300`, {
      timeBudgetSeconds: 1,
      graceSeconds: 0.5,
    });
    expect(o).toMatchObject({
      status: 'crash',
      reason: 'killed after the 1 s time budget + 0.5 s grace',
      timedOut: true,
      stopped: false,
      exitCode: null,
      signal: 'SIGTERM',
    });
    expect(Date.now() - started).toBeLessThan(6000); // SIGTERM was enough: no 5 s wait for SIGKILL
    await expectGone(await readPid('sh.pid'));
    await expectGone(await readPid('bg.pid'));
  });

  it('runs out a budget longer than setTimeout can hold (~24.8 days) instead of killing the run at once', async () => {
    // Node fires a timer of more than 2^31 - 1 ms after 1 ms: the budget kill would come at the start.
    const o = await run(`sleep 0.5; echo 'val_bpb: 1.5'`, { timeBudgetSeconds: 30 * 24 * 3600 });
    expect(o).toMatchObject({ status: 'ok', value: 1.5, timedOut: false });
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const o = await run(`trap '' TERM; sleep 300 & echo $! > bg-trap.pid; while :; do sleep 0.1; done`, {
      timeBudgetSeconds: 1,
      graceSeconds: 0,
      killAfterSeconds: 0.5,
    });
    expect(o).toMatchObject({ status: 'crash', timedOut: true, signal: 'SIGKILL' });
    await expectGone(await readPid('bg-trap.pid'));
  });

  it('stops on abort, reporting progress until then', async () => {
    const controller = new AbortController();
    const progress: RunProgress[] = [];
    const o = await run(`echo 'loss: 2'; sleep 300 & echo $! > bg-abort.pid; sleep 300`, {
      timeBudgetSeconds: 300,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        controller.abort();
      },
    });
    expect(o).toMatchObject({ status: 'crash', reason: 'stopped', stopped: true, timedOut: false });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatchObject({ budgetSeconds: 300, lastMetric: { name: 'loss', value: 2 } });
    expect(progress[0]?.elapsedSeconds).toBeGreaterThan(0.9);
    await expectGone(await readPid('bg-abort.pid'));
  });

  it('does not start when already aborted', async () => {
    const o = await run(`echo started > never.txt`, { signal: AbortSignal.abort() });
    expect(o).toMatchObject({ status: 'crash', reason: 'stopped', stopped: true, exitCode: null });
    await expect(readFile(join(dir, 'never.txt'))).rejects.toThrow();
  });

  it('returns soon after the shell exits even if a grandchild holds the pipe, and ends that grandchild', async () => {
    const started = Date.now();
    const o = await run(`sleep 300 & echo $! > bg-pipe.pid; echo 'val_bpb: 2.25'`);
    expect(o).toMatchObject({ status: 'ok', value: 2.25, exitCode: 0 });
    expect(Date.now() - started).toBeLessThan(5000); // not the 300 s of the sleep
    await expectGone(await readPid('bg-pipe.pid'));
  });

  it('writes everything printed to the log file, creating its folders', async () => {
    const text = 'héllo €\nstep 1/3\rstep 2/3\rstep 3/3\r\nval_bpb: 0.75\n' + 'z'.repeat(100_000) + '\nend';
    const cmd = await nodeScript('log.mjs', `process.stdout.write(${JSON.stringify(text)});`);
    const logFile = join(dir, 'logs', 'deep', 'run.log');
    let printed = '';
    const streams = new Set<string>();
    const o = await run(cmd, {
      logFile,
      onOutput: (chunk, stream) => {
        streams.add(stream);
        printed += chunk;
      },
    });
    expect([...streams]).toEqual(['stdout']);
    expect(o).toMatchObject({ status: 'ok', value: 0.75, logFile });
    expect(o.logError).toBeUndefined();
    expect(await readFile(logFile, 'utf8')).toBe(text);
    expect(printed).toBe(text);
    expect(o.tail.endsWith('z\nend')).toBe(true);
  });

  it('still runs when the log file cannot be written, and says why', async () => {
    await writeFile(join(dir, 'a-file'), '');
    const o = await run(`echo 'val_bpb: 1.5'`, { logFile: join(dir, 'a-file', 'run.log') });
    expect(o).toMatchObject({ status: 'ok', value: 1.5 });
    expect(o.logError).toMatch(/ENOTDIR|EEXIST/);
  });
});
