import { afterEach, describe, expect, it } from 'vitest';
import type { KbEvent } from '../../protocol/index.ts';
import { call, joinMember, lrPatch, sampleProgram, startTestHost, TRAIN_PY, type TestHost } from '../testing/harness.ts';

type Verdict = { result: { id: string; member: string; value: number | null; status: string; impact: number; champion: boolean; duplicate_of: string | null; reason: string } };

let host: TestHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

function submit(h: TestHost, token: string, body: Record<string, unknown>) {
  return call<Verdict & { error?: string; message?: string }>(h.publicUrl, '/api/results', { token, json: body });
}

describe('POST /api/results', () => {
  it('judges by beats-champion: first sets the baseline, better is champion, worse is discarded, same code is a duplicate', async () => {
    host = await startTestHost();
    const ada = await joinMember(host, 'ada');
    const bob = await joinMember(host, 'bob');

    const first = await submit(host, ada.token, { value: 3.0, hypothesis: 'baseline', patch: '' });
    expect(first.status).toBe(201);
    expect(first.body.result).toMatchObject({ id: 'r1', member: ada.memberId, status: 'keep', champion: true, impact: 0 });

    const better = await submit(host, bob.token, { value: 2.5, hypothesis: 'lower lr', patch: lrPatch('0.005'), parent: 'r1' });
    expect(better.body.result).toMatchObject({ status: 'keep', champion: true, impact: 0.5, member: bob.memberId });

    const worse = await submit(host, ada.token, { value: 2.7, hypothesis: 'higher lr', patch: lrPatch('0.02'), parent: 'r1' });
    expect(worse.body.result).toMatchObject({ status: 'discard', champion: false, impact: 0 });

    // Same code as r2 (same patch from the same parent) → duplicate naming r2, even with a better value.
    const dup = await submit(host, ada.token, { value: 1.0, patch: lrPatch('0.005'), parent: 'r1' });
    expect(dup.body.result).toMatchObject({ status: 'duplicate', champion: false, duplicate_of: 'r2' });

    // An empty patch on top of the champion is the champion's code: a duplicate too.
    const same = await submit(host, bob.token, { value: 2.4, patch: '', parent: 'r2' });
    expect(same.body.result).toMatchObject({ status: 'duplicate', duplicate_of: 'r2' });

    const tie = await submit(host, ada.token, { value: 2.5, patch: lrPatch('0.004', '0.005'), parent: 'r2' });
    expect(tie.body.result).toMatchObject({ status: 'discard', reason: expect.stringMatching(/not better/) });

    const crash = await submit(host, bob.token, { value: null, crashed: true, output: 'Traceback…', patch: lrPatch('9', '0.005'), parent: 'r2' });
    expect(crash.body.result).toMatchObject({ status: 'crash', champion: false, impact: 0, value: null });

    const champ = await call<{ champion: { id: string; value: number; member: string } }>(host.publicUrl, '/api/champion', { token: ada.token });
    expect(champ.body.champion).toMatchObject({ id: 'r2', value: 2.5, member: bob.memberId });

    const task = await call<{ files: { path: string; content: string }[]; reference: number }>(host.publicUrl, '/api/task', { token: ada.token });
    expect(task.body.files.find((f) => f.path === 'train.py')?.content).toContain('LEARNING_RATE = 0.005');
    expect(task.body.reference).toBe(2.5);

    const list = await call<{ results: { id: string; status: string; patch: string; hypothesis: string; created_at: string }[] }>(host.publicUrl, '/api/results', { token: bob.token });
    expect(list.body.results.map((r) => `${r.id}:${r.status}`)).toEqual(['r1:keep', 'r2:keep', 'r3:discard', 'r4:duplicate', 'r5:duplicate', 'r6:discard', 'r7:crash']);
    expect(list.body.results[1]).toMatchObject({ hypothesis: 'lower lr', patch: lrPatch('0.005') });
    const since = await call<{ results: { id: string }[] }>(host.publicUrl, '/api/results?since=5', { token: bob.token });
    expect(since.body.results.map((r) => r.id)).toEqual(['r6', 'r7']);
  });

  it('pays out the worked example of docs/design.md exactly', async () => {
    host = await startTestHost({ program: sampleProgram({ baseline: 3.0, pool: 100 }) });
    const w1 = await joinMember(host, 'w1');
    const w2 = await joinMember(host, 'w2');
    expect((await submit(host, w1.token, { value: 2.192544, patch: lrPatch('0.02') })).body.result.status).toBe('keep');
    expect((await submit(host, w2.token, { value: 2.110563, patch: lrPatch('0.03', '0.02'), parent: 'r1' })).body.result.status).toBe('keep');
    const status = await call<{ payouts: { member: string; name: string; amount: string }[]; champion: { id: string } }>(host.publicUrl, '/api/status', { token: w1.token });
    expect(status.status).toBe(200);
    expect(status.body.champion.id).toBe('r2');
    expect(status.body.payouts).toEqual([
      { member: w1.memberId, name: 'w1', impact: 0.807456, amount: '90.782821' },
      { member: w2.memberId, name: 'w2', impact: 0.081981, amount: '9.217179' },
    ]);
    const csv = await call<string>(host.ownerUrl, '/api/owner/payouts?format=csv', { token: host.ownerToken });
    expect(csv.body).toContain(`${w1.memberId},w1,0.807456,90.782821,OBOL`);
  });

  it('identity comes from the token: a body cannot name another member', async () => {
    host = await startTestHost();
    const ada = await joinMember(host, 'ada');
    const bob = await joinMember(host, 'bob');
    const forged = await submit(host, ada.token, { value: 1, member: bob.memberId });
    expect(forged.status).toBe(400);
    expect(forged.body.error).toBe('invalid_result');
    const ok = await submit(host, ada.token, { value: 1 });
    expect(ok.body.result.member).toBe(ada.memberId);
  });

  it('refuses values that are not finite numbers, and loses nothing already accepted', async () => {
    host = await startTestHost();
    const ada = await joinMember(host, 'ada');
    expect((await submit(host, ada.token, { value: 2 })).status).toBe(201);
    for (const value of ['NaN', 'Infinity', '1.5', true, {}, [1]]) {
      const res = await submit(host, ada.token, { value });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.error).toBe('invalid_result');
      expect(res.body.message).toMatch(/value/);
    }
    // 1e400 is valid JSON that parses to Infinity.
    const inf = await fetch(`${host.publicUrl}/api/results`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
      body: '{"value": 1e400}',
    });
    expect(inf.status).toBe(400);
    expect((await submit(host, ada.token, { value: null })).status).toBe(400);
    const list = await call<{ results: unknown[] }>(host.publicUrl, '/api/results', { token: ada.token });
    expect(list.body.results).toHaveLength(1);
  });

  it('refuses patches outside the editable files, with .. or absolute paths, and patches that do not apply', async () => {
    host = await startTestHost();
    const ada = await joinMember(host, 'ada');
    const touchPrepare = ['--- a/prepare.py', '+++ b/prepare.py', '@@ -1 +1 @@', '-print("fixed")', '+print("hacked")', ''].join('\n');
    const r1 = await submit(host, ada.token, { value: 1, patch: touchPrepare });
    expect(r1.status).toBe(400);
    expect(r1.body).toMatchObject({ error: 'invalid_patch', message: expect.stringMatching(/prepare\.py.*not editable/) });
    const dotdot = touchPrepare.replaceAll('prepare.py', '../etc/passwd');
    expect((await submit(host, ada.token, { value: 1, patch: dotdot })).body.error).toBe('invalid_patch');
    const abs = touchPrepare.replace('--- a/prepare.py', '--- /etc/passwd').replace('+++ b/prepare.py', '+++ /etc/passwd');
    expect((await submit(host, ada.token, { value: 1, patch: abs })).body.error).toBe('invalid_patch');
    const stale = await submit(host, ada.token, { value: 1, patch: lrPatch('0.2', '0.7') });
    expect(stale.body).toMatchObject({ error: 'invalid_patch', message: expect.stringMatching(/does not apply/) });
    const parent = await submit(host, ada.token, { value: 1, parent: 'r99' });
    expect(parent.body.error).toBe('unknown_parent');
    expect(TRAIN_PY).toContain('LEARNING_RATE = 0.01');
  });

  it('an idempotency key makes a retry return the first result instead of a new one', async () => {
    host = await startTestHost();
    const ada = await joinMember(host, 'ada');
    const body = { value: 2, idempotency_key: 'run-1', patch: lrPatch('0.5') };
    const first = await submit(host, ada.token, body);
    const again = await submit(host, ada.token, body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.result.id).toBe(first.body.result.id);
    // Concurrent retries of a fresh key also collapse into one.
    const burst = await Promise.all(Array.from({ length: 5 }, () => submit(host!, ada.token, { ...body, idempotency_key: 'run-2', patch: lrPatch('0.6') })));
    expect(new Set(burst.map((b) => b.body.result.id)).size).toBe(1);
    expect(burst.filter((b) => b.status === 201)).toHaveLength(1);
    const list = await call<{ results: unknown[] }>(host.publicUrl, '/api/results', { token: ada.token });
    expect(list.body.results).toHaveLength(2);
  });

  it('streams result and champion events to the owner over SSE', async () => {
    host = await startTestHost();
    const controller = new AbortController();
    const res = await fetch(`${host.ownerUrl}/api/owner/events?token=${host.ownerToken}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events: KbEvent[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)) as KbEvent);
        }
        if (events.some((e) => e.type === 'champion')) break;
      }
    })();
    const ada = await joinMember(host, 'ada');
    await submit(host, ada.token, { value: 1.5, hypothesis: 'first' });
    await reading;
    controller.abort();
    expect(events.map((e) => e.type)).toEqual(['join-request', 'member-approved', 'member-joined', 'result', 'champion']);
  });
});

describe('threshold programs', () => {
  it('accepts results at least as good as the threshold; champion only when strictly better', async () => {
    host = await startTestHost({ program: sampleProgram({ accept: 'threshold', threshold: 2.0, pool: 10 }) });
    const ada = await joinMember(host, 'ada');
    const bob = await joinMember(host, 'bob');
    expect((await submit(host, ada.token, { value: 2.5 })).body.result).toMatchObject({ status: 'discard', champion: false });
    expect((await submit(host, ada.token, { value: 2.0, patch: lrPatch('0.1') })).body.result).toMatchObject({ status: 'keep', champion: true, impact: 0 });
    expect((await submit(host, bob.token, { value: 1.5, patch: lrPatch('0.2') })).body.result).toMatchObject({ status: 'keep', champion: true, impact: 0.5 });
    expect((await submit(host, ada.token, { value: 1.5, patch: lrPatch('0.3') })).body.result).toMatchObject({ status: 'keep', champion: false, impact: 0.5 });
    expect((await submit(host, ada.token, { value: 1.5, patch: lrPatch('0.4') })).body.result).toMatchObject({ status: 'keep', champion: false, impact: 0.5 });
    const payouts = await call<{ payouts: { name: string; amount: string }[] }>(host.ownerUrl, '/api/owner/payouts', { token: host.ownerToken });
    // Resubmitting passing results does not inflate ada's share: best impact each, 0.5 vs 0.5.
    expect(payouts.body.payouts.map((p) => [p.name, p.amount]).sort()).toEqual([['ada', '5.000000'], ['bob', '5.000000']]);
  });
});
