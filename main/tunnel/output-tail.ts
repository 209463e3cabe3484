/** A cloudflared log line: `2024-05-14T10:21:46Z ERR message key=value`. */
const LOG_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z\s+(DBG|INF|WRN|ERR|FTL)\s+(.*)$/;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

const KEEP_LINES = 20;
const MAX_LINE = 400;

/**
 * The last lines cloudflared printed, to say why it stopped. The best reason is its last error:
 * an `ERR`/`FTL` line or the bare line it prints as it exits (`failed to request quick Tunnel: …`).
 */
export class OutputTail {
  #lines: string[] = [];
  #partial = '';

  feed(chunk: string): void {
    const parts = (this.#partial + chunk).split(/\r?\n/);
    this.#partial = (parts.pop() ?? '').slice(-MAX_LINE * 4);
    for (const line of parts) this.#push(line);
  }

  #push(raw: string): void {
    const line = raw.replace(ANSI, '').trim();
    if (line === '') return;
    this.#lines.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
    if (this.#lines.length > KEEP_LINES) this.#lines.shift();
  }

  /** Every complete line kept (and the partial one). */
  lines(): string[] {
    if (this.#partial.trim() !== '') {
      this.#push(this.#partial);
      this.#partial = '';
    }
    return [...this.#lines];
  }

  /** The last error cloudflared printed, without its timestamp and level; null when there was none. */
  lastError(): string | null {
    const lines = this.lines();
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = LOG_LINE.exec(lines[i]!);
      if (m === null) return lines[i]!; // printed on exit, not a log line: the error it died of
      if (m[1] === 'ERR' || m[1] === 'FTL') return m[2]!;
    }
    return null;
  }
}
