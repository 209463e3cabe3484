import { PAGE_LIMITS, ResultFields, ResultStatus, SEARCH_QUERY_MAX, SEARCH_SCAN_MAX, VerificationState } from '../../protocol/index.ts';
import type { ResultListQuery } from '../store/kb-store.ts';
import { HttpError } from './errors.ts';

/**
 * The query of GET /api/results (and the owner's /api/owner/results), docs/design.md "Listings at
 * scale": `after=SEQ` (or `before=SEQ` with `order=desc`), `limit` (default 100, at most 1000),
 * `member=ID`, `status=keep|discard|crash|duplicate`, and the searches `verification=STATE` and
 * `q=TEXT` (a substring of the hypothesis, ASCII case-insensitive), which examine at most
 * SEARCH_SCAN_MAX results per request; `fields=summary` lists each result less its patch and
 * output, with their sizes (ResultSummaryPage; `full`, the default, whole records). `since` is the
 * old name of `after`, kept for workers from before paging. Anything else in the query is refused,
 * so a typo is not silently a full listing.
 */
const KNOWN = new Set(['after', 'before', 'since', 'limit', 'member', 'status', 'order', 'verification', 'q', 'fields']);

/** One value of a query parameter: a repeated one (`?a=1&a=2`) is refused, not guessed at. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new HttpError('bad_request', `\`${name}\` may be given once.`);
  return raw;
}

/** Digits only: Number() would also take " 1 ", "", "0x10" and "1e20", none of which a client means. */
function cursor(query: Record<string, unknown>, name: string): number | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) {
    throw new HttpError('bad_request', `\`${name}\` must be a result sequence number: digits only, e.g. \`?${name}=12\` (once).`);
  }
  return Number(raw);
}

export function parseResultPageQuery(query: unknown): ResultListQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(q).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw new HttpError('bad_request', `Unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `\`${k}\``).join(', ')}; a results page takes after, before, limit, member, status, verification, q, order and fields.`);
  }
  const order = single(q, 'order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new HttpError('bad_request', '`order` must be `asc` (oldest first, the default) or `desc` (newest first).');
  const after = cursor(q, 'after');
  const since = cursor(q, 'since');
  const before = cursor(q, 'before');
  if (after !== undefined && since !== undefined) throw new HttpError('bad_request', '`since` is the old name of `after`: give one of them.');
  const from = after ?? since;
  if (order === 'asc' && before !== undefined) throw new HttpError('bad_request', '`before` pages newest first: send it with `order=desc`.');
  if (order === 'desc' && from !== undefined) throw new HttpError('bad_request', '`after` pages oldest first: with `order=desc` the cursor is `before`.');

  const limitRaw = single(q, 'limit');
  const limit = limitRaw === undefined ? PAGE_LIMITS.default : Number(limitRaw);
  if (limitRaw !== undefined && (!/^\d{1,4}$/.test(limitRaw) || limit < 1 || limit > PAGE_LIMITS.max)) {
    throw new HttpError('bad_request', `\`limit\` must be a whole number from 1 to ${PAGE_LIMITS.max} (default ${PAGE_LIMITS.default}); page on with the \`next\` cursor.`);
  }

  const member = single(q, 'member');
  if (member !== undefined && (member.length < 1 || member.length > 128)) throw new HttpError('bad_request', '`member` must be a member id (1 to 128 characters).');
  const statusRaw = single(q, 'status');
  const status = statusRaw === undefined ? undefined : ResultStatus.safeParse(statusRaw);
  if (status !== undefined && !status.success) throw new HttpError('bad_request', `\`status\` must be one of ${ResultStatus.options.join(', ')}.`);

  const verificationRaw = single(q, 'verification');
  const verification = verificationRaw === undefined ? undefined : VerificationState.safeParse(verificationRaw);
  if (verification !== undefined && !verification.success) throw new HttpError('bad_request', `\`verification\` must be one of ${VerificationState.options.join(', ')}.`);
  const text = single(q, 'q');
  if (text !== undefined && (text.length < 1 || text.length > SEARCH_QUERY_MAX)) {
    throw new HttpError('bad_request', `\`q\` must be 1 to ${SEARCH_QUERY_MAX} characters (a part of the hypothesis; each request searches at most ${SEARCH_SCAN_MAX} results, page on with \`next\`).`);
  }

  const fieldsRaw = single(q, 'fields');
  const fields = fieldsRaw === undefined ? undefined : ResultFields.safeParse(fieldsRaw);
  if (fields !== undefined && !fields.success) {
    throw new HttpError('bad_request', `\`fields\` must be one of ${ResultFields.options.join(', ')}: \`summary\` lists each result without its patch and output (their sizes instead), \`full\` (the default) whole.`);
  }

  return {
    order,
    cursor: order === 'asc' ? (from ?? 0) : (before ?? null),
    limit,
    ...(member === undefined ? {} : { member }),
    ...(status === undefined ? {} : { status: status.data }),
    ...(verification === undefined ? {} : { verification: verification.data }),
    ...(text === undefined ? {} : { q: text }),
    ...(fields === undefined ? {} : { fields: fields.data }),
  };
}
