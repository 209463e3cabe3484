import { z } from 'zod';
import type { ErrorCode } from './errors.ts';

/** RFC 8628 §3.4: the device-code grant type. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §6.1: user codes from 20 consonants, 8 characters, shown XXXX-XXXX. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** RFC 8414 §2 authorization server metadata (the fields a device-flow client needs). */
export const AuthServerMetadata = z.object({
  issuer: z.string(),
  device_authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  grant_types_supported: z.array(z.string()),
  response_types_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
});
export type AuthServerMetadata = z.infer<typeof AuthServerMetadata>;

const shortText = (max: number) => z.string().trim().max(max);

/**
 * A whole number in a form field (form values are strings; JSON may send a number). Junk is refused
 * with a message naming what is expected, rather than read as 0 or NaN.
 */
const wholeNumber = (max: number, what: string) =>
  z
    .union([z.number(), z.string().trim().regex(/^\d{1,15}$/, `must be a whole number of ${what}`)])
    .transform(Number)
    .pipe(z.number().refine((n) => Number.isInteger(n) && n >= 0 && n <= max, `must be a whole number of ${what} from 0 to ${max}`));

/**
 * RFC 8628 §3.1 device authorization request. `client_id` is any string; the other fields are
 * Cohort's worker details, self-declared and shown to the owner as such.
 */
export const DeviceAuthorizationRequest = z.object({
  client_id: z.string().min(1).max(100),
  scope: z.string().max(200).optional(),
  name: shortText(64).optional(),
  hostname: shortText(128).optional(),
  os: shortText(128).optional(),
  gpu: shortText(256).optional(),
  app_version: shortText(32).optional(),
  /**
   * What `requires` is matched against (protocol/requirements.ts), so the owner sees whether the
   * machine qualifies before approving: one GPU's model, the NVIDIA GPUs, their memory together.
   */
  gpu_model: shortText(256).optional(),
  gpu_count: wholeNumber(1024, 'GPUs').optional(),
  gpu_memory_mb: wholeNumber(1_000_000_000, 'MiB').optional(),
});
export type DeviceAuthorizationRequest = z.infer<typeof DeviceAuthorizationRequest>;

/** RFC 8628 §3.2 device authorization response. */
export const DeviceAuthorizationResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});
export type DeviceAuthorizationResponse = z.infer<typeof DeviceAuthorizationResponse>;

/** RFC 8628 §3.4 device access token request. */
export const DeviceTokenRequest = z.object({
  grant_type: z.string().min(1).max(200),
  device_code: z.string().min(1).max(200),
  client_id: z.string().min(1).max(100).optional(),
});
export type DeviceTokenRequest = z.infer<typeof DeviceTokenRequest>;

/** RFC 6749 §5.1 successful token response. */
export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  member_id: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** RFC 8628 §3.5 and RFC 6749 §5.2 token error codes. */
export const OAuthErrorCode = z.enum([
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
  'invalid_grant',
  'invalid_request',
  'invalid_client',
  'unsupported_grant_type',
]);
export type OAuthErrorCode = z.infer<typeof OAuthErrorCode>;

/** RFC 6749 §5.2: a token error answers 400 (401 is for failed client authentication, which Cohort does not do). */
export const OAUTH_ERROR_STATUS = 400;

/**
 * The one writer of the RFC 6749 §5.2 error body, with Cohort's `message` beside the standard
 * `error_description`. The device authorization endpoint's own refusals (too many requests, no
 * code free) are Cohort codes in this shape.
 */
export function oauthErrorBody(code: OAuthErrorCode | ErrorCode, description: string): { error: string; error_description: string; message: string } {
  return { error: code, error_description: description, message: description };
}

export const OAuthError = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  message: z.string().optional(),
});
export type OAuthError = z.infer<typeof OAuthError>;

/** Normalises a typed user code: case-insensitive, punctuation and spaces ignored (RFC 8628 §6.1). */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Shows a normalised user code as XXXX-XXXX. */
export function formatUserCode(code: string): string {
  return code.length === USER_CODE_LENGTH ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}
