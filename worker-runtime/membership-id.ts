import { createHash } from 'node:crypto';

/**
 * The host part of a membership's identity: scheme, host and port (the default one dropped), lower
 * case, and the path without a trailing slash. `new URL` already lower-cases scheme and host and drops
 * default ports; the path is kept because two programs may one day sit under one origin.
 */
export function normaliseHostUrl(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.host}${path}`;
}

/**
 * A membership's id: the program's name for people, and a hash of host and program so that two hosts
 * publishing a program of the same name never share a token file, workspace or outbox. Stable (the
 * same host and program give the same id, so re-joining replaces) and safe as a file name on every OS.
 */
export function membershipId(url: string, program: string): string {
  const hash = createHash('sha256').update(`${normaliseHostUrl(url)}\n${program}`).digest('hex').slice(0, 10);
  const readable = program.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64) || 'program';
  return `${readable}-${hash}`;
}

/** `host[:port]` of a URL, as a person would type it after `name@`. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
