/**
 * Turns zod issues into sentences a person editing TASK.md can act on:
 * `direction must be "minimize" or "maximize", got "lower"` rather than zod's generic wording.
 */
import { z } from 'zod';

export type PathKey = string | number;

/** One located problem: the frontmatter path it is about and the sentence to show. */
export type DescribedIssue = { path: PathKey[]; message: string };

export function fieldName(path: readonly PathKey[]): string | undefined {
  return path.length === 0 ? undefined : path.join('.');
}

/** Describes one zod issue; an unknown-keys issue becomes one entry per key, so each gets its line. */
export function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType): DescribedIssue[] {
  const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
  const field = fieldName(path) ?? 'the frontmatter';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path);
      const where = path.length === 0 ? '' : ` in ${field}`;
      return issue.keys.map((key) => {
        const hint = known === undefined ? '' : knownHint(key, known);
        return { path: [...path, key], message: `unknown field ${render(key)}${where}${hint}` };
      });
    }
    case 'invalid_type':
      if (issue.input === undefined) return [{ path, message: `missing field "${field}"` }];
      // zod's number refuses .inf/.nan as a wrong type; say what is actually wrong (only where a number was expected).
      if (typeof issue.input === 'number' && issue.expected === 'number') return [{ path, message: `${field} must be a finite number, got ${render(issue.input)}` }];
      return [{ path, message: `${field} must be ${expectedName(issue.expected)}, got ${render(issue.input)}` }];
    case 'invalid_value':
      // zod reports a missing enum field as an invalid value of `undefined`.
      if (issue.input === undefined) return [{ path, message: `missing field "${field}"` }];
      return [{ path, message: `${field} must be ${orList(issue.values.map(render))}, got ${render(issue.input)}` }];
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'is not allowed';
      const parent = fieldName(path.slice(0, -1)) ?? 'the frontmatter';
      return [{ path, message: `${parent} has an invalid key ${render(issue.input)}: ${inner}` }];
    }
    default:
      return [{ path, message: withGot(`${field} ${problem(issue)}`, issue.input) }];
  }
}

/** The problem part of a sentence: the schema's own wording when it wrote one, else a plain rewrite. */
function problem(issue: z.core.$ZodIssue): string {
  // Protocol messages are written to follow the field name ("must be ≥ 0"); zod's defaults are capitalised.
  if (/^[a-z]/.test(issue.message)) return issue.message;
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const small = issue.code === 'too_small';
    const n = Number(small ? issue.minimum : issue.maximum);
    if (issue.origin === 'string') return small && n === 1 ? 'must not be empty' : `must be ${small ? 'at least' : 'at most'} ${n} characters`;
    if (issue.origin === 'array') return `must list ${small ? 'at least' : 'at most'} ${n} ${n === 1 ? 'entry' : 'entries'}`;
    const op = small ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
    return `must be ${op} ${n}`;
  }
  return `is invalid: ${issue.message}`;
}

function withGot(sentence: string, input: unknown): string {
  const primitive = input === null || ['string', 'number', 'boolean'].includes(typeof input);
  if (input === '') return sentence; // `must not be empty, got ""` says nothing new
  return primitive ? `${sentence}, got ${render(input)}` : sentence;
}

function expectedName(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping of fields',
    record: 'a mapping',
  };
  return names[expected] ?? `of type ${expected}`;
}

/** A value as the user wrote it, short enough for one line. */
export function render(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function orList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.length > 2 ? 'one of ' : ''}${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function knownHint(key: string, known: string[]): string {
  const close = known.find((k) => editDistance(k, key.toLowerCase()) <= 2);
  const list = `known fields: ${known.join(', ')}`;
  return close === undefined ? ` (${list})` : ` (did you mean "${close}"? ${list})`;
}

/** Field names of the object schema at `path` (through optional, default and record wrappers). */
function knownKeysAt(schema: z.ZodType, path: readonly PathKey[]): string[] | undefined {
  let s: unknown = schema;
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, unknown>)[String(seg)];
    else if (s instanceof z.ZodRecord) s = s.valueType;
    else if (s instanceof z.ZodArray) s = s.element;
    else return undefined;
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : undefined;
}

function unwrap(s: unknown): unknown {
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap();
  return s;
}

/** Levenshtein distance; names are short, so the quadratic table is fine. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
