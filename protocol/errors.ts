import { z } from 'zod';

/**
 * Every code the `{error, message}` body carries, with its one HTTP status: a code always leaves
 * with the same status, whichever listener sends it (fastify `lib/errors.js` keeps code and status
 * together the same way). OAuth endpoints answer in RFC 6749 §5.2's own shape (oauth.ts).
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_result: 400,
  invalid_patch: 400,
  invalid_program: 400,
  unknown_parent: 400,
  auth_required: 401,
  forbidden: 403,
  not_a_member: 403,
  /** A member reporting a re-run of its own claim (docs/design.md, "Verified champions"). */
  own_claim: 403,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  rules_changed: 409,
  ambiguous: 409,
  /** A re-run report without a live lease of the reporter's. */
  lease_expired: 409,
  /** A re-run report for a claim already decided. */
  claim_settled: 409,
  expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  /** A member's storage or submission-rate quota (TASK.md `quota`, main/kb/quotas.ts). */
  quota_exceeded: 429,
  headers_too_large: 431,
  internal_error: 500,
  kb_inconsistent: 500,
  host_unreachable: 502,
  temporarily_unavailable: 503,
} as const;

/** A wire error code; a string that is not one of them does not compile where a code is sent. */
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ErrorCode = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]);

/** The HTTP status that goes with `code`. */
export function errorStatus(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/**
 * Every error that leaves a Cohort service has this shape; never a stack trace. `error` is read as
 * any string: a newer host may send a code this client does not know, and its message still helps.
 */
export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The one writer of the `{error, message}` body: every listener (host, owner, app, worker) sends this. */
export function errorBody(code: ErrorCode, message: string): { error: ErrorCode; message: string } {
  return { error: code, message };
}
