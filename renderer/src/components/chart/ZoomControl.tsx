import { chartTime } from '../../chart/axis.ts';
import type { TimeRange } from '../../chart/model.ts';

/** The range the chart is zoomed into, and the way back to the whole run. */
export function ZoomControl({ zoom, onReset }: { zoom: TimeRange | null; onReset(): void }) {
  if (zoom === null) return null;
  const span = zoom.to - zoom.from;
  return (
    <p className="chart-zoom" data-testid="chart-zoom">
      <span className="muted">
        {chartTime(zoom.from, span)} – {chartTime(zoom.to, span)}
      </span>{' '}
      <button type="button" className="btn btn-small" onClick={onReset} data-testid="chart-reset-zoom">
        Reset zoom
      </button>
    </p>
  );
}
