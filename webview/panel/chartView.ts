import * as l10n from '@vscode/l10n';
import uPlot from 'uplot';
// Bundled by esbuild into dist/webview.css, which media/panel.css imports: a stylesheet from the
// extension, as the CSP's style-src allows (uPlot itself only sets styles through the CSSOM).
import 'uplot/dist/uPlot.min.css';
import type { SeriesView } from '../../src/shared/webviewProtocol';
import { MAX_CHART_SERIES } from '../../src/shared/webviewProtocol';
import { MAX_JSON_DEPTH } from '../../src/shared/json';
import { MAX_FIELDS_TEXT } from '../../src/shared/series';
import { alignSeries, axisName, axisTitle, chartSummary, extentOf, formatValue, paddedRange, planAxes, timeTickLabels, timeTickSpace, valueTickLabels, type AxisPlan } from '../logic/chart';
import { button, checkbox } from '../toolkit';
import { el } from './dom';
import { CHART_COLOURS, readChartTheme, type ChartTheme } from './chartTheme';
import { timeOf } from './historyList';

/** The engine gives no fields for JSON past the views' bounds (extractFields): the note names them. */
const noFields = () => l10n.t('No numeric field in this topic’s messages: a number, or JSON with numbers (at most {0} levels deep and {1} MiB long), can be charted.', MAX_JSON_DEPTH, MAX_FIELDS_TEXT / 1024 / 1024);
const zoomHint = () => l10n.t('Drag across the chart to zoom in on a time range.');
/** Points the read-out moves by with Page Up and Page Down. */
const PAGE_POINTS = 10;

/** Height of the plot with its axes, without the legend, in CSS pixels. */
const PLOT_HEIGHT = 280;

/** After the theme's six chart colours, series are dashed. */
const isDashed = (index: number) => index >= CHART_COLOURS.length;

/**
 * A line chart (uPlot) of numeric fields over time, several at once. The fields are picked with
 * checkboxes, whose swatches are the series' colours; series of very different scales get y axes of
 * their own (planAxes). The points come from the host, bounded there; an update replaces the data of
 * the chart, which is built again only when its fields, their axes or the theme change.
 */
export class ChartView {
  readonly element = el('div', 'chart');
  private readonly fields = el('div', 'chart-fields');
  private readonly note = el('p', 'note');
  private readonly toolbar = el('div', 'chart-toolbar');
  private readonly zoomText = el('span', 'chart-zoom', zoomHint());
  private readonly resetButton = button(l10n.t('Reset zoom'), () => this.setZoom(undefined));
  /**
   * The chart for the keyboard: a slider over the points in time, whose value text (said by a screen
   * reader, shown beside it) is the time and every series' value at the point; the plot's cursor
   * and legend follow it.
   */
  private readonly reader = el('div', 'chart-reader');
  /** The time of the point the reader is on (a time, not an index: new points shift the indices). */
  private readerTime: number | undefined;
  /** uPlot's legend, mounted above the plot so that the cursor's read-out is in view with it. */
  private readonly legendHost = el('div', 'chart-legend');
  private readonly plotHost = el('div', 'chart-plot');
  private data: SeriesView = { available: [], series: [] };
  private plot: uPlot | undefined;
  /** What the plot was built for: the fields and their axes. */
  private shape = '';
  private plan: AxisPlan = { axisOf: [], axes: [] };
  private aligned: uPlot.AlignedData = [[]];
  private zoom: { min: number; max: number } | undefined;
  private width = 0;
  private rebuildFrame: number | undefined;

  constructor(private readonly onPick: (paths: string[]) => void) {
    this.resetButton.classList.add('chart-reset');
    this.toolbar.append(this.resetButton, this.zoomText);
    this.reader.tabIndex = 0;
    this.reader.setAttribute('role', 'slider');
    this.reader.setAttribute('aria-label', l10n.t('Chart points'));
    this.reader.setAttribute('aria-valuemin', '1');
    this.reader.addEventListener('keydown', (event) => this.onReaderKey(event));
    this.reader.addEventListener('blur', () => this.plot?.setCursor({ left: -10, top: -10 }));
    this.reader.addEventListener('focus', () => this.showReader());
    this.element.append(this.fields, this.note, this.toolbar, this.reader, this.legendHost, this.plotHost);
    this.reader.hidden = true;
    this.showZoom();
    this.toolbar.hidden = true;
    // Built when the tab shows (a hidden tab has no width), resized with the panel.
    new ResizeObserver(() => this.resize()).observe(this.plotHost);
    // A theme change sets the body's class (kind) and the page's CSS variables (every theme): the
    // canvas does not follow CSS, so the chart is built again with the new colours.
    const themes = new MutationObserver(() => this.scheduleRebuild());
    themes.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    themes.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  }

  get drawnPaths(): string[] {
    return this.data.series.map((series) => series.path);
  }

  update(data: SeriesView): void {
    const changedFields = data.available.join('\n') !== this.data.available.join('\n') || this.drawnPaths.join('\n') !== data.series.map((series) => series.path).join('\n');
    this.data = data;
    if (changedFields) this.renderFields();
    const points = data.series.reduce((sum, series) => sum + series.points.length, 0);
    this.note.textContent = !data.available.length ? noFields() : points ? '' : l10n.t('The picked fields have no values yet.');
    if (!points) {
      this.destroyPlot();
      return;
    }
    this.plan = planAxes(data.series.map((series) => extentOf(series.points)));
    const { x, y } = alignSeries(data.series);
    this.aligned = [x, ...y];
    const shape = JSON.stringify([this.drawnPaths, this.plan.axisOf]);
    if (!this.plot || shape !== this.shape) {
      this.shape = shape;
      this.build();
    } else {
      const plot = this.plot;
      const zoom = this.zoom;
      plot.batch(() => {
        plot.setData(this.aligned);
        if (zoom) plot.setScale('x', zoom);
      });
    }
    this.describe();
  }

  private renderFields(): void {
    const drawn = this.drawnPaths;
    const boxes = this.data.available.map((path, index) => {
      const box = checkbox(`field-${index}`, path);
      const at = drawn.indexOf(path);
      box.value = at >= 0;
      // The swatch is the legend's marker: the same colour, hollow and dashed like the line after six.
      box.element.prepend(el('span', 'swatch'));
      if (at >= 0) {
        box.element.classList.add('drawn');
        box.element.classList.toggle('dashed', isDashed(at));
        box.element.dataset.series = String(at);
      }
      box.onChange(() => {
        const picked = new Set(this.drawnPaths);
        if (box.value) picked.add(path);
        else picked.delete(path);
        this.onPick([...picked].slice(0, MAX_CHART_SERIES));
      });
      return box.element;
    });
    this.fields.replaceChildren(...boxes);
    this.paintSwatches(readChartTheme());
  }

  /** The swatches take the colours the plot draws with (opaque), so they are set here, again for each theme. */
  private paintSwatches(theme: ChartTheme): void {
    for (const box of this.fields.querySelectorAll<HTMLElement>('.drawn[data-series]')) {
      box.style.setProperty('--series-colour', theme.series[Number(box.dataset.series) % theme.series.length]);
    }
  }

  private destroyPlot(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.shape = '';
    this.zoom = undefined;
    this.toolbar.hidden = true;
    this.reader.hidden = true;
    this.readerTime = undefined;
    this.plotHost.replaceChildren();
  }

  private scheduleRebuild(): void {
    if (!this.plot || this.rebuildFrame !== undefined) return;
    this.rebuildFrame = requestAnimationFrame(() => {
      this.rebuildFrame = undefined;
      if (this.plot) this.build();
    });
  }

  private resize(): void {
    const width = this.plotHost.clientWidth;
    if (!width || width === this.width) return;
    this.width = width;
    if (this.plot) this.plot.setSize({ width, height: PLOT_HEIGHT });
    else if (this.shape) this.build();
  }

  /** Builds the plot for the current data, keeping a zoom that still shows some of it. */
  private build(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.plotHost.replaceChildren();
    this.toolbar.hidden = false;
    this.reader.hidden = false;
    const width = this.plotHost.clientWidth;
    // A hidden tab: built by resize() when it shows.
    if (!width) return;
    this.width = width;
    const theme = readChartTheme();
    this.paintSwatches(theme);
    const series = this.data.series;
    const colourOf = (index: number) => theme.series[index % theme.series.length];
    const plan = this.plan;
    const charPx = theme.fontPx * 0.62;
    const multiAxis = plan.axes.length > 1;
    const yAxes: uPlot.Axis[] = plan.axes.map((axis, index) => {
      const only = axis.series.length === 1 ? axis.series[0] : undefined;
      const colour = only === undefined ? theme.foreground : colourOf(only);
      return {
        scale: `y${index}`,
        side: axis.side === 'left' ? 3 : 1,
        stroke: colour,
        font: theme.font,
        labelFont: theme.font,
        // With several axes each says which fields it carries, in the series' colour when it has one.
        label: multiAxis ? axisTitle(axis.series.map((at) => series[at].path), Math.floor((PLOT_HEIGHT - 60) / charPx)) : undefined,
        labelSize: multiAxis ? Math.ceil(theme.fontPx * 1.6) : 0,
        values: (_plot, ticks, _axis, _space, step) => valueTickLabels(ticks, step),
        size: (plot, values, axisIndex) => this.axisWidth(plot, values, axisIndex),
        grid: { show: index === 0, stroke: theme.grid, width: 1 },
        ticks: { stroke: theme.grid, width: 1, size: 4 },
        border: { show: true, stroke: theme.grid, width: 1 },
      };
    });
    const scales: uPlot.Scales = { x: { time: true, range: (_plot, min, max) => (min === max ? [min - 1000, max + 1000] : [min, max]) } };
    plan.axes.forEach((_, index) => (scales[`y${index}`] = { range: (_plot, min, max) => paddedRange(min, max) }));
    const options: uPlot.Options = {
      width,
      height: PLOT_HEIGHT,
      ms: 1,
      scales,
      series: [
        { label: l10n.t('Time'), value: (_plot, value) => (value === null ? '\u2014' : timeOf(value)) },
        ...series.map(
          (one, index): uPlot.Series => ({
            label: multiAxis ? `${one.path} (${axisName(plan, plan.axisOf[index])})` : one.path,
            scale: `y${plan.axisOf[index]}`,
            stroke: colourOf(index),
            width: 1.5,
            dash: isDashed(index) ? [6, 3] : undefined,
            spanGaps: true,
            value: (_plot, value) => (value === null ? '\u2014' : formatValue(value)),
          }),
        ),
      ],
      axes: [
        {
          stroke: theme.foreground,
          font: theme.font,
          space: (_plot, _axis, min, max, plotPx) => timeTickSpace(max - min, plotPx, charPx),
          values: (_plot, ticks, _axis, _space, step) => timeTickLabels(ticks, step),
          // Two lines where a tick carries the date too.
          size: (_plot, values) => Math.ceil(4 + 5 + 4 + theme.fontPx * 1.5 * Math.max(1, ...(values ?? []).map((value) => value.split('\n').length))),
          grid: { stroke: theme.grid, width: 1 },
          ticks: { stroke: theme.grid, width: 1, size: 4 },
          border: { show: true, stroke: theme.grid, width: 1 },
        },
        ...yAxes,
      ],
      legend: {
        live: true,
        mount: (_plot, legend) => this.legendHost.replaceChildren(legend),
        markers: {
          width: 2,
          stroke: (_plot, index) => colourOf(index - 1),
          fill: (_plot, index) => (isDashed(index - 1) ? 'transparent' : colourOf(index - 1)),
          dash: (_plot, index) => (isDashed(index - 1) ? 'dashed' : 'solid'),
        },
      },
      cursor: {
        // The zoom is ours (setSelect below), so that a live update keeps it.
        drag: { x: true, y: false, setScale: false },
        bind: {
          // The checkboxes pick the series: a click on the legend does not hide one.
          click: () => null,
          dblclick: () => () => {
            this.setZoom(undefined);
            return null;
          },
        },
      },
      // The zoom's text comes from the x scale drawn, not from what was asked for.
      hooks: { setSelect: [(plot) => this.selected(plot)], setScale: [(_plot, key) => key === 'x' && this.showZoom()] },
    };
    const plot = new uPlot(options, this.aligned, this.plotHost);
    this.plot = plot;
    plot.ctx.canvas.classList.add('chart-canvas');
    plot.ctx.canvas.setAttribute('role', 'img');
    const x = this.aligned[0];
    if (this.zoom && !(x.length && this.zoom.max >= x[0] && this.zoom.min <= x[x.length - 1])) this.zoom = undefined;
    if (this.zoom) this.setZoom(this.zoom);
    else this.showZoom();
    this.describe();
  }

  /** Wide enough for the longest tick label, measured in the axis' font, and the axis title. */
  private axisWidth(plot: uPlot, values: string[] | null, axisIndex: number): number {
    const axis = plot.axes[axisIndex];
    const font = Array.isArray(axis.font) ? String(axis.font[0]) : String(axis.font ?? '');
    plot.ctx.font = font;
    const widest = Math.max(0, ...(values ?? []).map((value) => plot.ctx.measureText(value).width));
    return Math.ceil(widest / (devicePixelRatio || 1) + (axis.ticks?.size ?? 4) + (axis.gap ?? 5) + 4);
  }

  private selected(plot: uPlot): void {
    const { left, width } = plot.select;
    if (width < 2) return;
    const min = plot.posToVal(left, 'x');
    const max = plot.posToVal(left + width, 'x');
    plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.setZoom({ min, max });
  }

  private setZoom(zoom: { min: number; max: number } | undefined): void {
    this.zoom = zoom;
    const plot = this.plot;
    // In a batch, so that the scales are set before the text reads them (uPlot commits in a microtask otherwise).
    if (plot) {
      plot.batch(() => {
        if (zoom) plot.setScale('x', zoom);
        // Setting the data again ranges every scale to all of it.
        else plot.setData(this.aligned);
      });
    }
    this.showZoom();
  }

  private showZoom(): void {
    const scale = this.plot?.scales.x;
    const shown = scale && scale.min !== undefined && scale.max !== undefined ? { min: scale.min, max: scale.max } : this.zoom;
    this.zoomText.textContent = this.zoom && shown ? l10n.t('Zoomed to {0} – {1} (double-click the chart or Reset zoom for all).', timeOf(shown.min), timeOf(shown.max)) : zoomHint();
    this.resetButton.toggleAttribute('disabled', !this.zoom);
  }

  private describe(): void {
    this.plot?.ctx.canvas.setAttribute('aria-label', chartSummary(this.data.series, this.plan));
    this.reader.setAttribute('aria-valuemax', String(Math.max(1, this.aligned[0].length)));
    // The text stays until a key moves the reader: a live chart must not speak at each refresh.
    if (this.readerTime === undefined) this.showReader();
  }

  /** The index of the point the reader is on, in the points drawn now. */
  private readerIndex(): number | undefined {
    const x = this.aligned[0];
    if (this.readerTime === undefined || !x.length) return undefined;
    const index = x.indexOf(this.readerTime);
    // The point was dropped by the history limits: the oldest one kept.
    return index >= 0 ? index : 0;
  }

  private onReaderKey(event: KeyboardEvent): void {
    const x = this.aligned[0];
    if (!x.length) return;
    const at = this.readerIndex();
    const last = x.length - 1;
    let next: number;
    switch (event.key) {
      case 'ArrowLeft':
      case 'ArrowDown':
        next = at === undefined ? last : Math.max(0, at - 1);
        break;
      case 'ArrowRight':
      case 'ArrowUp':
        next = at === undefined ? last : Math.min(last, at + 1);
        break;
      case 'PageDown':
        next = Math.max(0, (at ?? last) - PAGE_POINTS);
        break;
      case 'PageUp':
        next = Math.min(last, (at ?? last) + PAGE_POINTS);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = last;
        break;
      default:
        return;
    }
    event.preventDefault();
    this.readerTime = x[next];
    this.showReader();
  }

  /** The reader's text for its point (or how to use it), and the plot's cursor on that point. */
  private showReader(): void {
    const index = this.readerIndex();
    if (index === undefined) {
      const text = l10n.t('Left and Right read the chart point by point.');
      this.reader.textContent = text;
      this.reader.setAttribute('aria-valuetext', text);
      this.reader.setAttribute('aria-valuenow', String(Math.max(1, this.aligned[0].length)));
      return;
    }
    const time = this.aligned[0][index];
    const values = this.data.series.flatMap((series, at) => {
      const value = this.aligned[at + 1]?.[index];
      return value === null || value === undefined ? [] : [`${series.path} ${formatValue(value)}`];
    });
    const total = this.aligned[0].length;
    const text = l10n.t('Point {0} of {1}, {2}: {3}', index + 1, total, timeOf(time), values.join(', ') || l10n.t('no value'));
    this.reader.textContent = text;
    this.reader.setAttribute('aria-valuenow', String(index + 1));
    this.reader.setAttribute('aria-valuetext', text);
    const plot = this.plot;
    if (plot && document.activeElement === this.reader) {
      const first = this.data.series.findIndex((_, at) => this.aligned[at + 1]?.[index] !== null && this.aligned[at + 1]?.[index] !== undefined);
      const y = first >= 0 ? plot.valToPos(this.aligned[first + 1][index] as number, `y${this.plan.axisOf[first]}`) : plot.over.clientHeight / 2;
      plot.setCursor({ left: plot.valToPos(time, 'x'), top: y });
    }
  }
}
