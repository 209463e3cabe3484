import { StringDecoder } from 'node:string_decoder';

/** 64 KiB (in UTF-16 code units): longer lines are cut so that a huge line costs bounded memory. */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

export type LineHandler = (line: string, truncated: boolean) => void;

// One pass over a chunk finds every break; a regex keeps this linear even for many `\r`s.
const BREAK = /[\r\n]/g;

/**
 * Splits a stream of chunks into lines without ever holding more than one (capped) line.
 * `\n`, `\r` and `\r\n` each end a line, so carriage-return progress bars (tqdm) yield one line per
 * redraw. A line longer than the cap is truncated: the rest of it is dropped until the next break,
 * and the handler is told it was truncated.
 */
export class LineSplitter {
  readonly #onLine: LineHandler;
  readonly #max: number;
  readonly #decoder = new StringDecoder('utf8');
  #parts: string[] = [];
  #length = 0;
  #truncated = false;
  // A chunk that ended on `\r` may be followed by the `\n` of the same `\r\n` break.
  #pendingCR = false;

  constructor(onLine: LineHandler, maxLineLength = DEFAULT_MAX_LINE_LENGTH) {
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) throw new RangeError('maxLineLength must be a positive integer');
    this.#onLine = onLine;
    this.#max = maxLineLength;
  }

  /** Characters of the unfinished line held right now (never more than the cap). */
  get bufferedLength(): number {
    return this.#length;
  }

  push(chunk: Buffer | string): void {
    // The decoder keeps a multi-byte character split across two Buffers whole.
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    let start = 0;
    if (this.#pendingCR && text.length > 0) {
      this.#pendingCR = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    BREAK.lastIndex = start;
    for (let m = BREAK.exec(text); m !== null; m = BREAK.exec(text)) {
      this.#append(text, start, m.index);
      this.#emit();
      start = m.index + 1;
      if (m[0] === '\r') {
        if (start === text.length) this.#pendingCR = true;
        else if (text.charCodeAt(start) === 10) start += 1;
      }
      BREAK.lastIndex = start;
    }
    this.#append(text, start, text.length);
  }

  /** Flushes the last line if the output did not end with a break. */
  end(): void {
    const rest = this.#decoder.end();
    if (rest) this.push(rest);
    if (this.#length > 0 || this.#truncated) this.#emit();
    this.#pendingCR = false;
  }

  #append(text: string, from: number, to: number): void {
    if (from >= to || this.#truncated) return;
    const room = this.#max - this.#length;
    if (to - from > room) {
      to = from + room;
      this.#truncated = true;
    }
    if (to > from) {
      this.#parts.push(text.slice(from, to));
      this.#length += to - from;
    }
  }

  #emit(): void {
    const line = this.#parts.length === 1 ? (this.#parts[0] ?? '') : this.#parts.join('');
    const truncated = this.#truncated;
    this.#parts = [];
    this.#length = 0;
    this.#truncated = false;
    this.#onLine(line, truncated);
  }
}
