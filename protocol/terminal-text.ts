/**
 * Text from other people made safe for a terminal. Names, host names, hypotheses, codes, verdict
 * reasons and host error messages are `line` text: every control character, escape sequence and
 * bidirectional or invisible formatting character is shown as a visible stand-in, so nothing can
 * move the cursor, write the clipboard, retitle the window, forge a `[cohort]` line or reorder what
 * the reader sees. A run's output is `output` text: code others wrote prints it, and it keeps its
 * colours and progress bars (`\r`, erase-in-line) but loses every sequence that can do more.
 *
 * Plain TypeScript without Node imports, so the renderer could use it too.
 */

export type TerminalTextMode = 'line' | 'output';

/**
 * The longest escape sequence recognised, and so the most a {@link TerminalOutputFilter} holds
 * back. A longer "sequence" loses its introducer and shows as text: an unterminated OSC cannot
 * swallow the rest of the output, and harmless text is all that is left of it.
 */
export const MAX_SEQUENCE = 256;

const ESC = 0x1b;
const BEL = 0x07;
const C1_ST = 0x9c;
const C1_CSI = 0x9b;
/** 8-bit introducers of string sequences: DCS, SOS, OSC, PM, APC. */
const C1_STRING = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** After ESC: the 7-bit introducers of the same (P, X, ], ^, _). */
const ESC_STRING = new Set([0x50, 0x58, 0x5d, 0x5e, 0x5f]);

/**
 * Characters that never reach a terminal as themselves: C0 controls, DEL, C1 controls, the bidi
 * embeddings, overrides, isolates and marks, and the invisible ones that can hide or spoof text
 * (zero-width space and joiners, line and paragraph separators, invisible operators, the BOM).
 */
function unsafe(c: number): boolean {
  return (
    c <= 0x1f ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0x061c ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2064) ||
    (c >= 0x2066 && c <= 0x206f) ||
    c === 0xfeff
  );
}

/** Output keeps these controls: newline, tab, carriage return (progress bars) and backspace (spinners). */
const OUTPUT_CONTROLS = new Set([0x0a, 0x09, 0x0d, 0x08]);

/** A visible stand-in: a control picture for C0 and DEL (␛, ␍, ␊, ␡), `<U+202E>` for the rest. */
function standIn(c: number): string {
  if (c <= 0x1f) return String.fromCharCode(0x2400 + c);
  if (c === 0x7f) return '\u2421';
  return `<U+${c.toString(16).toUpperCase().padStart(4, '0')}>`;
}

function lineSafe(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!unsafe(c)) continue;
    out += text.slice(from, i) + standIn(c);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * How the sequence at `start` ends: `keep`/`drop` it up to `end`; `skip` only up to `end` (malformed
 * or too long: its introducer goes, and what follows is read again as text); or `more` when the text
 * ends inside it.
 */
type Sequence = { kind: 'keep' | 'drop' | 'skip'; end: number } | { kind: 'more' };

const isParam = (c: number) => c >= 0x30 && c <= 0x3f;
const isIntermediate = (c: number) => c >= 0x20 && c <= 0x2f;
const isFinal = (c: number) => c >= 0x40 && c <= 0x7e;

/** Where a sequence that has not ended by `limit` stands: cut off by the text's end, or too long. */
const unfinished = (text: string, start: number, introducer: number): Sequence =>
  text.length - start < MAX_SEQUENCE ? { kind: 'more' } : { kind: 'skip', end: start + introducer };

/** CSI (ECMA-48 5.4): parameters 0x30–0x3F, intermediates 0x20–0x2F, a final 0x40–0x7E. */
function csi(text: string, start: number, introducer: number, sevenBit: boolean): Sequence {
  const limit = Math.min(text.length, start + MAX_SEQUENCE);
  let i = start + introducer;
  while (i < limit && isParam(text.charCodeAt(i))) i++;
  const params = text.slice(start + introducer, i);
  const afterParams = i;
  while (i < limit && isIntermediate(text.charCodeAt(i))) i++;
  if (i === limit) return unfinished(text, start, introducer);
  const final = text.charCodeAt(i);
  if (!isFinal(final)) return { kind: 'skip', end: i };
  // Colours (SGR) and erase-in-line: all a progress bar needs, and neither leaves the line.
  const harmless = sevenBit && i === afterParams && ((final === 0x6d && /^[\d;:]*$/.test(params)) || (final === 0x4b && /^[012]?$/.test(params)));
  return { kind: harmless ? 'keep' : 'drop', end: i + 1 };
}

/** DCS, SOS, OSC, PM, APC: up to BEL or ST (ESC \ or 0x9C); another ESC ends it too, as in xterm. */
function stringSequence(text: string, start: number, introducer: number): Sequence {
  const limit = Math.min(text.length, start + MAX_SEQUENCE);
  for (let i = start + introducer; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === BEL || c === C1_ST) return { kind: 'drop', end: i + 1 };
    if (c !== ESC) continue;
    if (i + 1 === text.length) return { kind: 'more' };
    return { kind: 'drop', end: text.charCodeAt(i + 1) === 0x5c ? i + 2 : i };
  }
  return unfinished(text, start, introducer);
}

/** Any other ESC sequence (ESC c, ESC 7, ESC ( B, …): intermediates, then a final 0x30–0x7E. */
function otherEscape(text: string, start: number): Sequence {
  const limit = Math.min(text.length, start + MAX_SEQUENCE);
  let i = start + 1;
  while (i < limit && isIntermediate(text.charCodeAt(i))) i++;
  if (i === limit) return unfinished(text, start, 1);
  const c = text.charCodeAt(i);
  return c >= 0x30 && c <= 0x7e ? { kind: 'drop', end: i + 1 } : { kind: 'skip', end: start + 1 };
}

function sequenceAt(text: string, start: number): Sequence | null {
  const c = text.charCodeAt(start);
  if (c === C1_CSI) return csi(text, start, 1, false);
  if (C1_STRING.has(c)) return stringSequence(text, start, 1);
  if (c !== ESC) return null;
  if (start + 1 === text.length) return { kind: 'more' };
  const next = text.charCodeAt(start + 1);
  if (next === 0x5b) return csi(text, start, 2, true);
  if (ESC_STRING.has(next)) return stringSequence(text, start, 2);
  return otherEscape(text, start);
}

/**
 * Filters run output up to where it ends or, unless `final`, up to an escape sequence the text ends
 * inside, which is left for the next chunk: `rest` is where that sequence starts.
 */
function filterOutput(text: string, final: boolean): { out: string; rest: number } {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!unsafe(c) || OUTPUT_CONTROLS.has(c)) {
      i++;
      continue;
    }
    out += text.slice(from, i);
    const seq = sequenceAt(text, i);
    if (seq === null) i++; // a lone control or formatting character: dropped
    else if (seq.kind === 'more') {
      if (!final) return { out, rest: i };
      i = text.length; // the text ended inside a sequence: a terminal would have swallowed it
    } else {
      if (seq.kind === 'keep') out += text.slice(i, seq.end);
      i = seq.end;
    }
    from = i;
  }
  return { out: from === 0 ? text : out + text.slice(from), rest: text.length };
}

/**
 * The one rule for text from others on its way to a terminal. `line` (the default) replaces every
 * control, escape, bidi or invisible formatting character by a visible stand-in (`␛`, `␊`,
 * `<U+202E>`), newlines included, so the text stays on one line. `output` keeps newlines, tabs, `\r`,
 * backspace, colours (SGR) and erase-in-line, and removes every other sequence (OSC, DCS, cursor
 * movement, mode changes, queries the terminal would answer) and every other such character.
 * Idempotent in both modes.
 */
export function terminalSafe(text: string, mode: TerminalTextMode = 'line'): string {
  return mode === 'line' ? lineSafe(text) : filterOutput(text, true).out;
}

/**
 * {@link terminalSafe} in `output` mode for a stream that arrives in chunks: a sequence split
 * between chunks is held back (at most {@link MAX_SEQUENCE} characters) until it is complete, so
 * the pieces written add up to what the whole text would give.
 */
export class TerminalOutputFilter {
  #held = '';

  push(chunk: string): string {
    const text = this.#held + chunk;
    const { out, rest } = filterOutput(text, false);
    this.#held = text.slice(rest);
    return out;
  }

  /** What is left when the stream ends (an unfinished sequence is dropped, as `terminalSafe` does). */
  end(): string {
    const out = terminalSafe(this.#held, 'output');
    this.#held = '';
    return out;
  }
}

/**
 * JSON for a terminal, exactly the same data: `JSON.stringify` already escapes C0 controls in
 * strings, and this escapes the rest of the characters above as `\uXXXX` too (DEL, C1, bidi,
 * invisible), which only strings can hold. Scripts reading the JSON see no difference.
 */
export function terminalSafeJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2);
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= 0x1f || !unsafe(c)) continue; // C0 here is the indentation's own newlines
    out += `${json.slice(from, i)}\\u${c.toString(16).padStart(4, '0')}`;
    from = i + 1;
  }
  return out + json.slice(from);
}
