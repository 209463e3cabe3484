import { createHash, randomBytes, randomInt } from 'node:crypto';
import { USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../../protocol/index.ts';

/** Secrets are stored only as their SHA-256; a stolen KB file holds no usable token. */
export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** RFC 8628 §3.2/§5.2: the device code is a high-entropy secret (32 random bytes). */
export function newDeviceCode(): string {
  return randomBytes(32).toString('base64url');
}

/** RFC 8628 §6.1: 8 characters of 20 consonants (no vowels, so no words; ~34.5 bits). */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

export const MEMBER_TOKEN_PREFIX = 'cohort_mt_';

/** A member's bearer token: a recognisable prefix (secret scanners find leaks) and 32 random bytes. */
export function newMemberToken(): string {
  return MEMBER_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
