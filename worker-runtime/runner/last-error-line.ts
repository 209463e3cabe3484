import { LineSplitter } from './line-splitter.ts';

const MAX_REASON = 300;

/**
 * Lines that say nothing on their own: a traceback's header and frames (indented), the links
 * between chained exceptions, caret markers, and progress-bar redraws.
 */
function meaningful(line: string): boolean {
  if (line.trim() === '' || /^\s/.test(line)) return false;
  if (/^Traceback \(most recent call last\):$/.test(line)) return false;
  if (/^(During handling of the above exception|The above exception was the direct cause)/.test(line)) return false;
  if (/^[\s^~]+$/.test(line)) return false;
  if (/\d+%\|/.test(line)) return false; // tqdm
  return true;
}

/**
 * Remembers the last meaningful line of a run's stderr — for a Python crash the exception line
 * (`PermissionError: [Errno 13] Permission denied: '/home/…'`) — so that a crash can say why.
 */
export class LastErrorLine {
  #last: string | null = null;
  readonly #splitter = new LineSplitter((line) => {
    if (meaningful(line)) this.#last = line.trim();
  }, 4096);

  push(text: string): void {
    this.#splitter.push(text);
  }

  end(): void {
    this.#splitter.end();
  }

  /** The line, cut to 300 characters; null when stderr had none. */
  get line(): string | null {
    if (this.#last === null) return null;
    return this.#last.length > MAX_REASON ? `${this.#last.slice(0, MAX_REASON - 1)}…` : this.#last;
  }
}
