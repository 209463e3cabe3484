import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Member, TaskSpec } from '../../../protocol/index.ts';
import { memberColors } from '../chart/colors.ts';
import { chartModel, type TimeRange } from '../chart/model.ts';
import { plotOptions, type PlotContext } from '../chart/options.ts';
import { betterText, type MetricFormat } from '../format.ts';
import { useColorScheme } from '../hooks.ts';
import { useSeries } from '../owner-data/use-series.ts';
import { useUplot } from '../use-uplot.ts';
import { ChartLegend } from './chart/ChartLegend.tsx';
import { ChartReadout } from './chart/ChartReadout.tsx';
import { ZoomControl } from './chart/ZoomControl.tsx';

// The worker's run chart writes its ticks the same way, and imports them from here.
export { tickLabels } from '../chart/axis.ts';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * The metric over time, as the field's dashboards draw it: each result a point in its member's
 * colour, the champion's staircase, crashes counted apart, zoom by dragging a time range (fetched
 * anew from the host, with more detail). Fed by GET /api/owner/series only (useSeries).
 * `data-points` is the number of plotted results.
 */
export function MetricChart({ spec, fmt, roster }: { spec: TaskSpec; fmt: MetricFormat; roster: readonly Member[] }) {
  const [zoom, setZoom] = useState<TimeRange | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const { data, error } = useSeries(zoom);
  const colorOf = useMemo(() => memberColors(roster), [roster]);
  const model = useMemo(() => (data === null ? null : chartModel(data.series, data.carry, spec.direction, colorOf)), [data, spec.direction, colorOf]);
  const scheme = useColorScheme();
  const { metric, direction } = spec;

  // What the plot's hooks read; set before useUplot's effects hand it the new data.
  const view = useRef<PlotContext>({ model: null, zoom: null, onZoom: setZoom, onReset: () => setZoom(null), onHover: setHover });
  useEffect(() => {
    view.current = { ...view.current, model, zoom: data?.zoom ?? null };
  }, [model, data]);

  // A zoomed range with no results still shows its (empty) frame and the way back.
  const plotted = model !== null && (model.points.length > 0 || (data?.zoom ?? null) !== null);
  const options = useMemo(
    () => (plotted ? plotOptions(metric, direction, { text: cssVar('--text-muted'), grid: cssVar('--border'), stair: cssVar('--text') }, view) : null),
    // A new plot when there first is something to plot, or when the colours (scheme) or labels change.
    [plotted, scheme, metric, direction],
  );
  const plotData = useMemo<uPlot.AlignedData>(() => (model === null ? [[], [], []] : [model.xs, model.values, model.stair]), [model]);
  const holder = useUplot(options, plotData);

  const label =
    model === null
      ? undefined
      : `Chart of ${metric} over time: ${model.points.length} of ${model.results} results, in their members' colours; champion ${fmt.value(model.champion)}. The leaderboard lists the results as text.`;

  return (
    <section className="section area-chart" aria-labelledby="chart-title">
      <h2 id="chart-title">
        Progress{' '}
        <span className="muted small">
          {metric}, {betterText(direction)}
        </span>
      </h2>
      <div
        className="chart"
        data-testid="chart"
        data-points={model?.points.length ?? 0}
        data-zoomed={zoom !== null}
        data-range={data?.zoom ? `${data.zoom.from}-${data.zoom.to}` : 'all'}
      >
        {model === null ? (
          <p className={error === null ? 'loading' : 'inline-error'} role="status">
            {error ?? 'Loading the chart…'}
          </p>
        ) : plotted ? (
          <>
            <div className="chart-toolbar">
              <ChartReadout model={model} index={hover} fmt={fmt} />
              <ZoomControl zoom={zoom} onReset={() => setZoom(null)} />
            </div>
            <div ref={holder} className="chart-plot" role="img" aria-label={label} />
            <ChartLegend model={model} fmt={fmt} />
          </>
        ) : (
          <p className="empty">
            {model.crashes > 0
              ? `Nothing to plot yet: every result so far crashed (${model.crashes}). Each result with a ${metric} value appears here as a point.`
              : `The chart starts with the first result: each becomes a point in its member's colour, and the champion's value draws a staircase as it improves.`}
          </p>
        )}
        {model !== null && error !== null && <p className="muted small">The chart could not refresh: {error}</p>}
      </div>
    </section>
  );
}
