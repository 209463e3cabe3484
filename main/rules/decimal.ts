/**
 * Decimal helpers for the KB rules. Metric values arrive as JavaScript numbers (binary floats),
 * but people read and write them as decimals; these helpers keep the two views consistent.
 */

/**
 * Impacts are rounded to this many decimal places. Why: a float difference such as
 * 3.0 − 2.192544 is 0.8074560000000001, and that noise would show up in the UI, in payouts and in
 * "equal to min_improvement" comparisons. Twelve places keep every digit a metric realistically
 * carries (values are typically reported with ≤ 8 decimals) while dropping the float noise, which
 * sits around the 16th significant digit. Limitation: improvements smaller than 5e-13 round to 0.
 */
export const IMPACT_DECIMALS = 12;

/** `x` rounded to IMPACT_DECIMALS places, via its exact decimal expansion; never returns -0. */
export function roundImpact(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Number(x.toFixed(IMPACT_DECIMALS));
  return r === 0 ? 0 : r;
}

const NUMBER_STRING = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/**
 * `x × 10^places` as an exact integer, rounded half away from zero. Works from the number's
 * shortest decimal string (what `String(x)` prints), so 1234.5678 at 6 places is exactly
 * 1234567800n, not whatever 1234.5678 * 1e6 happens to be in binary.
 */
export function toScaledInteger(x: number, places: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const m = NUMBER_STRING.exec(String(x));
  if (!m) throw new RangeError(`cannot read ${x} as a decimal`);
  const [, sign = '', int = '0', frac = '', exp = '0'] = m;
  const digits = BigInt(int + frac);
  const shift = Number(exp) - frac.length + places;
  let scaled: bigint;
  if (shift >= 0) {
    scaled = digits * 10n ** BigInt(shift);
  } else {
    const d = 10n ** BigInt(-shift);
    scaled = digits / d;
    if ((digits % d) * 2n >= d) scaled += 1n;
  }
  return sign === '-' ? -scaled : scaled;
}

/** An integer in units of 10^-places as a plain decimal string with exactly `places` digits. */
export function formatScaled(v: bigint, places: number): string {
  const negative = v < 0n;
  const abs = (negative ? -v : v).toString().padStart(places + 1, '0');
  const int = abs.slice(0, abs.length - places);
  const frac = abs.slice(abs.length - places);
  return `${negative ? '-' : ''}${int}${places > 0 ? `.${frac}` : ''}`;
}
