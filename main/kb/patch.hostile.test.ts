/**
 * Hostile patches (issue #5, docs/hostile-input.md): whatever a member sends as `patch`,
 * applyEditablePatch either returns the new files, with only editable files changed, or throws a
 * PatchError whose message says what is wrong; never another error, never a long stall.
 */
import fc from 'fast-check';
import { LIMITS } from '../../protocol/index.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { call, joinMember, startTestHost, TRAIN_PY, type TestHost } from '../testing/harness.ts';
import { couldBeTrainPy, diffOf, GIT_TRICKS, hostilePath } from '../testing/hostile-arbitraries.ts';
import { KbFingerprint } from '../testing/hostile.ts';
import { applyEditablePatch, MAX_LINE_COMPARISONS, PatchError } from './patch.ts';

const RUNS = { paths: 1000, garbage: 800, mutations: 600 } as const;
const EDITABLE = ['train.py'];
const base = (): Map<string, string> => new Map([['train.py', TRAIN_PY], ['prepare.py', 'print("fixed")\n']]);
/** Far above what one patch of a 4-line file needs; a stall would blow through it. */
const STALL_MS = 1000;

/** Runs the patch; returns the files or the PatchError, and fails on anything else or a stall. */
function attempt(patch: string, files = base(), limitMs = STALL_MS): Map<string, string> | PatchError {
  const started = performance.now();
  let out: Map<string, string> | PatchError;
  try {
    out = applyEditablePatch(files, patch, EDITABLE);
  } catch (err) {
    if (!(err instanceof PatchError)) throw new Error(`not a PatchError: ${String(err)} for ${JSON.stringify(patch.slice(0, 200))}`, { cause: err });
    out = err;
  }
  expect(performance.now() - started, `stalled on ${JSON.stringify(patch.slice(0, 200))}`).toBeLessThan(limitMs);
  return out;
}

/** The contract of a result: only editable files changed, the base untouched. */
function expectOnlyEditableChanged(out: Map<string, string>, files: Map<string, string>): void {
  expect(out.get('prepare.py')).toBe(files.get('prepare.py'));
  expect([...out.keys()].sort()).toEqual([...files.keys()].sort());
}

describe('hostile patches', () => {
  it(`${RUNS.paths} path-shaped headers (.., absolute, backslashes, other files, unicode) → PatchError naming the problem`, () => {
    fc.assert(
      fc.property(hostilePath, hostilePath, fc.constantFrom('a/', 'b/', ''), (from, to, prefix) => {
        fc.pre(!(couldBeTrainPy(from) && couldBeTrainPy(to)));
        fc.pre(!(couldBeTrainPy(`${prefix}${from}`) && couldBeTrainPy(`${prefix}${to}`)));
        const files = base();
        const out = attempt(diffOf(`${prefix}${from}`, `${prefix}${to}`), files);
        expect(out, `${from} → ${to}`).toBeInstanceOf(PatchError);
        const err = out as PatchError;
        expect(err.status).toBe(400);
        expect(err.code).toBe('invalid_patch');
        expect(err.message).toMatch(/not editable|only relative paths|renames|creates|deletes|\/dev\/null|file header without a file name|not a unified diff|does not apply|no file changes/);
        expect(files.get('train.py')).toBe(TRAIN_PY);
      }),
      { numRuns: RUNS.paths },
    );
  });

  it(`${RUNS.garbage} garbage texts (random lines of diff syntax and bytes) → the files with only train.py changed, or PatchError; never another error or a stall`, () => {
    const line = fc.oneof(
      fc.constantFrom('--- a/train.py', '+++ b/train.py', '--- /dev/null', '+++ /dev/null', '@@ -1,2 +1,2 @@', '@@ -1 +1 @@', '@@ -0,0 +1 @@', '@@ -4294967296,1 +1,1 @@', '-LEARNING_RATE = 0.01', '+LEARNING_RATE = 0.5', ' DEPTH = 4', '\\ No newline at end of file', 'diff --git a/train.py b/train.py', 'index 1111111..2222222 100644', 'Index: train.py', '='.repeat(67), ''),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `+${s}`),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `-${s}`),
      fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()).map(([a, b, c, d]) => `@@ -${a},${b} +${c},${d} @@`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const files = base();
        const out = attempt(lines.join(eol), files);
        if (out instanceof PatchError) expect(out.message.length).toBeGreaterThan(20);
        else expectOnlyEditableChanged(out, files);
      }),
      { numRuns: RUNS.garbage },
    );
  });

  it(`${RUNS.mutations} mutations of a valid patch (hunk numbers up to 2^53, counts, CRLF, lines dropped or repeated) → applied or PatchError, the file never inflated`, () => {
    const valid = diffOf('a/train.py', 'b/train.py').split('\n');
    const mutation = fc.oneof(
      fc.tuple(fc.oneof(fc.nat(), fc.constantFrom(0, 1, 4, 5, 1e6, 1e9, 2 ** 31, 2 ** 53)), fc.oneof(fc.nat(9), fc.constantFrom(0, 1e9))).map(([start, count]) => (l: string[]) => [
        ...l.slice(0, 2),
        `@@ -${start},${count} +${start},${count} @@`,
        ...l.slice(3),
      ]),
      fc.nat().map((i) => (l: string[]) => l.filter((_, j) => j !== i % l.length)),
      fc.nat().map((i) => (l: string[]) => [...l.slice(0, (i % l.length) + 1), ...l.slice(i % l.length)]),
      fc.constant((l: string[]) => l.map((x) => `${x}\r`)),
      fc.constant((l: string[]) => [...l, ...l]),
      fc.integer({ min: 2, max: 300 }).map((n) => (l: string[]) => [...l.slice(0, 2), ...Array.from({ length: n }, () => l.slice(2, -1)).flat(), '']),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const files = base();
        // (A repeat of a repeat of a repeat would build a string past V8's limit; stop growing past 50 000 lines.)
        const patch = mutations.reduce((l, m) => (l.length > 50_000 ? l : m(l)), valid).join('\n');
        fc.pre(patch.length <= LIMITS.patch); // the API refuses longer ones before they get here
        const out = attempt(patch, files);
        if (out instanceof PatchError) return;
        expectOnlyEditableChanged(out, files);
        // A patch can add at most its own lines to a file.
        expect(out.get('train.py')!.length).toBeLessThanOrEqual(TRAIN_PY.length + patch.length);
      }),
      { numRuns: RUNS.mutations },
    );
  });

  for (const trick of GIT_TRICKS) {
    it(`refuses ${trick.name} with a message that says so`, () => {
      const out = attempt(trick.patch);
      expect(out).toBeInstanceOf(PatchError);
      expect((out as PatchError).message).toMatch(trick.says);
    });
  }
});

describe('hostile patches: regressions', () => {
  it('a pure insertion at line 10^7 padded train.py with 10 million empty lines (a 60-byte patch, a 10 MB champion; 10^9 ran the host out of memory); now refused', () => {
    const patch = ['--- a/train.py', '+++ b/train.py', '@@ -10000000,0 +10000000,1 @@', '+x', ''].join('\n');
    const out = attempt(patch);
    expect(out).toBeInstanceOf(PatchError);
    expect((out as PatchError).message).toBe('hunk 1 of "train.py" starts at line 10000000, but the file has 4 lines in the code it started from (is "parent" the champion you started from?)');
  });

  it('a hunk at line 10^8 walked 10^8 positions looking for a fit (4 s of blocked event loop; 10^11 would be hours); now refused at once', () => {
    const out = attempt(['--- a/train.py', '+++ b/train.py', '@@ -100000000,1 +100000000,1 @@', '-nowhere', '+x', ''].join('\n'));
    expect(out).toBeInstanceOf(PatchError);
    expect((out as PatchError).message).toMatch(/^hunk 1 of "train\.py" starts at line 100000000, but the file has 4 lines/);
  });

  it('hunks placed far from where they fit, alternately, cost one line comparison budget, not seconds per hunk', () => {
    const n = 100_000;
    const big = Array.from({ length: n }, (_, i) => `l${i}`).join('\n') + '\n';
    const hunks = Array.from({ length: 3000 }, (_, k) => [`@@ -${k % 2 ? 1 : n},1 +1,1 @@`, `-l${50_000 + k * 2}`, `+x${k}`].join('\n'));
    // Without the budget this is ~3·10^8 comparisons (half a minute); with it, a fraction of a second (3 s leaves room for a loaded machine).
    const out = attempt(['--- a/train.py', '+++ b/train.py', ...hunks, ''].join('\n'), new Map([['train.py', big]]), 3000);
    expect(out).toBeInstanceOf(PatchError);
    expect((out as PatchError).message).toMatch(/takes too much searching/);
    // The budget still lets a stale patch scan a 100k-line file 20 times before "does not apply".
    expect(MAX_LINE_COMPARISONS).toBeGreaterThanOrEqual(20 * n);
  });

  it('a symlink (git "new mode 120000") was applied as a text file holding the link target; now refused', () => {
    const out = attempt(GIT_TRICKS.find((t) => t.name === 'symlink by mode change')!.patch);
    expect((out as PatchError).message).toBe('the patch makes "train.py" a symbolic link (line 3: "new mode 120000"); editable files must stay regular text files: send a diff of their content only');
  });

  it('"+++ /dev/null" deleted train.py; now refused', () => {
    const out = attempt(GIT_TRICKS.find((t) => t.name === '/dev/null deletion of the editable file')!.patch);
    expect((out as PatchError).message).toBe('the patch deletes "train.py" ("+++ /dev/null"); editable files may be changed but not deleted');
  });

  it('renames, copies, mode changes and binary patches were "no file changes"; now each is named', () => {
    for (const name of ['rename', 'copy', 'mode change', 'binary (literal)', 'binary (summary)']) {
      const out = attempt(GIT_TRICKS.find((t) => t.name === name)!.patch);
      expect((out as PatchError).message, name).not.toMatch(/no file changes/);
    }
  });
});

describe('hostile patches through the API', () => {
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.dispose();
    host = undefined;
  });

  it('every git trick is a 400 invalid_patch with its message, and nothing is recorded', async () => {
    host = await startTestHost();
    const ada = await joinMember(host, 'ada');
    const kb = new KbFingerprint(host.kbFile);
    try {
      const before = kb.take();
      for (const trick of GIT_TRICKS) {
        const res = await call<{ error: string; message: string }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1, patch: trick.patch } });
        expect(res.status, trick.name).toBe(400);
        expect(res.body.error, trick.name).toBe('invalid_patch');
        expect(res.body.message, trick.name).toMatch(trick.says);
      }
      expect(kb.take()).toBe(before);
      const ok = await call<{ result: { id: string } }>(host.publicUrl, '/api/results', { token: ada.token, json: { value: 1, patch: diffOf('a/train.py', 'b/train.py') } });
      expect(ok.body.result.id).toBe('r1');
    } finally {
      kb.close();
    }
  });
});
