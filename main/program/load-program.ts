/**
 * Loads a research program folder (docs/design.md, "Research program"): TASK.md plus the text files that
 * members receive. The folder is untrusted input shipped to other machines, so the loader keeps to
 * the folder (no links out, no `..`), keeps text only, and refuses sizes that would bloat every pull.
 * It also decides what ships (docs/host.md, "What a program ships"): `.cohortignore` rules apply,
 * secret-looking files are refused unless TASK.md names them, and the result is listed.
 */
import { lstat, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../../protocol/manifest.ts';
import type { ProgramManifest } from '../../protocol/manifest.ts';
import { RelativePath } from '../../protocol/task.ts';
import type { ProgramFile, TaskSpec } from '../../protocol/task.ts';
import { COHORTIGNORE, describeRule, NO_RULES, parseCohortIgnore } from './cohortignore.ts';
import type { CohortIgnore } from './cohortignore.ts';
import { ProgramError } from './errors.ts';
import type { ProgramIssue } from './errors.ts';
import { parseTaskMdWithLines } from './frontmatter.ts';
import { hashFiles } from './hash.ts';
import { buildManifest, LeftOut } from './manifest.ts';
import { mayHoldToken, secretContentReason, secretDirReason, secretFileReason } from './secrets.ts';
import { skippedDirReason, skippedFileReason } from './skip.ts';

export type LoadProgramOptions = {
  /** Largest text file kept, in bytes (default 1 MiB). */
  maxFileBytes?: number;
  /** Largest total of the kept files, in bytes (default 8 MiB). */
  maxTotalBytes?: number;
  /** Most files kept, TASK.md included (default 500). */
  maxFiles?: number;
};

export type Program = {
  /** The folder's real path. */
  dir: string;
  spec: TaskSpec;
  /** TASK.md after the frontmatter: the instructions for humans and agents. */
  body: string;
  /** Every kept text file, TASK.md included, sorted by path (posix separators). */
  files: ProgramFile[];
  /** `hashFiles(files)`: identifies this exact program. */
  hash: string;
  /** `hashFiles` of the editable files only: the code that submissions change. */
  editableHash: string;
  /** What members receive and what was left out, for the owner to check before publishing. */
  manifest: ProgramManifest;
};

export type ValidateProgramResult = { ok: true; program: Program } | { ok: false; errors: ProgramIssue[] };

const MiB = 1024 * 1024;
const DEFAULT_LIMITS = { maxFileBytes: 1 * MiB, maxTotalBytes: 8 * MiB, maxFiles: 500 };
type Limits = typeof DEFAULT_LIMITS;

/** How much of a file is sniffed for NUL bytes, the usual text/binary test (git, grep). */
const SNIFF_BYTES = 8192;

export async function loadProgram(dir: string, opts: LoadProgramOptions = {}): Promise<Program> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...definedOnly(opts) };
  const root = await resolveRoot(dir);

  const task = await resolveEntry(root, 'TASK.md');
  if (task.kind !== 'file') {
    throw ProgramError.at('TASK.md', `not found in ${root}: create TASK.md there, starting with a "---" YAML block (name, objective, metric, direction) followed by the instructions`);
  }
  const taskText = await readText(task.real, 'TASK.md', limits.maxFileBytes);
  if (taskText === undefined) throw ProgramError.at('TASK.md', 'is not a UTF-8 text file');
  const parsed = parseTaskMdWithLines(taskText, 'TASK.md');

  const collector = new Collector(limits);
  collector.add('TASK.md', taskText);
  const named = namedFiles(parsed.spec);
  const walk: Walk = { root, rules: await readCohortIgnore(root, limits), named: new Set(named.map((n) => n.rel)), out: collector, leftOut: new LeftOut(), secrets: [] };
  await walkDir(walk, '');
  // Every problem at once: a wrong TASK.md list and a forgotten key are fixed in one go.
  const issues = [...(await checkNamed(walk, named, parsed.lineOf)), ...walk.secrets];
  const [first, ...rest] = issues;
  if (first !== undefined) throw new ProgramError([first, ...rest]);

  const files = collector.sorted();
  const editable = new Set(parsed.spec.editable);
  return {
    dir: root,
    spec: parsed.spec,
    body: parsed.body,
    files,
    hash: hashFiles(files),
    editableHash: hashFiles(files.filter((f) => editable.has(f.path))),
    manifest: buildManifest(files, walk.leftOut),
  };
}

/** `loadProgram` for UIs: every problem as data instead of an exception. */
export async function validateProgramDir(dir: string, opts: LoadProgramOptions = {}): Promise<ValidateProgramResult> {
  try {
    return { ok: true, program: await loadProgram(dir, opts) };
  } catch (err) {
    if (err instanceof ProgramError) return { ok: false, errors: [...err.issues] };
    return { ok: false, errors: [{ file: dir, field: undefined, line: undefined, message: err instanceof Error ? err.message : String(err) }] };
  }
}

/** Kept files plus the running count and total, refused as soon as a limit is crossed. */
class Collector {
  readonly limits: Limits;
  readonly files = new Map<string, string>();
  total = 0;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  add(rel: string, content: string): void {
    this.files.set(rel, content);
    this.total += Buffer.byteLength(content);
    if (this.files.size > this.limits.maxFiles) {
      throw ProgramError.at(rel, `the program folder has more than ${this.limits.maxFiles} text files (maxFiles): move generated or vendored files out of it, or into a skipped folder such as data/`);
    }
    if (this.total > this.limits.maxTotalBytes) {
      throw ProgramError.at(rel, `the program's text files total more than ${formatBytes(this.limits.maxTotalBytes)} (maxTotalBytes) once this file is added: move large files out of the program folder`);
    }
  }

  sorted(): ProgramFile[] {
    // Code-unit order, not localeCompare: the same folder must give the same list (and hash) everywhere.
    return [...this.files].map(([p, content]) => ({ path: p, content })).toSorted((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** One walk of the folder: the rules it applies and what it finds. */
type Walk = {
  root: string;
  rules: CohortIgnore;
  /** Files TASK.md names (`editable`, `ship`): collected and checked by `checkNamed`, not by the walk. */
  named: ReadonlySet<string>;
  out: Collector;
  leftOut: LeftOut;
  /** Secret-looking files and folders, refused together once the walk is done. */
  secrets: ProgramIssue[];
};

async function readCohortIgnore(root: string, limits: Limits): Promise<CohortIgnore> {
  const entry = await resolveEntry(root, COHORTIGNORE);
  if (entry.kind !== 'file') return NO_RULES;
  const text = await readText(entry.real, COHORTIGNORE, limits.maxFileBytes);
  if (text === undefined) throw ProgramError.at(COHORTIGNORE, 'is not a UTF-8 text file: write it in gitignore syntax, one pattern a line');
  return parseCohortIgnore(text);
}

/**
 * Order of the decisions, for each entry: named by TASK.md (always ships), `.cohortignore` (the
 * owner's explicit word), secret-looking (refused), skipped by name, then binary content.
 */
async function walkDir(w: Walk, relDir: string): Promise<void> {
  const absDir = relDir === '' ? w.root : path.join(w.root, ...relDir.split('/'));
  const entries = await fsCall(relDir || '.', () => readdir(absDir, { withFileTypes: true }));
  for (const entry of entries.toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
    if (rel === 'TASK.md') continue; // read first, already collected
    if (entry.isDirectory()) {
      await walkSubdir(w, rel, entry.name);
      continue;
    }
    if (!entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, FIFOs, devices: nothing to ship
    if (w.named.has(rel)) continue;
    const rule = w.rules.match(rel, false);
    if (rule !== undefined) {
      w.leftOut.add(rel, `ignored by ${describeRule(rule)}`);
      continue;
    }
    const secret = secretFileReason(entry.name);
    if (secret !== undefined) {
      w.secrets.push(secretIssue(rel, secret));
      continue;
    }
    // Skipped folder names are decided before a link is resolved: a `data -> /mnt/big` link is fine.
    const linkSkip = entry.isSymbolicLink() ? skippedDirReason(entry.name) : undefined;
    const skipped = skippedFileReason(entry.name) ?? linkSkip;
    if (skipped !== undefined) {
      // `.npmrc` is not shipped either way, but one holding a token is worth a word to the owner.
      if (entry.isFile() && mayHoldToken(entry.name)) await checkContent(w, rel, entry.name);
      w.leftOut.add(rel, skipped);
      continue;
    }
    const target = await resolveEntry(w.root, rel);
    if (target.kind !== 'file') {
      w.leftOut.add(rel, target.kind === 'dir' ? 'a link to a folder (not followed)' : 'not a regular file');
      continue;
    }
    const content = await readText(target.real, checkedPath(rel), w.out.limits.maxFileBytes);
    if (content === undefined) {
      w.leftOut.add(rel, 'binary (not UTF-8 text)');
      continue;
    }
    const secretContent = secretContentReason(entry.name, content);
    if (secretContent !== undefined) w.secrets.push(secretIssue(rel, secretContent));
    else w.out.add(rel, content);
  }
}

async function walkSubdir(w: Walk, rel: string, name: string): Promise<void> {
  const rule = w.rules.match(rel, true);
  if (rule !== undefined) {
    w.leftOut.add(`${rel}/`, `ignored by ${describeRule(rule)}`);
    return;
  }
  // A named file inside (`ship: [.aws/config]`) says the owner looked: that file ships, the rest stays.
  const namesInside = [...w.named].some((n) => n.startsWith(`${rel}/`));
  const secret = secretDirReason(name);
  if (secret !== undefined && !namesInside) {
    w.secrets.push(secretIssue(`${rel}/`, secret));
    return;
  }
  const skipped = secret !== undefined ? 'holds credentials; only the files TASK.md names ship' : skippedDirReason(name);
  if (skipped !== undefined) {
    w.leftOut.add(`${rel}/`, skipped);
    return;
  }
  await walkDir(w, checkedPath(rel));
}

async function checkContent(w: Walk, rel: string, name: string): Promise<void> {
  const text = await readText(path.join(w.root, ...rel.split('/')), rel, w.out.limits.maxFileBytes);
  const secret = text === undefined ? undefined : secretContentReason(name, text);
  if (secret !== undefined) w.secrets.push(secretIssue(rel, secret));
}

/** `rel` ends with "/" for a folder. */
function secretIssue(rel: string, why: string): ProgramIssue {
  const isDir = rel.endsWith('/');
  const howToShip = isDir ? 'list the files inside it that must ship under "ship:" in TASK.md' : `list it under "ship:" in TASK.md`;
  return {
    file: rel,
    field: undefined,
    line: undefined,
    message: `looks like a secret (${why}) and must not reach members: move it out of the program folder, or add "/${rel}" to .cohortignore; if members really need it, ${howToShip}`,
  };
}

type Named = { rel: string; field: string; path: (string | number)[] };

/** `editable` then `ship`, each with where it is written, for messages that point at the line. */
function namedFiles(spec: TaskSpec): Named[] {
  return [
    ...spec.editable.map((rel, i) => ({ rel, field: `editable.${i}`, path: ['editable', i] })),
    ...(spec.ship ?? []).map((rel, i) => ({ rel, field: `ship.${i}`, path: ['ship', i] })),
  ];
}

/** Every named file must ship: a real, regular text file of the folder that `.cohortignore` leaves in. */
async function checkNamed(w: Walk, named: readonly Named[], lineOf: (p: readonly (string | number)[]) => number | undefined): Promise<ProgramIssue[]> {
  const issues: ProgramIssue[] = [];
  for (const n of named) {
    const editable = n.path[0] === 'editable';
    const problem = await namedProblem(w, n.rel, editable);
    if (problem !== undefined) {
      const what = editable ? 'editable file' : 'shipped file';
      issues.push({ file: 'TASK.md', field: n.field, line: lineOf(n.path), message: `${what} "${n.rel}" ${problem}` });
    }
  }
  return issues;
}

async function namedProblem(w: Walk, rel: string, editable: boolean): Promise<string | undefined> {
  const abs = path.join(w.root, ...rel.split('/'));
  const st = await fsCall(rel, () => lstat(abs)).catch(undefinedIfMissing);
  if (st === undefined) return `does not exist in ${w.root}: create it or fix the ${editable ? 'editable' : 'ship'} list`;
  // Members' patches rewrite editable files; a link or a linked parent folder would make them edit
  // something else. Shipped files keep the same rule: one rule for every file TASK.md names.
  if (st.isSymbolicLink()) return 'must be a regular file, not a symlink';
  if (st.isDirectory()) return 'is a folder: list the files inside it instead';
  if (!st.isFile()) return 'must be a regular file';
  if ((await fsCall(rel, () => realpath(abs))) !== abs) return 'must be reached without symlinked folders, and spelt with its exact case';
  // TASK.md and .cohortignore disagree: neither wins silently, the owner picks.
  const rule = ignoredBy(w.rules, rel);
  if (rule !== undefined) return `is left out by ${rule}, but TASK.md names it, so it must ship: remove or narrow that rule`;
  if (w.out.files.has(rel)) return undefined; // listed twice (editable and ship)
  const content = await readText(abs, rel, w.out.limits.maxFileBytes);
  if (content === undefined) return editable ? 'is not a UTF-8 text file (binary files cannot be edited by patches)' : 'is not a UTF-8 text file (members receive text files only)';
  w.out.add(rel, content);
  return undefined;
}

/** The rule leaving `rel` out, checking its folders first: git cannot re-include a file under an ignored folder. */
function ignoredBy(rules: CohortIgnore, rel: string): string | undefined {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const rule = rules.match(parts.slice(0, i).join('/'), i < parts.length);
    if (rule !== undefined) return describeRule(rule);
  }
  return undefined;
}

type Entry = { kind: 'file'; real: string } | { kind: 'dir' } | { kind: 'other' } | { kind: 'missing' };

/**
 * What `rel` is, following a symlink only to check where it lands: anything resolving outside the
 * folder is refused, since its content (or its absence) depends on the owner's machine.
 */
async function resolveEntry(root: string, rel: string): Promise<Entry> {
  const abs = path.join(root, ...rel.split('/'));
  const link = await fsCall(rel, () => lstat(abs)).catch(undefinedIfMissing);
  if (link === undefined) return { kind: 'missing' };
  let real = abs;
  if (link.isSymbolicLink()) {
    try {
      real = await realpath(abs);
    } catch {
      // Dangling: refuse only when it points outside, else there is simply nothing to read.
      const target = path.resolve(path.dirname(abs), await fsCall(rel, () => readlink(abs)));
      if (!isInside(root, target)) throw outsideLink(rel, target);
      return { kind: 'missing' };
    }
    if (!isInside(root, real)) throw outsideLink(rel, real);
  }
  const st = link.isSymbolicLink() ? await fsCall(rel, () => stat(real)) : link;
  if (st.isFile()) return { kind: 'file', real };
  return st.isDirectory() ? { kind: 'dir' } : { kind: 'other' };
}

function outsideLink(rel: string, target: string): ProgramError {
  return ProgramError.at(rel, `is a symlink to ${target}, outside the program folder: copy the file into the folder instead (members only receive the folder)`);
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Reads a regular file as UTF-8 text. Returns undefined for binary content (a NUL in the first 8 KB,
 * or bytes that are not UTF-8): such files are skipped, not refused. Text over the limit is refused.
 */
async function readText(real: string, rel: string, maxBytes: number): Promise<string | undefined> {
  const fh = await fsCall(rel, () => open(real, 'r'));
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    if (head.includes(0)) return undefined;
    if (size > maxBytes) throw tooBig(rel, size, maxBytes);
    const buf = await fsCall(rel, () => fh.readFile());
    if (buf.length > maxBytes) throw tooBig(rel, buf.length, maxBytes); // it grew while we read
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
    } catch {
      return undefined;
    }
  } finally {
    await fh.close();
  }
}

function tooBig(rel: string, size: number, max: number): ProgramError {
  return ProgramError.at(rel, `is ${formatBytes(size)} (${size} bytes), over the ${formatBytes(max)} limit for one file (maxFileBytes): move data out of the program folder, or into a skipped folder such as data/`);
}

/** Walked names come from readdir, so they never hold `/` or `..`; this catches what the wire format refuses (backslashes, very long paths). */
function checkedPath(rel: string): string {
  if (!RelativePath.safeParse(rel).success) {
    throw ProgramError.at(rel, 'is not a plain relative path (no backslashes, no "..", at most 255 characters): rename it');
  }
  return rel;
}

async function resolveRoot(dir: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch (err) {
    if (isFsError(err, 'ENOENT', 'ENOTDIR')) {
      throw ProgramError.at(dir, 'program folder does not exist: create it with a TASK.md (YAML frontmatter + instructions) and the files it names');
    }
    throw ProgramError.at(dir, `cannot open the program folder: ${errorText(err)}`);
  }
  if (!(await stat(root)).isDirectory()) {
    throw ProgramError.at(dir, 'is not a folder: a program is a folder holding a TASK.md and its files');
  }
  return root;
}

/** Runs a file-system call, turning its failure (e.g. EACCES) into a ProgramError naming the file. */
async function fsCall<T>(rel: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProgramError) throw err;
    const error = ProgramError.at(rel, `cannot read: ${errorText(err)}`);
    error.cause = err;
    throw error;
  }
}

/** For `.catch`: a path that does not exist is an answer (undefined), any other failure is rethrown. */
function undefinedIfMissing(err: unknown): undefined {
  if (err instanceof ProgramError && isFsError(err.cause, 'ENOENT', 'ENOTDIR')) return undefined;
  throw err;
}

function isFsError(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && 'code' in err && codes.includes(String(err.code));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}


/** `{ maxFiles: undefined }` must not override the default. */
function definedOnly(opts: LoadProgramOptions): Partial<Limits> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
}
