import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from './backoff.ts';

describe('restart backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const b = new Backoff({ initialMs: 100, factor: 2, maxMs: 1_000 });
    expect(Array.from({ length: 7 }, () => b.next(0))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(b.failures).toBe(7);
  });

  it('starts over after a tunnel that stayed up for stableMs, not after a short one', () => {
    const b = new Backoff({ initialMs: 100, factor: 3, maxMs: 10_000, stableMs: 5_000 });
    expect([b.next(0), b.next(4_999), b.next(0)]).toEqual([100, 300, 900]);
    expect(b.next(5_000)).toBe(100);
    expect(b.next(0)).toBe(300);
  });

  it('defaults to 1 s doubling up to a minute', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 1_000, factor: 2, maxMs: 60_000, stableMs: 60_000 });
    const b = new Backoff();
    expect([b.next(0), b.next(0), b.next(0)]).toEqual([1_000, 2_000, 4_000]);
  });

  it('refuses timings that make no sense', () => {
    expect(() => new Backoff({ factor: 0.5 })).toThrow(/factor ≥ 1/);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});
