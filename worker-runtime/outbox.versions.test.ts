/**
 * The outbox across versions and a busy host (docs/worker.md, "The outbox"): 408, 429 and 5xx are
 * waited out; a refusal is kept and can be resent; an entry a newer worker wrote is still delivered.
 */
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinMember, startTestHost, tempHome, type TempHome, type TestHost } from '../main/testing/harness.ts';
import { PROTOCOL_VERSION } from '../protocol/index.ts';
import { MemberClient, retryAfterMs } from './member-client.ts';
import { membershipId } from './membership-id.ts';
import { Outbox, type OutboxOwner } from './outbox.ts';
import { startHostileHost, type HostileHost } from './testing/hostile-host.ts';

const ownerAt = (url: string): OutboxOwner => ({ id: membershipId(url, 'stub'), url, program: 'stub' });
const FAST = { baseDelayMs: 10, maxDelayMs: 50 };

let stub: HostileHost | undefined;
let host: TestHost | undefined;
let home: TempHome | undefined;
afterEach(async () => {
  await stub?.close();
  await host?.dispose();
  await home?.cleanup();
  stub = host = home = undefined;
});

async function startStub(): Promise<HostileHost> {
  return startHostileHost({ spec: { name: 'stub', objective: 'x', metric: 'loss', direction: 'minimize' }, files: [{ path: 'train.py', content: 'print(1)\n' }] });
}

describe('outbox: a busy host, a refusal, a newer worker', () => {
  it('408, 429 (with Retry-After) and 503 are retried and the result is delivered once; the protocol version rides on every call', async () => {
    stub = await startStub();
    home = await tempHome();
    const answers = [
      { status: 408, body: { error: 'timeout', message: 'too slow' } },
      { status: 429, body: { error: 'quota_exceeded', message: 'later' }, headers: { 'retry-after': '0' } },
      { status: 503, body: { error: 'unavailable', message: 'restarting' } },
    ];
    stub.answerResults((_body, n) => answers[n - 1] ?? null);
    const owner = ownerAt(stub.url);
    const outbox = new Outbox(join(home.dir, 'outbox'), owner);
    await outbox.add(owner, { value: 1.5 });
    const retries: string[] = [];
    const delivered = await outbox.flush(new MemberClient(stub.url, 't'), { ...FAST, onRetry: (r) => retries.push(r.reason) });
    expect(retries.map((r) => /answered (\d+)/.exec(r)?.[1])).toEqual(['408', '429', '503']);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.verdict.value).toBe(1.5);
    expect(stub.submissions).toHaveLength(4);
    expect(new Set(stub.submissions.map((s) => (JSON.parse(s) as { idempotency_key: string }).idempotency_key)).size).toBe(1);
    expect(stub.protocols.every((p) => p === String(PROTOCOL_VERSION))).toBe(true);
    expect(await outbox.list()).toEqual([]);
  });

  it('Retry-After is read as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 5_000).toUTCString(), Date.now())).toBeGreaterThan(3_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('a 400 goes to rejected/ and stays listed; resend delivers it once the host accepts', async () => {
    stub = await startStub();
    home = await tempHome();
    stub.answerResults(() => ({ status: 400, body: { error: 'invalid_result', message: 'The result is invalid: value: too new' } }));
    const owner = ownerAt(stub.url);
    const outbox = new Outbox(join(home.dir, 'outbox'), owner);
    const key = await outbox.add(owner, { value: 2 });
    await outbox.add(owner, { value: 3 });
    const client = new MemberClient(stub.url, 't');
    expect(await outbox.flush(client, FAST)).toEqual([]);
    const listed = await outbox.list();
    expect(listed.map((i) => [i.state, i.value])).toEqual([['rejected', 2], ['rejected', 3]]);
    expect(listed[0]).toMatchObject({ key, reason: 'invalid_result: The result is invalid: value: too new' });

    stub.answerResults(null);
    expect(await outbox.resend(key)).toEqual([key]);
    expect((await outbox.list()).map((i) => i.state)).toEqual(['pending', 'rejected']);
    const delivered = await outbox.flush(client, FAST);
    expect(delivered.map((d) => d.key)).toEqual([key]);
    expect(await outbox.resend()).toHaveLength(1);
    expect(await outbox.flush(client, FAST)).toHaveLength(1);
    expect(await outbox.list()).toEqual([]);
    expect(await readdir(join(outbox.dir, 'rejected'))).toEqual([]);
  });

  it('an entry written by a newer worker (unknown fields in the entry and in its body) is delivered, and the host names what it ignored', async () => {
    host = await startTestHost({ membership: 'open' });
    const ada = await joinMember(host, 'ada');
    const owner: OutboxOwner = { id: membershipId(host.publicUrl, 'sample'), url: host.publicUrl, program: 'sample' };
    const outbox = new Outbox(join(host.home.dir, 'outbox'), owner);
    await mkdir(outbox.dir, { recursive: true });
    await writeFile(join(outbox.dir, '000000000000001-newer.json'), JSON.stringify({
      key: 'newer-key', program: 'sample', url: host.publicUrl, membership: owner.id, createdAt: '2030-01-01T00:00:00.000Z',
      format: 3, attempts: [{ at: 'x' }],
      body: { value: 4.25, hypothesis: 'from the future', idempotency_key: 'newer-key', energy_joules: 9 },
    }));
    const delivered = await outbox.flush(new MemberClient(host.publicUrl, ada.token), FAST);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ key: 'newer-key', verdict: { value: 4.25, status: 'keep' } });
    expect(delivered[0]!.warnings).toEqual([`unknown field "energy_joules" ignored: this host speaks protocol ${PROTOCOL_VERSION}`]);
    expect((await host.kb.results()).map((r) => r.hypothesis)).toEqual(['from the future']);
  });
});
