import { describe, expect, it } from 'vitest';
import type { Member } from '../protocol/index.ts';
import { membersTable, usageText } from './commands/owner.ts';

const member: Member = {
  id: 'm_1',
  name: 'mallory',
  hostname: 'box',
  os: 'linux',
  gpu: 'H100',
  app_version: '0.1.0',
  ip: '10.0.0.1',
  joined_at: new Date(0).toISOString(),
  revoked_at: null,
};

describe('cohort members: quota use', () => {
  it('shows each member’s storage against its limit and which limit it is at', () => {
    const full = { ...member, usage: { results: 9, stored_bytes: 1024 * 1024, storage_limit_bytes: 1024 * 1024, submissions_per_hour: 600, at_limit: 'storage' as const } };
    const fast = { ...member, id: 'm_2', usage: { results: 1, stored_bytes: 1536 * 1024, storage_limit_bytes: 512 * 1024 * 1024, submissions_per_hour: 6, at_limit: 'rate' as const } };
    expect(usageText(full)).toBe('1 / 1 MiB AT STORAGE LIMIT');
    expect(usageText(fast)).toBe('1.5 / 512 MiB AT RATE LIMIT (6/h)');
    expect(usageText(member)).toBe('—');
    const out = membersTable([full, fast]);
    expect(out).toContain('STORED');
    expect(out).toContain('AT STORAGE LIMIT');
  });
});
