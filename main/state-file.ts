import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CohortPaths } from '../protocol/node/paths.ts';

/** What a running host writes so that `cohort approve …` and friends can find it. */
export const HostState = z.object({
  pid: z.number().int(),
  program: z.string(),
  programDir: z.string(),
  kbPath: z.string(),
  publicUrl: z.string(),
  ownerUrl: z.string(),
  ownerToken: z.string(),
  startedAt: z.string(),
});
export type HostState = z.infer<typeof HostState>;

export function stateFilePath(paths: CohortPaths): string {
  return join(paths.configDir, 'host.json');
}

/** Written atomically with mode 0600: it holds the owner token. */
export async function writeHostState(paths: CohortPaths, state: HostState): Promise<string> {
  const file = stateFilePath(paths);
  await mkdir(paths.configDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

export class NoHostError extends Error {
  override name = 'NoHostError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running host, or a NoHostError that says how to start one. */
export async function readHostState(paths: CohortPaths): Promise<HostState> {
  const file = stateFilePath(paths);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NoHostError(`No Cohort host is running here (no ${file}). Start one with \`cohort publish <program-dir>\`.`);
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // handled below as "not a state file"
  }
  const parsed = HostState.safeParse(json);
  if (!parsed.success) throw new NoHostError(`${file} is not a Cohort host state file; remove it and start the host again.`);
  if (!alive(parsed.data.pid)) {
    throw new NoHostError(`The Cohort host that wrote ${file} (pid ${parsed.data.pid}) is no longer running. Start it with \`cohort publish <program-dir>\`.`);
  }
  return parsed.data;
}

/** Removes the state file if it is still ours (another host may have started since). */
export async function removeHostState(paths: CohortPaths, pid: number = process.pid): Promise<void> {
  const file = stateFilePath(paths);
  try {
    const current = HostState.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (current.success && current.data.pid !== pid) return;
  } catch {
    return;
  }
  await rm(file, { force: true });
}
