import { useMemo } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ResultRecord, TaskSpec } from '../../../protocol/index.ts';
import { buildSeries } from '../chart-data.ts';
import { betterText, type MetricFormat } from '../format.ts';
import { useColorScheme } from '../hooks.ts';
import { useUplot } from '../use-uplot.ts';

const HEIGHT = 300;

/** A little room above and below the data; a single value gets a band around it, not [0, 2v]. */
function padRange(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const pad = min === max ? Math.abs(min) * 0.02 || 1 : (max - min) * 0.1;
  return [min - pad, max + pad];
}

/** Tick labels with as many decimals as the step needs (0.0049, 0.0050, … not 0.005 six times). */
export function tickLabels(splits: number[], incr: number): string[] {
  let decimals = 0;
  while (decimals < 10 && Math.abs(Number(incr.toFixed(decimals)) - incr) > incr * 1e-6) decimals++;
  return splits.map((v) => v.toFixed(decimals));
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function pointSeries(label: string, color: string, fmt: MetricFormat): uPlot.Series {
  return {
    label,
    stroke: color,
    fill: color,
    width: 0,
    paths: () => null,
    points: { show: true, size: 8, width: 1, stroke: color, fill: color },
    value: (_u, v) => (v === null || v === undefined ? '—' : fmt.value(v)),
  };
}

function options(metric: string, direction: TaskSpec['direction'], fmt: MetricFormat): Omit<uPlot.Options, 'width'> {
  const text = cssVar('--text-muted');
  const grid = cssVar('--border');
  const font = '12px system-ui, sans-serif';
  const axis = { stroke: text, font, labelFont: font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    height: HEIGHT,
    scales: {
      // Half a step of room on each side, so the first and last points are not on the frame.
      x: {
        time: false,
        range: (u) => {
          const xs = u.data[0];
          const lo = xs[0] ?? 0;
          const hi = xs[xs.length - 1] ?? 1;
          return [lo - 0.5, hi + 0.5];
        },
      },
      y: { range: (_u, min, max) => padRange(min, max) },
    },
    cursor: { drag: { x: true, y: false } },
    legend: { show: true, live: true },
    series: [
      { label: 'result #', value: (_u, v) => (v === null || v === undefined ? '—' : `r${v}`) },
      {
        label: 'champion (running best)',
        stroke: cssVar('--chart-best'),
        width: 2,
        paths: uPlot.paths.stepped?.({ align: 1 }),
        points: { show: false },
        value: (_u, v) => (v === null || v === undefined ? '—' : fmt.value(v)),
      },
      pointSeries('keep', cssVar('--chart-keep'), fmt),
      pointSeries('discard', cssVar('--chart-discard'), fmt),
      pointSeries('duplicate', cssVar('--chart-duplicate'), fmt),
    ],
    axes: [
      {
        ...axis,
        label: 'result (submission order)',
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
        values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')),
      },
      {
        ...axis,
        label: `${metric} (${betterText(direction)})`,
        values: (_u, splits, _axis, _space, incr) => tickLabels(splits, incr),
        // Room for the longest tick label (monospace-ish digits at 12px).
        size: (_u, values) => Math.max(40, Math.max(0, ...(values ?? []).map((v) => v.length)) * 7 + 18),
      },
    ],
  };
}

/** The metric over submissions, updated live; `data-points` is the number of plotted results. */
export function MetricChart({ results, spec, fmt }: { results: readonly ResultRecord[]; spec: TaskSpec; fmt: MetricFormat }) {
  const series = useMemo(() => buildSeries(results, spec.direction), [results, spec.direction]);
  const scheme = useColorScheme();
  const hasPoints = series.points > 0;
  const { metric, direction } = spec;
  const data = useMemo<uPlot.AlignedData>(() => [series.xs, series.best, series.keep, series.discard, series.duplicate], [series]);
  // A new plot when it first has points, or when the colours (scheme) or labels change.
  const plotOptions = useMemo(() => (hasPoints ? options(metric, direction, fmt) : null), [hasPoints, scheme, metric, direction, fmt]);
  const holder = useUplot(plotOptions, data);

  const best = series.best.at(-1) ?? null;
  const label = hasPoints
    ? `Chart of ${spec.metric} over ${series.points} results${best !== null ? `; champion ${fmt.value(best)}` : ''}. The leaderboard lists the same results as text.`
    : undefined;

  return (
    <section className="section area-chart" aria-labelledby="chart-title">
      <h2 id="chart-title">
        Progress{' '}
        <span className="muted small">
          {spec.metric}, {betterText(spec.direction)}
          {series.crashes > 0 && ` · ${series.crashes} crash${series.crashes === 1 ? '' : 'es'} not plotted`}
        </span>
      </h2>
      <div className="chart" data-testid="chart" data-points={series.points}>
        {hasPoints ? (
          <div ref={holder} className="chart-plot" role="img" aria-label={label} />
        ) : (
          <p className="empty">
            {series.crashes > 0
              ? `Nothing to plot yet: every result so far crashed (${series.crashes}). Each result with a ${spec.metric} value appears here as a point.`
              : `The chart starts with the first result: each submission becomes a point, and the champion's value draws a staircase as it improves.`}
          </p>
        )}
      </div>
    </section>
  );
}
