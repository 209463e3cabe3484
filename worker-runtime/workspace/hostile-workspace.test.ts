/**
 * Workers against owners and champions who want more than GPU time (issue 9): code that plants
 * links and special files where the worker keeps the program, and hosts that serve crafted files.
 * Real processes, the real bubblewrap sandbox (and the same attacks with `--no-sandbox`, where
 * only the worker's own care stands between the code and the member's files), real HTTP.
 *
 * Every test fingerprints the member's home, a folder beside it and the Cohort config folder
 * (member tokens) before and after, and searches everything submitted for the token and the home's
 * secrets. The fixtures live in the repository's `.cohort-test/` (ignored by git), not in /tmp: the
 * sandbox gives every run a private /tmp, so a target there would be out of reach for the wrong reason.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../main/host.ts';
import { loadProgram } from '../../main/program/load-program.ts';
import type { ProgramFile, TaskSpecInput } from '../../protocol/index.ts';
import type { CohortPaths } from '../../protocol/node/paths.ts';
import { newMembership, saveMembership, type Membership } from '../credentials.ts';
import type { Hardware } from '../hardware.ts';
import { join as joinProgram } from '../join.ts';
import { MemberClient } from '../member-client.ts';
import { testSandbox } from '../sandbox/testing.ts';
import { fingerprint } from '../testing/fingerprint.ts';
import { startHostileHost, type HostileHost } from '../testing/hostile-host.ts';
import { startWorker, workerDirs, type WorkerEvent, type WorkerOptions } from '../worker.ts';
import { HostFilesError } from './host-files.ts';
import { Workspace } from './workspace.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SANDBOX = await testSandbox();
const hardware: Hardware = { hostname: 'test', os: 'linux', cpu: 'x', cpu_count: 2, memory_gb: 1, gpu: '', gpu_count: 0, gpu_memory_mb: 0 };
const TOKEN = `cohort_mt_${'s3cr3t'.repeat(8)}`;
const BASHRC = '# the member\'s shell start-up file\n';
const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nmember-private-key\n-----END OPENSSH PRIVATE KEY-----\n';

interface Fixture {
  root: string;
  home: string;
  outside: string;
  /** Another membership's workspace: the Cohort data folder beyond this membership's own. */
  neighbour: string;
  paths: CohortPaths;
  env: NodeJS.ProcessEnv;
  /** The file that holds this membership's token. */
  tokenFile: () => Promise<string>;
  /** Fingerprint of everything outside the workspace that an attack could aim at. */
  print: () => Promise<Map<string, string>>;
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function fixture(): Promise<Fixture> {
  await mkdir(join(REPO, '.cohort-test'), { recursive: true });
  const root = await mkdtemp(join(REPO, '.cohort-test', 'hostile-ws-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const home = join(root, 'home');
  const outside = join(root, 'outside');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(home, '.bashrc'), BASHRC);
  await writeFile(join(home, '.ssh', 'id_ed25519'), SSH_KEY, { mode: 0o600 });
  await writeFile(join(outside, 'notes.md'), 'a file beside the workspace\n');
  const paths = { configDir: join(root, 'cohort', 'config'), dataDir: join(root, 'cohort', 'data') };
  const neighbour = join(paths.dataDir, 'workspaces', 'other-program-0123456789');
  await mkdir(neighbour, { recursive: true });
  await writeFile(join(neighbour, 'train.py'), 'another program\'s code\n');
  const tokenFile = async () => {
    const dir = join(paths.configDir, 'memberships');
    return join(dir, (await readdir(dir)).find((n) => n.endsWith('.json'))!);
  };
  return { root, home, outside, neighbour, paths, env: { ...process.env, HOME: home }, tokenFile, print: () => fingerprint(home, outside, paths.configDir, neighbour) };
}

/** Python that plants each [path, target, kind] in the workspace, saying which the sandbox blocked, then reports a result. */
function planter(plants: [string, string | null, 'link' | 'fifo' | 'hardlink' | 'folder-link'][], extra = ''): string {
  return `import json, os
PLANTS = json.loads(${JSON.stringify(JSON.stringify(plants))})
for path, target, kind in PLANTS:
    try:
        if kind == 'folder-link':
            os.rename(path, path + '.moved')
        elif os.path.lexists(path):
            os.unlink(path)
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        if kind in ('link', 'folder-link'):
            os.symlink(target, path)
        elif kind == 'fifo':
            os.mkfifo(path)
        else:
            os.link(target, path)
        print('planted', path)
    except OSError as e:
        print('blocked', path, type(e).__name__)
${extra}print("val_loss: 0.5")
`;
}

const SPEC: TaskSpecInput = { name: 'victim', objective: 'x', metric: 'val_loss', direction: 'minimize', time_budget: 60, editable: ['train.py', 'notes.md'] };

/** A malicious owner: the host serves `train` as the program's code (notes.md is editable but not served). */
async function hostileOwner(f: Fixture, files: ProgramFile[], spec: TaskSpecInput = SPEC): Promise<{ host: HostileHost; membership: Membership }> {
  const host = await startHostileHost({ spec, files });
  cleanups.push(() => host.close());
  const membership = newMembership({ program: String(spec.name), url: host.url, token: TOKEN, memberId: 'm1', name: 'ada', joinedAt: new Date().toISOString() });
  await saveMembership(f.paths, membership);
  return { host, membership };
}

async function work(f: Fixture, membership: Membership, extra: Partial<WorkerOptions>): Promise<{ events: WorkerEvent[]; submitted: number }> {
  const events: WorkerEvent[] = [];
  const summary = await startWorker({ membership, paths: f.paths, hardware, env: f.env, graceSeconds: 2, retry: { baseDelayMs: 10, maxDelayMs: 50 }, onEvent: (e) => events.push(e), ...extra });
  return { events, submitted: summary.submitted.length };
}

const output = (events: WorkerEvent[]) => events.flatMap((e) => (e.type === 'output' ? [e.chunk] : [])).join('');
const tampered = (events: WorkerEvent[]) => events.filter((e): e is Extract<WorkerEvent, { type: 'tampered' }> => e.type === 'tampered');

/** Nothing outside the workspace changed, and nothing secret left the machine. */
async function expectUnharmed(f: Fixture, before: Map<string, string>, submissions: string[]): Promise<void> {
  expect(await f.print()).toEqual(before);
  const sent = submissions.join('\n');
  for (const secret of [TOKEN, 'member-private-key', 'shell start-up file', 'a file beside the workspace', 'another program\'s code']) expect(sent).not.toContain(secret);
}

/** Every path the worker manages is a regular file again, or absent. */
function expectCleanWorkspace(dir: string, paths: string[]): void {
  for (const p of paths) {
    let kind = 'missing';
    try {
      const st = lstatSync(join(dir, p));
      kind = st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
    } catch {
      // missing
    }
    expect(['file', 'missing'], `${p} is a ${kind}`).toContain(kind);
  }
}

const files = (train: string, more: Record<string, string> = {}): ProgramFile[] =>
  Object.entries({ 'TASK.md': '---\n---\n', 'train.py': train, 'prepare.py': 'print("fixed")\n', ...more }).map(([path, content]) => ({ path, content }));

/** The attacks on the default layout: a program file, an editable file that was not served, KB.md and HYPOTHESIS.md. */
async function defaultPlants(f: Fixture): Promise<[string, string | null, 'link' | 'fifo' | 'hardlink' | 'folder-link'][]> {
  return [
    ['prepare.py', join(f.home, '.bashrc'), 'link'],
    ['TASK.md', join(f.neighbour, 'train.py'), 'link'],
    ['notes.md', await f.tokenFile(), 'link'],
    ['KB.md', join(f.home, '.bashrc'), 'link'],
    ['HYPOTHESIS.md', join(f.home, '.ssh', 'id_ed25519'), 'link'],
  ];
}

const modes = [
  { name: 'sandboxed', option: SANDBOX.option },
  { name: 'with --no-sandbox', option: { sandbox: false as const } },
];

describe.each(modes)('champion code that plants links, $name', ({ option }) => {
  it('single run: the run is refused, nothing of it submitted, the workspace rebuilt, nothing outside touched', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve(files(planter(await defaultPlants(f))));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { ...option, hypothesis: 'h' });
    const t = tampered(events);
    expect(output(events)).toContain('planted notes.md'); // not served, so nothing in the sandbox stops it
    expect(t).toHaveLength(1);
    expect(t[0]!.problems.join('; ')).toMatch(/notes\.md is a symbolic link/);
    expect(submitted).toBe(0);
    expect(host.submissions).toEqual([]);
    // The workspace is laid out again from the host's files; the tampered one is kept aside to look at.
    const ws = workerDirs(f.paths, membership).workspace;
    expect(await readFile(join(ws, 'prepare.py'), 'utf8')).toBe('print("fixed")\n');
    expectCleanWorkspace(ws, ['prepare.py', 'train.py', 'notes.md', 'KB.md', 'HYPOTHESIS.md']);
    expect(lstatSync(join(t[0]!.movedTo, 'notes.md')).isSymbolicLink()).toBe(true);
    await expectUnharmed(f, before, host.submissions);
  });

  it('loop with the built-in mutator: every run is refused, the loop goes on from a clean workspace', async () => {
    const f = await fixture();
    const spec = { ...SPEC, search: { SCALE: { min: 0.5, max: 2 } } };
    const { host, membership } = await hostileOwner(f, [], spec);
    host.serve(files(`SCALE = 1.0\n${planter(await defaultPlants(f))}`));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { ...option, loop: true, runs: 2, propose: 'mutate' });
    expect(tampered(events)).toHaveLength(2);
    expect(submitted).toBe(0);
    expectCleanWorkspace(workerDirs(f.paths, membership).workspace, ['prepare.py', 'train.py', 'notes.md', 'KB.md', 'HYPOTHESIS.md']);
    await expectUnharmed(f, before, host.submissions);
  });

  it('with --propose: links left by a run at KB.md and HYPOTHESIS.md are neither written through nor read', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    // Only KB.md and HYPOTHESIS.md: the run's code is otherwise harmless, so the loop must see the links at the next sync.
    host.serve(files(planter([['KB.md', join(f.home, '.bashrc'), 'link'], ['HYPOTHESIS.md', await f.tokenFile(), 'link']])));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { ...option, loop: true, runs: 2, propose: 'cat KB.md > /dev/null; echo "try this" > HYPOTHESIS.md' });
    expect(tampered(events).map((t) => t.by)).toEqual(['run', 'run']);
    expect(submitted).toBe(0);
    await expectUnharmed(f, before, host.submissions);
  });

  it('a special file (FIFO) at an editable file does not hang the worker and is refused', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve(files(planter([['notes.md', null, 'fifo']])));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { ...option, loop: true, runs: 2 });
    expect(tampered(events)[0]!.problems.join('; ')).toMatch(/notes\.md is a special file/);
    expect(submitted).toBe(0);
    await expectUnharmed(f, before, host.submissions);
  });

  it('editable files in a subfolder: the folder holding them cannot be swapped for a link to the home folder', async () => {
    const f = await fixture();
    const spec = { ...SPEC, editable: ['src/model/train.py'], run: 'python3 src/model/train.py' };
    const { host, membership } = await hostileOwner(f, [], spec);
    const plants: [string, string, 'folder-link'][] = [['src/model', f.home, 'folder-link']];
    host.serve(Object.entries({ 'TASK.md': '---\n---\n', 'src/model/train.py': planter(plants), 'src/data.py': 'x = 1\n' }).map(([path, content]) => ({ path, content })));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { ...option, loop: true, runs: 2 });
    const out = output(events);
    if (out.includes('planted src/model')) {
      // Only where the sandbox let it happen (without it): the worker refuses to go through the link.
      expect(tampered(events)[0]!.problems.join('; ')).toMatch(/src\/model is a symbolic link/);
      expect(submitted).toBe(0);
    } else {
      expect(out).toMatch(/blocked src\/model/);
      expect(submitted).toBe(2);
    }
    expectCleanWorkspace(workerDirs(f.paths, membership).workspace, ['src/model/train.py', 'src/data.py']);
    await expectUnharmed(f, before, host.submissions);
  });
});

describe('without the sandbox only', () => {
  it('a hard link to the token file at an editable path is refused, not diffed into a patch', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve(files(planter([['notes.md', await f.tokenFile(), 'hardlink']])));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { sandbox: false, loop: true, runs: 2 });
    expect(output(events)).toContain('planted notes.md');
    expect(tampered(events)[0]!.problems.join('; ')).toMatch(/notes\.md is a file with 2 hard links/);
    expect(submitted).toBe(0);
    await expectUnharmed(f, before, host.submissions);
  });

  it('a propose command that plants links is refused before anything runs', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve(files('print("val_loss: 0.5")\n'));
    const before = await f.print();
    const token = await f.tokenFile();
    const { events, submitted } = await work(f, membership, { sandbox: false, propose: `rm -f HYPOTHESIS.md notes.md && ln -s ${JSON.stringify(token)} HYPOTHESIS.md && ln -s ${JSON.stringify(token)} notes.md` });
    expect(tampered(events).map((t) => t.by)).toEqual(['propose']);
    expect(events.some((e) => e.type === 'run-start')).toBe(false);
    expect(submitted).toBe(0);
    await expectUnharmed(f, before, host.submissions);
  });

  it('links found at sync (left by an earlier session) are moved aside before anything is written', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve(files('print("val_loss: 0.5")\n'));
    const ws = workerDirs(f.paths, membership).workspace;
    await mkdir(ws, { recursive: true });
    await symlink(join(f.home, '.bashrc'), join(ws, 'prepare.py'));
    await symlink(f.home, join(ws, 'src'));
    const before = await f.print();
    const { events, submitted } = await work(f, membership, { sandbox: false, hypothesis: 'h' });
    const sync = events.find((e) => e.type === 'sync');
    expect(sync?.type === 'sync' && sync.report.rebuilt?.problems).toEqual(['prepare.py is a symbolic link']);
    expect(submitted).toBe(1);
    expect(await readFile(join(ws, 'prepare.py'), 'utf8')).toBe('print("fixed")\n');
    await expectUnharmed(f, before, host.submissions);
  });
});

describe('a malicious host serving crafted files', () => {
  const crafted: [string, ProgramFile[], RegExp][] = [
    ['a file inside .cohort/', [{ path: '.cohort/state.json', content: '{}' }], /"\.cohort\/state\.json" lies in \.cohort\//],
    ['a path that is both a file and a folder', [{ path: 'lib', content: 'x' }, { path: 'lib/util.py', content: 'y' }], /"lib" is sent as a file, and also as a folder/],
    ['two names that differ only in case', [{ path: 'Train.py', content: 'x' }], /"Train\.py" differs from "train\.py" only in case/],
    ['control characters in a name', [{ path: 'evil\u001b]0;pwned\u0007.py', content: 'x' }], /has control characters in its name/],
    ['a file over the size limit', [{ path: 'big.txt', content: 'x'.repeat(8 * 1024 * 1024 + 1) }], /"big\.txt" is 8388609 bytes, over the limit of 8388608 bytes for one file/],
  ];
  it.each(crafted)('%s: refused with the file and the limit named, the workspace kept as it was', async (_name, extra, message) => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve(files('print("val_loss: 0.5")\n'));
    expect((await work(f, membership, { sandbox: false, hypothesis: 'first' })).submitted).toBe(1);
    const ws = workerDirs(f.paths, membership).workspace;
    const workspaceBefore = await fingerprint(ws);
    host.serve([...files('print("val_loss: 0.1")\n'), ...extra]);
    await expect(work(f, membership, { sandbox: false })).rejects.toThrow(message);
    await expect(work(f, membership, { sandbox: false })).rejects.toBeInstanceOf(HostFilesError);
    expect(await fingerprint(ws)).toEqual(workspaceBefore);
  });

  it('too many files, or too many bytes in all, are refused before anything is written', async () => {
    const ws = new Workspace({ workspace: join(REPO, '.cohort-test', 'never-written'), state: join(REPO, '.cohort-test', 'never-written-state') }, ['train.py']);
    const task = (fs: ProgramFile[]) => ({ program: { spec: { name: 'x' } }, champion: null, files: fs, reference: null }) as never;
    const many = Array.from({ length: 11 }, (_, i) => ({ path: `f${i}.py`, content: 'x' }));
    await expect(ws.sync(task(many), { maxFiles: 10, maxFileBytes: 100, maxTotalBytes: 1000 })).rejects.toThrow(/sent 11 program files, over this worker's limit of 10/);
    const heavy = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}.py`, content: 'x'.repeat(60) }));
    await expect(ws.sync(task(heavy), { maxFiles: 10, maxFileBytes: 100, maxTotalBytes: 250 })).rejects.toThrow(/"f4\.py" brings the program's files to 300 bytes, over the limit of 250 bytes in all/);
    expect(lstatSync(ws.dir, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('an answer larger than the worker reads is refused without reading it all', async () => {
    const f = await fixture();
    const { host, membership } = await hostileOwner(f, []);
    host.serve({ raw: `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}` });
    const client = new MemberClient(membership.url, membership.token, { maxResponseBytes: 1024 * 1024 });
    await expect(client.task()).rejects.toThrow(/sent an answer larger than 1048576 bytes/);
  });
});

describe.skipIf(!SANDBOX.usable)('a malicious member\'s champion on a real host', () => {
  it('every member who builds on it is refused the run, and loses nothing', async () => {
    const f = await fixture();
    const dir = join(f.root, 'program');
    await mkdir(dir);
    await writeFile(join(dir, 'TASK.md'), '---\nname: shared\nobjective: x\nmetric: val_loss\ndirection: minimize\ntime_budget: 60\nsearch:\n  SCALE: {min: 0.5, max: 2}\n---\nInstructions.\n');
    await writeFile(join(dir, 'train.py'), 'SCALE = 1.0\nprint("val_loss: 1.0")\n');
    await writeFile(join(dir, 'prepare.py'), 'print("fixed")\n');
    const host: RunningHost = await startHost({ program: await loadProgram(dir), paths: { configDir: join(f.root, 'owner', 'config'), dataDir: join(f.root, 'owner', 'data') }, membership: 'open', writeState: false, intervalSeconds: 1 });
    cleanups.push(() => host.close());
    const mallory = await joinProgram({ url: host.publicUrl, name: 'mallory', hardware, appVersion: 'test', paths: { configDir: join(f.root, 'mallory', 'config'), dataDir: join(f.root, 'mallory', 'data') } });
    const ada = await joinProgram({ url: host.publicUrl, name: 'ada', hardware, appVersion: 'test', paths: f.paths });
    // Mallory's patch replaces train.py with code that plants links wherever the sandbox lets it.
    const evil = `SCALE = 1.0\n${planter([['KB.md', join(f.home, '.bashrc'), 'link'], ['HYPOTHESIS.md', await f.tokenFile(), 'link'], ['prepare.py', join(f.home, '.bashrc'), 'link']])}`;
    const old = 'SCALE = 1.0\nprint("val_loss: 1.0")\n';
    const { createTwoFilesPatch } = await import('diff');
    const patch = createTwoFilesPatch('a/train.py', 'b/train.py', old, evil).replace(/^=+\n/, '');
    const verdict = await new MemberClient(host.publicUrl, mallory.token).submit({ value: 0.1, patch, parent: null, hypothesis: 'faster' });
    expect(verdict.verdict.champion).toBe(true);

    const before = await f.print();
    const { events } = await work(f, ada, { loop: true, runs: 2, propose: 'mutate' });
    expect(tampered(events).length).toBeGreaterThan(0);
    const mine = (await host.kb.results()).filter((r) => r.member === ada.memberId);
    expect(mine).toEqual([]);
    await expectUnharmed(f, before, (await host.kb.results()).map((r) => JSON.stringify(r)));
  });
});
