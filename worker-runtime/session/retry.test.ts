import { describe, expect, it } from 'vitest';
import { HostUnavailableError, NotAMemberError, RejectedError } from '../member-client.ts';
import { retryDelay, retrying } from './retry.ts';

const policy = { baseDelayMs: 1, maxDelayMs: 4 };

/** A call that fails with each of `errors` in turn, then answers 'ok'. */
function failing(...errors: Error[]) {
  let calls = 0;
  const call = () => {
    calls += 1;
    const err = errors.shift();
    return err ? Promise.reject(err) : Promise.resolve('ok');
  };
  return { call, calls: () => calls };
}

describe('retrying', () => {
  it('tries again while the host is unavailable, reporting each wait', async () => {
    const f = failing(new HostUnavailableError('down'), new HostUnavailableError('still down'));
    const retries: { attempt: number; reason: string }[] = [];
    expect(await retrying(f.call, { policy, onRetry: (r) => retries.push({ attempt: r.attempt, reason: r.reason }) })).toBe('ok');
    expect(retries).toEqual([{ attempt: 1, reason: 'down' }, { attempt: 2, reason: 'still down' }]);
  });

  it('waits at least what the host asked (Retry-After), but never longer than the policy\'s longest wait', async () => {
    const delays: number[] = [];
    const f = failing(new HostUnavailableError('busy', 30), new HostUnavailableError('busy', 60_000));
    await retrying(f.call, { policy: { baseDelayMs: 1, maxDelayMs: 40 }, onRetry: (r) => delays.push(r.delayMs) });
    expect(delays[0]).toBe(30);
    expect(delays[1]).toBe(40);
  });

  it('does not retry a refusal or a revoked membership', async () => {
    for (const err of [new NotAMemberError('revoked'), new RejectedError('bad_request', 'no'), new Error('bug')]) {
      const f = failing(err);
      await expect(retrying(f.call, { policy })).rejects.toBe(err);
      expect(f.calls()).toBe(1);
    }
  });

  it('stops waiting when stopped, with the last error', async () => {
    const controller = new AbortController();
    const down = new HostUnavailableError('down');
    const waiting = retrying(() => Promise.reject(down), { policy: { baseDelayMs: 60_000, maxDelayMs: 60_000 }, signal: controller.signal, onRetry: () => controller.abort() });
    await expect(waiting).rejects.toBe(down);
  });

  it('doubles the delay up to the cap, with ±25 % jitter', () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(p, n, () => 0.5))).toEqual([100, 200, 400, 800, 1_000]);
    expect(retryDelay(p, 1, () => 0)).toBe(75);
    expect(retryDelay(p, 1, () => 1)).toBe(125);
  });
});
