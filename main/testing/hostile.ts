/**
 * Test support for the hostile-input suites: raw HTTP/1.1 over a socket (fetch and node:http
 * normalise or refuse exactly the bytes these tests need to send), a KB fingerprint that detects
 * any write, and the checks every refusal must pass.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import { expect } from 'vitest';

/** `[name, value]`. */
export type Header = readonly string[];

export interface RawRequest {
  method?: string;
  /** Request target as sent, byte for byte (no encoding is applied). */
  path?: string;
  /** `[name, value]` pairs sent in order, UTF-8 encoded (so a header can carry raw non-ASCII bytes). Host and Connection are added unless given. */
  headers?: readonly Header[];
  body?: Buffer | string;
  /** false: send no Content-Length even with a body; a string: send that value. */
  contentLength?: false | string;
  /** Replaces the whole request (line, headers, body): for bytes that are not HTTP at all. */
  raw?: Buffer;
  /**
   * A complete, well-formed request (a test's control) that may take its time to be answered (a
   * submission waits for its commit, longer on a loaded machine): the connection is not
   * half-closed, since Node stops answering a socket whose client half-closed.
   */
  complete?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

const TIMEOUT_MS = 10_000;

function encodeRequest(req: RawRequest, host: string): Buffer {
  if (req.raw) return req.raw;
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const headers: Header[] = [...(req.headers ?? [])];
  const has = (name: string) => headers.some(([k]) => k?.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', host]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  if (req.contentLength !== false && !has('content-length') && !has('transfer-encoding')) {
    if (typeof req.contentLength === 'string') headers.push(['Content-Length', req.contentLength]);
    else if (body !== undefined) headers.push(['Content-Length', String(body.length)]);
  }
  const head = `${req.method ?? 'GET'} ${req.path ?? '/'} HTTP/1.1\r\n${headers.map(([k = '', v = '']) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body ?? Buffer.alloc(0)]);
}

function decodeChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', i);
    if (eol === -1) break;
    const size = Number.parseInt(body.subarray(i, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Parses one HTTP/1.1 response; null while it is incomplete. */
function parseResponse(data: Buffer): RawResponse | null {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    if (body.indexOf('0\r\n\r\n') === -1) return null;
    body = decodeChunked(body);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length) return null;
    body = body.subarray(0, length);
  }
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}

/**
 * Sends one request on a fresh connection and reads the response. The server may answer and close
 * before the body is written (413, a refused token): the response counts, the broken pipe does not.
 * No answer within 10 s rejects: a hang is a failure.
 */
const HALF_CLOSE_AFTER_MS = 250;

export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const bytes = encodeRequest(req, url.host);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      const data = Buffer.concat(chunks);
      let res: RawResponse | null = null;
      try {
        res = parseResponse(data);
      } catch (e) {
        err = e as Error;
      }
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (res) resolve(res);
      else reject(err ?? new Error(`the connection closed without a complete response (${data.length} bytes: ${JSON.stringify(data.subarray(0, 200).toString('latin1'))})`));
    };
    const timer = setTimeout(() => finish(new Error(`no response within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseResponse(Buffer.concat(chunks)) !== null) finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
    socket.write(bytes);
    // Half-close a little after the bytes: a request they leave incomplete is then answered (400) at
    // once, instead of after Node's header timeout. Not at once: Node's server stops answering a
    // socket whose client half-closed (httpAllowHalfOpen is off), and a submission is answered only
    // once the writer thread has committed it.
    const halfClose = setTimeout(() => req.complete !== true && socket.end(), HALF_CLOSE_AFTER_MS);
    socket.on('close', () => clearTimeout(halfClose));
  });
}

/** Traces of internals that must never reach a client. */
const LEAKS = [/\n\s+at\s/, /\bat .*\(.*:\d+:\d+\)/, /\.(ts|js|mjs|cjs):\d+/, /node_modules/, /file:\/\//, /\/(home|tmp|work|usr|Users)\//, /\b(TypeError|RangeError|ReferenceError|SyntaxError):/, /FST_[A-Z_]+/, /SQLITE_/];

/** Asserts a response is a client refusal in the wire shape: 4xx, JSON `{error, message}`, no internals. */
export function expectRefusal(res: RawResponse, what: string, statuses?: readonly number[]): void {
  const where = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(400);
  expect(res.status, where).toBeLessThan(500);
  if (statuses) expect(statuses, where).toContain(res.status);
  expect(res.headers['content-type'], where).toMatch(/^application\/json/);
  const body = res.json as Record<string, unknown> | undefined;
  expect(body, where).toBeTypeOf('object');
  expect(body?.error, where).toMatch(/^[a-z_]{3,40}$/);
  expect(body?.message, where).toBeTypeOf('string');
  expect((body?.message as string).length, where).toBeGreaterThan(10);
  expectNoLeak(res, what);
}

export function expectNoLeak(res: RawResponse, what: string): void {
  for (const leak of LEAKS) expect(res.text, `${what}: the response leaks ${leak}`).not.toMatch(leak);
}

/** Asserts an answer that is not a server error: JSON, no internals (2xx or a 4xx refusal). */
export function expectHandled(res: RawResponse, what: string): void {
  if (res.status >= 400) return expectRefusal(res, what);
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(300);
  expect(res.json, what).toBeTypeOf('object');
  expectNoLeak(res, what);
}

/**
 * Detects any write to a KB while the host runs. Three views, because in WAL mode no single one
 * of the obvious ones is enough:
 * - `PRAGMA data_version` on our own read-only connection changes when any other connection
 *   commits, even a commit that rewrites identical values (which a content comparison misses).
 * - the size and nanosecond mtime of `kb.sqlite-wal`: a commit appends frames to the WAL, and a
 *   rolled-back transaction can still spill frames there; SQLite does not write it on a read.
 *   (Hashing its bytes would say the same but costs milliseconds per case.) `kb.sqlite` itself is
 *   left out: the host's checkpoint thread copies committed pages into it at any time
 *   (main/store/wal-checkpointer.ts), which changes nothing in the KB. So is the -shm file: readers
 *   update it by design.
 * - a canonical dump of every table (schema, user_version, rows by rowid, values typed), hashed:
 *   what changed, independent of how SQLite laid the pages out, and it survives a checkpoint.
 */
export class KbFingerprint {
  readonly path: string;
  #db: DatabaseSync;

  constructor(path: string) {
    this.path = path;
    this.#db = new DatabaseSync(path, { readOnly: true });
  }

  /** Canonical text of the whole database. */
  dump(): string {
    const db = this.#db;
    const lines: string[] = [`user_version=${JSON.stringify(db.prepare('PRAGMA user_version').get())}`];
    const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name").all();
    lines.push(`schema=${canonical(schema)}`);
    for (const row of schema) {
      if (row.type !== 'table' || String(row.name).startsWith('sqlite_')) continue;
      const name = String(row.name).replaceAll('"', '""');
      lines.push(`${name}=${canonical(db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all())}`);
    }
    return lines.join('\n');
  }

  /** One string that changes when anything in the KB changes. */
  take(): string {
    const version = this.#db.prepare('PRAGMA data_version').get()?.data_version;
    const files = [`${this.path}-wal`].map((p) => {
      try {
        const s = statSync(p, { bigint: true });
        return `${s.size}@${s.mtimeNs}`;
      } catch {
        return 'absent';
      }
    });
    const hash = createHash('sha256').update(this.dump()).digest('hex');
    return `data_version=${String(version)} files=${files.join(',')} dump=${hash}`;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function canonical(rows: Record<string, SQLOutputValue>[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => {
    if (typeof value === 'bigint') return `bigint:${value}`;
    if (value instanceof Uint8Array) return `blob:${Buffer.from(value).toString('hex')}`;
    if (typeof value === 'number' && !Number.isFinite(value)) return `number:${value}`;
    return value;
  });
}
