import type { ChartModel } from '../../chart/model.ts';
import type { MetricFormat } from '../../format.ts';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The chart's legend, read without hovering, as the field's dashboards have it: the champion and
 * the best plotted value, what was plotted of how many results, the crashes (counted, never
 * points), and each member's colour with its best plotted value. It wraps on a narrow window.
 */
export function ChartLegend({ model, fmt }: { model: ChartModel; fmt: MetricFormat }) {
  const plotted = model.points.length;
  return (
    <div className="chart-legend" data-testid="chart-legend">
      <p className="chart-stats">
        <span className="chart-key">
          <span className="key-stair" aria-hidden="true" />
          champion <strong data-testid="chart-champion">{fmt.value(model.champion)}</strong>
        </span>
        <span className="chart-key">
          best plotted <strong data-testid="chart-best">{fmt.value(model.best)}</strong>
        </span>
        <span className="chart-key" data-testid="chart-counts">
          {plotted} of {plural(model.results, 'result')} plotted
          {model.stride > 1 && ` (about 1 in ${Math.round(model.stride)}, every champion among them)`}
        </span>
        <span className="chart-key" data-testid="chart-crashes" data-count={model.crashes}>
          {plural(model.crashes, 'crash', 'crashes')}, not plotted
        </span>
        <span className="chart-key muted">
          <span className="key-dot" aria-hidden="true" /> kept <span className="key-dot key-ring" aria-hidden="true" /> discarded or duplicate
        </span>
      </p>
      {model.members.length > 0 && (
        <ul className="chart-members" aria-label="Members, best plotted value first">
          {model.members.map((m) => (
            <li key={m.id} data-testid="legend-member" data-member={m.id} title={`${m.name}: best ${fmt.value(m.best)} of ${plural(m.points, 'plotted result')}`}>
              <span className="key-dot" style={{ backgroundColor: m.color }} aria-hidden="true" />
              <span className="chart-member-name">{m.name}</span> <span className="mono">{fmt.value(m.best)}</span> <span className="muted">({m.points})</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
