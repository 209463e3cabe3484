import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

/**
 * A uPlot chart in the returned element, as wide as it is. New data goes to the existing plot;
 * new options (null: nothing to plot) make a new one. Callers memoise `options`.
 */
export function useUplot(options: Omit<uPlot.Options, 'width'> | null, data: uPlot.AlignedData) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);

  useEffect(() => {
    latest.current = data;
    plot.current?.setData(data);
  }, [data]);

  useEffect(() => {
    const el = holder.current;
    if (options === null || el === null) return;
    const width = () => Math.max(el.clientWidth, 200);
    const u = new uPlot({ ...options, width: width() }, latest.current, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      if (width() !== u.width) u.setSize({ width: width(), height: options.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [options]);

  return holder;
}
