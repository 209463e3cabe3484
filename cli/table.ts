import { terminalSafe } from '../protocol/terminal-text.ts';

/**
 * Plain-text tables a person can read in a terminal: padded columns, a header, a rule. Cells hold
 * names, hosts and hypotheses from others, so every cell is made terminal-safe here, before it is measured.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return plainTable(headers.map((h) => terminalSafe(h)), rows.map((r) => r.map((c) => terminalSafe(c))));
}

function plainTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** "3m 20s" from seconds. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** "5 min ago" from an ISO time. */
export function ago(isoTime: string, now = Date.now()): string {
  return `${duration((now - Date.parse(isoTime)) / 1000)} ago`;
}

export function formatValue(value: number | null): string {
  return value === null ? '—' : String(Number(value.toFixed(6)));
}
