import { z } from 'zod';
import {
  AppInfo,
  ChampionsResponse,
  DenySourceResponse,
  ErrorBody,
  InvalidProgramBody,
  JoinRequest,
  JoinState,
  LeaderboardResponse,
  type LeaderboardView,
  LineageResponse,
  Member,
  OwnerStatusResponse,
  PublishResponse,
  ResultResponse,
  ResultSummaryPage,
  type ResultStatus,
  RunState,
  SeriesResponse,
  WorkerProgramResponse,
  WorkerServiceState,
  type RunStartRequest,
  type VerificationState,
} from '../../protocol/index.ts';

const JoinRequestEnvelope = z.object({ request: JoinRequest });
const MemberEnvelope = z.object({ member: Member });

/** An error worth showing to the owner: the host's `{error, message}`, or what went wrong on the way. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  /** The whole error body, for errors that carry more than a message (e.g. a program's issues). */
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body: unknown = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }

  /** The host refused the owner token (a restarted host has a new one). */
  get isAuth(): boolean {
    return this.status === 401 || (this.status === 403 && this.code === 'forbidden');
  }
}

/** Any thrown value as one line for the UI. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

async function send(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      cache: 'no-store',
      headers: { ...init.headers, authorization: `Bearer ${token}` },
    });
  } catch {
    throw new ApiError(0, 'unreachable', 'Cannot reach Cohort on this machine. Is `cohort publish` (or `cohort app`, or the desktop app) still running?');
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    const parsed = ErrorBody.safeParse(body);
    if (parsed.success) throw new ApiError(res.status, parsed.data.error, parsed.data.message, body);
    throw new ApiError(res.status, 'http_error', `The host answered ${res.status} ${res.statusText || ''}`.trim() + '.');
  }
  return res;
}

async function json<S extends z.ZodType>(token: string, path: string, schema: S, init?: RequestInit): Promise<z.output<S>> {
  const res = await send(token, path, init);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, 'bad_response', `The host's answer to ${path} was not JSON.`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : '';
    throw new ApiError(res.status, 'bad_response', `The host's answer to ${path} does not match this UI's protocol${where}. Are the host and UI from the same version?`);
  }
  return parsed.data;
}

const post = { method: 'POST' } as const;
const postJson = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const code = (userCode: string) => encodeURIComponent(userCode);

/** One page of the owner's history, newest first: `before` is the previous page's `next`. */
export interface HistoryQuery {
  limit: number;
  before?: number;
  member?: string;
  status?: ResultStatus;
  /** Searched filters (docs/host.md, "Search"): the page then says how far the host looked (`scan`). */
  verification?: VerificationState;
  q?: string;
}

function historyPath(q: HistoryQuery): string {
  // Summaries: a row's patch (up to 512 KiB) and output are fetched when it is opened (ownerApi.result).
  const params = new URLSearchParams({ order: 'desc', limit: String(q.limit), fields: 'summary' });
  if (q.before !== undefined) params.set('before', String(q.before));
  if (q.member !== undefined) params.set('member', q.member);
  if (q.status !== undefined) params.set('status', q.status);
  if (q.verification !== undefined) params.set('verification', q.verification);
  if (q.q !== undefined) params.set('q', q.q);
  return `/api/owner/results?${params.toString()}`;
}

/** A chart's request: `points` at most (SERIES_POINTS.max), over [from, to] in Unix ms (absent: all). */
export interface SeriesQuery {
  points: number;
  from?: number;
  to?: number;
}

function seriesPath(q: SeriesQuery): string {
  const params = new URLSearchParams({ points: String(q.points) });
  if (q.from !== undefined) params.set('from', String(q.from));
  if (q.to !== undefined) params.set('to', String(q.to));
  return `/api/owner/series?${params.toString()}`;
}

/** The owner's status; `membership` is the mode in force (TASK.md's, or the host's override). */
export type OwnerStatus = OwnerStatusResponse;

export const ownerApi = {
  status: (token: string) => json(token, '/api/owner/status', OwnerStatusResponse),
  /**
   * One page of the history (filters: member, status, verification, hypothesis text), never the
   * whole KB; its rows are summaries, with the sizes of the patch and output they leave out.
   */
  history: (token: string, q: HistoryQuery) => json(token, historyPath(q), ResultSummaryPage),
  /** The host's ranking, best first: the best results, or each member's best (exact over the whole KB). */
  leaderboard: (token: string, view: LeaderboardView, limit: number) => json(token, `/api/owner/leaderboard?view=${view}&limit=${limit}`, LeaderboardResponse),
  /** The latest `limit` champions, oldest first; `before` (a page's `next`) for the earlier ones. */
  champions: (token: string, limit: number, before?: number) =>
    json(token, `/api/owner/champions?limit=${limit}${before === undefined ? '' : `&before=${before}`}`, ChampionsResponse),
  /** One result whole, with its patch (its diff against its parent) and output. */
  result: (token: string, id: string) => json(token, `/api/owner/results/${encodeURIComponent(id)}`, ResultResponse),
  /** A result and the results it descends from, back to the program's original code. */
  lineage: (token: string, id: string) => json(token, `/api/owner/results/${encodeURIComponent(id)}/lineage`, LineageResponse),
  /** The metric over time for the chart: at most `points` results of the range, sampled by the host. */
  series: (token: string, q: SeriesQuery) => json(token, seriesPath(q), SeriesResponse),
  approve: (token: string, userCode: string) =>
    json(token, `/api/owner/requests/${code(userCode)}/approve`, JoinRequestEnvelope, post),
  deny: (token: string, userCode: string) => json(token, `/api/owner/requests/${code(userCode)}/deny`, JoinRequestEnvelope, post),
  /** Denies every waiting request from the network `address` is in (an IPv4 /24, an IPv6 /64). */
  denyNetwork: (token: string, address: string) =>
    json(token, '/api/owner/requests/deny-source', DenySourceResponse, postJson({ network: address })),
  revoke: (token: string, memberId: string) =>
    json(token, `/api/owner/members/${encodeURIComponent(memberId)}/revoke`, MemberEnvelope, post),
  /** The payouts as CSV (the host quotes fields and defuses spreadsheet formulas). */
  payoutsCsv: async (token: string): Promise<Blob> => {
    const res = await send(token, '/api/owner/payouts?format=csv');
    return new Blob([await res.text()], { type: 'text/csv;charset=utf-8' });
  },
};

export const appApi = {
  /** Which views this listener offers; a plain `cohort publish` listener answers too (owner only). */
  info: async (token: string): Promise<AppInfo> => {
    try {
      return await json(token, '/api/app', AppInfo);
    } catch (err) {
      // A host from before the app listener existed: the owner view is all there is.
      if (err instanceof ApiError && err.status === 404) return { views: ['owner'], can_publish: false, program: null };
      throw err;
    }
  },
  publish: (token: string, dir: string) => json(token, '/api/app/publish', PublishResponse, postJson({ dir })),
};

/** The program issues of a refused publish, when that is what the error was. */
export function programIssues(err: unknown): InvalidProgramBody | null {
  if (!(err instanceof ApiError)) return null;
  const parsed = InvalidProgramBody.safeParse(err.body);
  return parsed.success ? parsed.data : null;
}

const JoinEnvelope = z.object({ join: JoinState.nullable() });
const RunEnvelope = z.object({ run: RunState.nullable() });

export const workerApi = {
  state: (token: string) => json(token, '/api/worker/state', WorkerServiceState),
  join: (token: string, url: string, name?: string) => json(token, '/api/worker/join', JoinEnvelope, postJson(name ? { url, name } : { url })),
  cancelJoin: (token: string) => json(token, '/api/worker/join/cancel', JoinEnvelope, post),
  run: (token: string, request: RunStartRequest) => json(token, '/api/worker/run', RunEnvelope, postJson(request)),
  stop: (token: string) => json(token, '/api/worker/stop', RunEnvelope, post),
  program: (token: string, program: string) => json(token, `/api/worker/programs/${encodeURIComponent(program)}`, WorkerProgramResponse),
};
