import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

/**
 * Strict request body parsers for the public listener. Fastify's defaults are lenient where a
 * hostile client would like them to be: bytes that are not UTF-8 silently become U+FFFD, a
 * `charset=latin1` is ignored, the last of two equal keys wins, `Content-Encoding: gzip` is
 * ignored, and a `__proto__` key is refused as "not valid JSON". These parsers refuse each of
 * those with a message that says what is wrong, before any route sees the body.
 */

/** No legitimate body nests deeper than 2 (result → hardware → value); 16 leaves room, and bounds every later walk. */
export const MAX_BODY_DEPTH = 16;

/** Keys that reach prototypes when a parsed body is merged or assigned somewhere; refused anywhere. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Content-Encoding and charset: the body must be plain UTF-8. */
function checkEncoding(request: FastifyRequest): void {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && !/^\s*(identity)?\s*$/i.test(encoding)) {
    throw new HttpError('unsupported_media_type', `Content-Encoding "${clip(encoding)}" is not supported: send the body uncompressed.`);
  }
  const type = request.headers['content-type'] ?? '';
  const charset = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(type)?.[2];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new HttpError('unsupported_media_type', `The body must be UTF-8, but Content-Type says charset=${clip(charset)}: send it as UTF-8 (charset=utf-8, or no charset).`);
  }
}

/** The body as text; bytes that are not UTF-8 are an error, not U+FFFD. */
export function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new HttpError('bad_request', 'The body is not valid UTF-8: encode the text as UTF-8.');
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * One pass over text already known to be valid JSON: nesting depth, keys that reach prototypes,
 * and keys given twice in one object (JSON.parse keeps the last silently, so two readers of the
 * same body could disagree on what it says). Iterative: a deep body cannot overflow the stack.
 */
function scanJson(text: string): void {
  const objects: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Strings are most of a submission (its output, its patch): find the closing quote with
      // indexOf, not a character at a time (that loop was ~10% of a durable POST's CPU). A quote is
      // escaped when an odd number of backslashes precede it. The text is valid JSON, so it closes.
      const start = i;
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end === -1) throw new HttpError('bad_request', 'The body is not valid JSON: a string is not closed.');
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end + 1;
      const keys = objects.at(-1);
      if (keys) {
        let j = i;
        while (isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a) {
          const raw = text.slice(start + 1, end);
          const key = raw.includes('\\') ? (JSON.parse(text.slice(start, i)) as string) : raw;
          if (FORBIDDEN_KEYS.has(key)) {
            throw new HttpError('bad_request', `The body contains the key "${key}", which is refused anywhere in a body (it reaches object prototypes): remove or rename it.`);
          }
          if (keys.has(key)) {
            throw new HttpError('bad_request', `The body gives the key "${clip(key)}" twice in one object: send each key once.`);
          }
          keys.add(key);
        }
      }
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      objects.push(c === 0x7b ? new Set() : null);
      if (objects.length > MAX_BODY_DEPTH) {
        throw new HttpError('bad_request', `The body nests objects or arrays deeper than ${MAX_BODY_DEPTH} levels.`);
      }
    } else if (c === 0x7d || c === 0x5d) {
      objects.pop();
    }
    i++;
  }
}

/** Strings (keys too) must be well-formed Unicode: SQLite would store a lone surrogate as U+FFFD, changing what was sent. */
function checkWellFormed(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!v.isWellFormed()) {
        throw new HttpError('bad_request', 'The body contains a string with an unpaired UTF-16 surrogate (e.g. "\\ud800" alone): send valid Unicode text.');
      }
    } else if (Array.isArray(v)) {
      for (const x of v as unknown[]) stack.push(x); // not push(...v): a long array would overflow the argument stack
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) stack.push(k, x);
    }
  }
}

/** JSON text → value, refusing what `scanJson` and `checkWellFormed` refuse. */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') throw new HttpError('bad_request', 'The body is empty: send a JSON object.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : 'it cannot be parsed';
    throw new HttpError('bad_request', `The body is not valid JSON: ${clip(reason, 200)}`);
  }
  scanJson(text);
  checkWellFormed(value);
  return value;
}

function decodeFormComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    throw new HttpError('bad_request', `The form body has a percent-escape that is malformed or not UTF-8 in "${clip(raw)}": each "%" must start the two hex digits of a UTF-8 byte.`);
  }
}

/**
 * `application/x-www-form-urlencoded` text → parameters. A parameter given twice is refused
 * (RFC 6749 §3.1: "parameters MUST NOT be included more than once"), as are malformed escapes.
 */
export function parseFormText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? part : part.slice(0, eq));
    const value = decodeFormComponent(eq === -1 ? '' : part.slice(eq + 1));
    if (FORBIDDEN_KEYS.has(name)) {
      throw new HttpError('bad_request', `The form body contains the parameter "${name}", which is refused (it reaches object prototypes): remove it.`);
    }
    if (Object.hasOwn(out, name)) {
      throw new HttpError('bad_request', `The parameter "${clip(name)}" is given more than once: send each parameter once (RFC 6749 §3.1).`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * Replaces every body parser of `app` (fastify's JSON and text/plain) with the strict JSON one.
 * Any other Content-Type is then refused with 415 before a route sees it.
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      checkEncoding(request);
      done(null, parseJsonText(decodeUtf8(body as Buffer)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** Adds the strict form parser (the OAuth endpoints: RFC 8628 clients send forms). */
export function installFormParser(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    try {
      checkEncoding(request);
      done(null, parseFormText(decodeUtf8(body as Buffer)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
