import {
  LEADERBOARD_SIZE,
  LINEAGE_MAX_STEPS,
  SEARCH_SCAN_MAX,
  type ChampionStep,
  type ChampionsResponse,
  type LineageResponse,
  type ResultRecord,
  type ResultsResponse,
  type ResultSummary,
  type ResultSummaryPage,
  type SummaryRow,
  type VerificationState,
} from '../../protocol/index.ts';
import type { KbStore, ResultListQuery, ResultPageQuery, ResultRow, ResultSummaryRow } from '../store/kb-store.ts';
import { firstCrowningFrom, type Crowning } from '../rules/history.ts';
import type { Leader } from '../rules/leaders.ts';
import { toResultRecord, toResultSummary, toSummaryRow, type ClaimView } from './records.ts';

/**
 * The listings of the KB (docs/design.md, "Listings at scale"): pages, the leaderboard and a
 * result's lineage. Each reads the store through an index (migrations.ts) or by id, and costs in
 * proportion to what it returns, never to the number of results in the log.
 */

/** What a record shows besides its row: members' names, and a claim's verification. */
export interface RecordContext {
  names: ReadonlyMap<string, string>;
  claim?: (id: string) => ClaimView | undefined;
}
type Names = RecordContext;

const record = (ctx: Names) => (r: ResultRow): ResultRecord => toResultRecord(r, ctx.names.get(r.memberId) ?? r.memberId, ctx.claim?.(r.id));

/** The record less `patch` and `output`: the leaderboard and lineages stay small whatever members send. */
const summary = (ctx: Names) => (r: ResultRow): ResultSummary => toResultSummary(r, ctx.names.get(r.memberId) ?? r.memberId, ctx.claim?.(r.id));

/**
 * How a page reads its rows and writes them out: whole records, or (`fields=summary`) summaries
 * with the sizes of patch and output, which the store then never reads.
 */
interface Rows<Row, Out extends { seq: number }> {
  page(store: KbStore, query: ResultPageQuery): Promise<Row[]>;
  bySeq(store: KbStore, seqs: readonly number[]): Promise<Row[]>;
  wire(ctx: Names): (r: Row) => Out;
}

const WHOLE: Rows<ResultRow, ResultRecord> = {
  page: (store, query) => store.listResultPage(query),
  bySeq: (store, seqs) => store.getResultsBySeq(seqs),
  wire: record,
};

const SUMMARIES: Rows<ResultSummaryRow, SummaryRow> = {
  page: (store, query) => store.listResultSummaryPage(query),
  bySeq: (store, seqs) => store.getResultSummariesBySeq(seqs),
  wire: (ctx) => (r) => toSummaryRow(r, ctx.names.get(r.memberId) ?? r.memberId, ctx.claim?.(r.id)),
};

/** A page of either kind of row (ResultsResponse, ResultSummaryPage). */
interface Listed<Out> {
  results: Out[];
  next: number | null;
  scan?: { examined: number; stopped_early: boolean; max: number };
}

/**
 * GET /api/results and the owner's: a plain page, or a searched one with `q` or `verification`;
 * of whole records, or of summaries with `fields=summary`.
 */
export async function list(
  store: KbStore,
  query: ResultListQuery,
  ctx: Names,
  verificationOf: (id: string) => VerificationState,
  scanMax = SEARCH_SCAN_MAX,
): Promise<ResultsResponse | ResultSummaryPage> {
  const searched = query.q !== undefined || query.verification !== undefined;
  if (query.fields === 'summary') return searched ? search(SUMMARIES, store, query, ctx, verificationOf, scanMax) : page(SUMMARIES, store, query, ctx);
  return searched ? search(WHOLE, store, query, ctx, verificationOf, scanMax) : page(WHOLE, store, query, ctx);
}

/** One page; one row more than asked tells whether another page follows, so `next` is null at the end. */
async function page<Row, Out extends { seq: number }>(rows: Rows<Row, Out>, store: KbStore, query: ResultPageQuery, ctx: Names): Promise<Listed<Out>> {
  const read = await rows.page(store, { ...query, limit: query.limit + 1 });
  const more = read.length > query.limit;
  const results = (more ? read.slice(0, query.limit) : read).map(rows.wire(ctx));
  return { results, next: more ? results.at(-1)!.seq : null };
}

/**
 * The best judged results by the program's direction, best first; ties go to the first submitted.
 * The fold keeps which they are (main/rules/leaders.ts); each is read by id.
 */
export async function leaderboard(store: KbStore, leaders: readonly Leader[], names: Names, size = LEADERBOARD_SIZE): Promise<ResultSummary[]> {
  const rows = await Promise.all(leaders.slice(0, size).map((l) => store.getResult(l.id)));
  return rows.filter((r): r is ResultRow => r !== null).map(summary(names));
}

/**
 * The result and the chain of results it started from (each one's `parent`), newest first, at most
 * `maxSteps` (one recursive query: an index lookup per step). Null when `id` is not a result of
 * this KB; `complete` is true only when the chain reaches the program's original code.
 */
export async function lineage(store: KbStore, id: string, names: Names, maxSteps = LINEAGE_MAX_STEPS): Promise<LineageResponse | null> {
  const rows = await store.listLineage(id, maxSteps);
  if (rows.length === 0) return null;
  // A parent is always an earlier result; a repeated id means a damaged file: stop before it.
  const seen = new Set<string>();
  const chain: ResultSummary[] = [];
  for (const row of rows) {
    if (seen.has(row.id)) return { chain, complete: false };
    seen.add(row.id);
    chain.push(summary(names)(row));
  }
  return { chain, complete: rows.at(-1)!.parent === null };
}

/**
 * A searched page (`q`, `verification`): the rows after the cursor are examined in the page's order,
 * at most `scanMax` of them (one index walk, ids and a LIKE only), and the matches' rows are
 * read by seq. A filter that matches rarely stops at the bound with `scan.stopped_early` and a
 * `next` cursor to go on from, so no request reads the whole log. Rows up to `next` were all examined.
 */
async function search<Row, Out extends { seq: number }>(
  rows: Rows<Row, Out>,
  store: KbStore,
  query: ResultListQuery,
  ctx: Names,
  verificationOf: (id: string) => VerificationState,
  scanMax: number,
): Promise<Listed<Out>> {
  // One row past the bound tells whether the log goes on there (no empty page to search at the end).
  const window = await store.scanResults({ ...query, scan: scanMax + 1 });
  const scanned = window.slice(0, scanMax);
  const hits: number[] = [];
  let next: number | null = null;
  let examined = scanned.length;
  let stoppedEarly = false;
  for (let i = 0; i < scanned.length; i++) {
    const row = scanned[i]!;
    if (!row.match || (query.verification !== undefined && verificationOf(row.id) !== query.verification)) continue;
    if (hits.length === query.limit) {
      // One match more than the page: the next page starts after the page's last.
      next = hits.at(-1)!;
      examined = scanned.findIndex((r) => r.seq === next) + 1;
      break;
    }
    hits.push(row.seq);
  }
  if (next === null && window.length > scanMax) {
    next = scanned.at(-1)!.seq;
    stoppedEarly = true;
  }
  const read = await rows.bySeq(store, hits);
  if (query.order === 'desc') read.reverse();
  return { results: read.map(rows.wire(ctx)), next, scan: { examined, stopped_early: stoppedEarly, max: scanMax } };
}

/** GET /api/owner/results/:id: the full record, with its patch; null when there is no such result. */
export async function one(store: KbStore, id: string, ctx: Names): Promise<ResultRecord | null> {
  const row = await store.getResult(id);
  return row === null ? null : record(ctx)(row);
}

/**
 * GET /api/owner/champions: the latest `limit` crownings before result `before` (the fold keeps
 * them, history.ts), oldest first, each read by id, with its improvement over the champion before it.
 */
export async function champions(
  store: KbStore,
  crownings: readonly Crowning[],
  direction: 'minimize' | 'maximize',
  page: { limit: number; before: number | null },
  ctx: Names,
): Promise<ChampionsResponse> {
  const end = page.before === null ? crownings.length : firstCrowningFrom(crownings, page.before);
  const start = Math.max(0, end - page.limit);
  const steps = crownings.slice(start, end);
  const rows = await Promise.all(steps.map((c) => store.getResult(c.id)));
  const out: ChampionStep[] = [];
  steps.forEach((c, k) => {
    const row = rows[k];
    if (!row) return;
    const prev = crownings[start + k - 1];
    const improvement = prev === undefined ? null : direction === 'minimize' ? prev.value - c.value : c.value - prev.value;
    out.push({ ...summary(ctx)(row), crowned_value: c.value, improvement, previous: prev?.id ?? null });
  });
  return { champions: out, next: start > 0 ? steps[0]!.seq : null, total: crownings.length };
}
