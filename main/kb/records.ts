import type { Champion, Member, ResultRecord } from '../../protocol/index.ts';
import type { MemberRow, ResultRow } from '../store/kb-store.ts';

/** Store rows → wire shapes. Names are self-declared by members and shown as such. */

export const iso = (ms: number): string => new Date(ms).toISOString();

export function toResultRecord(r: ResultRow, memberName: string): ResultRecord {
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
    patch: r.patch,
    parent: r.parent,
    code_hash: r.codeHash,
    output: r.output,
    hardware: r.hardware,
    durations: r.durations,
    created_at: iso(r.createdAt),
  };
}

export function toChampion(r: ResultRow, memberName: string): Champion {
  return {
    id: r.id,
    member: r.memberId,
    member_name: memberName,
    value: r.value ?? Number.NaN,
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
