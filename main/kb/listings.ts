import { LEADERBOARD_SIZE, LINEAGE_MAX_STEPS, type LineageResponse, type ResultRecord, type ResultsResponse, type ResultSummary } from '../../protocol/index.ts';
import type { KbStore, ResultPageQuery, ResultRow } from '../store/kb-store.ts';
import type { Leader } from '../rules/leaders.ts';
import { toResultRecord, type ClaimView } from './records.ts';

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
const summary = (names: Names) => (r: ResultRow): ResultSummary => {
  const { patch: _patch, output: _output, ...rest } = record(names)(r);
  return rest;
};

/** One page; one row more than asked tells whether another page follows, so `next` is null at the end. */
export async function page(store: KbStore, query: ResultPageQuery, names: Names): Promise<ResultsResponse> {
  const rows = await store.listResultPage({ ...query, limit: query.limit + 1 });
  const more = rows.length > query.limit;
  const results = (more ? rows.slice(0, query.limit) : rows).map(record(names));
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
