/**
 * The panel chart's decisions that need no DOM: which series share a y axis, the points laid out
 * on one time axis for uPlot, tick labels that never repeat, the text a screen reader gets.
 */
import * as l10n from '@vscode/l10n';

export interface Extent {
  min: number;
  max: number;
}

export interface ChartSeries {
  path: string;
  points: { t: number; v: number }[];
}

/** Series whose ranges differ by more than this factor get y axes of their own (while axes are left). */
export const AXIS_FACTOR = 10;
/** At most this many y axes: left, right, then a second one on the left. */
export const MAX_AXES = 3;

export function extentOf(points: { v: number }[]): Extent | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const { v } of points) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? undefined : { min, max };
}

/**
 * The height a series needs to be read: its spread, or a tenth of its size when it is (nearly) flat,
 * so that a steady 230 and a 0–1 series still count as different scales.
 */
function spreadOf(extent: Extent): number {
  const size = Math.max(Math.abs(extent.min), Math.abs(extent.max));
  return Math.max(extent.max - extent.min, size / 10) || 1;
}

/** How much sharing one axis squeezes the worst-off member: the union's spread over its own. */
function squeeze(extents: Extent[]): number {
  const union = { min: Math.min(...extents.map((one) => one.min)), max: Math.max(...extents.map((one) => one.max)) };
  const spread = spreadOf(union);
  return Math.max(...extents.map((one) => spread / spreadOf(one)));
}

export interface AxisPlan {
  /** For each series, the index of its axis in `axes`. */
  axisOf: number[];
  /** In order of their first series; each lists its series' indices. */
  axes: { series: number[]; side: 'left' | 'right' }[];
}

/**
 * Which y axis each series gets. Series start alone and the pair that squeezes least is merged,
 * while it squeezes no member more than `factor` times, and regardless while there are more than
 * `maxAxes` groups (so more series share the closest axis). A series with no points joins the first
 * axis: it draws nothing.
 */
export function planAxes(extents: (Extent | undefined)[], factor = AXIS_FACTOR, maxAxes = MAX_AXES): AxisPlan {
  let groups = extents.flatMap((extent, index) => (extent ? [[index]] : []));
  if (!groups.length) groups = [[]];
  const extentsOf = (group: number[]) => group.map((index) => extents[index] as Extent);
  while (groups.length > 1) {
    let best: { a: number; b: number; cost: number } | undefined;
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        const cost = squeeze(extentsOf([...groups[a], ...groups[b]]));
        if (!best || cost < best.cost) best = { a, b, cost };
      }
    }
    if (!best || (best.cost > factor && groups.length <= Math.max(1, maxAxes))) break;
    groups[best.a] = [...groups[best.a], ...groups[best.b]].sort((x, y) => x - y);
    groups.splice(best.b, 1);
  }
  groups.sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0));
  const axisOf = extents.map((_, index) => Math.max(0, groups.findIndex((group) => group.includes(index))));
  return { axisOf, axes: groups.map((series, index) => ({ series, side: index % 2 === 0 ? 'left' : 'right' })) };
}

/**
 * All series on one time axis, as uPlot takes them: the sorted times, and per series its value at
 * each time or null. Two points of one series at the same millisecond keep separate columns.
 */
export function alignSeries(series: ChartSeries[]): { x: number[]; y: (number | null)[][] } {
  const entries: { t: number; series: number; v: number }[] = [];
  series.forEach((one, index) => {
    for (const point of one.points) entries.push({ t: point.t, series: index, v: point.v });
  });
  // Stable: points of one series at one time stay in their order.
  entries.sort((a, b) => a.t - b.t || a.series - b.series);
  const x: number[] = [];
  const y: (number | null)[][] = series.map(() => []);
  // The columns of the current time start at `runStart`; each series fills them from there on.
  let runStart = 0;
  let used: number[] = [];
  for (const entry of entries) {
    if (!x.length || x[runStart] !== entry.t) {
      runStart = x.length;
      used = series.map(() => 0);
    }
    const column = runStart + used[entry.series]++;
    if (column === x.length) {
      x.push(entry.t);
      for (const values of y) values.push(null);
    }
    y[entry.series][column] = entry.v;
  }
  return { x, y };
}

/** The y range to draw for the values in view: a margin, and room around a flat line. */
export function paddedRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const room = Math.abs(min) / 10 || 1;
    return [min - room, max + room];
  }
  const margin = (max - min) * 0.05;
  return [min - margin, max + margin];
}

/** The decimals that show every multiple of `step` exactly (0.25 → 2, 5 → 0). */
function decimalsOf(step: number): number {
  let decimals = 0;
  while (decimals < 15) {
    const scaled = step * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) <= scaled * 1e-9) break;
    decimals++;
  }
  return decimals;
}

const SI = [
  { unit: 1e12, suffix: 'T' },
  { unit: 1e9, suffix: 'G' },
  { unit: 1e6, suffix: 'M' },
  { unit: 1e3, suffix: 'k' },
];

/**
 * Labels for a y axis' ticks, `step` apart: as many decimals as the step needs (so neighbours never
 * read the same), thousands and up as k, M, G, T from 100,000 on, tiny steps in exponent form.
 */
export function valueTickLabels(ticks: number[], step: number): string[] {
  if (!(step > 0) || !Number.isFinite(step)) return ticks.map((tick) => formatValue(tick));
  const largest = Math.max(0, ...ticks.map(Math.abs));
  const clean = (tick: number) => (Math.abs(tick) < step * 1e-6 ? 0 : tick);
  const si = largest >= 1e5 ? (SI.find((one) => largest >= one.unit) ?? SI[SI.length - 1]) : undefined;
  // 1.5M rather than 1500000, but 1000002 rather than 1.000002M.
  if (si && decimalsOf(step / si.unit) <= 2) {
    const decimals = decimalsOf(step / si.unit);
    return ticks.map((tick) => (clean(tick) === 0 ? '0' : `${(tick / si.unit).toFixed(decimals)}${si.suffix}`));
  }
  const decimals = decimalsOf(step);
  if (decimals > 6) {
    const power = Math.floor(Math.log10(step));
    const digits = Math.min(15, Math.max(0, Math.floor(Math.log10(largest || step)) - power) + decimalsOf(step / 10 ** power));
    return ticks.map((tick) => (clean(tick) === 0 ? '0' : tick.toExponential(digits)));
  }
  return ticks.map((tick) => clean(tick).toFixed(decimals));
}

/** A value in the cursor's read-out and the screen reader's summary. */
export function formatValue(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e9 || magnitude < 1e-4)) return value.toExponential(4);
  return String(Number(value.toPrecision(7)));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const MONTH = 28 * DAY;
const YEAR = 365 * DAY;

const pad = (value: number, length = 2) => String(value).padStart(length, '0');

function dayOf(time: number): string {
  const date = new Date(time);
  return `${date.getDate()} ${MONTHS[date.getMonth()]}`;
}

function utcOffsetOf(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const hours = Math.floor(Math.abs(minutes) / 60);
  const rest = Math.abs(minutes) % 60;
  return `UTC${sign}${hours}${rest ? `:${pad(rest)}` : ''}`;
}

/**
 * Labels for the time axis' ticks, `step` ms apart, in local time: as precise as the step (HH:MM,
 * HH:MM:SS, then tenths to milliseconds), so that no two ticks read the same; the date on a second
 * line where the day changes, the UTC offset where the clock went back; for steps of days the date
 * alone, then month and year, then the year.
 */
export function timeTickLabels(ticks: number[], step: number): string[] {
  const decimals = step % SECOND === 0 ? 0 : Math.min(3, decimalsOf(step / SECOND));
  // Ticks computed in floating point can land a hair before the time they mean (…449.9999 for …450).
  const resolution = step % MINUTE === 0 ? MINUTE : step % SECOND === 0 ? SECOND : 10 ** (3 - decimals);
  const times = ticks.map((tick) => (step >= DAY ? tick : Math.round(tick / resolution) * resolution));
  const clocks = times.map((time) => {
    const date = new Date(time);
    if (step >= YEAR) return String(date.getFullYear());
    if (step >= MONTH) return `${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
    if (step >= DAY) return dayOf(time);
    let clock = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    if (resolution < MINUTE) clock += `:${pad(date.getSeconds())}`;
    if (decimals) clock += `.${pad(date.getMilliseconds(), 3).slice(0, decimals)}`;
    return clock;
  });
  if (step >= DAY) return clocks;
  return clocks.map((clock, index) => {
    const time = times[index];
    const previous = times[index - 1];
    if (previous === undefined) return clock;
    if (dayOf(previous) !== dayOf(time)) return `${clock}\n${dayOf(time)}`;
    // The hour that the end of summer time repeats: the second one says its UTC offset.
    if (clock === clocks[index - 1]) return `${clock}\n${utcOffsetOf(new Date(time))}`;
    return clock;
  });
}

/**
 * The least room in pixels between time ticks so that their labels never touch: the widest label
 * the resulting step can need, measured in characters of `charPx`. uPlot picks the smallest of its
 * steps that is at least this wide; a step of a minute or more needs only HH:MM, one of a second or
 * more HH:MM:SS. Its steps just below those are 30 s and 500 ms, so a room worth more than that
 * gets a step of a minute (a second) or more.
 */
export function timeTickSpace(rangeMs: number, plotPx: number, charPx: number): number {
  const gap = 2 * charPx;
  const formats = [
    { chars: 5, above: 30 * SECOND },
    { chars: 8, above: 500 },
  ];
  for (const { chars, above } of formats) {
    const space = chars * charPx + gap;
    if (plotPx > 0 && (space * rangeMs) / plotPx > above) return space;
  }
  return 12 * charPx + gap;
}

/** Which side an axis is on, in words, for labels and the screen reader's summary. */
export function axisName(plan: AxisPlan, axis: number): string {
  const { side } = plan.axes[axis];
  const sameSide = plan.axes.filter((one) => one.side === side).length;
  // Whole phrases, each translated as one (the word order of "inner left axis" differs by language).
  if (sameSide === 1) return side === 'left' ? l10n.t('left axis') : l10n.t('right axis');
  const inner = plan.axes.slice(0, axis + 1).filter((one) => one.side === side).length === 1;
  if (side === 'left') return inner ? l10n.t('inner left axis') : l10n.t('outer left axis');
  return inner ? l10n.t('inner right axis') : l10n.t('outer right axis');
}

/** What a screen reader says for the chart: each series, its points, range and axis. */
export function chartSummary(series: ChartSeries[], plan: AxisPlan): string {
  const parts = series.map((one, index) => {
    const extent = extentOf(one.points);
    const count = one.points.length === 1 ? l10n.t('1 point') : l10n.t('{0} points', one.points.length);
    if (!extent) return l10n.t('{0} (no points)', one.path);
    const range = extent.min === extent.max ? l10n.t('all {0}', formatValue(extent.min)) : l10n.t('{0} to {1}', formatValue(extent.min), formatValue(extent.max));
    const axis = plan.axes.length > 1 ? `, ${axisName(plan, plan.axisOf[index])}` : '';
    return `${one.path} (${count}, ${range}${axis})`;
  });
  return l10n.t('Chart of {0}', parts.join(', '));
}

/** A y axis' title: the fields it carries, cut to `maxChars` with an ellipsis. */
export function axisTitle(paths: string[], maxChars: number): string {
  const text = paths.join(', ');
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(0, maxChars - 1))}\u2026`;
}

/**
 * A theme colour without its alpha: some themes give chart colours as translucent hex
 * (`#d1861699`), too faint for a thin line. Other notations are returned as they are.
 */
export function opaque(colour: string): string {
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(colour.trim());
  if (!hex) {
    const rgba = /^rgba\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*[\d.]+\s*\)$/i.exec(colour.trim());
    return rgba ? `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})` : colour;
  }
  const digits = hex[1];
  if (digits.length === 4) return `#${digits.slice(0, 3)}`;
  if (digits.length === 8) return `#${digits.slice(0, 6)}`;
  return `#${digits}`;
}
