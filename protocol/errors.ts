import { z } from 'zod';

/** Every error that leaves a Cohort service has this shape; never a stack trace. */
export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Error codes of the member and owner APIs (OAuth errors are in oauth.ts, as RFC 8628 names them). */
export const ErrorCode = {
  authRequired: 'auth_required',
  notAMember: 'not_a_member',
  forbidden: 'forbidden',
  badRequest: 'bad_request',
  invalidResult: 'invalid_result',
  invalidPatch: 'invalid_patch',
  unknownParent: 'unknown_parent',
  notFound: 'not_found',
  payloadTooLarge: 'payload_too_large',
  headersTooLarge: 'headers_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  tooManyRequests: 'too_many_requests',
  conflict: 'conflict',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
