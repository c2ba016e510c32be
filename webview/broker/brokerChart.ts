import * as l10n from '@vscode/l10n';
import uPlot from 'uplot';
import type { FigureSeries } from '../../src/shared/brokerStats';
import { alignSeries, formatValue, paddedRange, timeTickLabels, timeTickSpace, valueTickLabels } from '../logic/chart';
import { el } from '../panel/dom';
import { readChartTheme } from '../panel/chartTheme';
import { timeOf } from '../panel/historyList';

const PLOT_HEIGHT = 150;
/** Each broker chart has at most two series: blue and orange. */
const readTheme = () => readChartTheme(2);

/**
 * A small uPlot line chart of one or two broker figures over the session (the same library and
 * theme colours as the topic panel's chart). The data is replaced on each update; the plot is built
 * again only when its width or the theme changes.
 */
export class BrokerChart {
  readonly element = el('section', 'broker-chart');
  private readonly title = el('h2', 'broker-chart-title');
  private readonly empty = el('p', 'note');
  /** The chart's text alternative: what it shows and the latest values (the canvas is only a picture). */
  private readonly summary = el('p', 'visually-hidden');
  private readonly host = el('div', 'broker-chart-plot');
  private plot: uPlot | undefined;
  private data: uPlot.AlignedData = [[]];
  private width = 0;
  private points = 0;

  private range: { min: number; max: number } | undefined;

  /** `stepped`: counts (clients, subscriptions) hold their value until the next one; rates are drawn as lines. */
  constructor(
    title: string,
    private readonly lines: { label: string; format: (value: number) => string }[],
    private readonly stepped = false,
  ) {
    this.title.textContent = title;
    this.title.id = `chart-${title.replace(/\W+/g, '-').toLowerCase()}`;
    this.element.setAttribute('aria-labelledby', this.title.id);
    this.empty.textContent = l10n.t('No values yet.');
    this.element.append(this.title, this.empty, this.summary, this.host);
    new ResizeObserver(() => this.resize()).observe(this.host);
    const themes = new MutationObserver(() => this.build());
    themes.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /**
   * `series`: one per line, in the lines' order (missing ones draw nothing). `range`: the time axis
   * every chart of the view shares (from the first `$SYS` message to the latest).
   */
  update(series: (FigureSeries | undefined)[], range?: { min: number; max: number }): void {
    this.range = range && range.max > range.min ? range : undefined;
    const aligned = alignSeries(series.map((one, index) => ({ path: this.lines[index].label, points: one ? one.t.map((t, i) => ({ t, v: one.v[i] })) : [] })));
    this.data = [aligned.x, ...aligned.y];
    this.points = aligned.x.length;
    this.empty.hidden = this.points > 0;
    this.element.dataset.points = String(this.points);
    this.summary.textContent = this.describe(series);
    if (!this.points) {
      this.plot?.destroy();
      this.plot = undefined;
      this.host.replaceChildren();
      return;
    }
    if (this.plot) {
      const plot = this.plot;
      plot.batch(() => {
        plot.setData(this.data);
        if (this.range) plot.setScale('x', this.range);
      });
    } else this.build();
  }

  private resize(): void {
    const width = this.host.clientWidth;
    if (!width || width === this.width) return;
    this.width = width;
    if (this.plot) this.plot.setSize({ width, height: PLOT_HEIGHT });
    else this.build();
  }

  private build(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.host.replaceChildren();
    const width = this.host.clientWidth;
    if (!width || !this.points) return;
    const theme = readTheme();
    const charPx = theme.fontPx * 0.62;
    const axisStyle = { stroke: theme.foreground, font: theme.font, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1, size: 4 }, border: { show: true, stroke: theme.grid, width: 1 } };
    const options: uPlot.Options = {
      width,
      height: PLOT_HEIGHT,
      // Room on the right for the last time tick's label.
      padding: [8, 28, 0, 0],
      ms: 1,
      scales: { x: { time: true, range: (_plot, min, max) => (min === max ? [min - 1000, max + 1000] : [min, max]) }, y: { range: (_plot, min, max) => paddedRange(Math.min(0, min ?? 0), max) } },
      series: [
        { label: l10n.t('Time'), value: (_plot, value) => (value === null ? '\u2014' : timeOf(value)) },
        ...this.lines.map(
          (line, index): uPlot.Series => ({
            label: line.label,
            stroke: theme.series[index % theme.series.length],
            width: 1.5,
            spanGaps: true,
            paths: this.stepped ? uPlot.paths.stepped?.({ align: 1 }) : undefined,
            points: { show: !this.stepped, size: 4 },
            value: (_plot, value) => (value === null ? '\u2014' : line.format(value)),
          }),
        ),
      ],
      axes: [
        {
          ...axisStyle,
          space: (_plot, _axis, min, max, plotPx) => timeTickSpace(max - min, plotPx, charPx),
          values: (_plot, ticks, _axis, _space, step) => timeTickLabels(ticks, step),
          size: (_plot, values) => Math.ceil(13 + theme.fontPx * 1.5 * Math.max(1, ...(values ?? []).map((value) => value.split('\n').length))),
        },
        { ...axisStyle, values: (_plot, ticks, _axis, _space, step) => valueTickLabels(ticks, step), size: (plot, values) => this.axisWidth(plot, values) },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    this.plot = new uPlot(options, this.data, this.host);
    if (this.range) this.plot.setScale('x', this.range);
    this.plot.ctx.canvas.setAttribute('role', 'img');
    this.plot.ctx.canvas.setAttribute('aria-label', l10n.t('{0}: {1} over time', this.title.textContent ?? '', this.lines.map((line) => line.label).join(', ')));
  }

  /** "Received: 12.3 (latest), 40 points; Sent: …", for a screen reader in place of the canvas. */
  private describe(series: (FigureSeries | undefined)[]): string {
    if (!this.points) return '';
    return this.lines
      .map((line, index) => {
        const values = series[index]?.v ?? [];
        return values.length ? l10n.t('{0}: {1} (latest), {2} points', line.label, line.format(values[values.length - 1]), values.length) : l10n.t('{0}: no values', line.label);
      })
      .join('; ');
  }

  private axisWidth(plot: uPlot, values: string[] | null): number {
    plot.ctx.font = readTheme().font;
    const widest = Math.max(0, ...(values ?? []).map((value) => plot.ctx.measureText(value).width));
    return Math.ceil(widest / (devicePixelRatio || 1) + 13);
  }
}

export { formatValue };
