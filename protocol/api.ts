import { z } from 'zod';
import { ProgramFile, ProgramInfo } from './task.ts';
import { ResultSummary, StatusCounts, VerificationState } from './results.ts';
import { TunnelStatus } from './tunnel.ts';

/** The champion: the best accepted result so far, with the editable files it carries. */
export const Champion = z.object({
  id: z.string(),
  member: z.string(),
  member_name: z.string(),
  /** The value to beat: the champion's effective value (its claim until a re-run reproduced it at a worse one). */
  value: z.number(),
  impact: z.number(),
  hypothesis: z.string(),
  parent: z.string().nullable(),
  created_at: z.string(),
  /** Its claim's verification (docs/design.md, "Verified champions"); absent from older hosts. */
  verification: VerificationState.default('none'),
});
export type Champion = z.infer<typeof Champion>;

export const ChampionResponse = z.object({ champion: Champion.nullable() });
export type ChampionResponse = z.infer<typeof ChampionResponse>;

/** GET /api/task: what a member needs to start an experiment. */
export const TaskResponse = z.object({
  program: ProgramInfo,
  champion: Champion.nullable(),
  /** The program's files with the champion's editable files applied. */
  files: z.array(ProgramFile),
  /**
   * The program's editable files as its owner published them: the code a worker preflights while
   * the champion is a pending claim (worker-runtime/session/preflight.ts). Absent from older hosts.
   */
  original: z.array(ProgramFile).optional(),
  /** The reference a challenger must beat (champion value, else baseline), or null. */
  reference: z.number().nullable(),
  /** The host's protocol version (protocol/version.ts); absent from hosts older than it. */
  protocol: z.number().int().optional(),
});
export type TaskResponse = z.infer<typeof TaskResponse>;

/** A member's use of its quotas (TASK.md `quota`), as the owner sees it. */
/**
 * The run-to-run noise the host measured from re-runs (docs/design.md, "Verified champions"): how
 * far re-runs land from the claims they re-ran (absolute), and apart from each other.
 */
export const NoiseReport = z.object({
  reruns: z.number().int(),
  claim_vs_rerun: z.object({ median: z.number(), p90: z.number() }),
  between_reruns: z.object({ claims: z.number().int(), median: z.number() }).nullable(),
  suggested_min_improvement: z.number(),
});
export type NoiseReport = z.infer<typeof NoiseReport>;

export const MemberUsage = z.object({
  results: z.number().int(),
  /** UTF-8 bytes of the patches, outputs and hypotheses of its results. */
  stored_bytes: z.number().int(),
  storage_limit_bytes: z.number().int(),
  submissions_per_hour: z.number().int(),
  /** The limit the member is at now: its storage is full (or its last result was refused for it), or its rate bucket is empty. */
  at_limit: z.enum(['storage', 'rate']).nullable(),
});
export type MemberUsage = z.infer<typeof MemberUsage>;

export const Member = z.object({
  id: z.string(),
  name: z.string(),
  hostname: z.string(),
  os: z.string(),
  gpu: z.string(),
  app_version: z.string(),
  ip: z.string(),
  joined_at: z.string(),
  revoked_at: z.string().nullable(),
  /** On the owner's listings (absent from hosts before quotas). */
  usage: MemberUsage.optional(),
  /** On the owner's listings: the member's claims that re-runs did not reproduce; `flagged` from FLAG_NOT_REPRODUCED on. */
  verification: z.object({ not_reproduced: z.number().int(), flagged: z.boolean() }).optional(),
});
export type Member = z.infer<typeof Member>;

/** The roster as members see it: no addresses of other members. */
export const RosterEntry = z.object({
  id: z.string(),
  name: z.string(),
  gpu: z.string(),
  joined_at: z.string(),
  results: z.number().int(),
  keeps: z.number().int(),
});
export type RosterEntry = z.infer<typeof RosterEntry>;

export const Payout = z.object({
  member: z.string(),
  name: z.string(),
  impact: z.number(),
  /** Exact decimal with 6 places, e.g. "90.782821". */
  amount: z.string().regex(/^\d+\.\d{6}$/),
});
export type Payout = z.infer<typeof Payout>;

export const PayoutsResponse = z.object({
  pool: z.number(),
  token: z.string(),
  split: z.enum(['by-impact', 'champion-takes-all']),
  payouts: z.array(Payout),
});
export type PayoutsResponse = z.infer<typeof PayoutsResponse>;

/**
 * GET /api/status: a summary whose size does not grow with the number of results (docs/design.md,
 * "Listings at scale"); the results themselves are paged by GET /api/results.
 */
export const StatusResponse = z.object({
  program: ProgramInfo,
  champion: Champion.nullable(),
  baseline: z.number().nullable(),
  /** Results in the KB; also the sequence number of the last one (sequence numbers have no gaps). */
  total: z.number().int(),
  counts: StatusCounts,
  /** The best LEADERBOARD_SIZE judged results (kept or discarded) by the program's direction, best first; ties: first submitted. */
  leaderboard: z.array(ResultSummary),
  roster: z.array(RosterEntry),
  /** Earned: only claims that reproduced (or, with verification off, every claim, "unverified"). */
  payouts: z.array(Payout),
  /** What the split would be if every pending claim reproduced (docs/design.md, "Verified champions"). */
  pending_payouts: z.array(Payout).default([]),
  /** Null until re-runs came in (or with verification off). */
  noise: NoiseReport.nullable().default(null),
  pool: z.number(),
  token: z.string(),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/**
 * `GET /api/me`: who a member token belongs to. A worker whose host moved calls it at the new URL
 * with its old token, so re-pointing needs no new approval and makes no second member.
 */
export const MeResponse = z.object({
  member: z.string(),
  name: z.string(),
  program: z.string(),
});
export type MeResponse = z.infer<typeof MeResponse>;

export const JoinRequestStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'consumed']);
export type JoinRequestStatus = z.infer<typeof JoinRequestStatus>;

/** A join request as the owner sees it: everything needed to judge it. */
export const JoinRequest = z.object({
  id: z.string(),
  user_code: z.string(),
  status: JoinRequestStatus,
  name: z.string(),
  hostname: z.string(),
  os: z.string(),
  gpu: z.string(),
  app_version: z.string(),
  client_id: z.string(),
  ip: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  expires_in: z.number().int(),
  member: z.string().nullable(),
  /**
   * Whether the machine meets the program's `requires` (protocol/requirements.ts), by what the
   * worker declares; null when the program has no `requires` (or the host is older).
   */
  requirements: z.object({ ok: z.boolean(), problems: z.array(z.string()) }).nullable().default(null),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export const JoinRequestsResponse = z.object({ requests: z.array(JoinRequest) });
/** The owner denies every pending join request from one address, or one source network (an IPv4 /24, an IPv6 /64, or an address in it). */
/** `block`: also refuse the source's later join requests, until unblocked (main/groupauth/blocked-sources.ts). */
export const DenySourceRequest = z.union([
  z.object({ address: z.string().min(1).max(64), block: z.boolean().optional() }).strict(),
  z.object({ network: z.string().min(1).max(64), block: z.boolean().optional() }).strict(),
]);
export type DenySourceRequest = z.infer<typeof DenySourceRequest>;
/** `source` is the address or network as the host reads it (`203.0.113.0/24`); `denied` what it denied. */
export const DenySourceResponse = z.object({ source: z.string(), denied: z.array(JoinRequest), blocked: z.boolean().default(false) });
export type DenySourceResponse = z.infer<typeof DenySourceResponse>;
/** A blocked address or network, and since when (ISO time). */
export const BlockedSource = z.object({ source: z.string(), at: z.string() });
export type BlockedSource = z.infer<typeof BlockedSource>;
export const BlockedSourcesResponse = z.object({ blocked: z.array(BlockedSource) });
export type BlockedSourcesResponse = z.infer<typeof BlockedSourcesResponse>;
export const UnblockRequest = z.object({ source: z.string().min(1).max(64) }).strict();
export type UnblockRequest = z.infer<typeof UnblockRequest>;
export const UnblockResponse = z.object({ source: z.string(), removed: z.boolean() });
export type UnblockResponse = z.infer<typeof UnblockResponse>;
export const MembersResponse = z.object({ members: z.array(Member) });
/** POST /api/owner/verifications/:id/requeue: `released` names the member whose lease was dropped. */
export const RequeueResponse = z.object({ claim: z.string(), released: z.string().nullable() });
export type RequeueResponse = z.infer<typeof RequeueResponse>;

export const OwnerStatusResponse = StatusResponse.extend({
  members: z.array(Member),
  requests: z.array(JoinRequest),
  /** The tunnel URL while the tunnel is up, else the public listener's own URL. */
  public_url: z.string(),
  /** The URL members used at the last start, when it differs from `public_url`: they must re-point (`cohort join public_url`). */
  previous_public_url: z.string().nullable().default(null),
  join_command: z.string(),
  tunnel: TunnelStatus,
  /**
   * The membership mode in force: TASK.md's `membership`, or the override the host was started
   * with (`cohort publish --membership open`). `open`: join requests are approved as they come.
   */
  membership: z.enum(['invite', 'open']).default('invite'),
});
export type OwnerStatusResponse = z.infer<typeof OwnerStatusResponse>;
