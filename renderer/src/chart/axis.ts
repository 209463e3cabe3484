/** The chart's scales and tick labels. */

/** A little room above and below the data; a single value gets a band around it, not [0, 2v]. */
export function padRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const pad = min === max ? Math.abs(min) * 0.02 || 1 : (max - min) * 0.1;
  return [min - pad, max + pad];
}

/** Room on each side of a time range (ms), so the first and last points are not on the frame. */
export function padTime(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  // One result alone: a second either side.
  const pad = min === max ? 1000 : (max - min) * 0.03;
  return [min - pad, max + pad];
}

/** Tick labels with as many decimals as the step needs (0.0049, 0.0050, … not 0.005 six times). */
export function tickLabels(splits: number[], incr: number): string[] {
  let decimals = 0;
  while (decimals < 10 && Math.abs(Number(incr.toFixed(decimals)) - incr) > incr * 1e-6) decimals++;
  return splits.map((v) => v.toFixed(decimals));
}

/** A moment on the chart, to the second, or to the millisecond when a range is that short. */
export function chartTime(ms: number, spanMs = Infinity): string {
  const d = new Date(ms);
  if (spanMs >= 60_000) return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });
}
