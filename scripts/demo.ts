/**
 * `npm run demo`: publishes tiny-gpt with open membership on loopback and verification on, starts
 * two workers in loop mode for a few runs each (each re-runs the other's claims before its own next
 * experiment), then leaves the owner UI URL, the final leaderboard and the share of runs spent on
 * re-runs on screen. Everything lives in a temporary COHORT_HOME per party, removed on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { torchEnv } from './python-env.ts';
import { detectSandbox } from '../worker-runtime/sandbox/detect.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cohort = join(root, 'cli', 'cohort.ts');
const runs = process.env.DEMO_RUNS ?? '3';
const homes: string[] = [];
const children: ChildProcess[] = [];

function home(name: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), `cohort-demo-${name}-`));
  homes.push(dir);
  return { COHORT_HOME: dir };
}

function prefixed(child: ChildProcess, label: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => console.log(`${label} ${line}`));
  }
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
  setTimeout(() => {
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 1500);
}
process.on('SIGINT', cleanup);
process.on('SIGTERM', cleanup);

const pythonEnv = torchEnv();
const program = pythonEnv ? 'examples/tiny-gpt' : 'examples/quadratic';
if (!pythonEnv) console.log('PyTorch was not found (Debian: apt-get install python3-torch libopenblas0-pthread); the demo runs the quadratic example instead.\n');

// A copy of the example with verification on (docs/design.md, "Verified champions"): every claim is
// re-run by the other worker before it earns. tiny-gpt trains for a fixed time, so a re-run while the
// other worker trains on the same cores gets fewer steps: measured ~0.1 apart on 2 cores, hence 0.15.
const programDir = mkdtempSync(join(tmpdir(), 'cohort-demo-program-'));
homes.push(programDir);
cpSync(join(root, program), programDir, { recursive: true });
const taskMd = join(programDir, 'TASK.md');
writeFileSync(taskMd, readFileSync(taskMd, 'utf8').replace(/^---\n/, '---\nverify:\n  replicas: 1\n  tolerance: 0.15\n'));
console.log(`[demo] ${program} with verification on: each claim is re-run by the other worker before it earns`);

const ownerEnv = { ...process.env, ...home('owner') };
const publisher = spawn(process.execPath, [cohort, 'publish', programDir, '--membership', 'open', '--no-tunnel'], { env: ownerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
children.push(publisher);
let banner = '';
const publicUrl = await new Promise<string>((resolve, reject) => {
  publisher.once('exit', (code) => reject(new Error(`cohort publish exited with ${code}:\n${banner}`)));
  createInterface({ input: publisher.stdout! }).on('line', (line) => {
    if (!banner.includes('Workers join with')) {
      banner += `${line}\n`;
      const m = /public URL\s+(\S+)/.exec(line);
      if (m) resolve(m[1]!);
      return;
    }
    console.log(`[owner] ${line}`);
  });
  createInterface({ input: publisher.stderr! }).on('line', (line) => console.log(`[owner] ${line}`));
});
await new Promise((r) => setTimeout(r, 200));
console.log(banner);

// The demo's workers run each other's code; sandboxed where this machine can (bubblewrap).
const sandbox = await detectSandbox();
const sandboxArgs = sandbox.ok ? [] : ['--no-sandbox'];
if (!sandbox.ok) console.log(`[demo] runs are NOT sandboxed here (${sandbox.reason}); \`sudo apt-get install bubblewrap\` sandboxes them.`);

const workerEnvs = new Map<string, NodeJS.ProcessEnv>();
const workers = ['ada', 'bob'].map((name) => {
  const env = { ...(pythonEnv ?? process.env), ...home(name) };
  workerEnvs.set(name, env);
  const joined = spawnSync(process.execPath, [cohort, 'join', publicUrl, '--name', name], { env, encoding: 'utf8' });
  if (joined.status !== 0) throw new Error(`${name} could not join:\n${joined.stdout}${joined.stderr}`);
  console.log(`[${name}] joined`);
  const child = spawn(process.execPath, [cohort, 'run', '--loop', '--runs', runs, '--propose', 'mutate', ...sandboxArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  prefixed(child, `[${name}]`);
  let reruns = 0;
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => { if (/re-runs .*'s claim/.test(line)) reruns++; });
  return new Promise<number>((resolve) => child.on('exit', () => resolve(reruns)));
});
let reruns = (await Promise.all(workers)).reduce((a, b) => a + b, 0);
let total = workers.length * Number(runs);

// The last champion is usually still pending when the loops end: the other worker re-runs it, so it earns.
const ownerStatus = JSON.parse(spawnSync(process.execPath, [cohort, 'status', '--json'], { env: ownerEnv, encoding: 'utf8' }).stdout || '{}') as { champion?: { member_name: string; verification: string } | null };
const last = ownerStatus.champion;
if (last?.verification === 'pending') {
  const other = [...workerEnvs].find(([name]) => name !== last.member_name);
  if (other) {
    console.log(`\n[demo] ${other[0]} re-runs the champion, ${last.member_name}'s claim, so it can earn`);
    const child = spawn(process.execPath, [cohort, 'run', '--loop', '--runs', '1', ...sandboxArgs], { env: other[1], stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    prefixed(child, `[${other[0]}]`);
    await new Promise((resolve) => child.on('exit', resolve));
    reruns += 1;
    total += 1;
  }
}
console.log(`\n[demo] ${reruns} of ${total} runs (${Math.round((100 * reruns) / total)}%) re-ran another member's claim to verify it`);

const status = spawnSync(process.execPath, [cohort, 'status'], { env: ownerEnv, encoding: 'utf8' });
console.log(`\n${status.stdout}${status.stderr}`);
console.log(banner.split('\n').find((l) => l.includes('owner UI')) ?? '');
console.log('\nThe host keeps running so you can open the owner UI. Ctrl-C ends the demo.');
