import uPlot from 'uplot';
import type { ChartModel } from './model.ts';

/** Point radius in CSS pixels: big enough to tell colours apart, small enough for 1000 points. */
const RADIUS = 3.5;

/** Canvas work inside the plot area only (a zoomed range cuts points at the frame). */
function clipped(u: uPlot, draw: (ctx: CanvasRenderingContext2D, px: number) => void): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  draw(ctx, uPlot.pxRatio);
  ctx.restore();
}

/**
 * Every plotted result in its member's colour: filled when kept, a ring when discarded or a
 * duplicate, so the two read apart without a second colour scheme. uPlot colours a series
 * one colour, hence the points are drawn here.
 */
export function drawPoints(u: uPlot, model: ChartModel): void {
  clipped(u, (ctx, px) => {
    ctx.lineWidth = 1.5 * px;
    model.points.forEach((p, i) => {
      const x = u.valToPos(p.at, 'x', true);
      const y = u.valToPos(p.value, 'y', true);
      const color = model.colors[i]!;
      ctx.beginPath();
      ctx.arc(x, y, RADIUS * px, 0, 2 * Math.PI);
      if (p.status === 'keep') {
        ctx.fillStyle = color;
        ctx.fill();
      } else {
        ctx.strokeStyle = color;
        ctx.stroke();
      }
    });
  });
}

/** A ring around each crowning on the staircase, a larger one around the latest. */
export function drawChampions(u: uPlot, model: ChartModel, color: string): void {
  clipped(u, (ctx, px) => {
    ctx.strokeStyle = color;
    model.points.forEach((p, i) => {
      if (!p.champion) return;
      const latest = i === model.current;
      ctx.lineWidth = (latest ? 2.5 : 1.5) * px;
      ctx.beginPath();
      ctx.arc(u.valToPos(p.at, 'x', true), u.valToPos(p.value, 'y', true), (latest ? 8 : 6) * px, 0, 2 * Math.PI);
      ctx.stroke();
    });
  });
}
