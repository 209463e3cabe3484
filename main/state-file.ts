import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { processAlive } from './life/kb-lock.ts';

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

/** One state file per program (`<config>/hosts/<program>.json`), so one home can publish several at once. */
export function stateFilePath(paths: CohortPaths, program: string): string {
  return join(paths.configDir, 'hosts', `${program}.json`);
}

/** Where an older Cohort kept its one state file; still read, never written. */
export function legacyStateFilePath(paths: CohortPaths): string {
  return join(paths.configDir, 'host.json');
}

/** Written atomically with mode 0600: it holds the owner token. */
export async function writeHostState(paths: CohortPaths, state: HostState): Promise<string> {
  const file = stateFilePath(paths, state.program);
  await mkdir(join(paths.configDir, 'hosts'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

export class NoHostError extends Error {
  override name = 'NoHostError';
}

const START = 'Start one with `cohort publish <program-dir>`.';

/** The state in `file`: a HostState, 'missing', or why it is not usable. */
async function readOne(file: string): Promise<HostState | 'missing' | { problem: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return 'missing';
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // handled below as "not a state file"
  }
  const parsed = HostState.safeParse(json);
  if (!parsed.success) return { problem: `${file} is not a Cohort host state file; remove it and start the host again.` };
  if (!processAlive(parsed.data.pid)) return { problem: `The Cohort host that wrote ${file} (pid ${parsed.data.pid}) is no longer running. ${START}` };
  return parsed.data;
}

/** Every host running from this home, by program (the legacy file counts when its host runs). */
export async function runningHosts(paths: CohortPaths): Promise<{ hosts: HostState[]; problems: string[] }> {
  const dir = join(paths.configDir, 'hosts');
  const names = await readdir(dir).then((n) => n.filter((x) => x.endsWith('.json')).sort(), () => [] as string[]);
  const hosts: HostState[] = [];
  const problems: string[] = [];
  for (const file of [...names.map((n) => join(dir, n)), legacyStateFilePath(paths)]) {
    const one = await readOne(file);
    if (one === 'missing') continue;
    if ('problem' in one) problems.push(one.problem);
    else if (!hosts.some((h) => h.program === one.program)) hosts.push(one);
  }
  return { hosts, problems };
}

/**
 * The running host of `program`, or, without one, the only host running here; otherwise a
 * NoHostError that says how to start one or how to choose.
 */
export async function readHostState(paths: CohortPaths, program?: string): Promise<HostState> {
  if (program !== undefined) {
    const one = await readOne(stateFilePath(paths, program));
    if (one !== 'missing' && !('problem' in one)) return one;
    const legacy = await readOne(legacyStateFilePath(paths));
    if (legacy !== 'missing' && !('problem' in legacy) && legacy.program === program) return legacy;
    if (one !== 'missing') throw new NoHostError(one.problem);
    const others = (await runningHosts(paths)).hosts.map((h) => h.program);
    throw new NoHostError(`No Cohort host of "${program}" is running here (no ${stateFilePath(paths, program)})${others.length > 0 ? `; running: ${others.join(', ')}` : ''}. ${START}`);
  }
  const { hosts, problems } = await runningHosts(paths);
  if (hosts.length === 1) return hosts[0]!;
  if (hosts.length > 1) {
    throw new NoHostError(`${hosts.length} programs are published from here; pick one with --program:\n${hosts.map((h) => `  --program ${h.program}    (${h.publicUrl}, pid ${h.pid})`).join('\n')}`);
  }
  if (problems.length > 0) throw new NoHostError(problems.join('\n'));
  throw new NoHostError(`No Cohort host is running here (no state file in ${join(paths.configDir, 'hosts')}). ${START}`);
}

/** Removes the program's state file if it is still ours (another host may have started since). */
export async function removeHostState(paths: CohortPaths, program: string, pid: number = process.pid): Promise<void> {
  const file = stateFilePath(paths, program);
  try {
    const current = HostState.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (current.success && current.data.pid !== pid) return;
  } catch {
    return;
  }
  await rm(file, { force: true });
}
