import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMEOUT_MS, setLongTimeout } from './long-timeout.ts';

afterEach(() => vi.useRealTimers());

describe('setLongTimeout', () => {
  it('fires after a delay longer than setTimeout holds, not before', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 2 * MAX_TIMEOUT_MS + 5);
    vi.advanceTimersByTime(2 * MAX_TIMEOUT_MS + 4);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('can be cancelled at any step', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const cancel = setLongTimeout(fired, MAX_TIMEOUT_MS + 10);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 1);
    cancel();
    vi.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});
