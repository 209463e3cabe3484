/** Issue 11, items 3–5 with real `cohort` processes: one host per KB, a stable port, KB integrity, backup. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHost } from '../main/host.ts';
import { stateFilePath } from '../main/state-file.ts';
import { joinMember, sampleProgram, tempHome } from '../main/testing/harness.ts';
import { listMemberships, newMembership, saveMembership } from '../worker-runtime/credentials.ts';
import { runCohort } from './testing.ts';
import { describeWorkerEvent } from './commands/worker.ts';
import { repointHint } from '../worker-runtime/session/host-session.ts';
import { cohortPaths, kbPath } from '../protocol/node/paths.ts';

const COHORT = fileURLToPath(new URL('./cohort.ts', import.meta.url));
const QUADRATIC = fileURLToPath(new URL('../examples/quadratic', import.meta.url));
const TINY = fileURLToPath(new URL('../examples/tiny-gpt', import.meta.url));

let home: string;
const publishers: ChildProcess[] = [];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'cohort-cli-life-'));
});
afterEach(async () => {
  for (const p of publishers.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await once(p, 'exit');
    }
  }
  await rm(home, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({ ...process.env, COHORT_HOME: home });

function cohort(args: string[]): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [COHORT, ...args], { env: env(), encoding: 'utf8', timeout: 30_000 });
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

async function publish(dir: string, args: string[] = []): Promise<{ child: ChildProcess; output: () => string; publicUrl: string }> {
  const child = spawn(process.execPath, [COHORT, 'publish', dir, '--no-tunnel', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  publishers.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('Workers join with') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!out.includes('Workers join with')) throw new Error(`publish did not start:\n${out}`);
  return { child, output: () => out, publicUrl: /public URL +(\S+)/.exec(out)![1]! };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
}

describe('cohort publish: one host per KB, several programs, a stable port', () => {
  it('a second publish of the same program refuses with exit 1, naming the first; the first keeps working', async () => {
    const paths = cohortPaths({ COHORT_HOME: home });
    const first = await publish(QUADRATIC);
    const state = await readFile(stateFilePath(paths, 'quadratic'), 'utf8');
    const second = cohort(['publish', QUADRATIC, '--no-tunnel']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already published by process ${first.child.pid} at ${first.publicUrl}`);
    expect(second.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await readFile(stateFilePath(paths, 'quadratic'), 'utf8')).toBe(state);
    expect(cohort(['status']).code).toBe(0);

    // A second program from the same home runs beside it; owner commands then need --program.
    const tiny = await publish(TINY);
    const ambiguous = cohort(['members']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/2 programs are published from here; pick one with --program/);
    const status = cohort(['status', '--program', 'tiny-gpt']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Public URL: ${tiny.publicUrl}`);
    expect(cohort(['status', '--program', 'quadratic']).stdout).toContain(`Public URL: ${first.publicUrl}`);

    // Backup while it runs.
    const to = join(home, 'quadratic-backup.sqlite');
    const backup = cohort(['backup', '--program', 'quadratic', '--to', to]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`to ${to}`);

    // A restart keeps the public port.
    await stop(first.child);
    const again = await publish(QUADRATIC);
    expect(again.publicUrl).toBe(first.publicUrl);
    expect(again.output()).not.toContain('public URL changed');
  }, 90_000);

  it('says when the public URL changed since the last start', async () => {
    const first = await publish(QUADRATIC);
    await stop(first.child);
    const moved = await publish(QUADRATIC, ['--port', '0']);
    expect(moved.output()).toContain(`public URL changed since the last start (was ${first.publicUrl}): members re-point with \`cohort join ${moved.publicUrl}\``);
  }, 60_000);
});

describe('cohort publish: KB integrity', () => {
  for (const [what, content, message] of [
    ['an empty', Buffer.alloc(0), /is empty \(0 bytes\)/],
    ['a damaged', Buffer.from('not a database at all, just bytes '.repeat(200)), /is not a SQLite database/],
  ] as const) {
    it(`refuses ${what} kb.sqlite with exit 1 and no stack trace`, async () => {
      const file = kbPath(cohortPaths({ COHORT_HOME: home }), 'quadratic');
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content);
      const res = cohort(['publish', QUADRATIC, '--no-tunnel']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).toContain('cohort backup');
      expect(res.stderr).not.toMatch(/\n\s+at /);
      expect(await readFile(file)).toEqual(content);
    }, 30_000);
  }
});

describe('cohort join NEW_URL after the host moved', () => {
  it('re-points the membership with no approval and the same member', async () => {
    const owner = await tempHome();
    const worker = await tempHome();
    const program = sampleProgram();
    const a = await startHost({ program, paths: owner.paths, writeState: false });
    let b: Awaited<ReturnType<typeof startHost>> | undefined;
    try {
      const ada = await joinMember(a, 'ada');
      const m = newMembership({ program: 'sample', url: a.publicUrl, token: ada.token, memberId: ada.memberId, name: 'ada', joinedAt: new Date().toISOString() });
      await saveMembership(worker.paths, m);
      await a.close();
      b = await startHost({ program, paths: owner.paths, writeState: false, port: 0 });
      const res = await runCohort(worker.dir, ['join', b.publicUrl]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(`✓ Re-pointed. "sample" moved from ${a.publicUrl} to ${b.publicUrl}; you are still member ${ada.memberId} (membership ${m.id})`);
      expect(res.stdout).not.toContain('one-time code');
      expect(await listMemberships(worker.paths)).toEqual([{ ...m, url: b.publicUrl, origin: a.publicUrl }]);
      expect(await b.auth.members()).toHaveLength(1);
    } finally {
      await b?.close();
      await a.close();
      await owner.cleanup();
      await worker.cleanup();
    }
  }, 30_000);
});

it('cohort run adds the re-point hint to its retry line', () => {
  const hint = repointHint('http://127.0.0.1:4567', Date.parse('2026-01-01T00:00:00Z'));
  expect(describeWorkerEvent({ type: 'retry', attempt: 7, delayMs: 60_000, reason: 'ECONNREFUSED', hint }, 'loss')).toBe(
    '[cohort] host unreachable (ECONNREFUSED); retrying in 1m 00s — cannot reach http://127.0.0.1:4567 since 2026-01-01T00:00:00.000Z; if the owner moved the program, re-point with `cohort join NEW_URL`',
  );
});
