import { stat } from 'node:fs/promises';
import { join as pathJoin } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startTestHost, type TestHost } from '../main/testing/harness.ts';
import { listMemberships, pickMembership } from './credentials.ts';
import type { Hardware } from './hardware.ts';
import { join, programUrl } from './join.ts';
import { membershipId } from './membership-id.ts';
import { MemberClient, NotAMemberError } from './member-client.ts';

const hardware: Hardware = { hostname: 'spark-9', os: 'Linux 6.8', cpu: 'Grace', cpu_count: 20, memory_gb: 128, gpu: 'NVIDIA GB10', gpu_count: 1, gpu_memory_mb: 128000 };

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

/** Plays the owner: approves (or denies) the first request that shows up. */
async function ownerDecides(h: TestHost, verb: 'approve' | 'deny'): Promise<{ name: string; gpu: string; hostname: string }> {
  for (;;) {
    const list = await call<{ requests: { user_code: string; name: string; gpu: string; hostname: string }[] }>(h.ownerUrl, '/api/owner/requests', { token: h.ownerToken });
    const first = list.body.requests[0];
    if (first) {
      await call(h.ownerUrl, `/api/owner/requests/${first.user_code}/${verb}`, { method: 'POST', token: h.ownerToken });
      return first;
    }
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('cohort join (worker side of RFC 8628)', () => {
  it('shows the code, waits for approval, and keeps the token per program with mode 0600', async () => {
    host = await startTestHost({ intervalSeconds: 1 });
    const h = host;
    let shown = '';
    const [membership, seen] = await Promise.all([
      join({ url: h.publicUrl, name: 'ada', hardware, appVersion: '9.9.9', paths: h.home.paths, onCode: (c) => (shown = c.userCode) }),
      ownerDecides(h, 'approve'),
    ]);
    expect(shown).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(seen).toEqual(expect.objectContaining({ name: 'ada', gpu: 'NVIDIA GB10', hostname: 'spark-9' }));
    expect(membership).toMatchObject({ id: membershipId(h.publicUrl, 'sample'), program: 'sample', url: h.publicUrl, name: 'ada' });
    expect(membership.memberId).toMatch(/^m_/);
    const file = pathJoin(h.home.paths.configDir, 'memberships', `${membership.id}.json`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await pickMembership(h.home.paths)).toEqual(membership);
    expect(await listMemberships(h.home.paths)).toHaveLength(1);
    // The saved token works after a "restart": no new approval needed.
    expect((await new MemberClient(membership.url, membership.token).champion())).toBeNull();
  });

  it('a second host\'s program of the same name is a second membership; joining the same host again replaces its own', async () => {
    host = await startTestHost({ membership: 'open', intervalSeconds: 1 });
    const other = await startTestHost({ membership: 'open', intervalSeconds: 1 });
    try {
      const paths = host.home.paths;
      const saved: boolean[] = [];
      const first = await join({ url: host.publicUrl, name: 'ada', hardware, appVersion: '1', paths, onSaved: (s) => saved.push(s.replaced) });
      const second = await join({ url: other.publicUrl, name: 'ada', hardware, appVersion: '1', paths, onSaved: (s) => saved.push(s.replaced) });
      expect(second.program).toBe(first.program);
      expect(second.id).not.toBe(first.id);
      const again = await join({ url: `${host.publicUrl}/`, name: 'ada', hardware, appVersion: '1', paths, onSaved: (s) => saved.push(s.replaced) });
      expect(again.id).toBe(first.id);
      expect(saved).toEqual([false, false, true]);
      expect((await listMemberships(paths)).map((m) => m.token).sort()).toEqual([second.token, again.token].sort());
      await expect(pickMembership(paths, 'sample')).rejects.toThrow(/joined "sample" at 2 hosts/);
    } finally {
      await other.dispose();
    }
  });

  it('says plainly when the owner denies', async () => {
    host = await startTestHost({ intervalSeconds: 1 });
    const h = host;
    const attempt = join({ url: h.publicUrl, hardware, appVersion: '1', paths: h.home.paths });
    await ownerDecides(h, 'deny');
    await expect(attempt).rejects.toThrow('The owner denied this join request.');
    expect(await listMemberships(h.home.paths)).toHaveLength(0);
  });

  it('says plainly when nothing answers at the URL', async () => {
    host = await startTestHost();
    const url = host.publicUrl;
    await host.dispose();
    host = undefined;
    await expect(join({ url, hardware, appVersion: '1', paths: { configDir: '/nonexistent', dataDir: '/nonexistent' } })).rejects.toThrow(/Cannot reach a Cohort program at/);
  });

  it('a revoked member gets a clear error from the member API', async () => {
    host = await startTestHost({ membership: 'open', intervalSeconds: 1 });
    const m = await join({ url: host.publicUrl, name: 'eve', hardware, appVersion: '1', paths: host.home.paths });
    await call(host.ownerUrl, `/api/owner/members/${m.memberId}/revoke`, { method: 'POST', token: host.ownerToken });
    await expect(new MemberClient(m.url, m.token).task()).rejects.toSatisfy((e) => e instanceof NotAMemberError && /revoked/.test((e as Error).message));
  });

  it('normalises pasted URLs', () => {
    expect(programUrl('127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(programUrl('https://a-b-c.trycloudflare.com/some/path')).toBe('https://a-b-c.trycloudflare.com');
    expect(() => programUrl('ftp://x')).toThrow(/http/);
  });
});
