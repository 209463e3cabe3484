/**
 * A program shaped like karpathy/autoresearch (written for this test, CPU only): `setup` builds a
 * Python virtual environment in the program home and downloads its data and a "kernel" from a
 * server (here on loopback) into ~/.cache/<name>/; `run` uses that environment and reads the cache,
 * with no network. Real host, real processes, unsandboxed and in the real bubblewrap sandbox.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../main/host.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import { tempHome, type TempHome } from '../../main/testing/harness.ts';
import { workerDirs } from '../dirs.ts';
import type { Hardware } from '../hardware.ts';
import { join as joinProgram } from '../join.ts';
import { testSandbox } from '../sandbox/testing.ts';
import { startWorker, type WorkerEvent, type WorkerOptions } from '../worker.ts';

const SANDBOX = await testSandbox();
const hardware: Hardware = { hostname: 'test', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };

const PREPARE_PY = `import os, sys, textwrap, urllib.request
cache = os.path.expanduser("~/.cache/arshaped")
os.makedirs(cache, exist_ok=True)
for name in ("data.txt", "kernel.bin"):
    with urllib.request.urlopen(os.environ["DATA_URL"] + name, timeout=10) as r:
        open(os.path.join(cache, name), "wb").write(r.read())
print(textwrap.dedent("  prepared into"), cache, "with", sys.prefix)
`;

const TRAIN_PY = `import os, sys, urllib.request
LR = 0.5
cache = os.path.expanduser("~/.cache/arshaped")
if sys.prefix != os.environ["VENV"]:
    sys.exit("not the program's environment: " + sys.prefix)
try:
    data = open(os.path.join(cache, "data.txt")).read()
    kernel = open(os.path.join(cache, "kernel.bin"), "rb").read()
except FileNotFoundError as e:
    print("the data is missing (%s): run cohort setup" % e.filename, file=sys.stderr)
    sys.exit(1)
try:
    urllib.request.urlopen(os.environ["DATA_URL"] + "data.txt", timeout=3)
    print("network: reachable")
except Exception:
    print("network: blocked")
print("kernel:", kernel.decode())
# What a hostile run would do: plant code where setup, which has network, might run it.
open("textwrap.py", "w").write("print('PLANTED RAN')\\n")
try:
    open(os.path.join(os.environ["VENV"], "planted.pth"), "w").write("import os\\n")
    print("home: writable")
except OSError:
    print("home: read-only")
print("val_bpb:", round(1.0 + len(data) / 1000 + LR, 6))
`;

let dataServer: Server | undefined;
let hits: string[] = [];
let home: TempHome | undefined;
let host: RunningHost | undefined;
let dir: string | undefined;
afterEach(async () => {
  await host?.close();
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  await new Promise<void>((r) => (dataServer ? dataServer.close(() => r()) : r()));
  host = undefined;
  home = undefined;
  dir = undefined;
  dataServer = undefined;
  hits = [];
});

/** The stand-in for the Hugging Face hub: a data file and a "kernel". */
async function startDataServer(): Promise<string> {
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/data.txt') return res.end('x'.repeat(250));
    if (req.url === '/kernel.bin') return res.end('sdpa-kernel-v1');
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dataServer = server;
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function programFolder(dataUrl: string, setup = 'python3 -m venv --without-pip "$VENV" && "$VENV/bin/python" prepare.py'): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'cohort-arshaped-'));
  const task = [
    '---',
    'name: arshaped',
    'objective: lower val_bpb',
    'metric: val_bpb',
    'direction: minimize',
    `setup: ${JSON.stringify(setup)}`,
    'run: \'"$VENV/bin/python" train.py\'',
    'env:',
    `  DATA_URL: ${dataUrl}`,
    '  VENV: $HOME/venv',
    'time_budget: 60',
    '---',
    'Shaped like autoresearch.',
    '',
  ].join('\n');
  await writeFile(join(folder, 'TASK.md'), task);
  await writeFile(join(folder, 'prepare.py'), PREPARE_PY);
  await writeFile(join(folder, 'train.py'), TRAIN_PY);
  return folder;
}

const variants = [
  { name: 'unsandboxed', option: { sandbox: false as const }, sandboxed: false },
  ...(SANDBOX.usable ? [{ name: 'in the bubblewrap sandbox', option: {}, sandboxed: true }] : []),
];

describe.each(variants)('a program that needs setup, $name', ({ option, sandboxed }) => {
  it('sets up once for two runs, again when the program changes or on demand; runs read the home offline', async () => {
    const dataUrl = await startDataServer();
    dir = await programFolder(dataUrl);
    home = await tempHome();
    host = await startHost({ program: await loadProgram(dir), paths: home.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
    const port = Number(new URL(host.publicUrl).port);
    const kbFile = host.kbFile;
    const membership = await joinProgram({ url: host.publicUrl, name: 'w1', hardware, appVersion: 'test', paths: home.paths });
    const dirs = workerDirs(home.paths, membership);
    const work = async (extra: Partial<WorkerOptions>) => {
      const events: WorkerEvent[] = [];
      const summary = await startWorker({ ...option, membership, paths: home!.paths, hardware, onEvent: (e) => events.push(e), ...extra });
      const setups = events.flatMap((e) => (e.type === 'setup-start' ? [e] : []));
      const ends = events.flatMap((e) => (e.type === 'run-end' ? [e.outcome] : []));
      return { summary, events, setups, ends, output: events.flatMap((e) => (e.type === 'output' ? [e.chunk] : [])).join('') };
    };

    // Two runs, one setup before them: with network, its downloads in the program home.
    const first = await work({ runs: 2 });
    expect(first.summary, first.output).toMatchObject({ runs: 2, stoppedBecause: 'done' });
    expect(first.setups).toHaveLength(1);
    expect(first.setups[0]).toMatchObject({ why: 'it has not run for this program yet', home: dirs.home, sandboxed });
    expect(first.events.find((e) => e.type === 'setup-end')).toMatchObject({ ok: true });
    expect(hits.slice(0, 2)).toEqual(['/data.txt', '/kernel.bin']);
    expect(await readFile(join(dirs.home, '.cache', 'arshaped', 'kernel.bin'), 'utf8')).toBe('sdpa-kernel-v1');
    expect(first.ends.map((o) => [o.status, o.value]), first.output).toEqual([['ok', 1.75], ['ok', 1.75]]);
    expect(first.output).toContain('kernel: sdpa-kernel-v1');
    // Runs have no network in the sandbox and cannot write the home (unsandboxed nothing confines them).
    expect(first.output).toContain(sandboxed ? 'network: blocked' : 'network: reachable');
    expect(first.output).toContain(sandboxed ? 'home: read-only' : 'home: writable');
    expect(hits.length).toBe(sandboxed ? 2 : 4);
    expect(await host.kb.results()).toHaveLength(2);

    // The owner changes a fixed file and restarts: setup runs again before the next run.
    await host.close();
    await writeFile(join(dir, 'prepare.py'), `${PREPARE_PY}# v2\n`);
    host = await startHost({ program: await loadProgram(dir), paths: home.paths, kbFile, port, membership: 'open', writeState: false, intervalSeconds: 1 });
    hits = [];
    const second = await work({ runs: 1 });
    expect(second.setups.map((s) => s.why)).toEqual(['the program\'s setup, env or fixed files changed since it last ran']);
    expect(hits.slice(0, 2)).toEqual(['/data.txt', '/kernel.bin']);
    expect(second.ends.map((o) => o.status)).toEqual(['ok']);

    // Without what setup made, a run fails and says so; `cohort setup` (setupOnly) makes it again.
    await rm(join(dirs.home, '.cache', 'arshaped'), { recursive: true });
    const third = await work({ runs: 1 });
    expect(third.setups).toHaveLength(0);
    expect(third.ends[0]?.status).toBe('crash');
    expect(third.ends[0]?.reason).toMatch(/^exit code 1: the data is missing \(.*kernel\.bin|data\.txt\): run cohort setup$/);
    // The unchanged code crashed: this machine's problem, not a result (the preflight), and the worker says why.
    expect(third.summary).toMatchObject({ stoppedBecause: 'machine', submitted: [] });
    expect(third.summary.reason).toMatch(/the data is missing/);
    const asked = await work({ setupOnly: true });
    expect(asked.summary).toMatchObject({ runs: 0, stoppedBecause: 'done', submitted: [] });
    expect(asked.setups.map((s) => s.why)).toEqual(['you asked for it']);
    // Setup ran in a fresh folder of the program's fixed files: what runs planted in the workspace did not run.
    expect(asked.output).toContain('prepared into');
    expect(first.output + second.output + asked.output).not.toContain('PLANTED RAN');
    const fourth = await work({ runs: 1 });
    expect(fourth.setups).toHaveLength(0);
    expect(fourth.ends.map((o) => o.status)).toEqual(['ok']);
  }, 120_000);

  it('a setup that fails says why, runs nothing and submits nothing', async () => {
    dir = await programFolder(await startDataServer(), 'echo "cannot find uv: install it first" >&2; exit 3');
    home = await tempHome();
    host = await startHost({ program: await loadProgram(dir), paths: home.paths, membership: 'open', writeState: false, intervalSeconds: 1 });
    const membership = await joinProgram({ url: host.publicUrl, name: 'w1', hardware, appVersion: 'test', paths: home.paths });
    const events: WorkerEvent[] = [];
    const summary = await startWorker({ ...option, membership, paths: home.paths, hardware, loop: true, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ runs: 0, stoppedBecause: 'setup', submitted: [] });
    expect(events.find((e) => e.type === 'setup-end')).toMatchObject({ ok: false, reason: 'exit code 3: cannot find uv: install it first' });
    const warning = events.findLast((e) => e.type === 'warning');
    expect(warning?.type === 'warning' && warning.message).toMatch(/^the program's setup failed \(exit code 3: cannot find uv: install it first\); nothing was run or submitted\. Its log: .*setup-.*\.log\./);
    expect(events.some((e) => e.type === 'run-start')).toBe(false);
    expect(await host.kb.results()).toHaveLength(0);
    // Its next start tries setup again (a failed setup is not remembered as done).
    const again: WorkerEvent[] = [];
    await startWorker({ ...option, membership, paths: home.paths, hardware, onEvent: (e) => again.push(e) });
    expect(again.filter((e) => e.type === 'setup-start')).toHaveLength(1);
  }, 60_000);
});
