import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { migrateWorkerDirs } from './dirs.ts';
import { hostOf, membershipId } from './membership-id.ts';

const Fields = {
  program: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  token: z.string().min(1),
  memberId: z.string(),
  name: z.string(),
  joinedAt: z.string(),
  /**
   * The URL the membership was first joined at, when it was re-pointed since (`cohort join NEW_URL`
   * after the host moved): its id, folders and outbox stay those of the first URL.
   */
  origin: z.url({ protocol: /^https?$/ }).optional(),
};

/**
 * What a worker keeps per membership (one host's program), so a restart needs no new approval. `id`
 * is `membershipId(url, program)`: stored for people reading the folder, recomputed when read.
 */
export const Membership = z.object({ id: z.string().min(1), ...Fields });
export type Membership = z.infer<typeof Membership>;

/** A file as an older Cohort wrote it (no id), or as this one does. */
const StoredMembership = z.object({ id: z.string().optional(), ...Fields });
type StoredMembership = z.infer<typeof StoredMembership>;

/** A problem the person can fix; the CLI prints the message alone. */
export class WorkerError extends Error {
  override name = 'WorkerError';
}

/** A selector that fits several memberships: the message lists them and how to pick one. */
export class AmbiguousMembershipError extends WorkerError {
  override name = 'AmbiguousMembershipError';
}

/** A membership file that could not be used, and what to do about it. */
export interface MembershipProblem {
  file: string;
  message: string;
}

const dirOf = (paths: CohortPaths) => join(paths.configDir, 'memberships');
const fileOf = (paths: CohortPaths, id: string) => join(dirOf(paths), `${id}.json`);

/** A membership's id: from the URL it was first joined at. */
const idOf = (m: { url: string; origin?: string | undefined; program: string }) => membershipId(m.origin ?? m.url, m.program);

/** A membership with its id, from what join learnt. */
export function newMembership(fields: Omit<Membership, 'id'>): Membership {
  return { id: idOf(fields), ...fields };
}

async function writeAtomically(file: string, m: Membership): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Written atomically, mode 0600: the member token is a bearer secret. One file per host and program;
 * `replaced` says whether this host's program had been joined before (its old token is gone now).
 */
export async function saveMembership(paths: CohortPaths, m: Membership): Promise<{ file: string; replaced: boolean }> {
  await mkdir(dirOf(paths), { recursive: true, mode: 0o700 });
  const file = fileOf(paths, m.id);
  const replaced = (await readMemberships(paths)).memberships.some((x) => x.id === m.id);
  await writeAtomically(file, m);
  return { file, replaced };
}

const WHAT_TO_DO = 'delete it and join the program again with `cohort join <url>` (or fix the file by hand)';

/** Why a file is not a usable membership, in a sentence that names it and says what to do. */
function parseStored(file: string, text: string): { problem: string } | { stored: StoredMembership } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `The membership file ${file} is not valid JSON (${(err as Error).message}); ${WHAT_TO_DO}.` };
  }
  const parsed = StoredMembership.safeParse(json);
  if (parsed.success) return { stored: parsed.data };
  const issues = parsed.error.issues.slice(0, 3).map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  return { problem: `The membership file ${file} is not a Cohort membership (${issues.join('; ')}); ${WHAT_TO_DO}.` };
}

/**
 * Every membership on this machine, and every file in the memberships folder that is not one (listed,
 * never thrown: one bad file must not hide the others). A file an older Cohort wrote (named after the
 * program, no id) is migrated on the way: saved as `<id>.json`, the old file removed, and the
 * program's folders moved to the id (see dirs.ts). Running it again changes nothing.
 */
export async function readMemberships(paths: CohortPaths): Promise<{ memberships: Membership[]; problems: MembershipProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dirOf(paths))).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return { memberships: [], problems: [] };
  }
  const problems: MembershipProblem[] = [];
  const found: { name: string; file: string; stored: StoredMembership; m: Membership }[] = [];
  for (const name of names) {
    const file = join(dirOf(paths), name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ file, message: `The membership file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its permissions, or ${WHAT_TO_DO}.` });
      continue;
    }
    const read = parseStored(file, text);
    if ('problem' in read) problems.push({ file, message: read.problem });
    else found.push({ name, file, stored: read.stored, m: { ...read.stored, id: idOf(read.stored) } });
  }

  const byId = new Map<string, Membership>();
  // Files already named after their id first: an old duplicate of the same membership loses to them.
  for (const { file, stored, m } of found.filter((f) => f.name === `${f.m.id}.json`)) {
    if (stored.id !== m.id) await writeAtomically(file, m).catch(() => undefined); // a hand-edited id: put it right
    byId.set(m.id, m);
  }
  for (const { name, file, stored, m } of found.filter((f) => f.name !== `${f.m.id}.json`)) {
    if (byId.has(m.id)) {
      if (stored.id === undefined) await rm(file, { force: true }); // left by an older Cohort; the newer file wins
      else problems.push({ file, message: `The membership file ${file} repeats ${fileOf(paths, m.id)} (same host and program); delete ${file}.` });
      continue;
    }
    try {
      // Folders first: were the file moved and the folders not, the next read would not retry them.
      // Only files named after the program came from an older Cohort; their folders carry that name.
      if (name === `${stored.program}.json`) await migrateWorkerDirs(paths, stored.program, m);
      await writeAtomically(fileOf(paths, m.id), m);
      await rm(file, { force: true });
      byId.set(m.id, m);
    } catch (err) {
      problems.push({ file, message: `The membership in ${file} could not be moved to ${fileOf(paths, m.id)} with its folders (${(err as Error).message}); move them by hand, or ${WHAT_TO_DO}.` });
    }
  }
  return { memberships: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)), problems };
}

export async function listMemberships(paths: CohortPaths): Promise<Membership[]> {
  return (await readMemberships(paths)).memberships;
}

/** How a person picks one of these with `--program`. */
function choices(ms: Membership[]): string {
  return ms.map((m) => `  --program ${m.id}    (${m.program} at ${m.url})`).join('\n');
}

/**
 * The membership to act on. The selector is a membership id, a program name that only one
 * membership has, or `name@host` (`host` as in the URL, with its port if it has one); without one,
 * the only membership there is. Every refusal says how to choose.
 */
export async function pickMembership(paths: CohortPaths, selector?: string): Promise<Membership> {
  const { memberships: all, problems } = await readMemberships(paths);
  const broken = (which: MembershipProblem[]) => which.map((p) => p.message).join('\n');
  if (selector === undefined || selector === '') {
    if (all.length === 1) return all[0]!;
    if (all.length > 1) {
      throw new AmbiguousMembershipError(`You have joined ${all.length} programs; pick one with --program:\n${choices(all)}`);
    }
    if (problems.length > 0) throw new WorkerError(broken(problems));
    throw new WorkerError('You have not joined a program yet; join one with `cohort join <url>`.');
  }
  const exact = all.find((m) => m.id === selector);
  if (exact) return exact;
  let found: Membership[];
  const at = selector.lastIndexOf('@');
  if (at > 0) {
    const name = selector.slice(0, at);
    const host = selector.slice(at + 1).toLowerCase();
    found = all.filter((m) => m.program === name && (hostOf(m.url) === host || new URL(m.url).hostname === host));
  } else found = all.filter((m) => m.program === selector);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new AmbiguousMembershipError(`You have joined "${found[0]!.program}" at ${found.length} hosts; pick one with --program (or name@host):\n${choices(found)}`);
  }
  const name = at > 0 ? selector.slice(0, at) : selector;
  // A broken file named after the program (old layout) or after one of its ids is what was meant.
  const suspects = problems.filter((p) => {
    const base = basename(p.file);
    return base === `${name}.json` || base.startsWith(`${name}-`);
  });
  if (suspects.length > 0) throw new WorkerError(broken(suspects));
  throw new WorkerError(
    `You have not joined "${selector}"${all.length > 0 ? `; joined:\n${choices(all)}\n` : '; '}join it with \`cohort join <url>\`.`,
  );
}

/** Forgets a membership's token; its folders stay. */
export async function forgetMembership(paths: CohortPaths, membership: { id: string }): Promise<boolean> {
  try {
    await rm(fileOf(paths, membership.id));
    return true;
  } catch {
    return false;
  }
}
