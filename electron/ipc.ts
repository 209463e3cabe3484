/**
 * The preload bridge's IPC contract: channel names and the zod schemas the main process checks every
 * payload against. Plain TypeScript (no electron import), so it is shared by main and preload.
 */
import { z } from 'zod';

export { CHANNELS } from './channels.ts';

/** Both calls take no arguments; anything else a (compromised) page sends is refused. */
export const NoArgs = z.tuple([]);

export const OwnerTokenReply = z.string().min(1);
export const PickFolderReply = z.string().min(1).nullable();

/** True when `url` is on exactly `allowedOrigin` (scheme, host and port). */
export function isSameOrigin(url: string | undefined | null, allowedOrigin: string): boolean {
  if (!url) return false;
  try {
    return new URL(url).origin === new URL(allowedOrigin).origin;
  } catch {
    return false;
  }
}

/** Links the window may hand to the system browser: http(s) only, never file:, javascript:, custom schemes. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** The CSP for everything the window loads (the owner listener sets the same on the UI it serves). */
export const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** `--program DIR` on the command line, else COHORT_PROGRAM; null means ask with a dialog. */
export function programFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const i = argv.indexOf('--program');
  if (i !== -1 && argv[i + 1]) return argv[i + 1]!;
  const eq = argv.find((a) => a.startsWith('--program='));
  if (eq) return eq.slice('--program='.length) || null;
  return env.COHORT_PROGRAM?.trim() || null;
}
