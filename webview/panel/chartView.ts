import type { SeriesView } from '../../src/shared/webviewProtocol';
import { MAX_CHART_SERIES } from '../../src/shared/webviewProtocol';
import { MAX_JSON_DEPTH } from '../../src/shared/json';
import { MAX_FIELDS_TEXT } from '../../src/shared/series';
import { formatTick, niceTicks, scale, timeRange, valueRange } from '../logic/chart';
import { checkbox } from '../toolkit';
import { el } from './dom';
import { timeOf } from './historyList';

/** The engine gives no fields for JSON past the views' bounds (extractFields): the note names them. */
const NO_FIELDS = `No numeric field in this topic\u2019s messages: a number, or JSON with numbers (at most ${MAX_JSON_DEPTH} levels deep and ${MAX_FIELDS_TEXT / 1024 / 1024} MiB long), can be charted.`;

/** Series colours: the theme's chart colours, so light, dark and high-contrast themes all read well. */
const COLOURS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];

function cssColour(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/**
 * A line chart of numeric fields over time, several in one chart. The fields are picked with
 * checkboxes; the points come from the host, computed over the whole kept history.
 */
export class ChartView {
  readonly element = el('div', 'chart');
  private readonly fields = el('div', 'chart-fields');
  private readonly canvas = el('canvas', 'chart-canvas');
  private readonly note = el('p', 'note');
  private data: SeriesView = { available: [], series: [] };

  constructor(private readonly onPick: (paths: string[]) => void) {
    this.canvas.setAttribute('role', 'img');
    this.element.append(this.fields, this.note, this.canvas);
    new ResizeObserver(() => this.draw()).observe(this.canvas);
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
    this.canvas.setAttribute('aria-label', `Chart of ${data.series.map((series) => `${series.path} (${series.points.length} points)`).join(', ')}`);
    this.draw();
  }

  private renderFields(): void {
    const drawn = new Set(this.drawnPaths);
    const boxes = this.data.available.map((path, index) => {
      const box = checkbox(`field-${index}`, path);
      box.value = drawn.has(path);
      box.element.style.setProperty('--series-colour', `var(${COLOURS[this.drawnPaths.indexOf(path) % COLOURS.length] ?? '--vscode-foreground'})`);
      if (drawn.has(path)) box.element.classList.add('drawn');
      box.onChange(() => {
        const picked = new Set(this.drawnPaths);
        if (box.value) picked.add(path);
        else picked.delete(path);
        this.onPick([...picked].slice(0, MAX_CHART_SERIES));
      });
      return box.element;
    });
    this.fields.replaceChildren(...boxes);
  }

  private draw(): void {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext('2d');
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const series = this.data.series.filter((one) => one.points.length);
    const values = valueRange(series);
    const times = timeRange(series);
    if (!values || !times) return;
    const foreground = cssColour('--vscode-foreground', '#888');
    const grid = cssColour('--vscode-editorWidget-border', cssColour('--vscode-panel-border', '#8884'));
    const font = `${cssColour('--vscode-font-size', '12px')} ${cssColour('--vscode-font-family', 'sans-serif')}`;
    const area = { left: 64, right: width - 12, top: 10, bottom: height - 26 };
    context.font = font;
    context.fillStyle = foreground;
    context.strokeStyle = grid;
    context.lineWidth = 1;
    context.textBaseline = 'middle';
    context.textAlign = 'right';
    for (const tick of niceTicks(values.min, values.max, 5)) {
      const y = Math.round(scale(tick, values, area.bottom, area.top)) + 0.5;
      context.beginPath();
      context.moveTo(area.left, y);
      context.lineTo(area.right, y);
      context.stroke();
      context.fillText(formatTick(tick), area.left - 6, y);
    }
    context.textAlign = 'center';
    context.textBaseline = 'top';
    const labels = Math.max(2, Math.floor((area.right - area.left) / 110));
    for (let index = 0; index < labels; index++) {
      const t = times.min + ((times.max - times.min) * index) / (labels - 1);
      const x = scale(t, times, area.left, area.right);
      context.fillText(timeOf(t).slice(0, 8), Math.min(Math.max(x, area.left + 30), area.right - 30), area.bottom + 6);
    }
    context.strokeStyle = grid;
    context.strokeRect(area.left + 0.5, area.top + 0.5, area.right - area.left, area.bottom - area.top);
    this.data.series.forEach((one, index) => {
      if (!one.points.length) return;
      context.strokeStyle = cssColour(COLOURS[index % COLOURS.length], foreground);
      context.fillStyle = context.strokeStyle;
      context.lineWidth = 1.5;
      context.beginPath();
      one.points.forEach((point, at) => {
        const x = scale(point.t, times, area.left, area.right);
        const y = scale(point.v, values, area.bottom, area.top);
        if (at === 0) context.moveTo(x, y);
        else context.lineTo(x, y);
      });
      context.stroke();
      if (one.points.length < 60) for (const point of one.points) context.fillRect(scale(point.t, times, area.left, area.right) - 2, scale(point.v, values, area.bottom, area.top) - 2, 4, 4);
    });
  }
}
