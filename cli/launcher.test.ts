/**
 * bin/cohort, the POSIX sh launcher a worker links onto its PATH (README.md, "Installing a worker"):
 * it finds its checkout through any chain of links and runs cli/cohort.ts on Node 24, the pinned
 * one in node_modules/.bin or else one on PATH, and says what to do when there is none.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../bin/cohort', import.meta.url));
/** A PATH with the usual tools and no Node (the launcher needs only sh and readlink). */
const SYSTEM_PATH = '/usr/bin:/bin';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
/** A checkout-shaped folder: bin/cohort (the real launcher) and a cli/cohort.ts that reports what ran it. */
let root: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-launcher-'));
  root = join(dir, 'checkout');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'cli'), { recursive: true });
  await copyFile(LAUNCHER, join(root, 'bin', 'cohort'));
  await chmod(join(root, 'bin', 'cohort'), 0o755);
  await writeFile(join(root, 'cli', 'cohort.ts'), 'console.log(JSON.stringify({ node: process.version, script: process.argv[1], args: process.argv.slice(2) }));\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function pinNode(): Promise<void> {
  await mkdir(join(root, 'node_modules', '.bin'), { recursive: true });
  await symlink(process.execPath, join(root, 'node_modules', '.bin', 'node'));
}

describe('bin/cohort', () => {
  it('runs cli/cohort.ts on the pinned Node through a chain of relative and absolute links, whatever the cwd and CDPATH', async () => {
    await pinNode();
    const bin = join(dir, 'home', '.local', 'bin');
    await mkdir(bin, { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    // ~/.local/bin/cohort → (absolute) elsewhere/link → (relative to elsewhere/) ../checkout/bin/cohort
    await symlink('../checkout/bin/cohort', join(dir, 'elsewhere', 'link'));
    await symlink(join(dir, 'elsewhere', 'link'), join(bin, 'cohort'));
    const ok = await run('cohort', ['join', 'https://x.example', '--name', 'a b'], { PATH: `${bin}:${SYSTEM_PATH}`, CDPATH: '/' }, join(dir, 'elsewhere'));
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toEqual({ node: process.version, script: join(await realRoot(), 'cli', 'cohort.ts'), args: ['join', 'https://x.example', '--name', 'a b'] });
    expect(ok.code).toBe(0);
  });

  it('passes the exit code through (it execs Node)', async () => {
    await pinNode();
    await writeFile(join(root, 'cli', 'cohort.ts'), 'process.exitCode = 3;\n');
    expect((await run(join(root, 'bin', 'cohort'), [], { PATH: SYSTEM_PATH })).code).toBe(3);
  });

  it('uses a Node 24 or newer on PATH when there is no pinned one (macOS: npm ci --ignore-scripts)', async () => {
    const nodeDir = join(dir, 'node24');
    await mkdir(nodeDir);
    await symlink(process.execPath, join(nodeDir, 'node'));
    const ran = await run(join(root, 'bin', 'cohort'), ['--version'], { PATH: `${nodeDir}:${SYSTEM_PATH}` });
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ node: process.version, args: ['--version'] });
  });

  it('refuses an older Node on PATH, and no Node at all, saying what to do', async () => {
    const oldDir = join(dir, 'node20');
    await mkdir(oldDir);
    await writeFile(join(oldDir, 'node'), '#!/bin/sh\ncase "$1" in -p) echo 20 ;; --version) echo v20.20.2 ;; esac\n');
    await chmod(join(oldDir, 'node'), 0o755);
    const old = await run(join(root, 'bin', 'cohort'), ['--version'], { PATH: `${oldDir}:${SYSTEM_PATH}` });
    expect(old.code).toBe(1);
    expect(old.stdout).toBe('');
    expect(old.stderr).toContain(`there is no ${await realRoot()}/node_modules/.bin/node (\`npm ci\` in ${await realRoot()} installs it on Linux), and \`node\` on PATH is ${oldDir}/node v20.20.2.`);
    expect(old.stderr).toContain('"Installing a worker"');

    const none = await run(join(root, 'bin', 'cohort'), ['--version'], { PATH: join(dir, 'empty') });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('there is no `node` on PATH');
  });

  it('runs the real CLI of this checkout', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const ran = await run(LAUNCHER, ['--version'], { PATH: SYSTEM_PATH, HOME: dir });
    expect(ran.stdout.trim()).toBe(pkg.version);
    expect(ran.code).toBe(0);
  });
});

/** The checkout as the launcher names it (`cd -P`: the temp folder may be behind a link, e.g. /tmp on macOS). */
function realRoot(): Promise<string> {
  return realpath(root);
}
