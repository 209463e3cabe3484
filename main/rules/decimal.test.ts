import { describe, expect, it } from 'vitest';
import { formatScaled, roundImpact, toScaledInteger } from './decimal.ts';

describe('decimal helpers', () => {
  it('roundImpact drops float noise and never returns -0', () => {
    expect(roundImpact(3.0 - 2.192544)).toBe(0.807456);
    expect(roundImpact(0.1 + 0.2)).toBe(0.3);
    expect(Object.is(roundImpact(-1e-15), 0)).toBe(true);
    expect(roundImpact(12345.678901234567)).toBe(12345.678901234567);
  });

  it('toScaledInteger reads the decimal string, exponents included, rounding half away from zero', () => {
    expect(toScaledInteger(1234.5678, 6)).toBe(1234567800n);
    expect(toScaledInteger(0.000001, 6)).toBe(1n);
    expect(toScaledInteger(1e-7, 6)).toBe(0n);
    expect(toScaledInteger(5e-7, 6)).toBe(1n);
    expect(toScaledInteger(1.5e21, 6)).toBe(1500000000000000000000000000n);
    expect(toScaledInteger(0.807456, 12)).toBe(807456000000n);
    expect(toScaledInteger(-2.5, 0)).toBe(-3n);
    expect(() => toScaledInteger(Number.NaN, 6)).toThrow(RangeError);
  });

  it('formatScaled pads to the given places', () => {
    expect(formatScaled(5n, 3)).toBe('0.005');
    expect(formatScaled(-5n, 3)).toBe('-0.005');
    expect(formatScaled(42n, 0)).toBe('42');
  });
});
