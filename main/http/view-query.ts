import { CHAMPIONS_LIMITS, LEADERBOARD_LIMITS, LeaderboardView, SERIES_POINTS } from '../../protocol/index.ts';
import type { SeriesQuery } from '../kb/series.ts';
import { HttpError } from './errors.ts';

/**
 * The queries of the owner's views (docs/host.md): GET /api/owner/leaderboard, /champions and
 * /series. As for a results page (listing-query.ts), a parameter given twice, out of range or
 * unknown is refused with a message that says what is accepted.
 */

type Query = Record<string, unknown>;

function known(query: unknown, names: readonly string[], what: string): Query {
  const q = (query ?? {}) as Query;
  const unknown = Object.keys(q).filter((k) => !names.includes(k));
  if (unknown.length > 0) {
    throw new HttpError('bad_request', `Unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `\`${k}\``).join(', ')}; ${what} takes ${names.join(', ')}.`);
  }
  for (const [name, raw] of Object.entries(q)) if (typeof raw !== 'string') throw new HttpError('bad_request', `\`${name}\` may be given once.`);
  return q;
}

/** A whole number from `min` to `max` (digits only), or `fallback` when absent. */
function whole(q: Query, name: string, min: number, max: number, fallback: number | undefined, hint: string): number | undefined {
  const raw = q[name] as string | undefined;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d{1,15}$/.test(raw) || n < min || n > max) throw new HttpError('bad_request', `\`${name}\` must be ${hint}.`);
  return n;
}

export function parseLeaderboardQuery(query: unknown): { view: LeaderboardView; limit: number } {
  const q = known(query, ['view', 'limit'], 'the leaderboard');
  const view = LeaderboardView.safeParse(q.view ?? 'results');
  if (!view.success) throw new HttpError('bad_request', '`view` must be `results` (the best results) or `members` (each member\'s best).');
  const limit = whole(q, 'limit', 1, LEADERBOARD_LIMITS.max, LEADERBOARD_LIMITS.default, `a whole number from 1 to ${LEADERBOARD_LIMITS.max} (default ${LEADERBOARD_LIMITS.default})`)!;
  return { view: view.data, limit };
}

export function parseChampionsQuery(query: unknown): { limit: number; before: number | null } {
  const q = known(query, ['limit', 'before'], 'the list of champions');
  const limit = whole(q, 'limit', 1, CHAMPIONS_LIMITS.max, CHAMPIONS_LIMITS.default, `a whole number from 1 to ${CHAMPIONS_LIMITS.max} (default ${CHAMPIONS_LIMITS.default})`)!;
  const before = whole(q, 'before', 0, Number.MAX_SAFE_INTEGER, undefined, 'a result sequence number (digits only): the `next` of the page after');
  return { limit, before: before ?? null };
}

export function parseSeriesQuery(query: unknown): SeriesQuery {
  const q = known(query, ['points', 'from', 'to'], 'the series');
  const points = whole(q, 'points', 1, SERIES_POINTS.max, SERIES_POINTS.default, `a whole number from 1 to ${SERIES_POINTS.max} (default ${SERIES_POINTS.default})`)!;
  const ms = 'a time in Unix milliseconds (digits only)';
  const from = whole(q, 'from', 0, Number.MAX_SAFE_INTEGER, undefined, ms);
  const to = whole(q, 'to', 0, Number.MAX_SAFE_INTEGER, undefined, ms);
  if (from !== undefined && to !== undefined && from > to) throw new HttpError('bad_request', '`from` must not be after `to`.');
  return { points, from, to };
}
