import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';

/**
 * The run's log file. A failing log (full disk, bad path) must not fail the experiment, so errors
 * are recorded in `error` and later writes are dropped.
 */
export class LogSink {
  readonly path: string;
  error: string | undefined;
  readonly #stream: WriteStream | undefined;

  private constructor(path: string, stream: WriteStream | undefined, error: string | undefined) {
    this.path = path;
    this.#stream = stream;
    this.error = error;
    stream?.on('error', (err) => {
      this.error ??= err.message;
    });
  }

  /** Creates the file and its folders. */
  static async open(path: string): Promise<LogSink> {
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (err) {
      return new LogSink(path, undefined, (err as Error).message);
    }
    return new LogSink(path, createWriteStream(path), undefined);
  }

  /**
   * Appends a chunk. False when the stream is full: the caller pauses its sources until `onDrain`
   * is called, so that a slow disk cannot make memory grow.
   */
  write(chunk: Buffer, onDrain: () => void): boolean {
    const s = this.#stream;
    if (!s || this.error !== undefined || s.destroyed) return true;
    if (s.write(chunk)) return true;
    const resume = () => {
      s.off('drain', resume);
      s.off('close', resume);
      onDrain();
    };
    s.on('drain', resume);
    s.on('close', resume); // an error closes the stream: resume the sources too
    return false;
  }

  /** Flushes and closes; resolves when the data is written (or the stream failed). */
  async close(): Promise<void> {
    const s = this.#stream;
    if (!s) return;
    s.end();
    try {
      await finished(s);
    } catch (err) {
      this.error ??= (err as Error).message;
    }
  }
}
