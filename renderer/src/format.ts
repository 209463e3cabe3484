import type { TaskSpec } from '../../protocol/index.ts';

/** A metric value: 6 decimals, like autoresearch's `val_bpb: 0.997900`; tiny or huge ones in 6 significant digits. */
export function formatValue(value: number | null): string {
  if (value === null) return '—';
  const abs = Math.abs(value);
  if (value !== 0 && (abs < 1e-3 || abs >= 1e9)) return value.toPrecision(6);
  return value.toFixed(6);
}

/** An impact (directional improvement); 0 shows as a dash. */
export function formatImpact(impact: number): string {
  if (impact === 0) return '—';
  return `+${formatValue(impact)}`;
}

export function betterText(direction: TaskSpec['direction']): string {
  return direction === 'minimize' ? 'lower is better' : 'higher is better';
}

/** The keep rule in words, e.g. "beats the champion by more than 0.0001". */
export function ruleText(spec: TaskSpec): string {
  if (spec.accept === 'threshold') {
    const cmp = spec.direction === 'minimize' ? '≤' : '≥';
    return `kept when ${spec.metric} ${cmp} ${spec.threshold ?? '?'} (threshold)`;
  }
  return spec.min_improvement > 0
    ? `kept when it beats the champion by more than ${spec.min_improvement}`
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
