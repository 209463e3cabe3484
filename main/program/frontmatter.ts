/**
 * TASK.md = a `---` YAML frontmatter block + a markdown body (docs/design.md, "Research program").
 * The YAML is parsed as data only (core schema, no custom tags) and validated with the protocol's
 * `TaskSpec`; every problem is reported with the field and the TASK.md line it comes from.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { TaskSpec } from '../../protocol/task.ts';
import { ProgramError } from './errors.ts';
import type { ProgramIssue } from './errors.ts';
import { describeIssue, fieldName } from './zod-issues.ts';
import type { PathKey } from './zod-issues.ts';

/** Aliases are legitimate YAML but a handful is plenty for a config; more smells of a "billion laughs". */
const MAX_ALIAS_COUNT = 20;

/**
 * The frontmatter is a handful of fields; 32 KiB and 1000 lines are far beyond any real one and keep
 * a hostile TASK.md (100 000 keys, a 30 000-deep list) from costing seconds before it is refused.
 */
export const MAX_FRONTMATTER_CHARS = 32 * 1024;
export const MAX_FRONTMATTER_LINES = 1000;
/** Deeper than any field needs (search.NAME.min is 3); also well inside the parser's stack. */
const MAX_DEPTH = 32;
/** A TASK.md with hundreds of problems is the wrong file; the first ones say so. */
const MAX_ISSUES = 20;

/** When a missing field has no line of its own, point at the field that made it necessary. */
const RELATED_FIELD: Record<string, string> = { threshold: 'accept' };

export type ParsedTaskMd = {
  spec: TaskSpec;
  body: string;
  /** 1-based TASK.md line of a frontmatter path (e.g. `['editable', 0]`), when it was written there. */
  lineOf: (path: readonly PathKey[]) => number | undefined;
};

export type SplitTaskMd = {
  /** The YAML between the `---` lines. */
  yaml: string;
  /** Everything after the closing `---` line. */
  body: string;
  /** 1-based TASK.md line of the YAML's first line. */
  yamlStartLine: number;
};

/**
 * Plain splitter: a first line `---`, then YAML, then a line `---`. A BOM is dropped and CRLF becomes
 * LF (line numbers are unchanged by both). Returns why when there is no well-formed block.
 */
export function splitTaskMd(text: string): SplitTaskMd | 'missing' | 'unclosed' {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const open = /^---[ \t]*(?:\n|$)/.exec(src);
  if (open === null) return 'missing';
  const rest = src.slice(open[0].length);
  const close = /^---[ \t]*$/m.exec(rest);
  if (close === null) return 'unclosed';
  const after = rest.slice(close.index + close[0].length);
  return { yaml: rest.slice(0, close.index), body: after.startsWith('\n') ? after.slice(1) : after, yamlStartLine: 2 };
}

export function parseTaskMd(text: string, file = 'TASK.md'): { spec: TaskSpec; body: string } {
  const { spec, body } = parseTaskMdWithLines(text, file);
  return { spec, body };
}

/** `parseTaskMd` plus a way to find a field's line, for checks made after parsing (e.g. editable files). */
export function parseTaskMdWithLines(text: string, file = 'TASK.md'): ParsedTaskMd {
  const split = splitTaskMd(text);
  if (split === 'missing') {
    throw ProgramError.at(file, `${file} must start with a "---" line opening a YAML block (name, objective, metric, direction), closed by another "---" line`, { line: 1 });
  }
  if (split === 'unclosed') {
    throw ProgramError.at(file, 'the YAML block opened by "---" on line 1 is never closed: add a "---" line after the last field', { line: 1 });
  }

  if (split.yaml.length > MAX_FRONTMATTER_CHARS) {
    throw ProgramError.at(
      file,
      `the YAML block is ${Math.ceil(split.yaml.length / 1024)} KiB, over the ${MAX_FRONTMATTER_CHARS / 1024} KiB limit: keep the frontmatter to its fields and move long text into the markdown body`,
      { line: 1 },
    );
  }
  const yamlLines = split.yaml.split('\n').length;
  if (yamlLines > MAX_FRONTMATTER_LINES) {
    throw ProgramError.at(
      file,
      `the YAML block has ${yamlLines} lines, over the ${MAX_FRONTMATTER_LINES}-line limit: keep the frontmatter to its fields and move long text into the markdown body`,
      { line: 1 },
    );
  }

  const lineCounter = new LineCounter();
  const offset = split.yamlStartLine - 1;
  const lineAt = (pos: number): number => lineCounter.linePos(pos).line + offset;
  let doc: ReturnType<typeof parseDocument>;
  try {
    // version 1.2 + core schema: `yes`/`no` stay strings, no timestamps, no `<<` merges, no code tags.
    // Duplicate keys are found by checkShape: yaml's own uniqueKeys check is quadratic in the keys.
    doc = parseDocument(split.yaml, { lineCounter, prettyErrors: false, version: '1.2', schema: 'core', uniqueKeys: false });
  } catch (err) {
    // The parser recurses per nesting level; it reports most overflows itself, this catches the rest.
    throw ProgramError.at(file, err instanceof RangeError ? tooDeep() : `invalid YAML: ${firstLine(String(err))}`, { line: 1 });
  }

  // Warnings (e.g. unresolved tags such as `!!js/function`) are refused too: the frontmatter is plain data.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    throw new ProgramError(
      capIssues(
        yamlProblems.map((e) => ({
          file,
          field: undefined,
          line: lineAt(e.pos[0]),
          message: /call stack|stack overflow/i.test(e.message) ? tooDeep() : `invalid YAML: ${firstLine(e.message)}`,
        })),
        file,
      ),
    );
  }
  const shape = checkShape(doc);
  if (shape !== null) throw ProgramError.at(file, shape.message, { line: shape.pos === undefined ? undefined : lineAt(shape.pos), field: shape.field });
  if (doc.contents === null) {
    throw ProgramError.at(file, 'the YAML block is empty: it needs at least name, objective, metric and direction', { line: 1 });
  }
  if (!isMap(doc.contents)) {
    const start = doc.contents.range?.[0];
    const line = start === undefined ? 1 : lineAt(start);
    throw ProgramError.at(file, 'the YAML block must be a mapping of fields ("name: ...", one a line)', { line });
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount.
    throw ProgramError.at(file, `invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }

  const lineOf = (path: readonly PathKey[]): number | undefined => {
    const pos = locate(doc, path);
    return pos === undefined ? undefined : lineAt(pos);
  };

  const parsed = TaskSpec.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const described = parsed.error.issues.flatMap((issue) => describeIssue(issue, TaskSpec));
    // Lines are looked up for the first MAX_ISSUES only: each lookup walks the document.
    const issues: ProgramIssue[] = described
      .slice(0, MAX_ISSUES)
      .map(({ path, message }) => ({ file, field: fieldName(path), line: lineOfIssue(path, lineOf), message }));
    throw new ProgramError(capIssues(sortByLine(issues), file, described.length));
  }
  return { spec: parsed.data, body: split.body, lineOf };
}

function lineOfIssue(path: readonly PathKey[], lineOf: ParsedTaskMd['lineOf']): number | undefined {
  const line = lineOf(path);
  if (line !== undefined) return line;
  const related = path.length === 1 ? RELATED_FIELD[String(path[0])] : undefined;
  return related === undefined ? undefined : lineOf([related]);
}

/**
 * Source offset of the deepest node of `path` present in the document: a mapping entry's key, or a
 * list item. A missing leaf thus points at its parent (e.g. the `lr:` of a `search.lr.min` not written);
 * a missing top-level field has no position.
 */
function locate(doc: Document, path: readonly PathKey[]): number | undefined {
  let node: unknown = doc.contents;
  let pos: number | undefined;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      pos = startOf(pair.key) ?? startOf(pair.value) ?? pos;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      pos = startOf(item) ?? pos;
      node = item;
    } else {
      break;
    }
  }
  return pos;
}

function tooDeep(): string {
  return `the YAML block nests lists or mappings deeper than ${MAX_DEPTH} levels`;
}

/** The first MAX_ISSUES issues, and one more saying how many were left out. */
function capIssues(issues: ProgramIssue[], file: string, total = issues.length): [ProgramIssue, ...ProgramIssue[]] {
  const kept = issues.slice(0, MAX_ISSUES);
  if (total > kept.length) kept.push({ file, field: undefined, line: undefined, message: `… and ${total - kept.length} more problems` });
  return toTuple(kept);
}

/**
 * What the YAML parser accepts but a frontmatter never needs, found before anything is converted:
 * nesting deeper than MAX_DEPTH, a list or mapping used as a key (yaml would stringify it with a
 * process warning), and a `__proto__` key (which would set a parsed object's prototype).
 * Iterative, so a deep document cannot overflow the stack here.
 */
function checkShape(doc: Document): { message: string; pos: number | undefined; field: string | undefined } | null {
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) return { message: tooDeep(), pos: startOf(node), field: undefined };
    if (isMap(node)) {
      // Keys as JavaScript sees them: `1` and `"1"` are one key once converted, so they clash here too.
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key)) {
          return { message: 'field names must be plain words, not lists or mappings ("name: value", one a line)', pos: startOf(pair.key), field: undefined };
        }
        if (isScalar(pair.key) && pair.key.value === '__proto__') {
          return { message: 'the key "__proto__" is not allowed (it would set the prototype of the parsed mapping)', pos: startOf(pair.key), field: '__proto__' };
        }
        if (isScalar(pair.key) || pair.key === null) {
          const key = String(isScalar(pair.key) ? pair.key.value : null);
          if (seen.has(key)) return { message: `the key "${key.length > 60 ? `${key.slice(0, 60)}…` : key}" is given twice (map keys must be unique)`, pos: startOf(pair.key), field: key };
          seen.add(key);
        }
        stack.push({ node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return null;
}

/** Top to bottom, as an editor shows them; issues without a line (missing fields) first. */
function sortByLine(issues: ProgramIssue[]): ProgramIssue[] {
  return issues.toSorted((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function startOf(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? s;
}

/** zod guarantees a failed parse has at least one issue; this makes that visible to the type checker. */
function toTuple(issues: ProgramIssue[]): [ProgramIssue, ...ProgramIssue[]] {
  const [first, ...rest] = issues;
  if (first === undefined) throw new Error('internal: a failed validation without issues');
  return [first, ...rest];
}
