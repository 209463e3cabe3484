import { afterEach, describe, expect, it } from 'vitest';
import type { Member } from '../../protocol/index.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, type TestHost } from '../testing/harness.ts';
import { DEFAULT_QUOTA, QuotaError, Quotas } from './quotas.ts';

type Submitted = { result?: { id: string; status: string }; error?: string; message?: string };

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

/** A patch that adds a comment line of `size` characters to train.py (unique per `n`). */
function bigPatch(n: number, size: number): string {
  return ['--- a/train.py', '+++ b/train.py', '@@ -1,2 +1,3 @@', ' LEARNING_RATE = 0.01', ' DEPTH = 4', `+# ${n} ${'x'.repeat(size)}`, ''].join('\n');
}

function submit(h: TestHost, token: string, body: Record<string, unknown>) {
  return call<Submitted>(h.publicUrl, '/api/results', { token, json: body });
}

const tally = (storedBytes: number) => ({ results: 1, keeps: 0, weight: 0n, storedBytes, pendingWeight: 0n, notReproduced: 0 });

describe('Quotas', () => {
  it('defaults to limits real programs never meet: 512 MiB stored, 600 submissions an hour in bursts of 100', () => {
    const q = new Quotas(undefined, () => 0);
    expect(DEFAULT_QUOTA).toEqual({ storage_mb: 512, submissions_per_hour: 600 });
    expect([q.storageBytes, q.perHour, q.burst]).toEqual([512 * 1024 * 1024, 600, 100]);
  });

  it('rate: a bucket of ten minutes’ worth, refilled continuously; the refusal says when to retry', () => {
    let now = 0;
    const q = new Quotas({ submissions_per_hour: 60 }, () => now);
    for (let i = 0; i < 10; i++) q.admit('m', undefined, 0);
    let refused: unknown;
    try {
      q.admit('m', undefined, 0);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(QuotaError);
    expect(refused).toMatchObject({ code: 'quota_exceeded', status: 429, limit: 'rate', retryAfterSeconds: 60 });
    expect((refused as Error).message).toMatch(/60 submissions an hour \(quota\.submissions_per_hour: 60, bursts of 10\)\. Retry in 60 s/);
    expect(q.usage('m', undefined).at_limit).toBe('rate');
    // Another member has its own bucket.
    expect(() => q.admit('other', undefined, 0)).not.toThrow();
    now = 60_000;
    expect(() => q.admit('m', undefined, 0)).not.toThrow();
    expect(() => q.admit('m', undefined, 0)).toThrow(QuotaError);
  });

  it('storage: refuses what would pass the limit, names it, and takes no token for the refusal', () => {
    const q = new Quotas({ storage_mb: 1, submissions_per_hour: 6 }, () => 0);
    const mib = 1024 * 1024;
    expect(() => q.admit('m', tally(mib - 10), 11)).toThrow(
      "Over this member's storage quota: it has stored 1.0 MiB of patches, outputs and hypotheses, and this result (0.0 MiB) would pass the program's limit of 1.0 MiB (quota.storage_mb: 1). Results already accepted stay as they are; the owner can raise the limit in TASK.md.",
    );
    expect(q.usage('m', tally(mib - 10))).toEqual({ results: 1, stored_bytes: mib - 10, storage_limit_bytes: mib, submissions_per_hour: 6, at_limit: 'storage' });
    q.admit('m', tally(mib - 10), 10); // exactly at the limit is allowed, and uses the one token (burst 1)
    expect(q.usage('m', tally(mib)).at_limit).toBe('storage');
    expect(() => q.admit('m', tally(0), 0)).toThrow(/submission rate/);
  });
});

describe('quotas over loopback (issue 11: one member storing without bound)', () => {
  it('the bloat attack: refused with 429 quota_exceeded, nothing accepted is touched, others go on, the owner sees who, a restart keeps it', async () => {
    const program = sampleProgram({ quota: { storage_mb: 1 } });
    host = await startTestHost({ program });
    const home = host.home;
    const mallory = await joinMember(host, 'mallory');
    const ada = await joinMember(host, 'ada');

    const accepted: string[] = [];
    let refused: { status: number; body: Submitted } | undefined;
    for (let n = 0; n < 30 && refused === undefined; n++) {
      const res = await submit(host, mallory.token, { value: 3 - n / 100, patch: bigPatch(n, 100_000), output: 'o'.repeat(8000), idempotency_key: `k${n}` });
      if (res.status === 201) accepted.push(res.body.result!.id);
      else refused = res;
    }
    expect(accepted).toHaveLength(9); // 9 × ~108 KB fit in 1 MiB; the 10th would not
    expect(refused?.status).toBe(429);
    expect(refused?.body.error).toBe('quota_exceeded');
    expect(refused?.body.message).toMatch(/^Over this member's storage quota: it has stored 0\.9 MiB of patches, outputs and hypotheses, .* \(quota\.storage_mb: 1\)\. Results already accepted stay as they are; the owner can raise the limit in TASK\.md\.$/);

    // A replay of an accepted key still answers 200 with the earlier result.
    const replay = await submit(host, mallory.token, { value: 3, patch: bigPatch(0, 100_000), output: 'o'.repeat(8000), idempotency_key: 'k0' });
    expect(replay.status).toBe(200);
    expect(replay.body.result?.id).toBe(accepted[0]);

    // Another member keeps submitting and listing; everything accepted before stays.
    const adas = await submit(host, ada.token, { value: 1, patch: lrPatch('0.02') });
    expect(adas.status).toBe(201);
    const list = await call<{ results: { id: string; member: string }[] }>(host.publicUrl, '/api/results', { token: ada.token });
    expect(list.status).toBe(200);
    expect(list.body.results.map((r) => r.id)).toEqual([...accepted, adas.body.result!.id]);
    expect((await call(host.publicUrl, '/api/status', { token: ada.token })).status).toBe(200);

    // The owner sees who is at their limit.
    const owner = await call<{ members: Member[] }>(host.ownerUrl, '/api/owner/members', { token: host.ownerToken });
    const usage = new Map(owner.body.members.map((m) => [m.id, m.usage]));
    expect(usage.get(mallory.memberId)).toMatchObject({ results: 9, storage_limit_bytes: 1024 * 1024, at_limit: 'storage' });
    expect(usage.get(mallory.memberId)!.stored_bytes).toBeGreaterThan(900_000);
    expect(usage.get(ada.memberId)).toMatchObject({ results: 1, at_limit: null });
    const status = await call<{ members: Member[] }>(host.ownerUrl, '/api/owner/status', { token: host.ownerToken });
    expect(status.body.members.find((m) => m.id === mallory.memberId)?.usage?.at_limit).toBe('storage');

    // A restart rebuilds the count from the stored results: still refused, and the same usage.
    const stored = usage.get(mallory.memberId)!.stored_bytes;
    await host.close();
    host = await startTestHost({ program }, home);
    const after = await submit(host, mallory.token, { value: 0.5, patch: bigPatch(99, 100_000) });
    expect(after.status).toBe(429);
    expect(after.body.error).toBe('quota_exceeded');
    const again = await call<{ members: Member[] }>(host.ownerUrl, '/api/owner/members', { token: host.ownerToken });
    expect(again.body.members.find((m) => m.id === mallory.memberId)?.usage).toMatchObject({ stored_bytes: stored, results: 9, at_limit: 'storage' });
    // A small result still fits under the limit.
    expect((await submit(host, mallory.token, { value: 0.5, patch: lrPatch('0.03') })).status).toBe(201);
  });

  it('the rate limit: 429 quota_exceeded with Retry-After; a replay of an accepted key is still 200', async () => {
    host = await startTestHost({ program: sampleProgram({ quota: { submissions_per_hour: 6 } }) });
    const ada = await joinMember(host, 'ada');
    const bob = await joinMember(host, 'bob');
    const first = await submit(host, ada.token, { value: 3, patch: lrPatch('0.02'), idempotency_key: 'a1' });
    expect(first.status).toBe(201);
    const second = await submit(host, ada.token, { value: 2, patch: lrPatch('0.03') });
    expect(second.status).toBe(429);
    expect(second.body.error).toBe('quota_exceeded');
    expect(second.body.message).toMatch(/6 submissions an hour \(quota\.submissions_per_hour: 6, bursts of 1\)\. Retry in \d+ s/);
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect((await submit(host, ada.token, { value: 3, patch: lrPatch('0.02'), idempotency_key: 'a1' })).status).toBe(200);
    expect((await submit(host, bob.token, { value: 2.5, patch: lrPatch('0.04') })).status).toBe(201);
    const owner = await call<{ members: Member[] }>(host.ownerUrl, '/api/owner/members', { token: host.ownerToken });
    expect(owner.body.members.find((m) => m.id === ada.memberId)?.usage?.at_limit).toBe('rate');
  });
});
