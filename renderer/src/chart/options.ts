import uPlot from 'uplot';
import type { TaskSpec } from '../../../protocol/index.ts';
import { betterText } from '../format.ts';
import { padRange, padTime, tickLabels } from './axis.ts';
import { drawChampions, drawPoints } from './draw.ts';
import type { ChartModel, TimeRange } from './model.ts';

export const CHART_HEIGHT = 300;

/** A drag narrower than this is a click that wobbled, not a range to zoom into. */
const MIN_DRAG_PX = 5;

/** The series' indexes in the plot's data: [times, values, staircase]. */
const VALUES = 1;

/**
 * What the plot reads each time it draws: the model shown, the range it was fetched for, and what
 * to do when the owner drags, double-clicks or hovers. Read through a ref, so new data or new
 * handlers never rebuild the plot.
 */
export interface PlotContext {
  /** Null until the first series arrives. */
  model: ChartModel | null;
  zoom: TimeRange | null;
  onZoom(range: TimeRange): void;
  onReset(): void;
  onHover(index: number | null): void;
}

export interface PlotColors {
  text: string;
  grid: string;
  stair: string;
}

/**
 * The chart's uPlot options: time on x (ms), the metric on y, the points and champion rings drawn
 * by hooks (draw.ts), the staircase as a stepped line. A drag selects a time range to refetch in
 * (uPlot's own zoom only rescales the points it has; the host samples the range anew, with more
 * detail); a double-click resets, as uPlot's own double-click would.
 */
export function plotOptions(metric: string, direction: TaskSpec['direction'], colors: PlotColors, view: { readonly current: PlotContext }): Omit<uPlot.Options, 'width'> {
  const font = '12px system-ui, sans-serif';
  const axis = { stroke: colors.text, font, labelFont: font, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } };
  return {
    height: CHART_HEIGHT,
    ms: 1,
    scales: {
      x: { time: true, range: (_u, min, max) => (view.current.zoom ? [view.current.zoom.from, view.current.zoom.to] : padTime(min, max)) },
      y: { range: (_u, min, max) => padRange(min, max) },
    },
    legend: { show: false },
    cursor: {
      drag: { x: true, y: false, setScale: false },
      // A ring on the hovered result only: one on the staircase too would read as a champion's.
      points: { size: (_u, si) => (si === VALUES ? 12 : 0), width: 2, fill: 'transparent' },
      bind: {
        dblclick: () => () => {
          view.current.onReset();
          return null;
        },
      },
    },
    series: [
      {},
      // The values, for the y scale and the cursor; draw.ts paints them in their members' colours.
      { label: metric, stroke: colors.text, width: 0, paths: () => null, points: { show: false } },
      { label: 'champion', stroke: colors.stair, width: 2, paths: uPlot.paths.stepped?.({ align: 1 }), points: { show: false } },
    ],
    axes: [
      { ...axis, size: 44 },
      {
        ...axis,
        label: `${metric} (${betterText(direction)})`,
        values: (_u, splits, _axis, _space, incr) => tickLabels(splits, incr),
        // Room for the longest tick label (monospace-ish digits at 12px).
        size: (_u, values) => Math.max(40, Math.max(0, ...(values ?? []).map((v) => v.length)) * 7 + 18),
      },
    ],
    hooks: {
      drawSeries: [
        (u, si) => {
          const { model } = view.current;
          if (si === VALUES && model !== null) drawPoints(u, model);
        },
      ],
      draw: [
        (u) => {
          const { model } = view.current;
          if (model !== null) drawChampions(u, model, colors.stair);
        },
      ],
      setSelect: [
        (u) => {
          const { left, width } = u.select;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          if (width < MIN_DRAG_PX) return;
          const from = Math.max(0, Math.floor(u.posToVal(left, 'x')));
          const to = Math.ceil(u.posToVal(left + width, 'x'));
          if (to > from) view.current.onZoom({ from, to });
        },
      ],
      setCursor: [(u) => view.current.onHover(u.cursor.idx ?? null)],
    },
  };
}
