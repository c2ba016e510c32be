import { opaque } from '../logic/chart';

/** Series colours: the theme's chart colours, so light, dark and high-contrast themes all read well. */
export const CHART_COLOURS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK_COLOURS = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

/** What a uPlot chart of a webview draws with, read from the current theme. */
export interface ChartTheme {
  foreground: string;
  grid: string;
  font: string;
  fontPx: number;
  /** The first `colours` of CHART_COLOURS, opaque (uPlot's canvas and the swatches draw the same). */
  series: string[];
}

/** The theme's chart colours and font now (read again when the theme changes); `colours`: how many series colours. */
export function readChartTheme(colours = CHART_COLOURS.length): ChartTheme {
  const style = getComputedStyle(document.body);
  const value = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const size = value('--vscode-font-size', '13px');
  return {
    foreground: value('--vscode-editor-foreground', value('--vscode-foreground', '#888')),
    grid: value('--vscode-editorWidget-border', value('--vscode-panel-border', '#8886')),
    font: `${size} ${value('--vscode-font-family', 'sans-serif')}`,
    fontPx: Number.parseFloat(size) || 13,
    series: CHART_COLOURS.slice(0, colours).map((name, index) => opaque(value(name, FALLBACK_COLOURS[index]))),
  };
}
