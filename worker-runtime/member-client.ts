import type { z } from 'zod';
import {
  ChampionResponse,
  CodeResponse,
  ErrorBody,
  LineageResponse,
  MeResponse,
  NextJobResponse,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  RerunReportResponse,
  ResultsResponse,
  StatusResponse,
  SubmitResultResponse,
  TaskResponse,
  type RerunReport,
  type ResultStatus,
  type SubmitResultRequest,
} from '../protocol/index.ts';
import { WorkerError } from './credentials.ts';

/** The host could not be reached, failed on its side, timed out (408) or is busy (429): worth retrying later. */
export class HostUnavailableError extends Error {
  override name = 'HostUnavailableError';
  /** How long the host asked to be left alone (its `Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Statuses that say "not now" rather than "no": the same request may succeed later (RFC 9110 §15.5.9, RFC 6585 §4). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d{1,9}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The token is not (or no longer) a member token: stop, and say so. */
export class NotAMemberError extends WorkerError {
  override name = 'NotAMemberError';
}

/** The host refused the request for good (4xx): retrying the same request cannot help. */
export class RejectedError extends WorkerError {
  override name = 'RejectedError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The most a host's answer may hold. The largest is GET /api/task (the program's files: at most
 * 64 MiB of content, see workspace/host-files.ts, plus JSON escaping); a host that sends more is
 * broken or hostile, and a worker must not run out of memory reading it.
 */
const MAX_RESPONSE_BYTES = 160 * 1024 * 1024;

/** The body as JSON (null when it is not JSON), read only up to `max` bytes. */
async function boundedJson(res: Response, max: number, url: string): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  const tooBig = () => new WorkerError(`${url} sent an answer larger than ${max} bytes, which this worker does not read; nothing was written. Tell the program's owner.`);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  if (!res.body) return null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** The query of GET /api/results: `after` pages oldest first, `before` with `order: 'desc'` newest first. */
export interface ResultsQuery {
  after?: number;
  before?: number;
  order?: 'asc' | 'desc';
  limit?: number;
  member?: string;
  status?: ResultStatus;
}

/** The member API of one program (docs/design.md, "Two listeners"), as the worker uses it. */
export class MemberClient {
  readonly url: string;
  #token: string;
  #timeoutMs: number;
  #maxResponseBytes: number;

  constructor(url: string, token: string, opts: { timeoutMs?: number; maxResponseBytes?: number } = {}) {
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxResponseBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  }

  async #request<S extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: S, body?: unknown): Promise<{ status: number; data: z.output<S> }> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new HostUnavailableError(`cannot reach ${this.url} (${(err as Error).message})`);
    }
    let json: unknown;
    try {
      json = await boundedJson(res, this.#maxResponseBytes, this.url);
    } catch (err) {
      if (err instanceof WorkerError) throw err;
      throw new HostUnavailableError(`lost the answer of ${this.url} (${(err as Error).message})`);
    }
    if (isRetryableStatus(res.status)) throw new HostUnavailableError(`${this.url} answered ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
    if (!res.ok) {
      const err = ErrorBody.safeParse(json);
      const message = err.success ? err.data.message : `${this.url} answered ${res.status}`;
      // Only "who are you" refusals end a membership; another 403 (own_claim) is a refusal like a 400.
      const membership = !err.success || err.data.error === 'auth_required' || err.data.error === 'not_a_member';
      if ((res.status === 401 || res.status === 403) && membership) throw new NotAMemberError(`${message} (${this.url})`);
      throw new RejectedError(err.success ? err.data.error : String(res.status), message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new HostUnavailableError(`${this.url} sent an answer this worker does not understand; update Cohort on both sides`);
    return { status: res.status, data: parsed.data };
  }

  async task() {
    return (await this.#request('GET', '/api/task', TaskResponse)).data;
  }

  /** Who this token is at this host (`GET /api/me`); NotAMemberError when it is no member here. */
  async me() {
    return (await this.#request('GET', '/api/me', MeResponse)).data;
  }

  async champion() {
    return (await this.#request('GET', '/api/champion', ChampionResponse)).data.champion;
  }

  /** One page of results (docs/design.md, "Listings at scale"); `next` is the cursor of the following one. */
  async results(query: ResultsQuery = {}) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return (await this.#request('GET', `/api/results${qs === '' ? '' : `?${qs}`}`, ResultsResponse)).data;
  }

  /** The result and the results it started from, newest first (at most 100 steps). */
  async lineage(id: string) {
    return (await this.#request('GET', `/api/results/${encodeURIComponent(id)}/lineage`, LineageResponse)).data;
  }

  /** Whether code with this hash was already submitted (and judged) by anyone. */
  async code(hash: string) {
    return (await this.#request('GET', `/api/codes/${encodeURIComponent(hash)}`, CodeResponse)).data;
  }

  async status() {
    return (await this.#request('GET', '/api/status', StatusResponse)).data;
  }

  /** A verification job for this member, or null (docs/design.md, "Verified champions"). */
  async nextVerification(hardware: Record<string, unknown>) {
    return (await this.#request('POST', '/api/verifications/next', NextJobResponse, { hardware })).data.job;
  }

  /** Reports a re-run under its lease; 200 and 201 both mean recorded (a replay of the same key is 200). */
  async reportRerun(lease: string, body: RerunReport) {
    return (await this.#request('POST', `/api/verifications/${encodeURIComponent(lease)}/report`, RerunReportResponse, body)).data.claim;
  }

  /**
   * 201 for a new result, 200 when the idempotency key was already accepted (`replayed`); `warnings`:
   * what the host ignored (fields of a newer protocol than its own). The body is sent as given: an
   * outbox entry a newer worker wrote keeps the fields this one does not know.
   */
  async submit(body: SubmitResultRequest | Record<string, unknown>) {
    const { status, data } = await this.#request('POST', '/api/results', SubmitResultResponse, body);
    return { verdict: data.result, replayed: status === 200, warnings: data.warnings ?? [] };
  }
}
