/** Test support: `cohort …` as a separate process, asynchronously (a host in the test's process answers meanwhile). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const COHORT = fileURLToPath(new URL('./cohort.ts', import.meta.url));

export async function runCohort(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [COHORT, ...args], { env: { ...process.env, COHORT_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

/**
 * `cohort publish` as a child process, resolved once it serves (its banner names the public URL);
 * the caller stops it (SIGINT) when done.
 */
export async function startPublish(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 20_000): Promise<{ child: ChildProcess; output: () => string; publicUrl: string }> {
  const child = spawn(process.execPath, [COHORT, 'publish', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!/public URL\s+\S+/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`publish did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, publicUrl: /public URL\s+(\S+)/.exec(out)![1]! };
}
