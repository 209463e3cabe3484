import { z } from 'zod';

export const ResultStatus = z.enum(['keep', 'discard', 'crash', 'duplicate']);
export type ResultStatus = z.infer<typeof ResultStatus>;

/** A claim's verification (docs/design.md, "Verified champions"); `unverified`: verification is off. */
export const VerificationState = z.enum(['none', 'pending', 'reproduced', 'not_reproduced', 'unverified']);
export type VerificationState = z.infer<typeof VerificationState>;

/** One re-run of a claim's code by another member; `value` null when it crashed. */
export const RerunRecord = z.object({
  member: z.string(),
  member_name: z.string(),
  value: z.number().nullable(),
  hardware: z.record(z.string(), z.unknown()),
  at: z.string(),
});
export type RerunRecord = z.infer<typeof RerunRecord>;

/** Limits on what a member may send; the host refuses larger bodies before parsing them. */
export const LIMITS = {
  hypothesis: 4_000,
  patch: 512 * 1024,
  output: 8 * 1024,
  idempotencyKey: 200,
  detailKeys: 32,
  detailValue: 512,
  /**
   * Largest metric magnitude. Finite is not enough: 1.7e308 − (−1.7e308) overflows to Infinity, and
   * an infinite impact leaves as `null` in JSON and breaks every reader of the results. Within
   * ±1e300 any difference of two values is finite.
   */
  value: 1e300,
} as const;

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number (NaN and ±Infinity are not results)');
export const metricValue = finiteNumber.refine((n) => Math.abs(n) <= LIMITS.value, 'must be between -1e300 and 1e300');

/** Small free-form maps (hardware, durations): bounded keys, scalar values only. */
export const detailMap = z
  .record(
    z.string().max(64),
    z.union([z.string().max(LIMITS.detailValue), finiteNumber, z.boolean(), z.null()]),
  )
  .refine((m) => Object.keys(m).length <= LIMITS.detailKeys, `must have at most ${LIMITS.detailKeys} keys`);

export const durationsMap = z.record(z.string().max(64), finiteNumber).refine((m) => Object.keys(m).length <= LIMITS.detailKeys);

/** The fields of a submission this host knows, each with its rule. */
const submissionFields = {
  value: metricValue.nullable(),
  crashed: z.boolean().optional(),
  hypothesis: z.string().max(LIMITS.hypothesis).optional(),
  patch: z.string().max(LIMITS.patch).optional(),
  output: z.string().max(LIMITS.output).optional(),
  hardware: detailMap.optional(),
  durations: durationsMap.optional(),
  parent: z.string().max(64).nullable().optional(),
  idempotency_key: z.string().min(1).max(LIMITS.idempotencyKey).optional(),
};

/** POST /api/results body (docs/design.md, "Minimal wire shapes"). The member comes from the token, never from here. */
export const SubmitResultRequest = z
  .strictObject(submissionFields)
  .refine((b) => b.value !== null || b.crashed === true, {
    path: ['value'],
    message: 'must be a finite number, or null together with "crashed": true',
  });
export type SubmitResultRequest = z.infer<typeof SubmitResultRequest>;

/** The short verdict returned to the submitter. */
export const ResultVerdict = z.object({
  id: z.string(),
  member: z.string(),
  value: z.number().nullable(),
  status: ResultStatus,
  impact: z.number(),
  champion: z.boolean(),
  duplicate_of: z.string().nullable(),
  reason: z.string(),
  /** A keep is a claim, `pending` until re-run (docs/design.md, "Verified champions"); absent from older hosts. */
  verification: VerificationState.default('none'),
});
export type ResultVerdict = z.infer<typeof ResultVerdict>;

/**
 * Fields only the host sets (who submitted, what the verdict was): a body that names one is refused,
 * whatever the protocol version, because it can only be an attempt to say what the token says.
 */
const HOST_ASSIGNED = new Set(['id', 'seq', 'member', 'member_id', 'member_name', 'worker', 'status', 'impact', 'champion', 'duplicate_of', 'reason', 'code_hash', 'created_at']);

/** The most unknown fields a warning names one by one; the rest are counted. */
const MAX_NAMED_UNKNOWN = 8;

/**
 * A submission as a host of this protocol version reads it (docs/host.md, "Versions"): top-level
 * fields it does not know (sent by a newer worker) are left out and named in `warnings`, instead of
 * refusing the result; `hostAssigned` lists fields only the host may set (the caller refuses those).
 * The known fields are then checked by `SubmitResultRequest`, exactly as before.
 */
export function splitSubmission(input: unknown, protocol: number): { known: unknown; hostAssigned: string[]; warnings: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { known: input, hostAssigned: [], warnings: [] };
  const known: Record<string, unknown> = {};
  const unknown: string[] = [];
  const hostAssigned: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (Object.hasOwn(submissionFields, key)) known[key] = value;
    else if (HOST_ASSIGNED.has(key)) hostAssigned.push(key);
    else unknown.push(key);
  }
  const name = (key: string) => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
  const warnings = unknown.slice(0, MAX_NAMED_UNKNOWN).map((key) => `unknown field ${name(key)} ignored: this host speaks protocol ${protocol}`);
  if (unknown.length > MAX_NAMED_UNKNOWN) warnings.push(`${unknown.length - MAX_NAMED_UNKNOWN} more unknown field(s) ignored: this host speaks protocol ${protocol}`);
  return { known, hostAssigned, warnings };
}

/** `warnings`: what the host ignored of the submission (unknown fields of a newer worker); absent when nothing. */
export const SubmitResultResponse = z.object({ result: ResultVerdict, warnings: z.array(z.string()).optional() });
export type SubmitResultResponse = z.infer<typeof SubmitResultResponse>;

/** A result as the KB keeps it and as GET /api/results lists it. */
export const ResultRecord = z.object({
  id: z.string(),
  seq: z.number().int(),
  member: z.string(),
  member_name: z.string(),
  value: z.number().nullable(),
  status: ResultStatus,
  impact: z.number(),
  champion: z.boolean(),
  duplicate_of: z.string().nullable(),
  reason: z.string(),
  hypothesis: z.string(),
  patch: z.string(),
  parent: z.string().nullable(),
  code_hash: z.string(),
  output: z.string(),
  hardware: z.record(z.string(), z.unknown()),
  durations: z.record(z.string(), z.number()),
  created_at: z.string(),
  // Verified champions (docs/design.md): defaults, so a record from a host before them still reads.
  /** `none` for a result that is not a claim; a claim is `pending` until its re-runs decide it. */
  verification: VerificationState.default('none'),
  /** The value the rules judged it by: the claim until reproduced, then the worse of claim and re-runs. */
  effective_value: z.number().nullable().default(null),
  reruns: z.array(RerunRecord).default([]),
});
export type ResultRecord = z.infer<typeof ResultRecord>;

/**
 * A result without its two large fields (`patch`, up to 512 KiB, and `output`): what the status's
 * leaderboard and a lineage list, so their size is bounded whatever members send. The full record
 * is on its page of GET /api/results (`after` = its `seq` − 1, `limit=1`).
 */
export const ResultSummary = ResultRecord.omit({ patch: true, output: true });
export type ResultSummary = z.infer<typeof ResultSummary>;

/**
 * Paging of GET /api/results (docs/design.md, "Listings at scale"): a page holds at most
 * `max` results, `default` when `limit` is not given.
 */
export const PAGE_LIMITS = { default: 100, max: 1000 } as const;

/**
 * Results a searched page (`q`, `verification`) examines at most per request (docs/design.md,
 * "Listings at scale"); `q` is 1 to SEARCH_QUERY_MAX characters.
 */
export const SEARCH_SCAN_MAX = 20_000;
export const SEARCH_QUERY_MAX = 200;

/** Results per leaderboard in GET /api/status; steps per GET /api/results/:id/lineage. */
export const LEADERBOARD_SIZE = 20;
export const LINEAGE_MAX_STEPS = 100;

/**
 * GET /api/results: one page, in submission order (newest first with `order=desc`). `next` is the
 * cursor of the following page (pass it as `after`, or as `before` with `order=desc`); null at the end.
 */
export const ResultsResponse = z.object({
  results: z.array(ResultRecord),
  next: z.number().int().nullable(),
  /**
   * Present when the page was searched (`q` or `verification`): the host examines at most
   * SEARCH_SCAN_MAX results per request, so a rare match cannot make one request read the whole
   * log. `stopped_early`: the page is short because the host stopped there, not because the log
   * ended; `next` continues the search. `examined`: results looked at by this request.
   */
  scan: z.object({ examined: z.number().int(), stopped_early: z.boolean(), max: z.number().int() }).optional(),
});
export type ResultsResponse = z.infer<typeof ResultsResponse>;

/**
 * What the rows of a results page carry (`fields=`): `full` (the default) the whole ResultRecord;
 * `summary` a SummaryRow, for a listing that shows patches and outputs only on demand.
 */
export const ResultFields = z.enum(['full', 'summary']);
export type ResultFields = z.infer<typeof ResultFields>;

/**
 * A row of a summary page: the result less `patch` and `output`, with their sizes in UTF-8 bytes
 * (0: nothing to show), so a client knows whether there is a diff or an output to fetch
 * (GET /api/owner/results/:id). A page of 25 is a few KiB whatever members sent.
 */
export const SummaryRow = ResultSummary.extend({ patch_bytes: z.number().int().nonnegative(), output_bytes: z.number().int().nonnegative() });
export type SummaryRow = z.infer<typeof SummaryRow>;

/** GET /api/results?fields=summary (and the owner's): a page as ResultsResponse, of SummaryRows. */
export const ResultSummaryPage = ResultsResponse.extend({ results: z.array(SummaryRow) });
export type ResultSummaryPage = z.infer<typeof ResultSummaryPage>;

/**
 * GET /api/results/:id/lineage: the result, then the result it started from (its `parent`), and so
 * on back to the program's original code, newest first, at most LINEAGE_MAX_STEPS. `complete` is
 * false when the chain was cut there (or a parent is missing from the KB).
 */
export const LineageResponse = z.object({ chain: z.array(ResultSummary), complete: z.boolean() });
export type LineageResponse = z.infer<typeof LineageResponse>;

/**
 * GET /api/codes/:hash: whether a submission with this code hash (protocol/node/code-hash.ts) was
 * already judged (crashes do not count, as for duplicates); `result` is the first one.
 */
export const CodeResponse = z.object({ code_hash: z.string(), tried: z.boolean(), result: z.string().nullable() });
export type CodeResponse = z.infer<typeof CodeResponse>;

/** How many results the KB holds, by status. */
export const StatusCounts = z.object({ keep: z.number().int(), discard: z.number().int(), crash: z.number().int(), duplicate: z.number().int() });
export type StatusCounts = z.infer<typeof StatusCounts>;
