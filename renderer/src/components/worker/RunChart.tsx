import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricPoint } from '../../../../protocol/index.ts';
import type { MetricFormat } from '../../format.ts';
import { useColorScheme } from '../../hooks.ts';
import { useUplot } from '../../use-uplot.ts';
import { tickLabels } from '../MetricChart.tsx';

const HEIGHT = 240;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Names worth a line: seen at least twice (summary lines appear once), the program's metric first. */
export function chartableNames(points: readonly MetricPoint[], metric: string): string[] {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, n]) => n >= 2)
    .sort((a, b) => (a[0] === metric ? -1 : b[0] === metric ? 1 : b[1] - a[1]))
    .map(([name]) => name);
}

/** The metric lines the run prints (loss, val_bpb…) over its seconds, live. */
export function RunChart({ points, metric, fmt }: { points: readonly MetricPoint[]; metric: string; fmt: MetricFormat }) {
  const names = useMemo(() => chartableNames(points, metric), [points, metric]);
  const [picked, setPicked] = useState<string | null>(null);
  const name = picked !== null && names.includes(picked) ? picked : (names[0] ?? null);
  const data = useMemo<uPlot.AlignedData>(() => {
    const series = points.filter((p) => p.name === name);
    return [series.map((p) => p.t), series.map((p) => p.value)];
  }, [points, name]);
  const count = data[0].length;
  const scheme = useColorScheme();
  const hasPlot = count > 0;
  // A new plot when it first has points, or when the line or the colours (scheme) change.
  const plotOptions = useMemo<Omit<uPlot.Options, 'width'> | null>(() => {
    if (!hasPlot || name === null) return null;
    const text = cssVar('--text-muted');
    const grid = cssVar('--border');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    return {
      height: HEIGHT,
      scales: { x: { time: false } },
      legend: { show: true, live: true },
      series: [
        { label: 'seconds', value: (_u, v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} s`) },
        { label: name, stroke: cssVar('--chart-best'), width: 2, points: { show: true, size: 4 }, value: (_u, v) => (v === null || v === undefined ? '—' : fmt.value(v)) },
      ],
      axes: [
        { ...axis, label: 'seconds into the run', values: (_u, splits, _axis, _space, incr) => tickLabels(splits, incr) },
        { ...axis, label: name, size: 70, values: (_u, splits, _axis, _space, incr) => tickLabels(splits, incr) },
      ],
    };
  }, [hasPlot, name, scheme]);
  const holder = useUplot(plotOptions, data);

  return (
    <section className="section" aria-labelledby="run-chart-title">
      <div className="section-head">
        <h2 id="run-chart-title">This run</h2>
        {names.length > 1 && (
          <label className="small">
            line{' '}
            <select value={name ?? ''} onChange={(e) => setPicked(e.target.value)}>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="chart" data-testid="run-chart" data-points={count} data-series={name ?? ''}>
        {hasPlot ? (
          <div ref={holder} className="chart-plot" role="img" aria-label={`${name} over ${count} readings; latest ${fmt.value(data[1]!.at(-1) ?? null)}`} />
        ) : (
          <p className="empty">
            Lines like <code>loss: 3.41</code> or <code>step 120 | loss: 3.41 | …</code> that the run prints are charted here as they arrive.
          </p>
        )}
      </div>
    </section>
  );
}
