import type { Champion, Member, RerunRecord, ResultRecord, ResultSummary, SummaryRow, VerificationState } from '../../protocol/index.ts';
import type { MemberRow, ResultRow, ResultSummaryRow } from '../store/kb-store.ts';

/** Store rows → wire shapes. Names are self-declared by members and shown as such. */

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A claim's verification as the fold last gave it (docs/design.md, "Verified champions"). */
export interface ClaimView {
  verification: VerificationState;
  effective: number | null;
  reruns: RerunRecord[];
}

/** The record less `patch` and `output`; `claim` absent: not a claim (its effective value is its value). */
export function toResultSummary(r: Omit<ResultRow, 'patch' | 'output'>, memberName: string, claim?: ClaimView): ResultSummary {
  return {
    id: r.id,
    seq: r.seq,
    member: r.memberId,
    member_name: memberName,
    value: r.value,
    status: r.status,
    impact: r.impact,
    champion: r.champion,
    duplicate_of: r.duplicateOf,
    reason: r.reason,
    hypothesis: r.hypothesis,
    parent: r.parent,
    code_hash: r.codeHash,
    hardware: r.hardware,
    durations: r.durations,
    created_at: iso(r.createdAt),
    verification: claim?.verification ?? 'none',
    effective_value: claim ? claim.effective : r.value,
    reruns: claim?.reruns ?? [],
  };
}

export function toResultRecord(r: ResultRow, memberName: string, claim?: ClaimView): ResultRecord {
  return { ...toResultSummary(r, memberName, claim), patch: r.patch, output: r.output };
}

/** A summary page's row: the summary, with the sizes of what it leaves out. */
export function toSummaryRow(r: ResultSummaryRow, memberName: string, claim?: ClaimView): SummaryRow {
  return { ...toResultSummary(r, memberName, claim), patch_bytes: r.patchBytes, output_bytes: r.outputBytes };
}

/** `claim`: its verification, and the effective value to beat (the stored value otherwise). */
export function toChampion(r: ResultRow, memberName: string, claim?: { verification: VerificationState; effective: number | null }): Champion {
  return {
    id: r.id,
    member: r.memberId,
    member_name: memberName,
    value: claim?.effective ?? r.value ?? Number.NaN,
    verification: claim?.verification ?? 'none',
    impact: r.impact,
    hypothesis: r.hypothesis,
    parent: r.parent,
    created_at: iso(r.createdAt),
  };
}

export function toMember(m: MemberRow): Member {
  return {
    id: m.id,
    name: m.name,
    hostname: m.hostname,
    os: m.os,
    gpu: m.gpu,
    app_version: m.appVersion,
    ip: m.ip,
    joined_at: iso(m.joinedAt),
    revoked_at: m.revokedAt === null ? null : iso(m.revokedAt),
  };
}
