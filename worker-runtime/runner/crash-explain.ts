import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { terminalSafe } from '../../protocol/terminal-text.ts';

/** The most of a quoted line of output a message holds. */
const MAX_LINE = 300;

/**
 * What a crash of code that should run (a champion's, unchanged) says about this machine: the
 * failing line of the output and, for a Python module that cannot be imported, which interpreter
 * ran and which package it lacks, with what to do. Everything quoted from the output is cut short
 * and made terminal-safe: the message reaches a terminal, and the output is others' code's.
 */
export interface CrashExplanation {
  /** The last meaningful error line of the output (a traceback's exception line), else the crash's reason. */
  failingLine: string;
  /** A module that could not be imported: the module as named, and the package to install (its PyPI name). */
  missingModule: { module: string; package: string } | null;
  /** The run command's program (`python3`) as found on the run's PATH; null when the command names none. */
  interpreter: { word: string; path: string | null; realPath: string | null } | null;
  /** One line: the failing line, then for a missing module the interpreter, the package and what to do. */
  text: string;
}

export interface CrashFacts {
  /** The program's `run` command. */
  command: string;
  /** The run's crash reason (RunOutcome.reason) and output tail. */
  reason: string;
  tail: string;
  /** The PATH the run got, and the folder it ran in (a relative program path is resolved against it). */
  path: string | undefined;
  cwd: string;
}

// ECMA-48 sequences: CSI (colours of a rich traceback), OSC/DCS/… strings, and other ESC pairs.
// eslint-disable-next-line no-control-regex
const SEQUENCES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][^\x07\x1b]*(\x07|\x1b\\)?|\x1b[ -/]*[0-~]/g;

/** A line as a message may quote it: escape sequences gone, controls visible, at most MAX_LINE characters. */
export function quotable(line: string): string {
  const clean = terminalSafe(line.replace(SEQUENCES, '').trim());
  return clean.length > MAX_LINE ? `${clean.slice(0, MAX_LINE - 1)}…` : clean;
}

/** A Python exception line: `ModuleNotFoundError: No module named 'x'`, `torch.OutOfMemoryError: …`, `KeyboardInterrupt`. */
const EXCEPTION = /^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt)(?::\s.*|:)?$/;
/** What a shell says of a command it cannot run: `/bin/sh: 1: python3: not found`, `sh: foo: command not found`. */
const SHELL_ERROR = /^(?:\/\S*\/)?(?:ba|da|z)?sh: .*(?:not found|No such file or directory|Permission denied)$/;

/**
 * The failing line of a crashed run: for a non-zero exit, the last exception line (or shell error)
 * of its output tail, else what the reason says after `exit code N: `; for any other crash (a
 * time-out, a kill, FAIL, no metric) the reason itself.
 */
export function failingLine(tail: string, reason: string): string {
  const exit = /^exit code -?\d+: (.+)$/s.exec(reason);
  if (!/^exit code /.test(reason)) return quotable(reason);
  const lines = tail.replace(SEQUENCES, '').split(/\r\n|\r|\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line.length > 4096) continue; // a progress bar or a dump, not an exception line
    if (EXCEPTION.test(line) || SHELL_ERROR.test(line)) return quotable(line);
  }
  return quotable(exit ? exit[1]! : reason);
}

/** Import names whose package on PyPI is named otherwise. */
const PACKAGES: Record<string, string> = {
  cv2: 'opencv-python',
  PIL: 'pillow',
  sklearn: 'scikit-learn',
  skimage: 'scikit-image',
  yaml: 'pyyaml',
  bs4: 'beautifulsoup4',
  dateutil: 'python-dateutil',
  dotenv: 'python-dotenv',
  attr: 'attrs',
  jwt: 'pyjwt',
  serial: 'pyserial',
  Crypto: 'pycryptodome',
  fitz: 'pymupdf',
  docx: 'python-docx',
  google: 'protobuf',
};

const MODULE = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

/**
 * The module a failing line says cannot be imported (`ModuleNotFoundError: No module named 'numpy'`,
 * `ImportError: No module named numpy`, `ImportError: cannot import name 'x' from 'pkg.sub'`), with
 * the package to install for it; null for anything else.
 */
export function missingModule(line: string): { module: string; package: string } | null {
  const m = /^(?:ModuleNotFoundError|ImportError): (?:No module named '?([^'\s]+)'?|cannot import name '[^']*' from '([^']+)')/.exec(line);
  const module = m?.[1] ?? m?.[2];
  if (module === undefined || !MODULE.test(module) || module.length > 200) return null;
  const top = module.split('.')[0]!;
  return { module, package: PACKAGES[top] ?? top };
}

/** Words a command line starts with that only run the next word, with their options that take a value. */
const WRAPPERS: Record<string, string[]> = { env: ['-u', '-C', '-S'], exec: ['-a'], nice: ['-n'], nohup: [], time: ['-f', '-o'], command: [], stdbuf: [], ionice: ['-c', '-n'], taskset: [] };
const ASSIGNMENT = /^[A-Za-z_]\w*=/;
const PYTHON = /^python[\d.]*$/;

/** The words of a simple command (quotes removed; no expansion), split on `&&`, `||`, `;` and `|`. */
function segments(command: string): string[][] {
  const out: string[][] = [[]];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  const end = () => {
    if (word !== null) out.at(-1)!.push(word);
    word = null;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < command.length) word = (word ?? '') + command[++i];
    else if (/\s/.test(c)) end();
    else if (c === ';' || c === '&' || c === '|') {
      end();
      if (out.at(-1)!.length > 0) out.push([]);
    } else word = (word ?? '') + c;
  }
  end();
  return out.filter((s) => s.length > 0);
}

/** The program a segment runs: past `VAR=value` words and wrappers (`env -u X`, `exec`, `nice -n 5`) and their options. */
function programOf(words: string[]): string | null {
  let wrapper: string[] | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (ASSIGNMENT.test(w)) continue;
    if (wrapper !== null && w.startsWith('-')) {
      if (wrapper.includes(w)) i++; // its value
      continue;
    }
    const name = w.split('/').at(-1)!;
    if (Object.hasOwn(WRAPPERS, name)) wrapper = WRAPPERS[name]!;
    else return w;
  }
  return null;
}

/**
 * The program the run command starts: the first Python interpreter any part of it runs
 * (`cd x && python3 train.py` → `python3`), else the first part's program (`uv`, `bash`).
 */
export function commandProgram(command: string): string | null {
  const programs = segments(command).map(programOf).filter((p): p is string => p !== null && p !== 'cd');
  return programs.find((p) => PYTHON.test(p.split('/').at(-1)!)) ?? programs[0] ?? null;
}

async function executable(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `word` is found as the shell would find it: on `path` (a relative entry against `cwd`), or as a path itself. */
export async function resolveProgram(word: string, path: string | undefined, cwd: string): Promise<{ path: string | null; realPath: string | null }> {
  const candidates = word.includes('/') ? [resolve(cwd, word)] : (path ?? '').split(delimiter).map((dir) => (isAbsolute(dir) ? join(dir, word) : resolve(cwd, dir, word)));
  for (const file of candidates) {
    if (!(await executable(file))) continue;
    return { path: file, realPath: await realpath(file).catch(() => null) };
  }
  return { path: null, realPath: null };
}

/** Single-quoted for a shell, when it needs quoting at all. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Explains a crash of code that should have run (see CrashExplanation). */
export async function explainCrash(f: CrashFacts): Promise<CrashExplanation> {
  const line = failingLine(f.tail, f.reason);
  const module = missingModule(line);
  const word = commandProgram(f.command);
  const interpreter = word === null ? null : { word, ...(await resolveProgram(word, f.path, f.cwd)) };
  let text = `failing line: ${line}`;
  if (module !== null) {
    const found = interpreter?.path ?? null;
    const real = interpreter?.realPath ?? found;
    const where = interpreter === null ? 'the interpreter the run command starts'
      : found === null ? `the interpreter \`${quotable(interpreter.word)}\` (not found on the run's PATH)`
      : `the interpreter \`${quotable(interpreter.word)}\` (${quotable(found)}${real !== null && real !== found ? ` → ${quotable(real)}` : ''})`;
    const python = real ?? interpreter?.word ?? 'python3';
    text += `. The Python module \`${module.module}\` is missing for ${where}: install the package \`${module.package}\` for that interpreter (\`${quotable(shellWord(python))} -m pip install ${module.package}\`), or add its installation to the program's \`setup\` (TASK.md) so that every worker gets it`;
  } else if (interpreter !== null && interpreter.path === null && /not found|No such file/.test(line)) {
    text += `. The run command's \`${quotable(interpreter.word)}\` is not on the run's PATH: install it, or have the program's \`setup\` (TASK.md) provide it`;
  }
  return { failingLine: line, missingModule: module, interpreter, text };
}
