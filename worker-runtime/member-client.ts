import type { z } from 'zod';
import {
  ChampionResponse,
  ErrorBody,
  ResultsResponse,
  StatusResponse,
  SubmitResultResponse,
  TaskResponse,
  type SubmitResultRequest,
} from '../protocol/index.ts';
import { WorkerError } from './credentials.ts';

/** The host could not be reached or failed on its side: worth retrying later. */
export class HostUnavailableError extends Error {
  override name = 'HostUnavailableError';
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

/** The member API of one program (DESIGN.md "Public listener"), as the worker uses it. */
export class MemberClient {
  readonly url: string;
  #token: string;
  #timeoutMs: number;

  constructor(url: string, token: string, opts: { timeoutMs?: number } = {}) {
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async #request<S extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: S, body?: unknown): Promise<{ status: number; data: z.output<S> }> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new HostUnavailableError(`cannot reach ${this.url} (${(err as Error).message})`);
    }
    const json: unknown = await res.json().catch(() => null);
    if (res.status >= 500 || res.status === 429) throw new HostUnavailableError(`${this.url} answered ${res.status}`);
    if (!res.ok) {
      const err = ErrorBody.safeParse(json);
      const message = err.success ? err.data.message : `${this.url} answered ${res.status}`;
      if (res.status === 401 || res.status === 403) throw new NotAMemberError(`${message} (${this.url})`);
      throw new RejectedError(err.success ? err.data.error : String(res.status), message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new HostUnavailableError(`${this.url} sent an answer this worker does not understand; update Cohort on both sides`);
    return { status: res.status, data: parsed.data };
  }

  async task() {
    return (await this.#request('GET', '/api/task', TaskResponse)).data;
  }

  async champion() {
    return (await this.#request('GET', '/api/champion', ChampionResponse)).data.champion;
  }

  async results(since = 0) {
    return (await this.#request('GET', `/api/results${since > 0 ? `?since=${since}` : ''}`, ResultsResponse)).data.results;
  }

  async status() {
    return (await this.#request('GET', '/api/status', StatusResponse)).data;
  }

  /** 201 for a new result, 200 when the idempotency key was already accepted (`replayed`). */
  async submit(body: SubmitResultRequest) {
    const { status, data } = await this.#request('POST', '/api/results', SubmitResultResponse, body);
    return { verdict: data.result, replayed: status === 200 };
  }
}
