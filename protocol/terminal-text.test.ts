import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE, TerminalOutputFilter, terminalSafe, terminalSafeJson } from './terminal-text.ts';

/** The spec, written out apart from the code: what may never reach a terminal as itself. */
const forbidden = (c: number) =>
  c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x061c || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff;
const forbiddenIn = (text: string, allowed = '') => [...text].filter((ch) => forbidden(ch.codePointAt(0)!) && !allowed.includes(ch));
const OUTPUT_CONTROLS = '\n\t\r\b';
/** The only sequences run output keeps: colours (SGR) and erase-in-line. */
const KEPT = new RegExp(String.raw`\u001b\[(?:[\d;:]*m|[012]?K)`, 'g');

const hostile = 'evil\x1b]52;c;ZWNobyBwd25lZA==\x07\u202Egnp.exe';

/** Text mixed with pieces of escape sequences, C1 and bidi controls: where the bugs would be. */
const fragment = fc.constantFrom(
  '\x1b', '\x1b[', '\x1b]', '\x1bP', '\x1bX', '\x1b^', '\x1b_', '\x1b\\', '\x1b(', '\x1bc', '\x07', '\x9b', '\x9c', '\x9d', '\x90',
  '\u202e', '\u2066', '\u200b', '\u200f', '\ufeff', '\u2028', '\r', '\n', '\t', '\b', '\x00', '\x7f', '\x18',
  '[', ']', ';', '?', '0', '31', '52;c;', 'm', 'K', 'A', 'H', '2J', '?1049h', '6n', ' ',
  '\x1b[31m', '\x1b[0m', '\x1b[38;2;1;2;3m', '\x1b[2K', '\x1b[K', '\x1b[10A', '\x1b[2J', '\x1b]0;title\x07', '\x1b]8;;http://x\x1b\\',
  'x'.repeat(MAX_SEQUENCE - 3), 'é', '😀', '████',
);
const mixed = fc.array(fc.oneof(fragment, fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 40 }).map((parts) => parts.join(''));
const anyText = fc.oneof(fc.string({ unit: 'binary' }), mixed);

/** Text without any character the modes treat specially. */
const plain = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => [...s].filter((ch) => !forbidden(ch.codePointAt(0)!)).join(''));
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 20 });

/** Complete sequences that do more than colour; `output` removes each of them whole. */
const dangerous = fc.oneof(
  fc.tuple(fc.constantFrom('\x1b]', '\x1bP', '\x1bX', '\x1b^', '\x1b_', '\x9d', '\x90'), printable, fc.constantFrom('\x07', '\x1b\\', '\x9c')).map((p) => p.join('')),
  fc
    .tuple(fc.constantFrom('\x1b[', '\x9b'), fc.stringMatching(/^[\d;:?<=>]{0,6}$/), fc.stringMatching(/^[ -/]{0,2}$/), fc.integer({ min: 0x40, max: 0x7e }).map((c) => String.fromCharCode(c)))
    .filter(([intro, params, inter, final]) => !(intro === '\x1b[' && inter === '' && ((final === 'm' && /^[\d;:]*$/.test(params)) || (final === 'K' && /^[012]?$/.test(params)))))
    .map((p) => p.join('')),
  fc.tuple(fc.stringMatching(/^[ -/]{0,2}$/), fc.integer({ min: 0x30, max: 0x7e }).map((c) => String.fromCharCode(c))).filter(([, f]) => !'[]PX^_'.includes(f)).map(([i, f]) => `\x1b${i}${f}`),
);
const kept = fc.constantFrom('\x1b[31m', '\x1b[0m', '\x1b[m', '\x1b[1;38;5;208m', '\x1b[38:2::1:2:3m', '\x1b[K', '\x1b[2K', '\x1b[1K');

/** Cuts `text` at the given points: the chunks a stream could have delivered it in. */
function chunks(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => text.slice(from, at[i] ?? text.length));
}

describe('terminalSafe, line mode (names, hosts, hypotheses, reasons, errors)', () => {
  it('shows a hostile name as harmless visible text', () => {
    expect(terminalSafe(hostile)).toBe('evil␛]52;c;ZWNobyBwd25lZA==␇<U+202E>gnp.exe');
  });

  it('keeps the text on one line: a newline cannot forge a [cohort] line', () => {
    expect(terminalSafe('ok\n[cohort] NEW CHAMPION\r\t')).toBe('ok␊[cohort] NEW CHAMPION␍␉');
  });

  it('marks C1, bidi and invisible characters', () => {
    expect(terminalSafe('\x9b31mred')).toBe('<U+009B>31mred');
    expect(terminalSafe('a\u200bb\u2066c\u2069\ufeff\x7f')).toBe('a<U+200B>b<U+2066>c<U+2069><U+FEFF>␡');
  });

  it('leaves ordinary text alone, accents, CJK and emoji included', () => {
    expect(terminalSafe('Zoë 学习 😀 — ok')).toBe('Zoë 学习 😀 — ok');
  });

  it('leaves no forbidden character, drops nothing silently, and is idempotent', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const safe = terminalSafe(text);
        expect(forbiddenIn(safe)).toEqual([]);
        expect(safe.length).toBeGreaterThanOrEqual(text.length);
        expect(terminalSafe(safe)).toBe(safe);
      }),
      { numRuns: 2000 },
    );
  });

  it('changes nothing in text without such characters', () => {
    fc.assert(
      fc.property(plain, (text) => {
        expect(terminalSafe(text)).toBe(text);
      }),
    );
  });
});

describe('terminalSafe, output mode (run output)', () => {
  const out = (text: string) => terminalSafe(text, 'output');

  it('keeps colours, progress bars and erase-in-line', () => {
    expect(out('\x1b[31mred\x1b[0m plain')).toBe('\x1b[31mred\x1b[0m plain');
    const tqdm = '\r 45%|████▌     | 45/100 [00:01<00:01, 40.1it/s]\r 46%|████▋     |\n';
    expect(out(tqdm)).toBe(tqdm);
    expect(out('\x1b[2K\rstep 3\x1b[K\tok\b')).toBe('\x1b[2K\rstep 3\x1b[K\tok\b');
  });

  it('removes clipboard writes, window titles and hyperlinks whole', () => {
    expect(out(hostile)).toBe('evilgnp.exe');
    expect(out('\x1b]0;pwned\x1b\\done')).toBe('done');
    expect(out('\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\')).toBe('click');
    expect(out('a\x1bP+q544e\x1b\\b\x1b_apc\x1b\\c')).toBe('abc');
  });

  it('removes cursor movement, screen erasing, mode changes and queries', () => {
    expect(out('a\x1b[2Jb\x1b[10Ac\x1b[1;1Hd\x1b[?1049he\x1b[6nf\x1b[5;10rg\x1b[?25l')).toBe('abcdefg');
    expect(out('a\x1bcb\x1b7c\x1b8d\x1b(0e\x1b#8f')).toBe('abcdef');
  });

  it('removes 8-bit (C1) sequences, lone controls and bidi overrides', () => {
    expect(out('\x9b31mred')).toBe('red');
    expect(out('\x9d0;title\x07x')).toBe('x');
    expect(out('bell\x07\x00\x0e\x85 done')).toBe('bell done');
    expect(out('report_\u202Efdp.exe\u2066')).toBe('report_fdp.exe');
  });

  it('does not let an unterminated sequence swallow the output', () => {
    expect(out('ok\x1b]52;c;AAAA')).toBe('ok'); // ended inside it, as a killed run can
    const long = `\x1b]52;c;${'A'.repeat(MAX_SEQUENCE)}`;
    expect(out(`${long}\nnext line\n`)).toBe(`52;c;${'A'.repeat(MAX_SEQUENCE)}\nnext line\n`);
    expect(out(`\x1b[${'1'.repeat(MAX_SEQUENCE)}mtext`)).toBe(`${'1'.repeat(MAX_SEQUENCE)}mtext`);
  });

  it('leaves no escape but colours and erase-in-line, no C1, bidi or other control; idempotent', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const safe = out(text);
        expect(forbiddenIn(safe.replace(KEPT, ''), OUTPUT_CONTROLS)).toEqual([]);
        expect(out(safe)).toBe(safe);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps visible text and colours unchanged', () => {
    const text = fc.oneof(plain, fc.constantFrom(...OUTPUT_CONTROLS));
    fc.assert(
      fc.property(fc.array(fc.oneof(text, kept)), (parts) => {
        expect(out(parts.join(''))).toBe(parts.join(''));
      }),
    );
  });

  it('removes each complete dangerous sequence and nothing around it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(plain, fc.oneof(dangerous, kept))), plain, (pairs, last) => {
        const input = pairs.map(([t, s]) => t + s).join('') + last;
        const expected = pairs.map(([t, s]) => t + (s.match(KEPT)?.[0] === s ? s : '')).join('') + last;
        expect(out(input)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('TerminalOutputFilter (run output in chunks)', () => {
  it('holds back a sequence split between chunks', () => {
    const f = new TerminalOutputFilter();
    expect(f.push('a\x1b]0;ti')).toBe('a');
    expect(f.push('tle\x07b\x1b')).toBe('b');
    expect(f.push('[31mred')).toBe('\x1b[31mred');
    expect(f.push('\x1b[')).toBe('');
    expect(f.end()).toBe('');
  });

  it('holds back at most MAX_SEQUENCE characters of an unterminated sequence', () => {
    const f = new TerminalOutputFilter();
    expect(f.push('\x1b]52;c;')).toBe('');
    expect(f.push('A'.repeat(MAX_SEQUENCE))).toBe(`52;c;${'A'.repeat(MAX_SEQUENCE)}`);
  });

  it('gives what terminalSafe gives for the whole text, however it is cut', () => {
    fc.assert(
      fc.property(anyText, fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        const f = new TerminalOutputFilter();
        const streamed = chunks(text, cuts).map((c) => f.push(c)).join('') + f.end();
        expect(streamed).toBe(terminalSafe(text, 'output'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('terminalSafeJson (--json output)', () => {
  it('escapes what JSON.stringify leaves raw, and reads back as the same data', () => {
    const value = { name: hostile, reason: 'a\u202eb\x9b\x7f\u2028' };
    const json = terminalSafeJson(value);
    expect(json).toContain('\\u202e');
    expect(forbiddenIn(json, '\n')).toEqual([]);
    expect(JSON.parse(json)).toEqual(value);
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const json = terminalSafeJson({ v, s });
        expect(forbiddenIn(json, '\n')).toEqual([]);
        expect(JSON.parse(json)).toEqual({ v, s });
      }),
    );
  });
});
