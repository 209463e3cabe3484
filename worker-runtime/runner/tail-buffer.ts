/** Default size of the output tail kept with a result ("last ~4 KB", docs/design.md). */
export const DEFAULT_TAIL_BYTES = 4096;

/** Keeps the last N bytes of a stream; its text never starts or ends inside a UTF-8 character. */
export class TailBuffer {
  readonly maxBytes: number;
  #data: Buffer = Buffer.alloc(0);
  #total = 0;

  constructor(maxBytes = DEFAULT_TAIL_BYTES) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError('maxBytes must be a positive integer');
    this.maxBytes = maxBytes;
  }

  /** Bytes pushed so far (not only those kept). */
  get totalBytes(): number {
    return this.#total;
  }

  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#total += bytes.length;
    const joined = bytes.length >= this.maxBytes ? bytes : Buffer.concat([this.#data, bytes]);
    if (joined.length > this.maxBytes) {
      // Copy so that a large chunk is not kept alive through a view into it.
      this.#data = Buffer.from(joined.subarray(joined.length - this.maxBytes));
    } else {
      this.#data = joined === bytes ? Buffer.from(bytes) : joined;
    }
  }

  toString(): string {
    const data = this.#data;
    let start = 0;
    // Continuation bytes (10xxxxxx) at the start belong to a character whose lead byte was cut off;
    // valid UTF-8 never starts with one, so skipping them is always safe.
    while (start < data.length && start < 3 && isContinuation(data[start])) start += 1;
    const end = completeEnd(data, start);
    return data.toString('utf8', start, end);
  }
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/** Where the data ends without a trailing character whose remaining bytes have not arrived yet. */
function completeEnd(data: Buffer, start: number): number {
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  let i = data.length - 1;
  while (i >= start && i > data.length - 4 && isContinuation(data[i])) i -= 1;
  if (i < start) return data.length;
  const lead = data[i] ?? 0;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return data.length - i < need ? i : data.length;
}
