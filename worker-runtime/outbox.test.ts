import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost } from '../main/host.ts';
import { joinMember, sampleProgram, startTestHost, tempHome, type TempHome, type TestHost } from '../main/testing/harness.ts';
import { MemberClient } from './member-client.ts';
import { membershipId } from './membership-id.ts';
import { Outbox, type OutboxOwner } from './outbox.ts';

const ownerAt = (url: string): OutboxOwner => ({ id: membershipId(url, 'sample'), url, program: 'sample' });

let host: TestHost | undefined;
let home: TempHome | undefined;
afterEach(async () => {
  await host?.dispose();
  await home?.cleanup();
  host = undefined;
  home = undefined;
});

describe('outbox', () => {
  it('a result made while the host is down is delivered once it is back, exactly once', async () => {
    home = await tempHome();
    const program = sampleProgram();
    const first = await startHost({ program, paths: home.paths, membership: 'open', writeState: false });
    const port = Number(new URL(first.publicUrl).port);
    const member = await joinMember(first, 'ada');
    await first.close();

    const outbox = new Outbox(join(home.dir, 'outbox'), ownerAt(first.publicUrl));
    const key = await outbox.add(ownerAt(first.publicUrl), { value: 1.25, hypothesis: 'made offline' });
    // The entry is on disk before anything is sent.
    expect((await readdir(outbox.dir)).filter((n) => n.endsWith('.json'))).toHaveLength(1);

    const client = new MemberClient(first.publicUrl, member.token, { timeoutMs: 2_000 });
    const retries: number[] = [];
    const flushing = outbox.flush(client, { baseDelayMs: 50, maxDelayMs: 200, onRetry: (r) => retries.push(r.attempt) });
    await new Promise((r) => setTimeout(r, 600));
    expect(retries.length).toBeGreaterThan(1);

    const second = await startHost({ program, paths: home.paths, port, writeState: false });
    try {
      const delivered = await flushing;
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({ key, replayed: false, verdict: { status: 'keep', value: 1.25 } });
      expect(await outbox.pending()).toHaveLength(0);

      // The answer got lost and the worker sends again: the idempotency key returns the same result.
      await outbox.add(ownerAt(first.publicUrl), { value: 1.25, hypothesis: 'made offline', idempotency_key: key });
      const again = await outbox.flush(client);
      expect(again[0]).toMatchObject({ replayed: true, verdict: { id: delivered[0]!.verdict.id } });
      expect(await second.kb.results()).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('moves a result the host refuses aside with the reason, and carries on', async () => {
    host = await startTestHost({ membership: 'open' });
    const member = await joinMember(host, 'ada');
    const outbox = new Outbox(join(host.home.dir, 'outbox'));
    const owner = ownerAt(host.publicUrl);
    const touchPrepare = ['--- a/prepare.py', '+++ b/prepare.py', '@@ -1 +1 @@', '-print("fixed")', '+print("x")', ''].join('\n');
    await outbox.add(owner, { value: 1, patch: touchPrepare });
    await outbox.add(owner, { value: 2 });
    const rejected: string[] = [];
    const delivered = await outbox.flush(new MemberClient(host.publicUrl, member.token), { onRejected: (_k, reason) => rejected.push(reason) });
    expect(delivered).toHaveLength(1);
    expect(rejected[0]).toMatch(/invalid_patch: .*prepare\.py.*not editable/);
    const kept = await readdir(join(outbox.dir, 'rejected'));
    expect(kept.some((n) => n.endsWith('.reason.txt'))).toBe(true);
    const reason = await readFile(join(outbox.dir, 'rejected', kept.find((n) => n.endsWith('.reason.txt'))!), 'utf8');
    expect(reason).toMatch(/not editable/);
  });

  it('an entry that is not JSON (or not a result) is moved aside with a reason naming it, and the others are still delivered', async () => {
    host = await startTestHost({ membership: 'open' });
    const member = await joinMember(host, 'ada');
    const owner = ownerAt(host.publicUrl);
    const outbox = new Outbox(join(host.home.dir, 'outbox'), owner);
    await outbox.add(owner, { value: 3 });
    // Sorted first, so the old code stopped before delivering anything: JSON.parse threw a SyntaxError.
    const cut = join(outbox.dir, '000000000000000-cut.json');
    await writeFile(cut, '{"key": "k", "program": "sam');
    const wrongShape = join(outbox.dir, '000000000000001-shape.json');
    await writeFile(wrongShape, '{"key": 1}');
    await outbox.add(owner, { value: 2 });
    expect(await outbox.pending()).toHaveLength(2); // reading never throws

    const rejected: { key: string; reason: string; movedTo: string }[] = [];
    const delivered = await outbox.flush(new MemberClient(host.publicUrl, member.token), { onRejected: (key, reason, movedTo) => rejected.push({ key, reason, movedTo }) });
    expect(delivered.map((d) => d.verdict.value)).toEqual([3, 2]);
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatchObject({ key: '000000000000000-cut.json', movedTo: join(outbox.dir, 'rejected', '000000000000000-cut.json') });
    expect(rejected[0]!.reason).toMatch(/^corrupt: the outbox entry .*000000000000000-cut\.json is not valid JSON/);
    expect(rejected[1]!.reason).toMatch(/shape\.json is not a Cohort result \(key: /);
    expect(await readFile(join(outbox.dir, 'rejected', '000000000000000-cut.json.reason.txt'), 'utf8')).toContain('not valid JSON');
    expect(await outbox.pending()).toHaveLength(0);
  });

  it('a result is sent only to the host it was made for; an entry from before memberships had ids goes to the folder\'s host', async () => {
    host = await startTestHost({ membership: 'open' });
    const member = await joinMember(host, 'ada');
    const owner = ownerAt(host.publicUrl);
    const outbox = new Outbox(join(host.home.dir, 'outbox'), owner);
    await outbox.add(ownerAt('https://other.example'), { value: 5 });
    await outbox.add({ ...owner, id: 'sample-0000000000' }, { value: 6 });
    // As an older Cohort wrote it: no url, no membership.
    await writeFile(join(outbox.dir, '999999999999999-old.json'), JSON.stringify({ key: 'old-key', program: 'sample', createdAt: 'x', body: { value: 7, idempotency_key: 'old-key' } }));

    const reasons: string[] = [];
    const delivered = await outbox.flush(new MemberClient(host.publicUrl, member.token), { onRejected: (_k, reason) => reasons.push(reason) });
    expect(delivered.map((d) => d.verdict.value)).toEqual([7]);
    expect(reasons[0]).toMatch(/^wrong_host: this result was made for sample-[0-9a-f]{10} at https:\/\/other\.example, not for http:\/\/127\.0\.0\.1:\d+; it was not sent/);
    expect(reasons[1]).toMatch(/^wrong_membership: .* not for sample-[0-9a-f]{10}; it was not sent/);
    expect((await host.kb.results()).map((r) => r.value)).toEqual([7]);
  });

  it('moves a bad entry aside even when nobody listens for rejections (it used to stay and block each flush)', async () => {
    home = await tempHome();
    const outbox = new Outbox(join(home.dir, 'outbox'));
    await mkdir(outbox.dir, { recursive: true });
    await writeFile(join(outbox.dir, '000000000000000-cut.json'), '{');
    expect(await outbox.flush(new MemberClient('http://127.0.0.1:9', 'token'))).toEqual([]);
    expect(await readdir(join(outbox.dir, 'rejected'))).toEqual(['000000000000000-cut.json', '000000000000000-cut.json.reason.txt']);
  });
});
