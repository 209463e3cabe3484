import { describe, expect, it } from 'vitest';
import { ProgramError } from './errors.ts';
import { parseTaskMd } from './frontmatter.ts';

const VALID = ['---', 'name: tiny-gpt', 'objective: lower validation bits per byte', 'metric: val_bpb', 'direction: minimize', '---', '# Tiny GPT', ''];

function md(...lines: string[]): string {
  return ['---', ...lines, '---', 'body', ''].join('\n');
}

const REQUIRED = ['name: tiny-gpt', 'objective: x', 'metric: val_bpb'];

/** Parses and returns the thrown ProgramError (failing the test if none). */
function fail(text: string, file?: string): ProgramError {
  try {
    parseTaskMd(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ProgramError);
    return err as ProgramError;
  }
  throw new Error('expected a ProgramError');
}

describe('parseTaskMd', () => {
  it('parses a valid TASK.md and applies the defaults', () => {
    const { spec, body } = parseTaskMd(VALID.join('\n'));
    expect(spec).toEqual({
      name: 'tiny-gpt',
      objective: 'lower validation bits per byte',
      metric: 'val_bpb',
      direction: 'minimize',
      accept: 'beats-champion',
      min_improvement: 0,
      run: 'python3 train.py',
      editable: ['train.py'],
      time_budget: 300,
      pool: 0,
      token: 'OBOL',
      split: 'by-impact',
      membership: 'invite',
    });
    expect(body).toBe('# Tiny GPT\n');
  });

  it('accepts CRLF line endings and a BOM, keeping line numbers', () => {
    const { spec, body } = parseTaskMd(`\uFEFF${VALID.join('\r\n')}`);
    expect(spec.direction).toBe('minimize');
    expect(body).toBe('# Tiny GPT\n');
    const err = fail(`\uFEFF${md(...REQUIRED, 'direction: lower').replaceAll('\n', '\r\n')}`);
    expect(err.message).toBe('TASK.md:5: direction must be "minimize" or "maximize", got "lower"');
  });

  it('names the line of an enum mistake', () => {
    const err = fail(md(...REQUIRED, 'direction: lower'));
    expect(err.message).toBe('TASK.md:5: direction must be "minimize" or "maximize", got "lower"');
    expect(err).toMatchObject({ file: 'TASK.md', field: 'direction', line: 5 });
  });

  it('names the line of an unknown field and lists the known ones', () => {
    const err = fail(md(...REQUIRED, 'direction: minimize', 'pool: 10', 'token: OBOL', 'split: by-impact', 'colour: red'));
    expect(err.message).toBe(
      'TASK.md:9: unknown field "colour" (known fields: name, objective, metric, direction, accept, threshold, min_improvement, baseline, run, editable, ship, time_budget, pool, token, split, membership, quota, verify, setup, env, requires, search)',
    );
    expect(err.line).toBe(9);
    expect(err.field).toBe('colour');
  });

  it('suggests the field a misspelt one was probably meant to be', () => {
    expect(fail(md(...REQUIRED, 'direction: minimize', 'thresold: 2')).message).toMatch(/^TASK\.md:6: unknown field "thresold" \(did you mean "threshold"\? known fields: name, /);
  });

  it('reports a missing field without a line', () => {
    const err = fail(md('name: tiny-gpt', 'objective: x', 'direction: minimize'));
    expect(err.message).toBe('TASK.md: missing field "metric"');
    expect(err).toMatchObject({ field: 'metric', line: undefined });
  });

  it('names the line of a wrong type', () => {
    const err = fail(md(...REQUIRED, 'direction: minimize', 'time_budget: ten', 'pool: 1'));
    expect(err.message).toBe('TASK.md:6: time_budget must be a number, got "ten"');
  });

  it('bounds time_budget at 7 days, so no timer of the run overflows (1e10 was accepted once)', () => {
    expect(fail(md(...REQUIRED, 'direction: minimize', 'time_budget: 1e10')).message).toBe('TASK.md:6: time_budget must be at most 604800 seconds (7 days), got 10000000000');
    expect(fail(md(...REQUIRED, 'direction: minimize', 'time_budget: 604801')).field).toBe('time_budget');
    expect(parseTaskMd(md(...REQUIRED, 'direction: minimize', 'time_budget: 604800')).spec.time_budget).toBe(604800);
  });

  it('validates quota: positive numbers, whole submissions, known fields only', () => {
    const spec = parseTaskMd(md(...REQUIRED, 'direction: minimize', 'quota:', '  storage_mb: 64', '  submissions_per_hour: 120')).spec;
    expect(spec.quota).toEqual({ storage_mb: 64, submissions_per_hour: 120 });
    expect(parseTaskMd(md(...REQUIRED, 'direction: minimize')).spec.quota).toBeUndefined();
    expect(fail(md(...REQUIRED, 'direction: minimize', 'quota:', '  storage_mb: 0')).message).toBe(
      'TASK.md:7: quota.storage_mb must be > 0 (MiB of patches, outputs and hypotheses one member may store), got 0',
    );
    expect(fail(md(...REQUIRED, 'direction: minimize', 'quota:', '  submissions_per_hour: 2.5')).message).toBe('TASK.md:7: quota.submissions_per_hour must be a whole number of submissions, got 2.5');
    expect(fail(md(...REQUIRED, 'direction: minimize', 'quota:', '  submissions_per_hour: 0')).message).toBe('TASK.md:7: quota.submissions_per_hour must be ≥ 1, got 0');
    expect(fail(md(...REQUIRED, 'direction: minimize', 'quota:', '  storage_mb: lots')).message).toBe('TASK.md:7: quota.storage_mb must be a number, got "lots"');
    expect(fail(md(...REQUIRED, 'direction: minimize', 'quota:', '  storage: 5')).message).toMatch(/^TASK\.md:7: unknown field "storage" in quota \(/);
  });

  it('validates verify: re-runs 0–9, a tolerance ≥ 0, known fields only; replicas defaults to 1 once verify is given', () => {
    const given = (...lines: string[]) => md(...REQUIRED, 'direction: minimize', 'verify:', ...lines);
    expect(parseTaskMd(given('  tolerance: 0.002')).spec.verify).toEqual({ replicas: 1, tolerance: 0.002, same_hardware: true });
    expect(parseTaskMd(given('  replicas: 0')).spec.verify).toEqual({ replicas: 0, same_hardware: true });
    expect(parseTaskMd(md(...REQUIRED, 'direction: minimize')).spec.verify).toBeUndefined();
    expect(fail(given('  replicas: 1.5')).message).toBe('TASK.md:7: verify.replicas must be a whole number of re-runs, got 1.5');
    expect(fail(given('  replicas: 12')).message).toBe('TASK.md:7: verify.replicas must be between 0 (verification off) and 9, got 12');
    expect(fail(given('  tolerance: -1')).message).toBe('TASK.md:7: verify.tolerance must be ≥ 0 (how much worse than the claim its re-runs may be), got -1');
    expect(fail(given('  same_hardware: maybe')).message).toBe('TASK.md:7: verify.same_hardware must be true or false, got "maybe"');
    expect(fail(given('  replica: 2')).message).toMatch(/^TASK\.md:7: unknown field "replica" in verify \(/);
  });

  it('requires a threshold under accept: threshold, pointing at the accept line', () => {
    const err = fail(md(...REQUIRED, 'direction: maximize', 'accept: threshold'));
    expect(err.message).toBe('TASK.md:6: threshold is required when accept is "threshold"');
    expect(err.field).toBe('threshold');
    expect(parseTaskMd(md(...REQUIRED, 'direction: maximize', 'accept: threshold', 'threshold: 0.9')).spec.threshold).toBe(0.9);
  });

  it('collects every issue, top to bottom, each with its field and line', () => {
    const err = fail(
      md('name: Tiny GPT', 'objective: x', 'direction: lower', 'editable:', '  - train.py', '  - ../etc/passwd', 'min_improvement: -1', 'search:', '  lr:', '    max: 2', '    step: 1'),
    );
    expect(err.issues).toEqual([
      { file: 'TASK.md', field: 'metric', line: undefined, message: 'missing field "metric"' },
      { file: 'TASK.md', field: 'name', line: 2, message: 'name must be a slug: lowercase letters, digits and dashes, e.g. "tiny-gpt", got "Tiny GPT"' },
      { file: 'TASK.md', field: 'direction', line: 4, message: 'direction must be "minimize" or "maximize", got "lower"' },
      {
        file: 'TASK.md',
        field: 'editable.1',
        line: 7,
        message: 'editable.1 must be a plain relative path inside the program folder (no "..", no leading "/"), got "../etc/passwd"',
      },
      { file: 'TASK.md', field: 'min_improvement', line: 8, message: 'min_improvement must be ≥ 0, got -1' },
      { file: 'TASK.md', field: 'search.lr.min', line: 10, message: 'missing field "search.lr.min"' },
      { file: 'TASK.md', field: 'search.lr.step', line: 12, message: 'unknown field "step" in search.lr (known fields: file, min, max, integer, scale)' },
    ]);
    expect(err.message.split('\n')).toHaveLength(7);
    expect(err.message.split('\n')[2]).toBe('TASK.md:4: direction must be "minimize" or "maximize", got "lower"');
  });

  it('reports YAML syntax errors with their line', () => {
    const err = fail(md(...REQUIRED, 'direction: minimize', 'editable: [train.py', 'pool: 3'));
    expect(err.line).toBe(7);
    expect(err.message).toMatch(/^TASK\.md:7: invalid YAML: /);
    expect(fail(md(...REQUIRED, 'metric: m')).message).toBe('TASK.md:5: the key "metric" is given twice (map keys must be unique)');
  });

  it('refuses alias bombs and code tags', () => {
    const bomb = md('a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]');
    expect(fail(bomb).message).toMatch(/^TASK\.md: invalid YAML: Excessive alias count/);
    expect(fail(md(...REQUIRED, 'direction: !!js/function "function () {}"')).message).toBe('TASK.md:5: invalid YAML: Unresolved tag: tag:yaml.org,2002:js/function');
  });

  it('refuses a document that is not a mapping, or empty', () => {
    expect(fail(md('- name', '- objective')).message).toBe('TASK.md:2: the YAML block must be a mapping of fields ("name: ...", one a line)');
    expect(fail(md()).message).toMatch(/^TASK\.md:1: the YAML block is empty/);
  });

  it('says TASK.md must start with a --- block', () => {
    expect(fail('# Tiny GPT\n\nname: x\n').message).toBe(
      'TASK.md:1: TASK.md must start with a "---" line opening a YAML block (name, objective, metric, direction), closed by another "---" line',
    );
    expect(fail('---\nname: x\n').message).toMatch(/^TASK\.md:1: the YAML block opened by "---" on line 1 is never closed/);
    expect(fail('x', 'programs/a/TASK.md').message).toMatch(/^programs\/a\/TASK\.md:1: /);
  });

  it('uses the given file name in messages', () => {
    expect(fail(md('name: x'), 'p/TASK.md').message).toMatch(/^p\/TASK\.md: missing field "objective"/);
  });
});
