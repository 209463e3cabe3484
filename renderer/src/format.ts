import type { TaskSpec } from '../../protocol/index.ts';

/**
 * How every number of one metric is written, so a value reads the same in the leaderboard, the
 * lineage, the champion card, the chart's legend, the rule and the verdict lines.
 *
 * The rule: as many decimals as the program's own values carry (the most among its results, the
 * baseline, the threshold and min_improvement), at most METRIC_MAX_DECIMALS, since autoresearch
 * prints `val_bpb` with 6 and anything past that is float arithmetic (0.1 + 0.2), not measurement.
 * Every value of the metric then has that many, trailing zeros included (0.997900, not 0.9979),
 * so columns line up. A non-zero number too small for those decimals (a noise spread of 0.00004
 * under a 3-decimal metric) is written with 2 significant digits rather than as a false 0; a
 * huge one (≥ 1e9) in 6 significant digits.
 */
export const METRIC_MAX_DECIMALS = 6;

/** The decimals a number is written with in its shortest exact form (2.504 → 3, 1e-7 → 7). */
function decimalsOf(v: number): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return 0;
  const [mantissa = '', exp] = Math.abs(v).toExponential().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exp));
}

/** The decimals of a metric, by the rule above, from the numbers it has. */
export function metricDecimals(values: Iterable<number | null | undefined>): number {
  let most = 0;
  for (const v of values) {
    if (typeof v === 'number') most = Math.max(most, Math.min(METRIC_MAX_DECIMALS, decimalsOf(v)));
    if (most === METRIC_MAX_DECIMALS) break;
  }
  return most;
}

/** A metric's writer: `value` for values and spreads, `impact` for improvements (0 is a dash). */
export interface MetricFormat {
  decimals: number;
  value(v: number | null): string;
  impact(v: number): string;
}

export function metricFormat(decimals: number): MetricFormat {
  const value = (v: number | null): string => {
    if (v === null) return '—';
    const abs = Math.abs(v);
    if (abs >= 1e9) return v.toPrecision(6);
    if (v !== 0 && abs < 0.5 * 10 ** -decimals) return v.toPrecision(2);
    return v.toFixed(decimals);
  };
  return { decimals, value, impact: (v) => (v === 0 ? '—' : `+${value(v)}`) };
}

/** Where no program's values are at hand (the worker view): autoresearch's 6 decimals. */
export const DEFAULT_FORMAT = metricFormat(METRIC_MAX_DECIMALS);

/** A value with the default format; the owner view uses the program's own (useMetricFormat). */
export function formatValue(value: number | null): string {
  return DEFAULT_FORMAT.value(value);
}

/** An impact (directional improvement) with the default format; 0 shows as a dash. */
export function formatImpact(impact: number): string {
  return DEFAULT_FORMAT.impact(impact);
}

export function betterText(direction: TaskSpec['direction']): string {
  return direction === 'minimize' ? 'lower is better' : 'higher is better';
}

/** The keep rule in words, e.g. "beats the champion by more than 0.000100". */
export function ruleText(spec: TaskSpec, fmt: MetricFormat = DEFAULT_FORMAT): string {
  if (spec.accept === 'threshold') {
    const cmp = spec.direction === 'minimize' ? '≤' : '≥';
    return `kept when ${spec.metric} ${cmp} ${spec.threshold === undefined ? '?' : fmt.value(spec.threshold)} (threshold)`;
  }
  return spec.min_improvement > 0
    ? `kept when it beats the champion by more than ${fmt.value(spec.min_improvement)}`
    : 'kept when it beats the champion';
}

/** "45 s", "2 min", "3 h 5 min", "2 d". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** "just now", "12 s ago", "2 min ago". */
export function ago(ms: number): string {
  if (ms < 5_000) return 'just now';
  return `${formatDuration(ms)} ago`;
}

/** A count with its thousands apart, "20 000" (a no-break space: the same in every locale, never split). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
}

/** "1 match", "3 matches": a count and its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A countdown as m:ss. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A timestamp for tooltips: local date and time. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** `or` for an empty declared field. */
export function orDash(text: string): string {
  return text.trim() === '' ? '—' : text;
}

/** Verification is off (no `verify`, or `replicas: 0`): every value and payout is shown as "unverified". */
export function verificationOff(spec: TaskSpec): boolean {
  return spec.verify === undefined || spec.verify.replicas === 0;
}
