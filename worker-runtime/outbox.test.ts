import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHost } from '../main/host.ts';
import { joinMember, sampleProgram, startTestHost, tempHome, type TempHome, type TestHost } from '../main/testing/harness.ts';
import { MemberClient } from './member-client.ts';
import { Outbox } from './outbox.ts';

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

    const outbox = new Outbox(join(home.dir, 'outbox'));
    const key = await outbox.add('sample', { value: 1.25, hypothesis: 'made offline' });
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
      await outbox.add('sample', { value: 1.25, hypothesis: 'made offline', idempotency_key: key });
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
    const touchPrepare = ['--- a/prepare.py', '+++ b/prepare.py', '@@ -1 +1 @@', '-print("fixed")', '+print("x")', ''].join('\n');
    await outbox.add('sample', { value: 1, patch: touchPrepare });
    await outbox.add('sample', { value: 2 });
    const rejected: string[] = [];
    const delivered = await outbox.flush(new MemberClient(host.publicUrl, member.token), { onRejected: (_k, reason) => rejected.push(reason) });
    expect(delivered).toHaveLength(1);
    expect(rejected[0]).toMatch(/invalid_patch: .*prepare\.py.*not editable/);
    const kept = await readdir(join(outbox.dir, 'rejected'));
    expect(kept.some((n) => n.endsWith('.reason.txt'))).toBe(true);
    const reason = await readFile(join(outbox.dir, 'rejected', kept.find((n) => n.endsWith('.reason.txt'))!), 'utf8');
    expect(reason).toMatch(/not editable/);
  });
});
