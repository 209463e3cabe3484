/**
 * The sandbox against hostile train.py files, for real: a host on loopback, a member joined through
 * the device flow, and startWorker running each variant in bubblewrap. Each variant arrives as the
 * member's local change (a `--propose` command copies it over train.py), as code from anyone would.
 *
 * The fixtures live in the repository's `.cohort-test/` (ignored by git), not in /tmp: the sandbox
 * gives every run a private /tmp, so a secret planted there would be hidden for the wrong reason.
 */
import { createTwoFilesPatch } from 'diff';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../main/host.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import type { CohortPaths } from '../../protocol/node/paths.ts';
import type { ResultRecord, TaskResponse } from '../../protocol/index.ts';
import type { Membership } from '../credentials.ts';
import type { Hardware } from '../hardware.ts';
import { join as joinProgram } from '../join.ts';
import { startWorker, workerDirs, type WorkerEvent, type WorkerOptions } from '../worker.ts';
import { runExperiment } from '../runner/run-experiment.ts';
import { openSandbox } from './session.ts';
import { processesWith, testSandbox } from './testing.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const QUADRATIC = join(REPO, 'examples', 'quadratic');
const hardware: Hardware = { hostname: 'test', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };
const SANDBOX = await testSandbox();

interface Fixture {
  root: string;
  home: string;
  paths: CohortPaths;
  host: RunningHost;
  membership: Membership;
  env: NodeJS.ProcessEnv;
}

async function fixture(program: { dir?: string; task?: string }): Promise<Fixture> {
  await mkdir(join(REPO, '.cohort-test'), { recursive: true });
  const root = await mkdtemp(join(REPO, '.cohort-test', 'sandbox-'));
  // A home folder with something a run must never see.
  const home = join(root, 'home');
  await mkdir(join(home, '.config', 'cohort-test'), { recursive: true });
  await writeFile(join(home, '.config', 'cohort-test', 'secret.txt'), 'planted-secret\n');
  const paths = { configDir: join(root, 'cohort', 'config'), dataDir: join(root, 'cohort', 'data') };
  const dir = join(root, 'program');
  if (program.dir) await cp(program.dir, dir, { recursive: true });
  else {
    await mkdir(dir);
    await writeFile(join(dir, 'TASK.md'), `---\n${program.task}\n---\nInstructions.\n`);
    await writeFile(join(dir, 'train.py'), 'print("val_loss: 1.0")\n');
  }
  const host = await startHost({ program: await loadProgram(dir), paths: { configDir: join(root, 'owner', 'config'), dataDir: join(root, 'owner', 'data') }, membership: 'open', writeState: false, intervalSeconds: 1 });
  const membership = await joinProgram({ url: host.publicUrl, name: 'ada', hardware, appVersion: 'test', paths });
  return { root, home, paths, host, membership, env: { ...process.env, HOME: home } };
}

async function dispose(f: Fixture | undefined): Promise<void> {
  if (!f) return;
  await f.host.close();
  await rm(f.root, { recursive: true, force: true });
}

/** One run of `source` as train.py (copied in by the proposer step); its KB record and the events. */
async function runVariant(f: Fixture, name: string, source: string, extra: Partial<WorkerOptions> = {}): Promise<{ result: ResultRecord; events: WorkerEvent[] }> {
  const file = join(f.root, 'variants', `${name}.py`);
  await mkdir(join(f.root, 'variants'), { recursive: true });
  await writeFile(file, source);
  const events: WorkerEvent[] = [];
  const summary = await startWorker({
    membership: f.membership,
    paths: f.paths,
    hardware,
    env: f.env,
    propose: `cp ${JSON.stringify(file)} train.py && echo ${JSON.stringify(name)} > HYPOTHESIS.md`,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  expect(summary.submitted).toHaveLength(1);
  const result = (await f.host.kb.results()).find((r) => r.id === summary.submitted[0]!.id)!;
  return { result, events };
}

const TASK = 'name: hostile\nobjective: x\nmetric: val_loss\ndirection: minimize\nrun: python3 train.py\ntime_budget: 30';

describe.skipIf(!SANDBOX.usable)(`sandboxed runs${SANDBOX.skipReason ? ` (skipped: ${SANDBOX.skipReason})` : ''}`, () => {
  let f: Fixture;
  let server: Server;
  let connections = 0;
  beforeAll(async () => {
    f = await fixture({ task: TASK });
    server = createServer((socket) => {
      connections += 1;
      socket.end('hello from outside\n');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    server?.close();
    await dispose(f);
  });

  it('cannot connect to a server on this machine (the same code can, unsandboxed), and the crash says why', async () => {
    const { port } = server.address() as { port: number };
    const source = `import socket\ns = socket.create_connection(("127.0.0.1", ${port}), timeout=5)\nprint(s.recv(100))\nprint("val_loss: 2.0")\n`;
    const { result, events } = await runVariant(f, 'socket', source);
    expect(result.status).toBe('crash');
    expect(result.output).toMatch(/^\[cohort\] crash: exit code 1: (ConnectionRefusedError: \[Errno 111\] Connection refused|OSError: \[Errno 101\] Network is unreachable)/);
    expect(connections).toBe(0);
    expect(events.find((e) => e.type === 'run-start')).toMatchObject({ sandboxed: true });
    expect(events.find((e) => e.type === 'sandbox')).toMatchObject({ sandboxed: true, bwrap: expect.stringMatching(/bwrap$/), cacheDir: workerDirs(f.paths, f.membership).runCache, home: workerDirs(f.paths, f.membership).home });

    // The server is reachable for the very same code outside the sandbox: the sandbox is what stopped it.
    const outside = await runVariant(f, 'socket-unsandboxed', source, { sandbox: false });
    expect(outside.result.status).not.toBe('crash');
    expect(connections).toBe(1);
    expect(outside.events.find((e) => e.type === 'run-start')).toMatchObject({ sandboxed: false });
    expect(outside.events.some((e) => e.type === 'warning' && /NOT sandboxed/.test(e.message))).toBe(true);
  });

  it('cannot read the home folder (~/.config), except what --expose names; ~ is the program home', async () => {
    const secret = join(f.home, '.config', 'cohort-test', 'secret.txt');
    const { result } = await runVariant(f, 'home', `import os\nassert os.path.expanduser("~") == ${JSON.stringify(workerDirs(f.paths, f.membership).home)}, os.path.expanduser("~")\nprint(open(${JSON.stringify(secret)}).read())\nprint("val_loss: 2.0")\n`);
    expect(result.status).toBe('crash');
    expect(result.output).toMatch(/^\[cohort\] crash: exit code 1: FileNotFoundError: \[Errno 2\] No such file or directory: '.*\/home\/\.config\/cohort-test\/secret\.txt'/);
    expect(result.output).not.toContain('planted-secret');

    // What the person names with --expose is readable (read-only), and only that.
    await mkdir(join(f.home, 'datasets'));
    await writeFile(join(f.home, 'datasets', 'corpus.txt'), 'shared text\n');
    const exposed = await runVariant(f, 'expose', [
      'import os',
      `print(open(${JSON.stringify(join(f.home, 'datasets', 'corpus.txt'))}).read())`,
      `assert not os.path.exists(${JSON.stringify(secret)})`,
      'try:',
      `    open(${JSON.stringify(join(f.home, 'datasets', 'new.txt'))}, "w")`,
      '    raise SystemExit("wrote into an exposed folder")',
      'except OSError as e:',
      '    print("read-only:", e.errno == 30)',
      'print("val_loss: 3.0")',
      '',
    ].join('\n'), { sandbox: { expose: [join(f.home, 'datasets')] } });
    expect(exposed.result.status, exposed.result.output).not.toBe('crash');
    expect(exposed.result.output).toContain('shared text');
    expect(exposed.result.output).toContain('read-only: True');
  });

  it('cannot read the membership token (the Cohort config folder is hidden)', async () => {
    const tokenFile = join(f.paths.configDir, 'memberships', `${f.membership.id}.json`);
    expect(await readFile(tokenFile, 'utf8')).toContain(f.membership.token);
    const { result } = await runVariant(f, 'token', `print(open(${JSON.stringify(tokenFile)}).read())\nprint("val_loss: 2.0")\n`);
    expect(result.status).toBe('crash');
    expect(result.output).toMatch(/crash: exit code 1: FileNotFoundError: \[Errno 2\] No such file or directory: '.*memberships\/hostile-[0-9a-f]{10}\.json'/);
    expect(result.output).not.toContain(f.membership.token);
  });

  it('cannot write outside the workspace', async () => {
    // A path on the real, read-only system (not under the private /tmp, where a checkout may live).
    const system = join('/usr/local', `cohort-sandbox-test-${process.pid}.txt`);
    try {
      const { result } = await runVariant(f, 'outside', `open(${JSON.stringify(system)}, "w").write("x")\nprint("val_loss: 2.0")\n`);
      expect(result.status).toBe('crash');
      expect(result.output).toMatch(/crash: exit code 1: OSError: \[Errno 30\] Read-only file system: '.*cohort-sandbox-test-\d+\.txt'/);
      expect(existsSync(system)).toBe(false);
    } finally {
      await rm(system, { force: true });
    }
    // Beside the workspace: refused, or (when the checkout lives under /tmp) written into the
    // sandbox's private /tmp, which vanishes with it; either way it never reaches the disk.
    const beside = join(f.root, 'outside.txt');
    const { result } = await runVariant(f, 'beside', `open(${JSON.stringify(beside)}, "w").write("x")\nprint("val_loss: 2.5")\n`);
    expect(existsSync(beside)).toBe(false);
    if (!f.root.startsWith('/tmp/')) expect(result.status).toBe('crash');
  });

  it('cannot rewrite the code it is judged by (the worker\'s records are out of sight, the editable files read-only)', async () => {
    const base = join(workerDirs(f.paths, f.membership).state, 'base', 'train.py');
    const { result } = await runVariant(f, 'tamper', `open(${JSON.stringify(base)}, "w").write("x")\nprint("val_loss: 2.0")\n`);
    expect(result.output).toMatch(/crash: exit code 1: (FileNotFoundError: \[Errno 2\] No such file or directory|OSError: \[Errno 30\] Read-only file system)/);
    expect(await readFile(base, 'utf8')).not.toBe('x');
    const self = await runVariant(f, 'tamper-self', 'open("train.py", "a").write("# changed while running")\nprint("val_loss: 2.0")\n');
    expect(self.result.output).toMatch(/crash: exit code 1: OSError: \[Errno 30\] Read-only file system: 'train\.py'/);
  });

  it('may write into the run cache, kept between runs (COHORT_CACHE_DIR), but not into the program home, which setup runs with network', async () => {
    const dirs = workerDirs(f.paths, f.membership);
    const { result } = await runVariant(f, 'cache', [
      'import os',
      'd = os.environ["COHORT_CACHE_DIR"]',
      'open(os.path.join(d, "cached.txt"), "w").write("kept")',
      `assert os.environ["HOME"] == ${JSON.stringify(dirs.home)} and os.environ["XDG_CACHE_HOME"] == ${JSON.stringify(dirs.cache)}`,
      'for target in [os.path.expanduser("~/.bashrc"), os.path.join(os.environ["XDG_CACHE_HOME"], "poisoned.py")]:',
      '    try:',
      '        open(target, "w").write("import socket")',
      '        print("wrote", target)',
      '    except OSError as e:',
      '        print("refused", e.errno)',
      'print("val_loss: 0.5")',
      '',
    ].join('\n'));
    expect(result.status, result.output).toBe('keep');
    expect(await readFile(join(dirs.runCache, 'cached.txt'), 'utf8')).toBe('kept');
    expect(result.output).not.toContain('wrote');
    expect(result.output.match(/refused 30/g)).toHaveLength(2); // EROFS
  });

  it('may write into the workspace, and /tmp is private and writable', async () => {
    const { result } = await runVariant(f, 'workspace', [
      'import os, tempfile',
      'os.makedirs("data", exist_ok=True)',
      'open("data/out.bin", "wb").write(b"123")',
      'with tempfile.NamedTemporaryFile() as t: t.write(b"x")',
      'print("val_loss: 0.25")',
      '',
    ].join('\n'));
    expect(result.status, result.output).toBe('keep');
    expect(await readFile(join(workerDirs(f.paths, f.membership).workspace, 'data', 'out.bin'), 'utf8')).toBe('123');
  });

  it('says before each run whose changes the code contains', async () => {
    // Another member's result becomes the champion; this worker then runs on top of it.
    const bob = await joinProgram({ url: f.host.publicUrl, name: 'bob', hardware, appVersion: 'test', paths: { configDir: join(f.root, 'bob'), dataDir: join(f.root, 'bob') } });
    const champion = (await f.host.kb.champion())!;
    const task = (await (await fetch(`${f.host.publicUrl}/api/task`, { headers: { authorization: `Bearer ${bob.token}` } })).json()) as TaskResponse;
    const old = task.files.find((x) => x.path === 'train.py')!.content;
    const patch = createTwoFilesPatch('a/train.py', 'b/train.py', old, `${old}# bob's idea\n`).replace(/^=+\n/, '');
    const res = await fetch(`${f.host.publicUrl}/api/results`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 0.1, hypothesis: 'bob was here', patch, parent: champion.id }),
    });
    const verdict = ((await res.json()) as { result: { id: string; status: string } }).result;
    expect(verdict.status).toBe('keep');
    const { events } = await runVariant(f, 'lineage', 'print("val_loss: 0.75")\n');
    const lineage = events.find((e) => e.type === 'lineage');
    if (lineage?.type !== 'lineage') throw new Error('no lineage event');
    expect(lineage).toMatchObject({ champion: verdict.id, complete: true, localEdits: ['train.py'] });
    expect(lineage.chain.slice(0, 2)).toMatchObject([
      { id: verdict.id, memberName: 'bob', you: false },
      { id: champion.id, memberName: 'ada', you: true },
    ]);
    expect(lineage.chain.every((step) => step.id.startsWith('r'))).toBe(true);
  });
});

describe.skipIf(!SANDBOX.usable)(`sandboxed runs, budget and results${SANDBOX.skipReason ? ` (skipped: ${SANDBOX.skipReason})` : ''}`, () => {
  let f: Fixture | undefined;
  afterAll(() => dispose(f));

  it('the budget kill ends a sandboxed run that ignores SIGTERM and spawns children, even ones in a new session', async () => {
    f = await fixture({ task: TASK.replace('time_budget: 30', 'time_budget: 1') });
    const marker = `cohort-sbx-${process.pid}-${Date.now()}`;
    const child = `import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)`;
    const source = [
      'import signal, subprocess, sys, time',
      'signal.signal(signal.SIGTERM, signal.SIG_IGN)',
      `cmd = [sys.executable, "-c", ${JSON.stringify(child)}, ${JSON.stringify(marker)}]`,
      'subprocess.Popen(cmd)',
      'subprocess.Popen(cmd, start_new_session=True)  # out of the process group',
      'print("children started", flush=True)',
      'time.sleep(300)',
      '',
    ].join('\n');
    let seen = 0;
    const started = Date.now();
    const { result } = await runVariant(f, 'stubborn', source, {
      graceSeconds: 0.5,
      onEvent: (e) => {
        if (e.type === 'output' && e.chunk.includes('children started')) seen = processesWith(marker).length;
      },
    });
    expect(seen).toBe(2);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.status).toBe('crash');
    expect(result.output).toMatch(/crash: killed after the 1 s time budget/);
    const deadline = Date.now() + 3000;
    while (processesWith(marker).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(processesWith(marker)).toEqual([]);
  });

  it('a sandboxed run still gets SIGTERM first, and time to end cleanly', async () => {
    const source = [
      'import signal, sys, time',
      'def stop(*_):',
      '    time.sleep(0.5)',
      '    print("checkpoint saved", flush=True)',
      '    sys.exit(1)',
      'signal.signal(signal.SIGTERM, stop)',
      'time.sleep(300)',
      '',
    ].join('\n');
    const { result } = await runVariant(f!, 'graceful', source, { graceSeconds: 0.5 });
    expect(result.status).toBe('crash');
    expect(result.output).toMatch(/crash: killed after the 1 s time budget/);
    expect(result.output).toContain('checkpoint saved');
  });

  it('a well-behaved program (examples/quadratic) gives the same metric inside and outside', async () => {
    f = (await dispose(f), await fixture({ dir: QUADRATIC }));
    const values: Array<number | null> = [];
    for (const sandbox of [true, false]) {
      await startWorker({
        membership: f.membership, paths: f.paths, hardware, env: f.env, sandbox,
        onEvent: (e) => e.type === 'run-end' && values.push(e.outcome.value),
      });
    }
    expect(values).toHaveLength(2);
    expect(values[0]).toBeTypeOf('number');
    expect(values[0]).toBe(values[1]);
    expect(await readdir(workerDirs(f.paths, f.membership).workspace)).toContain('train.py');
  });
});

describe.skipIf(!SANDBOX.usable)(`the program's files in the sandbox${SANDBOX.skipReason ? ` (skipped: ${SANDBOX.skipReason})` : ''}`, () => {
  let root: string | undefined;
  afterAll(() => root && rm(root, { recursive: true, force: true }));

  // Each attempt prints "<what>: done" or "<what>: refused <errno>"; a run that could move a folder
  // aside and put a link in its place would run code the worker never checked.
  const ATTACK = [
    'import errno, os',
    'def attempt(what, fn):',
    '    try:',
    '        fn()',
    '        print(what + ": done", flush=True)',
    '    except OSError as e:',
    '        print(what + ": refused " + errno.errorcode[e.errno], flush=True)',
    'def link_over(path):',
    '    tmp = os.path.join(os.path.dirname(path), "link.tmp")  # beside it: a rename across mounts fails anyway',
    '    os.symlink("/", tmp)',
    '    try:',
    '        os.replace(tmp, path)',
    '    finally:',
    '        if os.path.islink(tmp): os.remove(tmp)',
    'for f in ["prepare.py", "src/model/train.py"]:',
    '    attempt("write " + f, lambda: open(f, "a").write("# changed"))',
    '    attempt("remove " + f, lambda: os.remove(f))',
    '    attempt("rename " + f, lambda: os.rename(f, f + ".moved"))',
    '    attempt("link over " + f, lambda: link_over(f))',
    'for d in ["src/model", "src"]:',
    '    attempt("rename " + d, lambda: os.rename(d, d + ".moved"))',
    '    attempt("rmdir " + d, lambda: os.rmdir(d))',
    'attempt("link over src/model", lambda: (os.rename("src/model", "src/x"), os.symlink("/", "src/model")))',
    'attempt("create data/out.bin", lambda: (os.makedirs("data"), open("data/out.bin", "w").write("1")))',
    'attempt("create src/model/new_file.py", lambda: open("src/model/new_file.py", "w").write("1"))',
    'attempt("create src/newpkg/", lambda: os.mkdir("src/newpkg"))',
    'print("val_loss: 1.0")',
    '',
  ].join('\n');

  it('a run can neither change nor move aside the program files, editable or not, nor the folders holding them, and may add files anywhere', async () => {
    await mkdir(join(REPO, '.cohort-test'), { recursive: true });
    root = await mkdtemp(join(REPO, '.cohort-test', 'pinned-'));
    const paths = { configDir: join(root, 'config'), dataDir: join(root, 'data') };
    const workspace = join(paths.dataDir, 'workspaces', 'p');
    const home = join(paths.dataDir, 'homes', 'p');
    await mkdir(join(workspace, 'src', 'model'), { recursive: true });
    await mkdir(home, { recursive: true });
    await mkdir(join(paths.dataDir, 'cache', 'p'), { recursive: true });
    const files: Record<string, string> = { 'prepare.py': 'print("prepare")\n', 'src/model/train.py': 'print("train")\n', 'attack.py': ATTACK };
    for (const [path, content] of Object.entries(files)) await writeFile(join(workspace, path), content);

    const sandbox = await openSandbox({ setting: true, paths, home, runCache: join(paths.dataDir, 'cache', 'p'), env: { ...process.env, HOME: join(root, 'home') } });
    const { launcher, env } = sandbox.forRun({ workspace, readOnly: Object.keys(files).map((p) => join(workspace, p)) });
    const outcome = await runExperiment({ command: 'python3 attack.py', ...(launcher ? { launcher } : {}), env, cwd: workspace, metric: 'val_loss', timeBudgetSeconds: 30 });
    expect(outcome.status, outcome.tail).toBe('ok');
    const said = Object.fromEntries(outcome.tail.trim().split('\n').filter((l) => l.includes(': ')).map((l) => l.split(': ') as [string, string]));
    expect(said).toEqual({
      'write prepare.py': 'refused EROFS',
      'remove prepare.py': 'refused EBUSY',
      'rename prepare.py': 'refused EBUSY',
      'link over prepare.py': 'refused EBUSY',
      'write src/model/train.py': 'refused EROFS',
      'remove src/model/train.py': 'refused EBUSY',
      'rename src/model/train.py': 'refused EBUSY',
      'link over src/model/train.py': 'refused EBUSY',
      // Without the folders pinned, these renames succeed.
      'rename src/model': 'refused EBUSY',
      'rmdir src/model': 'refused EBUSY',
      'rename src': 'refused EBUSY',
      'rmdir src': 'refused EBUSY',
      'link over src/model': 'refused EBUSY',
      'create data/out.bin': 'done',
      'create src/model/new_file.py': 'done',
      'create src/newpkg/': 'done',
      val_loss: '1.0',
    });
    for (const [path, content] of Object.entries(files)) expect(await readFile(join(workspace, path), 'utf8')).toBe(content);
    expect((await readdir(join(workspace, 'src'))).sort()).toEqual(['model', 'newpkg']);
    expect(await readFile(join(workspace, 'data', 'out.bin'), 'utf8')).toBe('1');
  });
});
