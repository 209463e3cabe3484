import { chartTime } from '../../chart/axis.ts';
import type { ChartModel } from '../../chart/model.ts';
import type { MetricFormat } from '../../format.ts';

/** The hovered point in words (its result, member, value and time), else how to zoom. */
export function ChartReadout({ model, index, fmt }: { model: ChartModel; index: number | null; fmt: MetricFormat }) {
  const i = index ?? -1;
  const p = model.points[i];
  if (p === undefined) {
    return (
      <p className="chart-readout muted" data-testid="chart-readout">
        Drag across the chart to zoom into a time range.
      </p>
    );
  }
  const span = (model.xs.at(-1) ?? 0) - (model.xs[0] ?? 0);
  return (
    <p className="chart-readout" data-testid="chart-readout" data-id={`r${p.seq}`}>
      <span className="key-dot" style={{ backgroundColor: model.colors[i] }} aria-hidden="true" /> <strong>r{p.seq}</strong> by {model.members.find((m) => m.id === p.member)?.name ?? p.member}:{' '}
      <span className="mono">{fmt.value(p.value)}</span> ({p.status}
      {p.champion && ', became champion'}) · {chartTime(p.at, span)}
    </p>
  );
}
