import * as oidc from 'openid-client';
import { hostname as osHostname } from 'node:os';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { newMembership, saveMembership, WorkerError, type Membership } from './credentials.ts';
import type { Hardware } from './hardware.ts';
import { MemberClient } from './member-client.ts';

export const CLIENT_ID = 'cohort-worker';

export interface JoinCallbacks {
  /** The code to tell the owner, with its lifetime; called once. */
  onCode?: (code: { userCode: string; verificationUri: string; expiresIn: number; expiresAt: number }) => void;
  /** Where the membership was saved; `replaced`: this host's program had been joined before, and its old token is gone. */
  onSaved?: (saved: { file: string; replaced: boolean }) => void;
}

export interface JoinOptions extends JoinCallbacks {
  url: string;
  name?: string;
  hardware: Hardware;
  appVersion: string;
  paths: CohortPaths;
  signal?: AbortSignal;
}

/** Normalises what a person pastes: `host:port`, a trailing slash, a path. */
export function programUrl(input: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new WorkerError(`"${input}" is not a URL; use the one \`cohort publish\` printed, e.g. https://words.trycloudflare.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WorkerError(`"${input}" must be an http(s) URL.`);
  return url.origin;
}

/** A join that did not end in membership, and why (so a UI can say more than the message). */
export class JoinError extends WorkerError {
  override name = 'JoinError';
  readonly reason: 'denied' | 'expired' | 'cancelled' | 'failed';

  constructor(reason: JoinError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Why a device-flow poll ended, in words a person can act on (RFC 8628 §3.5 error codes). */
function explain(err: unknown): JoinError {
  const code = (err as { error?: string }).error;
  if (code === 'access_denied') return new JoinError('denied', 'The owner denied this join request.');
  if (code === 'expired_token') return new JoinError('expired', 'The join request expired before the owner approved it; ask to join again.');
  if ((err as Error).name === 'AbortError') return new JoinError('cancelled', 'Join cancelled.');
  return new JoinError('failed', `Joining failed: ${(err as Error).message}`);
}

/**
 * RFC 8628 login with any standard client (openid-client): discovery, device authorization with the
 * worker's details, then polling at the interval the host sets until the owner decides. The token
 * is saved per membership (host and program, mode 0600) so a restart needs no new approval; joining
 * the same host's program again replaces that membership, another host's program of the same name
 * is a second one.
 */
export async function join(opts: JoinOptions): Promise<Membership> {
  const base = programUrl(opts.url);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(new URL(base), CLIENT_ID, undefined, oidc.None(), {
      algorithm: 'oauth2',
      // Loopback and LAN hosts have no TLS; the tunnel URL is https.
      ...(base.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 15,
    });
  } catch (err) {
    throw new WorkerError(`Cannot reach a Cohort program at ${base} (${(err as Error).message}). Check the URL the owner gave you.`);
  }
  const name = opts.name?.trim() || opts.hardware.hostname || osHostname();
  let device: Awaited<ReturnType<typeof oidc.initiateDeviceAuthorization>>;
  try {
    device = await oidc.initiateDeviceAuthorization(config, {
      name,
      hostname: opts.hardware.hostname,
      os: opts.hardware.os,
      gpu: opts.hardware.gpu,
      app_version: opts.appVersion,
    });
  } catch (err) {
    const body = (err as { cause?: { message?: string } }).cause;
    throw new WorkerError(`The host refused the join request: ${body?.message ?? (err as Error).message}`);
  }
  opts.onCode?.({
    userCode: device.user_code,
    verificationUri: device.verification_uri,
    expiresIn: device.expires_in,
    expiresAt: Date.now() + device.expires_in * 1000,
  });
  let tokens: Awaited<ReturnType<typeof oidc.pollDeviceAuthorizationGrant>>;
  try {
    tokens = await oidc.pollDeviceAuthorizationGrant(config, device, undefined, opts.signal ? { signal: opts.signal } : undefined);
  } catch (err) {
    throw explain(err);
  }
  const memberId = typeof tokens.member_id === 'string' ? tokens.member_id : '';
  const task = await new MemberClient(base, tokens.access_token).task();
  const membership = newMembership({
    program: task.program.spec.name,
    url: base,
    token: tokens.access_token,
    memberId,
    name,
    joinedAt: new Date().toISOString(),
  });
  const saved = await saveMembership(opts.paths, membership);
  opts.onSaved?.(saved);
  return membership;
}
