/**
 * fast-check arbitraries shared by the hostile-input suites: nasty strings, number-shaped text,
 * invalid UTF-8, and patches whose paths or git headers a host must refuse.
 */
import fc from 'fast-check';

/** Strings that have broken parsers somewhere: number look-alikes, paths, markup, prototype keys, invisible characters. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '1e400',
  ' 1 ',
  '-0',
  '0x10',
  '2**1024',
  '9'.repeat(400),
  '\u0000',
  '\ud800',
  '\udfff\ud800',
  '\uFEFF',
  '\u202E',
  '\u2028',
  'ü💥',
  '../../etc/passwd',
  '/etc/passwd',
  'C:\\Windows\\system32',
  '%00',
  '%ZZ',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** JSON number tokens (raw text) that parse to ±Infinity or to magnitudes over 1e300. */
export const HUGE_NUMBER_TOKENS: readonly string[] = [
  '1e400',
  '-1e400',
  '1e999',
  '2e308',
  (2n ** 1024n).toString(),
  `-${(2n ** 1024n).toString()}`,
  '9'.repeat(400),
  `1${'0'.repeat(310)}`,
  '1e301',
  '-1e301',
  '1.7976931348623157e308',
  '-1.7e308',
];

/** Text that is not a JSON number token at all, where a number is expected. */
export const NOT_JSON_NUMBERS: readonly string[] = ['NaN', 'Infinity', '-Infinity', '+1', '.5', '01', '1.', '0x10', '1e', '--1', '1_000', 'undefined', '1 2'];

/** Tricky but valid metric values: each must be accepted. */
export const TRICKY_VALID_NUMBERS: readonly string[] = ['-0', '0', '1e-400', '5e-324', '1e300', '-1e300', '0.1', '123456789012345678901234567890', '1E+2', '-2.5e-3'];

/** Byte sequences that are not UTF-8: a stray continuation, truncations, an overlong form, an encoded surrogate, 5-byte forms. */
export const INVALID_UTF8: readonly number[][] = [[0xff], [0xfe, 0xff], [0x80], [0xc3, 0x28], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

export const invalidUtf8: fc.Arbitrary<Buffer> = fc.constantFrom(...INVALID_UTF8).map((bytes) => Buffer.from(bytes));

/** Inserts `bytes` into `text` at a position chosen by `at` (0..1), as raw bytes. */
export function spliceBytes(text: string, at: number, bytes: Buffer): Buffer {
  const buf = Buffer.from(text, 'utf8');
  const i = Math.min(buf.length, Math.floor(at * (buf.length + 1)));
  return Buffer.concat([buf.subarray(0, i), bytes, buf.subarray(i)]);
}

/** Path-shaped garbage: what a hostile patch header might name instead of an editable file. */
export const hostilePath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'prepare.py',
    '../train.py',
    'a/../../etc/passwd',
    '/etc/passwd',
    '/dev/null/x',
    './train.py',
    'train.py/',
    'train.py/..',
    'sub//train.py',
    '..',
    '.',
    '',
    ' ',
    'train.py ',
    'TRAIN.PY',
    'train.py\u0000',
    'train.py\u202E',
    'C:\\train.py',
    'train\\..\\prepare.py',
    '~/train.py',
    '%2e%2e/train.py',
    'tráin.py',
    '.git/config',
    'train.py.orig',
  ),
  fc.array(fc.constantFrom('..', '.', '', 'a', 'train.py', 'prepare.py', '~', '\\', ' ', 'é', '%2f'), { minLength: 1, maxLength: 6 }).map((segments) => segments.join('/')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
);

/** Paths that could name the editable train.py after a/ b/ stripping: filtered out where a refusal is expected. */
export function couldBeTrainPy(path: string): boolean {
  const name = path.split('\t')[0]!.trim().replace(/^[ab]\//, '');
  return name === 'train.py';
}

/** A unified diff of `path` that would otherwise apply to TRAIN_PY (harness.ts). */
export function diffOf(oldPath: string, newPath: string, lr = '0.5'): string {
  return [`--- ${oldPath}`, `+++ ${newPath}`, '@@ -1,2 +1,2 @@', '-LEARNING_RATE = 0.01', `+LEARNING_RATE = ${lr}`, ' DEPTH = 4', ''].join('\n');
}

/** Git extended headers a host must refuse, each with the words its message must contain. */
export const GIT_TRICKS: readonly { name: string; patch: string; says: RegExp }[] = [
  {
    name: 'symlink by mode change',
    patch: ['diff --git a/train.py b/train.py', 'old mode 100644', 'new mode 120000', diffOf('a/train.py', 'b/train.py')].join('\n'),
    says: /symbolic link/,
  },
  {
    name: 'new symlink',
    patch: ['diff --git a/train.py b/train.py', 'new file mode 120000', 'index 0000000..e69de29', '--- /dev/null', '+++ b/train.py', '@@ -0,0 +1 @@', '+/etc/passwd', '\\ No newline at end of file', ''].join('\n'),
    says: /symbolic link/,
  },
  { name: 'symlink by index line', patch: ['diff --git a/train.py b/train.py', 'index 1111111..2222222 120000', diffOf('a/train.py', 'b/train.py')].join('\n'), says: /symbolic link/ },
  { name: 'submodule', patch: ['diff --git a/train.py b/train.py', 'new mode 160000', diffOf('a/train.py', 'b/train.py')].join('\n'), says: /submodule/ },
  { name: 'mode change', patch: ['diff --git a/train.py b/train.py', 'old mode 100644', 'new mode 100755', ''].join('\n'), says: /file mode/ },
  { name: 'new file', patch: ['diff --git a/new.py b/new.py', 'new file mode 100644', '--- /dev/null', '+++ b/new.py', '@@ -0,0 +1 @@', '+x', ''].join('\n'), says: /creates/ },
  { name: 'deleted file', patch: ['diff --git a/train.py b/train.py', 'deleted file mode 100644', '--- a/train.py', '+++ /dev/null', '@@ -1,4 +0,0 @@', '-LEARNING_RATE = 0.01', '-DEPTH = 4', '-', '-print("val_bpb: 1.0")', ''].join('\n'), says: /deletes/ },
  { name: 'rename', patch: ['diff --git a/train.py b/prepare.py', 'similarity index 100%', 'rename from train.py', 'rename to prepare.py', ''].join('\n'), says: /renames or copies/ },
  { name: 'copy', patch: ['diff --git a/train.py b/train2.py', 'similarity index 90%', 'copy from train.py', 'copy to train2.py', ''].join('\n'), says: /renames or copies/ },
  { name: 'binary (literal)', patch: ['diff --git a/train.py b/train.py', 'index 1111111..2222222 100644', 'GIT binary patch', 'literal 5', 'McmZQzWMXCj', '', 'literal 0', 'HcmV?d00001', ''].join('\n'), says: /binary/ },
  { name: 'binary (summary)', patch: ['diff --git a/train.py b/train.py', 'Binary files a/train.py and b/train.py differ', ''].join('\n'), says: /binary/ },
  { name: '/dev/null creation of the editable file', patch: diffOf('/dev/null', 'b/train.py'), says: /creates "train\.py"/ },
  { name: '/dev/null deletion of the editable file', patch: ['--- a/train.py', '+++ /dev/null', '@@ -1,4 +0,0 @@', '-LEARNING_RATE = 0.01', '-DEPTH = 4', '-', '-print("val_bpb: 1.0")', ''].join('\n'), says: /deletes "train\.py"/ },
  { name: '/dev/null on both sides', patch: diffOf('/dev/null', '/dev/null'), says: /\/dev\/null to \/dev\/null/ },
  { name: 'rename by headers', patch: diffOf('a/train.py', 'b/prepare.py'), says: /not editable/ },
  { name: 'hunk far past the end (pads the file)', patch: ['--- a/train.py', '+++ b/train.py', '@@ -1000000000,0 +1000000000,1 @@', '+x', ''].join('\n'), says: /starts at line 1000000000/ },
  { name: 'hunk far past the end (stalls the search)', patch: ['--- a/train.py', '+++ b/train.py', '@@ -99999999999,1 +99999999999,1 @@', '-DEPTH = 4', '+DEPTH = 5', ''].join('\n'), says: /starts at line 99999999999/ },
];
