import { isIP } from 'node:net';
import type { DeviceAuthorizationRequest, DeviceAuthorizationResponse, JoinRequest, Member, OAuthErrorCode } from '../../protocol/index.ts';
import { DEVICE_CODE_GRANT, formatUserCode, normalizeUserCode, OAUTH_ERROR_STATUS } from '../../protocol/index.ts';
import { matchRequirements, type GpuFacts } from '../../protocol/requirements.ts';
import type { RequiresSpec } from '../../protocol/task.ts';
import { ServiceError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { iso, toMember } from '../kb/records.ts';
import type { JoinRequestRow, KbStore, MemberRow } from '../store/kb-store.ts';
import { newDeviceCode, newId, newMemberToken, newUserCode, sha256 } from './codes.ts';
import { BlockedSources, type BlockedSource } from './blocked-sources.ts';
import { abandoned, admit, type AdmissionLimits } from './join-admission.ts';
import { canonicalAddress, networkOf, parseNetwork } from './network.ts';

/** A refusal of an owner or join action. */
export class GroupAuthError extends ServiceError {
  override name = 'GroupAuthError';
}

/**
 * An RFC 8628 §3.5 / RFC 6749 §5.2 error of the device flow's endpoints: an OAuth code (not one of
 * Cohort's), always 400, sent in the RFC's `{error, error_description}` shape. Like the other
 * refusals it is thrown; the OAuth routes' error handler writes it.
 */
export class OAuthFlowError extends Error {
  override name = 'OAuthFlowError';
  readonly code: OAuthErrorCode;
  readonly status = OAUTH_ERROR_STATUS;
  constructor(code: OAuthErrorCode, description: string) {
    super(description);
    this.code = code;
  }
}

/** The pending caps (join-admission.ts) and the lockout of wrong user codes. */
export interface DeviceFlowLimits extends AdmissionLimits {
  /** Failed approve/deny attempts (unknown or wrong codes) allowed per window before a lockout. */
  failedAttempts: number;
  failedWindowMs: number;
}

export const DEFAULT_LIMITS: DeviceFlowLimits = { pendingPerIp: 5, pendingPerNetwork: 20, pendingTotal: 100, failedAttempts: 10, failedWindowMs: 10 * 60_000 };

export interface DeviceFlowOptions {
  store: KbStore;
  bus: EventBus;
  membership: 'invite' | 'open';
  now?: () => number;
  limits?: Partial<DeviceFlowLimits>;
  /** RFC 8628 §3.2 suggests a lifetime; docs/design.md fixes 10 minutes and a 5 s interval. */
  lifetimeSeconds?: number;
  intervalSeconds?: number;
  /** The program's `requires`: each join request shows whether the worker declares a machine that meets it. */
  requires?: RequiresSpec;
}

/** What a poll that ends the flow gets; every other outcome is an OAuthFlowError. */
export interface IssuedToken {
  accessToken: string;
  member: Member;
}

/** Polls a little early are tolerated (timer jitter); faster than this is `slow_down`. */
const POLL_TOLERANCE_MS = 500;

/**
 * Membership by the OAuth 2.0 Device Authorization Grant (RFC 8628). The owner's approval is the
 * membership decision; under `membership: open` a request is approved the moment it is made.
 */
export class DeviceFlow {
  #store: KbStore;
  #bus: EventBus;
  #now: () => number;
  #limits: DeviceFlowLimits;
  #lifetimeMs: number;
  #interval: number;
  #failures: number[] = [];
  #requires: RequiresSpec | undefined;
  /**
   * Members by token hash. Every member request is authenticated, so this saves a query per request;
   * it is safe because this process is the only writer of members (revoke updates it).
   */
  #byToken = new Map<string, MemberRow>();
  /** Read from the KB on first use (blocked-sources.ts). */
  #blocked: Promise<BlockedSources> | null = null;
  membership: 'invite' | 'open';

  constructor(opts: DeviceFlowOptions) {
    this.#store = opts.store;
    this.#bus = opts.bus;
    this.#now = opts.now ?? Date.now;
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.#lifetimeMs = (opts.lifetimeSeconds ?? 600) * 1000;
    this.#interval = opts.intervalSeconds ?? 5;
    this.membership = opts.membership;
    this.#requires = opts.requires;
  }

  /** RFC 8628 §3.1–3.2: a worker asks to join. */
  async authorize(req: DeviceAuthorizationRequest, clientIp: string, verificationUri: string): Promise<DeviceAuthorizationResponse> {
    const now = this.#now();
    const ip = canonicalAddress(clientIp);
    const block = (await this.#blockedSources()).covering(ip);
    if (block !== null) {
      throw new GroupAuthError('forbidden', `The owner of this program does not accept join requests from ${block === ip ? 'your address' : `your network (${block})`}.`);
    }
    const admission = admit(await this.#pending(now), ip, this.#limits);
    if (!admission.admit) {
      const { limit, network } = admission;
      throw new GroupAuthError('too_many_requests', limit === 'address'
        ? `There are already ${this.#limits.pendingPerIp} join requests waiting from your address; wait for the owner to decide, or for them to expire.`
        : limit === 'network'
          ? `There are already ${this.#limits.pendingPerNetwork} join requests waiting from your network (${network}); wait for the owner to decide, or for them to expire.`
          : 'This program has too many join requests waiting; try again in a few minutes.');
    }
    // The total is reached: the largest holder's oldest request gives way. Its worker's next poll
    // gets RFC 8628 §3.5 `expired_token` (the session is over; it may ask again), not
    // `access_denied`, which would claim an owner's decision.
    if (admission.evict !== null) await this.#store.expireJoinRequest(admission.evict.id, now);
    const deviceCode = newDeviceCode();
    const row: JoinRequestRow = {
      id: newId('jr'),
      deviceCodeHash: sha256(deviceCode),
      userCode: await this.#freshUserCode(now),
      status: 'pending',
      clientId: req.client_id,
      name: req.name || req.hostname || 'worker',
      hostname: req.hostname ?? '',
      os: req.os ?? '',
      // The owner sees the GPU that `requires` is matched against, also when only the facts were sent.
      gpu: req.gpu || gpuLine(declaredGpus(req)),
      appVersion: req.app_version ?? '',
      ip,
      createdAt: now,
      expiresAt: now + this.#lifetimeMs,
      interval: this.#interval,
      lastPollAt: null,
      decidedAt: null,
      memberId: null,
      gpuFacts: declaredGpus(req),
    };
    await this.#store.insertJoinRequest(row);
    this.#bus.publish({ type: 'join-request', request: this.#view(row, now) });
    if (this.membership === 'open') await this.#decide(row, 'approved');
    const shown = formatUserCode(row.userCode);
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${shown}`,
      expires_in: Math.floor(this.#lifetimeMs / 1000),
      interval: this.#interval,
    };
  }

  /** A user code not held by another live request (collisions are rare; retry a few times). */
  async #freshUserCode(now: number): Promise<string> {
    for (let i = 0; i < 10; i++) {
      const code = newUserCode();
      const clash = await this.#store.getJoinRequestByUserCode(code);
      if (!clash || clash.expiresAt <= now) return code;
    }
    throw new GroupAuthError('temporarily_unavailable', 'Could not allocate a user code; try again.');
  }

  /**
   * RFC 8628 §3.4–3.5: the worker polls for its token. Every answer but the token is an
   * OAuthFlowError (`authorization_pending` and `slow_down` included, as the RFC sends them as errors).
   */
  /**
   * Pending requests that still hold room under the caps, oldest first. Those whose worker stopped
   * polling (join-admission.ts) are expired on the way, lazily: no timer, and the owner's list drops
   * them too.
   */
  async #pending(now: number): Promise<JoinRequestRow[]> {
    const live: JoinRequestRow[] = [];
    for (const row of await this.#store.listPendingJoinRequests(now)) {
      if (abandoned(row, now)) await this.#store.expireJoinRequest(row.id, now);
      else live.push(row);
    }
    return live;
  }

  async token(grantType: string, deviceCode: string, clientId: string | undefined): Promise<IssuedToken> {
    if (grantType !== DEVICE_CODE_GRANT) {
      throw new OAuthFlowError('unsupported_grant_type', `grant_type must be ${DEVICE_CODE_GRANT}`);
    }
    if (clientId === undefined) throw new OAuthFlowError('invalid_request', 'client_id is required (RFC 8628 §3.4)');
    const row = await this.#store.getJoinRequestByDeviceHash(sha256(deviceCode));
    // RFC 6749 §5.2: an unknown code, or one issued to another client, is invalid_grant.
    if (!row || row.clientId !== clientId) throw new OAuthFlowError('invalid_grant', 'unknown device_code');
    const now = this.#now();
    if (row.status === 'consumed') throw new OAuthFlowError('invalid_grant', 'this device_code was already exchanged for a token');
    if (this.#lapsed(row, now)) throw new OAuthFlowError('expired_token', 'the join request expired; run the join command again');
    if (row.status === 'denied') throw new OAuthFlowError('access_denied', 'the owner denied this join request');
    if (row.status === 'pending') {
      // §3.5: polling faster than the interval is slow_down, and the interval grows by 5 s for good.
      if (row.lastPollAt !== null && now - row.lastPollAt < row.interval * 1000 - POLL_TOLERANCE_MS) {
        await this.#store.recordPoll(row.id, now, row.interval + 5);
        throw new OAuthFlowError('slow_down', `poll at most every ${row.interval + 5} s`);
      }
      await this.#store.recordPoll(row.id, now, row.interval);
      throw new OAuthFlowError('authorization_pending', 'waiting for the owner to approve the join request');
    }
    // Approved: the member is written and the request consumed in one transaction, so two
    // concurrent polls can never both get a token.
    const token = newMemberToken();
    const member: MemberRow = {
      id: newId('m'),
      name: row.name,
      hostname: row.hostname,
      os: row.os,
      gpu: row.gpu,
      appVersion: row.appVersion,
      ip: row.ip,
      tokenHash: sha256(token),
      joinRequestId: row.id,
      joinedAt: now,
      revokedAt: null,
    };
    if (!(await this.#store.consumeJoinRequest(row.id, member))) {
      throw new OAuthFlowError('invalid_grant', 'this device_code was already exchanged for a token');
    }
    const view = toMember(member);
    this.#bus.publish({ type: 'member-joined', member: view });
    return { accessToken: token, member: view };
  }

  /** The owner approves a request by its user code. */
  async approve(userCode: string): Promise<JoinRequest> {
    return this.#decide(await this.#pendingByCode(userCode), 'approved');
  }

  async deny(userCode: string): Promise<JoinRequest> {
    return this.#decide(await this.#pendingByCode(userCode), 'denied');
  }

  async #pendingByCode(input: string): Promise<JoinRequestRow> {
    const now = this.#now();
    this.#failures = this.#failures.filter((t) => now - t < this.#limits.failedWindowMs);
    if (this.#failures.length >= this.#limits.failedAttempts) {
      throw new GroupAuthError('too_many_requests', `Too many wrong user codes; approvals are paused for up to ${Math.ceil(this.#limits.failedWindowMs / 60_000)} minutes.`);
    }
    const code = normalizeUserCode(input);
    const row = code.length === 8 ? await this.#store.getJoinRequestByUserCode(code) : null;
    if (!row) {
      this.#failures.push(now);
      throw new GroupAuthError('not_found', `No join request has the code ${formatUserCode(code) || JSON.stringify(input)}; check it with the worker (codes look like BCDF-GHJK).`);
    }
    if (row.status === 'pending' && this.#lapsed(row, now)) {
      throw new GroupAuthError('expired', `The join request ${formatUserCode(code)} expired; ask the worker to run the join command again.`);
    }
    if (row.status !== 'pending') {
      throw new GroupAuthError('conflict', `The join request ${formatUserCode(code)} was already ${row.status === 'consumed' ? 'approved' : row.status}.`);
    }
    return row;
  }

  async #decide(row: JoinRequestRow, to: 'approved' | 'denied'): Promise<JoinRequest> {
    const now = this.#now();
    if (!(await this.#store.transitionJoinRequest(row.id, 'pending', to, now))) {
      throw new GroupAuthError('conflict', `The join request ${formatUserCode(row.userCode)} was decided already.`);
    }
    const view = this.#view({ ...row, status: to, decidedAt: now }, now);
    this.#bus.publish({ type: to === 'approved' ? 'member-approved' : 'member-denied', request: view });
    return view;
  }

  /**
   * The owner denies every pending request from one address or one source network at once (a
   * flood, or a source they do not trust); each worker's next poll gets `access_denied`. A network
   * is given in CIDR form with Cohort's prefix (`203.0.113.0/24`, `2001:db8::/64`) or as any address in it.
   */
  #blockedSources(): Promise<BlockedSources> {
    this.#blocked ??= BlockedSources.load(this.#store);
    return this.#blocked;
  }

  /** The sources whose join requests are refused (`denyFrom` with `block`), oldest first. */
  async blockedSources(): Promise<BlockedSource[]> {
    return (await this.#blockedSources()).list();
  }

  /** Lifts a block; `source` as listed (an address or a network), or any address of a blocked network. */
  async unblock(source: string): Promise<{ source: string; removed: boolean }> {
    const blocked = await this.#blockedSources();
    const exact = source.includes('/') ? parseNetwork(source) : canonicalAddress(source);
    if (exact === null) throw new GroupAuthError('bad_request', `"${source}" is not an address or a network Cohort blocks: see \`cohort blocked\`.`);
    const label = blocked.list().some((b) => b.source === exact) ? exact : (blocked.covering(exact) ?? exact);
    return { source: label, removed: await blocked.remove(label) };
  }

  async denyFrom(source: { address: string } | { network: string }, opts: { block?: boolean } = {}): Promise<{ source: string; denied: JoinRequest[]; blocked: boolean }> {
    const now = this.#now();
    let match: (row: JoinRequestRow) => boolean;
    let label: string;
    if ('address' in source) {
      const address = canonicalAddress(source.address);
      if (isIP(address) === 0) throw new GroupAuthError('bad_request', `"${source.address}" is not an IP address.`);
      match = (row) => row.ip === address;
      label = address;
    } else {
      const network = parseNetwork(source.network);
      if (network === null) {
        throw new GroupAuthError('bad_request', `"${source.network}" is not a network Cohort groups join requests by: give an IPv4 /24 (203.0.113.0/24), an IPv6 /64 (2001:db8::/64), or an address in one.`);
      }
      match = (row) => networkOf(row.ip) === network;
      label = network;
    }
    const denied: JoinRequest[] = [];
    for (const row of await this.#pending(now)) {
      // One decided by someone else meanwhile is skipped, not an error.
      if (match(row) && (await this.#store.transitionJoinRequest(row.id, 'pending', 'denied', now))) {
        const view = this.#view({ ...row, status: 'denied', decidedAt: now }, now);
        this.#bus.publish({ type: 'member-denied', request: view });
        denied.push(view);
      }
    }
    if (opts.block) {
      await (await this.#blockedSources()).add(label, now).catch((err: unknown) => {
        throw err instanceof RangeError ? new GroupAuthError('conflict', err.message) : err;
      });
    }
    return { source: label, denied, blocked: opts.block === true };
  }

  /** Expired: the lifetime is over, or (still pending) its worker stopped polling. */
  #lapsed(row: JoinRequestRow, now: number): boolean {
    return row.status !== 'consumed' && (now >= row.expiresAt || (row.status === 'pending' && abandoned(row, now)));
  }

  /** Join requests, newest first; by default only those still waiting for the owner. */
  async requests(opts: { all?: boolean } = {}): Promise<JoinRequest[]> {
    const now = this.#now();
    await this.#pending(now);
    const rows = (await this.#store.listJoinRequests()).reverse();
    return rows.map((r) => this.#view(r, now)).filter((r) => opts.all === true || r.status === 'pending');
  }

  #view(r: JoinRequestRow, now: number): JoinRequest {
    const expired = r.status === 'pending' && this.#lapsed(r, now);
    return {
      id: r.id,
      user_code: formatUserCode(r.userCode),
      status: expired ? 'expired' : r.status,
      name: r.name,
      hostname: r.hostname,
      os: r.os,
      gpu: r.gpu,
      app_version: r.appVersion,
      client_id: r.clientId,
      ip: r.ip,
      created_at: iso(r.createdAt),
      expires_at: iso(r.expiresAt),
      expires_in: Math.max(0, Math.floor((r.expiresAt - now) / 1000)),
      member: r.memberId,
      requirements: this.#requirements(r),
    };
  }

  /**
   * Whether the request's machine meets `requires`, by what its worker declares (nothing checks it
   * here; the worker itself refuses to run on a machine that does not). A worker that declared no
   * GPUs (an older Cohort) cannot be said to match.
   */
  #requirements(r: JoinRequestRow): JoinRequest['requirements'] {
    if (this.#requires === undefined) return null;
    if (r.gpuFacts === undefined || r.gpuFacts === null) {
      return { ok: false, problems: ['the worker did not say what GPUs it has (a Cohort older than `requires`); ask them to update Cohort and join again'] };
    }
    return matchRequirements(this.#requires, r.gpuFacts);
  }

  /** The member a bearer token belongs to: the member, `revoked`, or null for an unknown token. */
  async authenticate(token: string): Promise<MemberRow | 'revoked' | null> {
    const hash = sha256(token);
    let member = this.#byToken.get(hash) ?? null;
    if (!member) {
      member = await this.#store.getMemberByTokenHash(hash);
      if (!member) return null;
      this.#byToken.set(hash, member);
    }
    return member.revokedAt === null ? member : 'revoked';
  }

  async members(): Promise<Member[]> {
    return (await this.#store.listMembers()).map(toMember);
  }

  /** Revokes by member id, or by name when exactly one active member has it. */
  async revoke(idOrName: string): Promise<Member> {
    const members = await this.#store.listMembers();
    let target = members.find((m) => m.id === idOrName);
    if (!target) {
      const named = members.filter((m) => m.name === idOrName && m.revokedAt === null);
      if (named.length > 1) {
        throw new GroupAuthError('conflict', `${named.length} members are named "${idOrName}" (${named.map((m) => m.id).join(', ')}); revoke by id.`);
      }
      target = named[0];
    }
    if (!target) throw new GroupAuthError('not_found', `No member has the id or name "${idOrName}"; see the list with \`cohort members\`.`);
    if (target.revokedAt !== null) throw new GroupAuthError('conflict', `Member ${target.id} (${target.name}) is already revoked.`);
    const now = this.#now();
    await this.#store.revokeMember(target.id, now);
    this.#byToken.delete(target.tokenHash);
    const view = toMember({ ...target, revokedAt: now });
    this.#bus.publish({ type: 'member-revoked', member: view });
    return view;
  }
}

/** "2× NVIDIA H100" from declared facts; '' without any. */
function gpuLine(facts: GpuFacts | null): string {
  if (facts === null || facts.gpu_count === 0) return '';
  return `${facts.gpu_count}× ${facts.gpu_model || 'unknown GPU'}`;
}

/** The GPUs a join request declares, or null when it says nothing of them (an older worker). */
function declaredGpus(req: DeviceAuthorizationRequest): GpuFacts | null {
  if (req.gpu_model === undefined && req.gpu_count === undefined && req.gpu_memory_mb === undefined) return null;
  return { gpu_model: req.gpu_model ?? '', gpu_count: req.gpu_count ?? 0, gpu_memory_mb: req.gpu_memory_mb ?? 0 };
}
