import { afterEach, describe, expect, it } from 'vitest';
import { call, joinMember, startTestHost, type TestHost } from '../../testing/harness.ts';
import { SearchBudget } from './search-budget.ts';

describe('SearchBudget', () => {
  it('gives each member a burst, then a steady rate, and says how long to wait', () => {
    let now = 0;
    const budget = new SearchBudget({ perSecond: 2, burst: 3, now: () => now });
    expect([budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([null, null, null]);
    expect(budget.take('a')).toBe(1);
    expect(budget.take('b')).toBeNull(); // another member's bucket is its own
    now += 500; // half a second: one search back
    expect(budget.take('a')).toBeNull();
    expect(budget.take('a')).toBe(1);
  });
});

describe('searched pages of the member API', () => {
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.dispose();
    host = undefined;
  });

  it('a member repeating searches is slowed with 429 and Retry-After; plain pages are not', async () => {
    host = await startTestHost();
    const { token } = await joinMember(host, 'mallory');
    const statuses: number[] = [];
    let refused: { status: number; headers: Headers; body: { error?: string; message?: string } } | undefined;
    for (let i = 0; i < 25; i++) {
      const res = await call<{ error?: string; message?: string }>(host.publicUrl, '/api/results?q=zzz', { token });
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused?.body).toMatchObject({ error: 'too_many_requests', message: expect.stringMatching(/^Too many searched pages/) });
    expect((await call(host.publicUrl, '/api/results?limit=5', { token })).status).toBe(200);
  });
});
