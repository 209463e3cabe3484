import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WorkerError } from '../credentials.ts';
import { setLongTimeout } from '../runner/long-timeout.ts';
import { HYPOTHESIS_FILE, KB_FILE, type Workspace } from '../workspace/workspace.ts';

/** A hypothesis is a sentence or a paragraph; more is refused (it goes to the host and to every member). */
const MAX_HYPOTHESIS_BYTES = 64 * 1024;

/**
 * `--propose CMD`: runs any command (a script, a coding agent) in the workspace before a run, with
 * KB.md written there first. If it writes HYPOTHESIS.md, that is the run's hypothesis.
 */
export async function runProposeCommand(opts: {
  command: string;
  workspace: Workspace;
  kbDigest: string;
  env?: NodeJS.ProcessEnv;
  onOutput?: (chunk: string) => void;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}): Promise<{ hypothesis: string | null }> {
  const dir = opts.workspace.dir;
  const kbPath = join(dir, KB_FILE);
  const hypothesisPath = join(dir, HYPOTHESIS_FILE);
  // Through the workspace: whatever ran there before may have left links at these names.
  await opts.workspace.writeFile(KB_FILE, opts.kbDigest);
  await opts.workspace.removeFile(HYPOTHESIS_FILE);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', opts.command], {
      cwd: dir,
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
      opts.signal?.removeEventListener('abort', kill);
      resolve(c);
    });
  });
  if (code !== 0) throw new WorkerError(`The propose command exited with ${code === null ? 'a signal' : `code ${code}`}: ${opts.command}`);
  const text = await opts.workspace.readFile(HYPOTHESIS_FILE, MAX_HYPOTHESIS_BYTES);
  await opts.workspace.removeFile(HYPOTHESIS_FILE);
  return { hypothesis: text === null ? null : text.trim() };
}
