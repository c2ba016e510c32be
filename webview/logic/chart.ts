/** Scales and ticks for the panel's chart. No DOM: the canvas drawing uses these numbers. */

/** About `count` round tick values covering [min, max] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const span = max - min;
  const rough = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? rough;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

/** The value range to draw: all points, widened a little so a flat line is not glued to an edge. */
export function valueRange(series: { points: { v: number }[] }[]): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const { points } of series) {
    for (const point of points) {
      if (point.v < min) min = point.v;
      if (point.v > max) max = point.v;
    }
  }
  if (min === Infinity) return undefined;
  if (min === max) return { min: min - 1, max: max + 1 };
  const margin = (max - min) * 0.05;
  return { min: min - margin, max: max + margin };
}

export function timeRange(series: { points: { t: number }[] }[]): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const { points } of series) {
    if (!points.length) continue;
    min = Math.min(min, points[0].t);
    max = Math.max(max, points[points.length - 1].t);
  }
  if (min === Infinity) return undefined;
  return min === max ? { min: min - 1000, max: max + 1000 } : { min, max };
}

/** Maps a value in [from.min, from.max] to [to0, to1]. */
export function scale(value: number, from: { min: number; max: number }, to0: number, to1: number): number {
  return to0 + ((value - from.min) / (from.max - from.min)) * (to1 - to0);
}

/** A short label for a value on the axis. */
export function formatTick(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(6)));
}
