import * as oidc from 'openid-client';
import { hostname as osHostname } from 'node:os';
import type { CohortPaths } from '../protocol/node/paths.ts';
import { z } from 'zod';
import { listMemberships, newMembership, saveMembership, WorkerError, type Membership } from './credentials.ts';
import { normaliseHostUrl } from './membership-id.ts';
import { gpuFacts, type Hardware } from './hardware.ts';
import { MemberClient } from './member-client.ts';
import { requirementsProblem } from './session/requirements.ts';

export const CLIENT_ID = 'cohort-worker';

export interface JoinCallbacks {
  /** The code to tell the owner, with its lifetime; called once. */
  onCode?: (code: { userCode: string; verificationUri: string; expiresIn: number; expiresAt: number }) => void;
  /** Where the membership was saved; `replaced`: this host's program had been joined before, and its old token is gone. */
  onSaved?: (saved: { file: string; replaced: boolean }) => void;
  /** The program had moved here: an existing membership now points at this URL (no new approval, same member). */
  onRepointed?: (moved: { membership: Membership; from: string }) => void;
  /** Approved, but this machine does not meet the program's `requires`: it will refuse to run (the sentence says why). */
  onRequirementsNotMet?: (message: string) => void;
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
  const moved = await repoint(opts.paths, base);
  if (moved !== null) {
    opts.onRepointed?.(moved);
    return moved.membership;
  }
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
      // For the owner's "meets requires" (protocol/oauth.ts); form values are strings.
      gpu_model: gpuFacts(opts.hardware).gpu_model,
      gpu_count: String(opts.hardware.gpu_count),
      gpu_memory_mb: String(opts.hardware.gpu_memory_mb),
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
  // A membership re-pointed here earlier keeps its id (and folders) when joined again.
  const here = (await listMemberships(opts.paths)).find((m) => m.program === task.program.spec.name && sameUrl(m.url, base));
  const membership = newMembership({
    ...(here?.origin !== undefined ? { origin: here.origin } : {}),
    program: task.program.spec.name,
    url: base,
    token: tokens.access_token,
    memberId,
    name,
    joinedAt: new Date().toISOString(),
  });
  const saved = await saveMembership(opts.paths, membership);
  opts.onSaved?.(saved);
  // The owner may approve a machine that does not qualify; say so now rather than at the first run.
  const problem = requirementsProblem(task.program.spec, opts.hardware);
  if (problem !== null) opts.onRequirementsNotMet?.(problem.message);
  return membership;
}

const sameUrl = (a: string, b: string) => normaliseHostUrl(a) === normaliseHostUrl(b);

const Health = z.object({ program: z.string() });

/**
 * Re-pointing (issue 11, item 4): when the program at `base` is one this machine is a member of at
 * another URL, and the host there recognises that membership's token (`GET /api/me`: the owner moved
 * the program, its KB and members with it), the membership now points at `base`. Its id, token,
 * member id, folders and outbox stay, so there is no new approval and no second member. Null when
 * no membership fits: the caller asks to join as usual.
 */
export async function repoint(paths: CohortPaths, base: string): Promise<{ membership: Membership; from: string } | null> {
  const elsewhere = (await listMemberships(paths)).filter((m) => !sameUrl(m.url, base));
  if (elsewhere.length === 0) return null;
  let program: string;
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
    const health = Health.safeParse(await res.json());
    if (!health.success) return null;
    program = health.data.program;
  } catch {
    return null; // the join that follows says the host cannot be reached
  }
  for (const m of elsewhere.filter((x) => x.program === program)) {
    try {
      const me = await new MemberClient(base, m.token).me();
      if (me.program !== m.program || (m.memberId !== '' && me.member !== m.memberId)) continue;
      const membership: Membership = { ...m, url: base, origin: m.origin ?? m.url, memberId: me.member };
      await saveMembership(paths, membership);
      return { membership, from: m.url };
    } catch {
      // not this host's member (403), or it did not answer: try the next, then join as usual
    }
  }
  return null;
}
