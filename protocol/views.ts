import { z } from 'zod';
import { ResultRecord, ResultStatus, ResultSummary } from './results.ts';

/**
 * The owner's views of a program that runs for weeks (docs/host.md, owner API): one result with
 * its patch, the ranked leaderboard, the chain of champions and the chart's series. Each costs in
 * proportion to what it returns, never to the number of results (docs/design.md, "Listings at scale").
 */

/** GET /api/owner/results/:id: one result, with its `patch` (its diff against its parent) and `output`. */
export const ResultResponse = z.object({ result: ResultRecord });
export type ResultResponse = z.infer<typeof ResultResponse>;

export const LEADERBOARD_LIMITS = { default: 50, max: 1000 } as const;
export const LeaderboardView = z.enum(['results', 'members']);
export type LeaderboardView = z.infer<typeof LeaderboardView>;

/**
 * GET /api/owner/leaderboard?view=results|members&limit=N: best first by effective value (ties: the
 * first submitted). `results`: the best judged results (kept or discarded; the host keeps the best
 * 1000). `members`: each member's best judged result, one entry per member that has one.
 */
export const LeaderboardResponse = z.object({ view: LeaderboardView, entries: z.array(ResultSummary) });
export type LeaderboardResponse = z.infer<typeof LeaderboardResponse>;

export const CHAMPIONS_LIMITS = { default: 100, max: 1000 } as const;

/**
 * One step of the staircase: a result that became champion, with the value it was crowned at
 * (`crowned_value`, its effective value then) and its improvement over the champion before it
 * (directional, ≥ 0; null for the first champion, whose `impact` is its improvement over the baseline).
 */
export const ChampionStep = ResultSummary.extend({
  crowned_value: z.number(),
  improvement: z.number().nullable(),
  previous: z.string().nullable(),
});
export type ChampionStep = z.infer<typeof ChampionStep>;

/**
 * GET /api/owner/champions?limit=N[&before=SEQ]: the champions in order of crowning (oldest first),
 * the latest `limit` of those crowned before result SEQ (default: all). `next`: pass it as `before`
 * for the earlier ones; null when this page starts at the first champion. `total`: champions crowned.
 */
export const ChampionsResponse = z.object({ champions: z.array(ChampionStep), next: z.number().int().nullable(), total: z.number().int() });
export type ChampionsResponse = z.infer<typeof ChampionsResponse>;

export const SERIES_POINTS = { default: 500, max: 2000 } as const;

/** One sampled result: `at` in Unix ms, `value` its effective value (never a crash: those are counted). */
export const SeriesPoint = z.object({
  seq: z.number().int(),
  at: z.number().int(),
  value: z.number(),
  member: z.string(),
  status: ResultStatus.exclude(['crash']),
  /** It became champion (every champion in the range is a point, whatever the sampling). */
  champion: z.boolean(),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

/**
 * GET /api/owner/series?points=N[&from=MS&to=MS]: the metric over time, downsampled. The results
 * in the range are sampled at an even stride of sequence numbers (`stride` 1: every one), about
 * `points` of them, plus every champion in the range; crashes are not points but counted
 * (`crashes`). `from`/`to`: the range covered, as the first and last result's times (null: empty).
 * `members`: the names of the members the points name.
 */
export const SeriesResponse = z.object({
  points: z.array(SeriesPoint),
  crashes: z.number().int(),
  results: z.number().int(),
  stride: z.number(),
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  members: z.record(z.string(), z.string()),
});
export type SeriesResponse = z.infer<typeof SeriesResponse>;
