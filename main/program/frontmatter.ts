/**
 * TASK.md = a `---` YAML frontmatter block + a markdown body (DESIGN.md, "Research program").
 * The YAML is parsed as data only (core schema, no custom tags) and validated with the protocol's
 * `TaskSpec`; every problem is reported with the field and the TASK.md line it comes from.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { TaskSpec } from '../../protocol/task.ts';
import { ProgramError } from './errors.ts';
import type { ProgramIssue } from './errors.ts';
import { describeIssue, fieldName } from './zod-issues.ts';
import type { PathKey } from './zod-issues.ts';

/** Aliases are legitimate YAML but a handful is plenty for a config; more smells of a "billion laughs". */
const MAX_ALIAS_COUNT = 20;

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

  const lineCounter = new LineCounter();
  const offset = split.yamlStartLine - 1;
  const lineAt = (pos: number): number => lineCounter.linePos(pos).line + offset;
  // version 1.2 + core schema: `yes`/`no` stay strings, no timestamps, no `<<` merges, no code tags.
  const doc = parseDocument(split.yaml, { lineCounter, prettyErrors: false, version: '1.2', schema: 'core', uniqueKeys: true });

  // Warnings (e.g. unresolved tags such as `!!js/function`) are refused too: the frontmatter is plain data.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    throw new ProgramError(
      toTuple(yamlProblems.map((e) => ({ file, field: undefined, line: lineAt(e.pos[0]), message: `invalid YAML: ${firstLine(e.message)}` }))),
    );
  }
  if (doc.contents === null) {
    throw ProgramError.at(file, 'the YAML block is empty: it needs at least name, objective, metric and direction', { line: 1 });
  }
  if (!isMap(doc.contents)) {
    const line = doc.contents.range === undefined ? 1 : lineAt(doc.contents.range[0]);
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
    const issues: ProgramIssue[] = parsed.error.issues
      .flatMap((issue) => describeIssue(issue, TaskSpec))
      .map(({ path, message }) => ({ file, field: fieldName(path), line: lineOfIssue(path, lineOf), message }));
    throw new ProgramError(toTuple(sortByLine(issues)));
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
