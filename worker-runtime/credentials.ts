import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CohortPaths } from '../protocol/paths.ts';

/** What a worker keeps per joined program, so a restart needs no new approval. */
export const Membership = z.object({
  program: z.string(),
  url: z.string(),
  token: z.string(),
  memberId: z.string(),
  name: z.string(),
  joinedAt: z.string(),
});
export type Membership = z.infer<typeof Membership>;

/** A problem the person can fix; the CLI prints the message alone. */
export class WorkerError extends Error {
  override name = 'WorkerError';
}

const dirOf = (paths: CohortPaths) => join(paths.configDir, 'memberships');
const fileOf = (paths: CohortPaths, program: string) => join(dirOf(paths), `${program}.json`);

/** Written atomically, mode 0600: the member token is a bearer secret. */
export async function saveMembership(paths: CohortPaths, m: Membership): Promise<string> {
  await mkdir(dirOf(paths), { recursive: true, mode: 0o700 });
  const file = fileOf(paths, m.program);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

export async function listMemberships(paths: CohortPaths): Promise<Membership[]> {
  let names: string[];
  try {
    names = await readdir(dirOf(paths));
  } catch {
    return [];
  }
  const out: Membership[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const parsed = Membership.safeParse(JSON.parse(await readFile(join(dirOf(paths), name), 'utf8').catch(() => 'null')));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** The membership to act on: the one named, or the only one there is. */
export async function pickMembership(paths: CohortPaths, program?: string): Promise<Membership> {
  const all = await listMemberships(paths);
  if (program !== undefined) {
    const m = all.find((x) => x.program === program);
    if (!m) throw new WorkerError(`You have not joined "${program}"${all.length > 0 ? ` (joined: ${all.map((x) => x.program).join(', ')})` : ''}; join it with \`cohort join <url>\`.`);
    return m;
  }
  if (all.length === 0) throw new WorkerError('You have not joined a program yet; join one with `cohort join <url>`.');
  if (all.length > 1) throw new WorkerError(`You have joined ${all.length} programs (${all.map((x) => x.program).join(', ')}); pick one with --program NAME.`);
  return all[0]!;
}

export async function forgetMembership(paths: CohortPaths, program: string): Promise<boolean> {
  const file = fileOf(paths, program);
  try {
    await rm(file);
    return true;
  } catch {
    return false;
  }
}
