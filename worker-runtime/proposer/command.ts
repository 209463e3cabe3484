import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerError } from '../credentials.ts';
import { setLongTimeout } from '../runner/long-timeout.ts';

/**
 * `--propose CMD`: runs any command (a script, a coding agent) in the workspace before a run, with
 * KB.md written there first. If it writes HYPOTHESIS.md, that is the run's hypothesis.
 */
export async function runProposeCommand(opts: {
  command: string;
  dir: string;
  kbDigest: string;
  env?: NodeJS.ProcessEnv;
  onOutput?: (chunk: string) => void;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}): Promise<{ hypothesis: string | null }> {
  const kbPath = join(opts.dir, 'KB.md');
  const hypothesisPath = join(opts.dir, 'HYPOTHESIS.md');
  await writeFile(kbPath, opts.kbDigest);
  await rm(hypothesisPath, { force: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', opts.command], {
      cwd: opts.dir,
      env: { ...(opts.env ?? process.env), COHORT_KB: kbPath, COHORT_HYPOTHESIS: hypothesisPath },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const cancelTimeout = setLongTimeout(kill, (opts.timeoutSeconds ?? 3600) * 1000);
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (d: Buffer) => opts.onOutput?.(d.toString()));
    child.stderr.on('data', (d: Buffer) => opts.onOutput?.(d.toString()));
    child.on('error', reject);
    child.on('close', (c) => {
      cancelTimeout();
      resolve(c);
    });
  });
  if (code !== 0) throw new WorkerError(`The propose command exited with ${code === null ? 'a signal' : `code ${code}`}: ${opts.command}`);
  const text = await readFile(hypothesisPath, 'utf8').catch(() => null);
  await rm(hypothesisPath, { force: true });
  return { hypothesis: text === null ? null : text.trim() };
}
