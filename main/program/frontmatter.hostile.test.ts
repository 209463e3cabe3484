/**
 * Hostile TASK.md files (issue #5, docs/hostile-input.md). A program folder is untrusted input
 * too (it may come from anyone's repository): whatever TASK.md holds, parsing returns a spec or
 * throws the program's own ProgramError, whose issues name the file and, where there is one, the
 * field and a line that really holds that field; never another error, never a long stall.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgramError } from './errors.ts';
import { MAX_FRONTMATTER_CHARS, parseTaskMd } from './frontmatter.ts';
import { loadProgram } from './load-program.ts';
import { INVALID_UTF8, nastyString } from '../testing/hostile-arbitraries.ts';

const RUNS = { text: 800, yaml: 800, bombs: 60, bytes: 30 } as const;
/** Real parses take milliseconds; the hangs this guards against took seconds to minutes. Room for a loaded machine. */
const STALL_MS = 2000;
const KNOWN = ['name', 'objective', 'metric', 'direction', 'accept', 'threshold', 'min_improvement', 'baseline', 'run', 'editable', 'time_budget', 'pool', 'token', 'split', 'membership', 'search'];

/** Parses; returns the ProgramError (or null on success), failing on any other error or a stall. */
function attempt(text: string): ProgramError | null {
  const started = performance.now();
  let out: ProgramError | null = null;
  try {
    parseTaskMd(text);
  } catch (err) {
    if (!(err instanceof ProgramError)) throw new Error(`not a ProgramError: ${String(err)} for ${JSON.stringify(text.slice(0, 200))}`, { cause: err });
    out = err;
  }
  expect(performance.now() - started, `stalled on ${JSON.stringify(text.slice(0, 200))}`).toBeLessThan(STALL_MS);
  return out;
}

/** Every issue names TASK.md, has a one-line message, and a line inside the file that holds its top-level field. */
function expectWellFormed(err: ProgramError, text: string): void {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  expect(err.issues.length).toBeGreaterThan(0);
  expect(err.issues.length).toBeLessThanOrEqual(21);
  expect(err.message.split('\n')).toHaveLength(err.issues.length);
  for (const issue of err.issues) {
    expect(issue.file).toBe('TASK.md');
    expect(issue.message.length).toBeGreaterThan(5);
    expect(issue.message).not.toMatch(/\n/);
    if (issue.line !== undefined) {
      expect(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lines.length, `line ${issue.line} of ${lines.length}`).toBe(true);
      const top = issue.field?.split('.')[0];
      if (top !== undefined && KNOWN.includes(top) && issue.field === top) {
        const held = lines[issue.line - 1]!;
        expect(held.includes(top) || (top === 'threshold' && held.includes('accept')), `${issue.field} at line ${issue.line}: ${JSON.stringify(held)}`).toBe(true);
      }
    }
  }
}

/** YAML scalars and structures, hostile ones included: tags, anchors, aliases, special floats, huge numbers. */
const yamlValue: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('~', 'null', 'true', 'yes', 'no', 'on', '.inf', '-.inf', '.nan', '.NaN', '1e400', '-0', '0x10', '0o17', '1_000', '2001-12-14', '12:30:00', '"\\u0000"', '"\\ud800"', "'it''s'", '|\n  block', '>-\n  folded', '""', "''"),
    fc.constantFrom('!!js/function "function () {}"', '!!js/undefined ~', '!!python/object/apply:os.system ["ls"]', '!!binary aGVsbG8=', '!!timestamp 2001-12-14', '!!set {a, b}', '!!omap [a: 1]', '!custom x', '!<tag:yaml.org,2002:str> x', '!!int "12"', '!!float "1.5"', '!!str 12'),
    fc.constantFrom('*a', '&a x', '&a [1, 2]', '*undefined_anchor', '&a &b x'),
    fc.double().map(String),
    fc.integer().map(String),
    nastyString.map((s) => JSON.stringify(s)),
    fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => /^[A-Za-z0-9 _./-]*$/.test(s)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
    fc.array(fc.tuple(fc.constantFrom('min', 'max', 'file', 'scale', 'integer', 'x'), tie('value')), { maxLength: 3 }).map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
  ),
})).value;

const fieldName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'thresold', 'Name', '"name"', '? [a]', '<<', 'name ', '-') },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z_]{1,12}$/) },
);

/** A TASK.md: frontmatter of generated `field: value` lines (duplicates allowed), any line ending, maybe a BOM. */
const taskMd = fc
  .record({
    fields: fc.array(fc.tuple(fieldName, yamlValue), { maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.boolean(),
    indent: fc.constantFrom('', '', '', ' ', '\t'),
  })
  .map(({ fields, eol, bom, indent }) => `${bom ? '\uFEFF' : ''}${['---', ...fields.map(([k, v]) => `${indent}${k}: ${v}`), '---', '# body', ''].join(eol)}`);

describe('hostile TASK.md', () => {
  it(`${RUNS.text} arbitrary texts → a spec or a ProgramError naming TASK.md and real lines`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }).map((s) => `---\n${s}\n---\n`)), (text) => {
        const err = attempt(text);
        if (err) expectWellFormed(err, text);
      }),
      { numRuns: RUNS.text },
    );
  });

  it(`${RUNS.yaml} generated frontmatters (tags, anchors, aliases, duplicate keys, wrong types, BOM, CRLF, CR) → a spec or a ProgramError whose field lines hold the field`, () => {
    fc.assert(
      fc.property(taskMd, (text) => {
        const err = attempt(text);
        if (err) expectWellFormed(err, text);
      }),
      { numRuns: RUNS.yaml },
    );
  });

  it(`${RUNS.bombs} bombs (alias fan-outs, deep nesting, huge documents, long lines) → a ProgramError within ${STALL_MS} ms`, () => {
    const bomb = fc.oneof(
      fc.tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 2, max: 12 })).map(([levels, width]) => {
        const lines = [`l0: &l0 [${Array(width).fill('x').join(', ')}]`];
        for (let i = 1; i < levels; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
        return lines.join('\n');
      }),
      fc.tuple(fc.integer({ min: 33, max: 30_000 }), fc.constantFrom('[', '{a: ')).map(([depth, open]) => `search: ${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`),
      fc.integer({ min: 33, max: 3000 }).map((depth) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')),
      fc.integer({ min: 33, max: 3000 }).map((depth) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')),
      fc.integer({ min: 1000, max: 200_000 }).map((n) => Array.from({ length: n }, (_, i) => `k${i}: v`).join('\n')),
      fc.integer({ min: MAX_FRONTMATTER_CHARS - 100, max: 4 * MAX_FRONTMATTER_CHARS }).map((n) => `name: ${'x'.repeat(n)}`),
      fc.integer({ min: 100, max: 5000 }).map((n) => `editable: [${Array(n).fill('../x').join(', ')}]`),
    );
    fc.assert(
      fc.property(bomb, (yaml) => {
        const text = `---\n${yaml}\n---\nbody\n`;
        const err = attempt(text);
        expect(err, yaml.slice(0, 100)).toBeInstanceOf(ProgramError);
        expectWellFormed(err!, text);
      }),
      { numRuns: RUNS.bombs },
    );
  });

  it(`${RUNS.bytes} TASK.md files of random bytes (not UTF-8, BOMs, NULs) → loadProgram throws ProgramError`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cohort-hostile-task-'));
    try {
      await writeFile(path.join(dir, 'train.py'), 'print(1)\n');
      const bytes = fc.oneof(
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.nat(40)).map(([bad, at]) => {
          const good = Buffer.from('---\nname: x\nobjective: o\nmetric: m\ndirection: minimize\n---\n');
          const i = at % good.length;
          return Buffer.concat([good.subarray(0, i), Buffer.from(bad), good.subarray(i)]);
        }),
        fc.constantFrom(Buffer.from([0xff, 0xfe, 0x2d, 0x00, 0x2d, 0x00, 0x2d, 0x00]), Buffer.from([0xfe, 0xff, 0x00, 0x2d]), Buffer.from('---\nname: "\u0000"\n---\n')),
      );
      await fc.assert(
        fc.asyncProperty(bytes, async (b) => {
          await writeFile(path.join(dir, 'TASK.md'), b);
          const err: unknown = await loadProgram(dir).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err, b.toString('hex').slice(0, 80)).toBeInstanceOf(ProgramError);
          expect((err as ProgramError).file).toBe('TASK.md');
        }),
        { numRuns: RUNS.bytes },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile TASK.md: regressions', () => {
  const md = (...lines: string[]) => ['---', ...lines, '---', 'body', ''].join('\n');
  const REQUIRED = ['name: tiny-gpt', 'objective: x', 'metric: val_bpb', 'direction: minimize'];

  it('100 000 unknown keys took 262 s (each issue searched the whole document); now refused at once by size', () => {
    const err = attempt(md('name: x', ...Array.from({ length: 100_000 }, (_, i) => `k${i}: v`)))!;
    expect(err.message).toMatch(/^TASK\.md:1: the YAML block is \d+ KiB, over the 32 KiB limit: keep the frontmatter to its fields/);
    const lines = attempt(md(...Array.from({ length: 1001 }, () => '')))!;
    expect(lines.message).toBe('TASK.md:1: the YAML block has 1002 lines, over the 1000-line limit: keep the frontmatter to its fields and move long text into the markdown body');
  });

  it('5 000 unknown keys took 1.3 s (yaml\'s duplicate-key check is quadratic, and each issue searched the document); now 20 issues and a count', () => {
    const err = attempt(md(...REQUIRED, ...Array.from({ length: 990 }, (_, i) => `k${i}: v`)))!;
    expect(err.issues).toHaveLength(21);
    expect(err.issues.at(-1)!.message).toBe('… and 970 more problems');
    expect(err.issues[0]).toMatchObject({ field: 'k0', line: 6 });
  });

  it('`1: a` and `"1": b` both became the key "1", the last one silently winning; now a duplicate', () => {
    expect(attempt(md(...REQUIRED, '1: a', '"1": b'))!.message).toBe('TASK.md:7: the key "1" is given twice (map keys must be unique)');
  });

  it('a number where a string belongs said "must be a finite number, got 3"; now "must be a string"', () => {
    const err = attempt(md(...REQUIRED, 'editable: [train.py, 3]', 'search: {lr: 1}'))!;
    expect(err.issues.map((i) => i.message)).toEqual(['editable.1 must be a string, got 3', 'search.lr must be a mapping of fields, got 1']);
  });

  it('a missing direction said "must be minimize or maximize, got an empty value"; now "missing field"', () => {
    expect(attempt(md('name: tiny-gpt', 'objective: x', 'metric: val_bpb'))!.message).toBe('TASK.md: missing field "direction"');
  });

  it('a "__proto__" search constant silently emptied the search map; now refused with its line', () => {
    const err = attempt(md(...REQUIRED, 'search:', '  __proto__: {min: 1, max: 2}'))!;
    expect(err.message).toBe('TASK.md:7: the key "__proto__" is not allowed (it would set the prototype of the parsed mapping)');
  });

  it('a list used as a key was stringified with a process warning; now refused with its line', () => {
    const err = attempt(md(...REQUIRED, '? [a, b]', ': 1'))!;
    expect(err.message).toBe('TASK.md:6: field names must be plain words, not lists or mappings ("name: value", one a line)');
  });

  it('deep nesting reported the parser\'s "Maximum call stack size exceeded"; now it says how deep is allowed', () => {
    expect(attempt(md(...REQUIRED, `search: ${'['.repeat(15_000)}${']'.repeat(15_000)}`))!.issues[0]!.message).toBe('the YAML block nests lists or mappings deeper than 32 levels');
    expect(attempt(md(...REQUIRED, `search: ${'['.repeat(40)}${']'.repeat(40)}`))!.message).toBe('TASK.md:6: the YAML block nests lists or mappings deeper than 32 levels');
  });

  it('baseline and threshold of ±1e308 were accepted, and made impacts overflow to Infinity; now bounded like submitted values', () => {
    expect(attempt(md(...REQUIRED, 'baseline: 1.7e308'))!.message).toBe('TASK.md:6: baseline must be between -1e300 and 1e300, got 1.7e+308');
    expect(attempt(md(...REQUIRED, 'accept: threshold', 'threshold: -1e301'))!.message).toBe('TASK.md:7: threshold must be between -1e300 and 1e300, got -1e+301');
  });

  it('binary and date values were reported as "a mapping"', () => {
    expect(attempt(md(...REQUIRED.slice(1), 'name: !!binary aGVsbG8='))!.message).toBe('TASK.md:5: name must be a string, got binary data');
  });
});
