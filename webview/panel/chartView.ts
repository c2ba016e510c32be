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
const NO_FIELDS = `No numeric field in this topic\u2019s messages: a number, or JSON with numbers (at most ${MAX_JSON_DEPTH} levels deep and ${MAX_FIELDS_TEXT / 1024 / 1024} MiB long), can be charted.`;
const ZOOM_HINT = 'Drag across the chart to zoom in on a time range.';

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
  private readonly zoomText = el('span', 'chart-zoom', ZOOM_HINT);
  private readonly resetButton = button('Reset zoom', () => this.setZoom(undefined));
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
    this.element.append(this.fields, this.note, this.toolbar, this.legendHost, this.plotHost);
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
    this.note.textContent = !data.available.length ? NO_FIELDS : points ? '' : 'The picked fields have no values yet.';
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
        { label: 'Time', value: (_plot, value) => (value === null ? '\u2014' : timeOf(value)) },
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
    this.zoomText.textContent = this.zoom && shown ? `Zoomed to ${timeOf(shown.min)} \u2013 ${timeOf(shown.max)} (double-click the chart or Reset zoom for all).` : ZOOM_HINT;
    this.resetButton.toggleAttribute('disabled', !this.zoom);
  }

  private describe(): void {
    this.plot?.ctx.canvas.setAttribute('aria-label', chartSummary(this.data.series, this.plan));
  }
}
