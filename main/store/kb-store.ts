/**
 * The KB's storage port. Everything the host keeps goes through this small async interface so
 * that a server database can replace SQLite later without touching the rules or the HTTP layer.
 * Times are Unix milliseconds; rows are plain data, validated before they get here.
 */

import { JoinRequestStatus } from '../../protocol/api.ts';
import type { GpuFacts } from '../../protocol/requirements.ts';
import type { ResultFields, ResultStatus, VerificationState } from '../../protocol/results.ts';

/** The statuses a join request is stored with: the protocol's, less `expired` (derived from the clock, never stored). */
export const StoredJoinStatus = JoinRequestStatus.exclude(['expired']);
export type JoinStatus = (typeof StoredJoinStatus)['options'][number];

export interface JoinRequestRow {
  id: string;
  deviceCodeHash: string;
  userCode: string;
  status: JoinStatus;
  clientId: string;
  name: string;
  hostname: string;
  os: string;
  gpu: string;
  appVersion: string;
  ip: string;
  createdAt: number;
  expiresAt: number;
  interval: number;
  lastPollAt: number | null;
  decidedAt: number | null;
  memberId: string | null;
  /** The GPUs the worker declared, for `requires` (schema 5); absent or null when it said nothing. */
  gpuFacts?: GpuFacts | null;
}

export interface MemberRow {
  id: string;
  name: string;
  hostname: string;
  os: string;
  gpu: string;
  appVersion: string;
  ip: string;
  tokenHash: string;
  joinRequestId: string | null;
  joinedAt: number;
  revokedAt: number | null;
}

export type { ResultStatus };

export interface ResultRow {
  seq: number;
  id: string;
  memberId: string;
  value: number | null;
  status: ResultStatus;
  impact: number;
  champion: boolean;
  duplicateOf: string | null;
  reason: string;
  hypothesis: string;
  patch: string;
  parent: string | null;
  codeHash: string;
  output: string;
  hardware: Record<string, unknown>;
  durations: Record<string, number>;
  idempotencyKey: string | null;
  createdAt: number;
}

/**
 * A result less its two large columns, with their sizes in UTF-8 bytes instead: a summary page's
 * row (`fields=summary`), read without reading the patches (octet_length, sqlite-store.ts).
 */
export type ResultSummaryRow = Omit<ResultRow, 'patch' | 'output'> & { patchBytes: number; outputBytes: number };

/** What the KB's fold reads of a stored result at start-up: the rules' inputs and the verdict given then. */
export type ResultFacts = Pick<ResultRow, 'seq' | 'id' | 'memberId' | 'value' | 'status' | 'impact' | 'champion' | 'duplicateOf' | 'codeHash' | 'idempotencyKey'> & {
  /** UTF-8 bytes of patch, output and hypothesis (resultBytes in main/kb/quotas.ts). */
  bytes: number;
};

export interface ResultPageQuery {
  order: 'asc' | 'desc';
  /** asc: results with seq > cursor; desc: seq < cursor (null: from the newest). */
  cursor: number | null;
  limit: number;
  member?: string | undefined;
  status?: ResultStatus | undefined;
}

/** A page as a client asks for it: `q` and `verification` make it a searched page (a bounded scan). */
export interface ResultListQuery extends ResultPageQuery {
  /** `summary`: the rows less patch and output (ResultSummaryRow); absent or `full`: whole rows. */
  fields?: ResultFields | undefined;
  /** A substring of the hypothesis (1 to SEARCH_QUERY_MAX characters). */
  q?: string | undefined;
  verification?: VerificationState | undefined;
}

/**
 * A bounded scan for a searched page (docs/design.md, "Listings at scale"): at most `scan` rows of
 * the index the page's filters choose, from the cursor on; each says whether its hypothesis
 * contains `q` (case-insensitive for ASCII letters, as SQLite's LIKE; always true without `q`).
 */
export interface ResultScanQuery extends ResultPageQuery {
  q?: string | undefined;
  scan: number;
}

/** One row a scan examined. */
export interface ScannedRow {
  seq: number;
  id: string;
  match: boolean;
}

/** What the chart reads of a result (GET /api/owner/series). */
export interface SeriesRow {
  seq: number;
  id: string;
  memberId: string;
  value: number | null;
  status: ResultStatus;
  champion: boolean;
  createdAt: number;
}

/** A result about to be written; `files` are the editable files, kept only for new champions. */
export interface NewResult extends ResultRow {
  files: ReadonlyMap<string, string> | null;
}

/** One re-run of a claim (docs/design.md, "Verified champions"); `value` null when it crashed. */
export interface RerunRow {
  seq: number;
  id: string;
  claimId: string;
  memberId: string;
  value: number | null;
  hardware: Record<string, unknown>;
  output: string;
  durations: Record<string, number>;
  idempotencyKey: string | null;
  createdAt: number;
}

/** A result's verdict as the fold now gives it, written over the stored one when a re-run changed it. */
export interface VerdictUpdate {
  id: string;
  status: ResultStatus;
  impact: number;
  champion: boolean;
  duplicateOf: string | null;
  reason: string;
}

export interface KbStore {
  close(): Promise<void>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  insertJoinRequest(row: JoinRequestRow): Promise<void>;
  getJoinRequestByDeviceHash(deviceCodeHash: string): Promise<JoinRequestRow | null>;
  /** The most recent request with this (normalised) user code. */
  getJoinRequestByUserCode(userCode: string): Promise<JoinRequestRow | null>;
  listJoinRequests(): Promise<JoinRequestRow[]>;
  /** Pending and unexpired requests, oldest first (the join caps keep them to a few hundred). */
  listPendingJoinRequests(now: number): Promise<JoinRequestRow[]>;
  /** Ends a pending request early (its worker stopped polling, or it gave way to others): it expires at `at`. */
  expireJoinRequest(id: string, at: number): Promise<boolean>;
  /** Moves a request from `from` to `to`; false when it was no longer in `from` (someone else won). */
  transitionJoinRequest(id: string, from: JoinStatus, to: JoinStatus, at: number): Promise<boolean>;
  recordPoll(id: string, at: number, interval: number): Promise<void>;
  /**
   * Hands out membership once: in one transaction the approved request becomes consumed and the
   * member is written. False when the request was not (or no longer) approved.
   */
  consumeJoinRequest(requestId: string, member: MemberRow): Promise<boolean>;

  getMemberByTokenHash(tokenHash: string): Promise<MemberRow | null>;
  getMember(id: string): Promise<MemberRow | null>;
  listMembers(): Promise<MemberRow[]>;
  /** Grows whenever the members change (a join, a revocation): readers may keep what they built from them until it does. */
  readonly membersVersion: number;
  revokeMember(id: string, at: number): Promise<boolean>;

  /** Writes the batch in one durable transaction: when this resolves, every row is on disk. */
  appendResults(batch: readonly NewResult[]): Promise<void>;
  /** Every re-run, in the order they were reported (a few per claim). */
  listReruns(): Promise<RerunRow[]>;
  /**
   * Records a re-run and the verdicts it changed, in one durable transaction, with the files of
   * results that became champions by it (a champion's files are kept: members build on them).
   */
  appendRerun(rerun: RerunRow, updates: readonly VerdictUpdate[], championFiles?: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<void>;
  /** Writes verdicts the rules now give differently (TASK.md's `verify` changed), with crowned results' files, in one transaction. */
  updateVerdicts(updates: readonly VerdictUpdate[], championFiles?: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<void>;
  /**
   * How many `appendResults` may run at once (absent: one). More than one only for a store that
   * writes them in call order and, after one fails, refuses those called before the failure was
   * reported: each batch was judged on top of the ones before it.
   */
  readonly writesInFlight?: number;
  /** Results in submission order, those after sequence number `since` (default: all). */
  listResults(since?: number): Promise<ResultRow[]>;
  /**
   * Up to `limit` results after sequence number `after`, in submission order, with only what the
   * fold needs: start-up reads the whole log this way, a page at a time, never the full records.
   */
  listResultFacts(after: number, limit: number): Promise<ResultFacts[]>;
  /**
   * One page of results (docs/design.md, "Listings at scale"): ascending after `after`, or
   * descending below `before` with `order: 'desc'`; optionally one member's, one status's. At most
   * `limit` rows, read through an index: the cost is the page's, not the log's.
   */
  listResultPage(query: ResultPageQuery): Promise<ResultRow[]>;
  /**
   * The result `id`, then the result it started from (`parent`), and so on, at most `maxSteps`
   * rows, newest first; it stops early where a parent is not in the store. Empty for an unknown id.
   */
  listLineage(id: string, maxSteps: number): Promise<ResultRow[]>;
  getResult(id: string): Promise<ResultRow | null>;
  /**
   * Up to `query.scan` rows in the order of the page (`listResultPage`'s filters and cursor; `limit`
   * is not used), with only their ids and whether they match `q`: a searched page examines these.
   */
  scanResults(query: ResultScanQuery): Promise<ScannedRow[]>;
  /** The results with these sequence numbers (primary-key lookups), in order of seq. */
  getResultsBySeq(seqs: readonly number[]): Promise<ResultRow[]>;
  /** `listResultPage` less patch and output (their sizes instead), which are not read. */
  listResultSummaryPage(query: ResultPageQuery): Promise<ResultSummaryRow[]>;
  /** `getResultsBySeq` less patch and output (their sizes instead), which are not read. */
  getResultSummariesBySeq(seqs: readonly number[]): Promise<ResultSummaryRow[]>;
  /** The chart's columns of the results with these sequence numbers (primary-key lookups), in order of seq. */
  listSeriesRows(seqs: readonly number[]): Promise<SeriesRow[]>;
  /** When result `seq` was recorded (Unix ms); null when there is no such result. */
  resultTime(seq: number): Promise<number | null>;
  /** Results of `status` with `after < seq ≤ through`, counted through the status index. */
  countStatus(status: ResultStatus, after: number, through: number): Promise<number>;
  /** Files of every result that became champion, by result id. */
  listChampionFiles(): Promise<Map<string, Map<string, string>>>;
}

/** The code of a batch refused unwritten because one sent before it failed (see `writesInFlight`). */
export const REFUSED_AFTER_FAILURE = 'ERR_AFTER_FAILED_WRITE';

/** A batch refused only because an earlier one failed: the earlier failure is the one to act on. */
export function isRefusedAfterFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === REFUSED_AFTER_FAILURE;
}
