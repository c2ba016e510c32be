import '../localize';
import {
  BROKER_NAMES,
  FIGURE_KEYS,
  FIGURE_LABELS,
  formatFigure,
  HOW_TO_ENABLE_SYS,
  SYS_WAIT_MS,
  type FigureKey,
  type FigureSeries,
} from '../../src/shared/brokerStats';
import { formatBytes } from '../../src/shared/format';
import { BROKER_VIEW_DEADLINES, parseBrokerViewState, PROTOCOL_VERSION, type BrokerViewHostApi, type BrokerViewUpdate, type BrokerViewWebviewApi } from '../../src/shared/webviewProtocol';
import { connectToHost, initialState, saveState } from '../host';
import { button, registerToolkit } from '../toolkit';
import { el } from '../panel/dom';
import { BrokerChart } from './brokerChart';

registerToolkit();

const state = initialState(parseBrokerViewState);
if (state) saveState(state);

const host = connectToHost<BrokerViewWebviewApi, BrokerViewHostApi>({}, { deadlines: BROKER_VIEW_DEADLINES });

const app = document.getElementById('app') as HTMLElement;
const title = el('h1', 'topic', 'Broker');
const meta = el('p', 'details broker-meta');
const notice = el('div', 'broker-notice');
const tiles = el('div', 'broker-tiles');
const charts = el('div', 'broker-charts');
const extrasTitle = el('h3', 'broker-chart-title', 'Broker-specific figures');
const extras = el('table', 'broker-extras');
const footer = el('p', 'details broker-footer');
app.append(title, meta, notice, tiles, charts, extrasTitle, extras, footer);

const tileValue = new Map<FigureKey, { value: HTMLElement; note: HTMLElement }>();
for (const key of FIGURE_KEYS) {
  const tile = el('div', 'broker-tile');
  tile.dataset.figure = key;
  const value = el('div', 'broker-tile-value', '\u2014');
  const note = el('div', 'broker-tile-note', '');
  tile.append(el('div', 'broker-tile-label', FIGURE_LABELS[key]), value, note);
  tiles.append(tile);
  tileValue.set(key, { value, note });
}

const rate = (key: FigureKey) => (value: number) => formatFigure(key, value);
const chartDefs: { chart: BrokerChart; keys: FigureKey[] }[] = [
  { chart: new BrokerChart('Clients connected', [{ label: 'Clients', format: rate('clients') }], true), keys: ['clients'] },
  { chart: new BrokerChart('Messages per second', [{ label: 'Received', format: rate('messagesIn') }, { label: 'Sent', format: rate('messagesOut') }]), keys: ['messagesIn', 'messagesOut'] },
  { chart: new BrokerChart('Bytes per second', [{ label: 'Received', format: rate('bytesIn') }, { label: 'Sent', format: rate('bytesOut') }]), keys: ['bytesIn', 'bytesOut'] },
  { chart: new BrokerChart('Subscriptions and retained messages', [{ label: 'Subscriptions', format: rate('subscriptions') }, { label: 'Retained', format: rate('retained') }], true), keys: ['subscriptions', 'retained'] },
];
for (const { chart } of chartDefs) charts.append(chart.element);

let last: BrokerViewUpdate | undefined;

/**
 * A count as it stands at the latest `$SYS` message: brokers publish a count again only when it
 * changes (mosquitto), so its last value holds until then. Rates get no such point: a counter that
 * stopped is drawn as 0 by the engine at the next tick.
 */
function held(series: FigureSeries | undefined, lastSysAt: number | undefined): FigureSeries | undefined {
  if (!series || lastSysAt === undefined || !series.t.length || series.key.startsWith('messages') || series.key.startsWith('bytes')) return series;
  const end = series.t[series.t.length - 1];
  return end < lastSysAt ? { key: series.key, t: [...series.t, lastSysAt], v: [...series.v, series.v[series.v.length - 1]] } : series;
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

/** What the notice says: nothing once figures arrive; otherwise why there are none, and what to do. */
let noticeKey = '';

function renderNotice(update: BrokerViewUpdate, now: number): void {
  const stats = update.stats;
  let said = false;
  // Rendered again only when its text changes (it is checked every second): a button under the pointer stays put.
  const say = (kind: 'info' | 'warning', text: string, extra?: HTMLElement) => {
    said = true;
    const key = `${kind}\n${text}`;
    if (key === noticeKey) return;
    noticeKey = key;
    notice.replaceChildren(el('p', undefined, text));
    notice.className = `broker-notice ${kind}`;
    notice.dataset.kind = kind;
    if (extra) notice.append(extra);
  };
  renderNoticeCase(update, stats, now, say);
  if (!said && noticeKey) {
    noticeKey = '';
    notice.replaceChildren();
    notice.className = 'broker-notice';
  }
}

function renderNoticeCase(update: BrokerViewUpdate, stats: BrokerViewUpdate['stats'], now: number, say: (kind: 'info' | 'warning', text: string, extra?: HTMLElement) => void): void {
  if (!update.connected) {
    say('info', `Not connected (${update.connectionState}). Figures arrive from the broker's $SYS topics while connected.`);
    return;
  }
  if (!stats) return;
  const subscription = stats.subscription;
  if (subscription.state === 'absent' && !stats.sysSeen) {
    const subscribe = button('Subscribe to $SYS/#', () => {
      void host.request('subscribeSys', {}).catch((error: unknown) => {
        notice.append(el('p', undefined, `The subscription failed: ${(error as Error).message}`));
      });
    }, 'primary');
    say('warning', 'This connection has no subscription to $SYS/# (a # subscription does not match $SYS topics), so no broker statistics can arrive.', subscribe);
    return;
  }
  if (subscription.state === 'refused') {
    say('warning', `The broker refused the subscription to ${subscription.filter}: ${subscription.reason}. It publishes no $SYS to this client. ${HOW_TO_ENABLE_SYS}`);
    return;
  }
  if (stats.sysSeen && stats.understood === 0) {
    say('warning', `${plural(stats.sysMessages, '$SYS message')} arrived, but none with a topic this view understands (mosquitto, HiveMQ, EMQX and aedes names are: see docs/broker-statistics.md).`);
    return;
  }
  if (stats.sysSeen && stats.broker === 'aedes' && !Object.keys(stats.figures).length) {
    say('info', 'aedes publishes only heartbeats and client events on $SYS; its figures come with the aedes-stats plugin.');
    return;
  }
  if (!stats.sysSeen) {
    const since = stats.connectedSince ?? now;
    const waited = Math.max(0, now - since);
    if (waited < SYS_WAIT_MS) say('info', `Waiting for the broker's $SYS messages\u2026 (${Math.round(waited / 1000)} s)`);
    else say('warning', `This broker publishes no $SYS: nothing arrived in ${Math.round(waited / 1000)} s on ${subscription.state === 'absent' ? '$SYS' : subscription.filter}. ${HOW_TO_ENABLE_SYS}`);
  }
}

function render(update: BrokerViewUpdate): void {
  last = update;
  const stats = update.stats;
  document.title = `Broker: ${update.connectionName}`;
  title.textContent = `Broker: ${update.connectionName}`;
  const parts = [update.connectionState];
  if (stats?.sysSeen) parts.unshift(BROKER_NAMES[stats.broker]);
  if (stats?.version) parts.splice(1, 0, stats.version);
  if (stats?.node) parts.splice(1, 0, `node ${stats.node}`);
  // When the figures are from: a broker that stopped publishing leaves them as they were.
  if (stats?.lastSysAt !== undefined) parts.push(`latest $SYS at ${new Date(stats.lastSysAt).toLocaleTimeString()}`);
  meta.textContent = parts.join(' \u00b7 ');
  renderNotice(update, Date.now());
  for (const key of FIGURE_KEYS) {
    const tile = tileValue.get(key);
    const figure = stats?.figures[key];
    if (!tile) continue;
    tile.value.textContent = figure ? formatFigure(key, figure.value) : '\u2014';
    tile.note.textContent = figure?.source === 'load' ? "broker's 1-minute average" : figure?.source === 'counters' ? 'from its counters' : key === 'dropped' && figure ? 'since the broker started' : '';
  }
  const byKey = new Map<FigureKey, FigureSeries>((stats?.series ?? []).map((series) => [series.key, series]));
  const range = stats?.firstSysAt !== undefined && stats.lastSysAt !== undefined ? { min: stats.firstSysAt, max: stats.lastSysAt } : undefined;
  for (const { chart, keys } of chartDefs) chart.update(keys.map((key) => held(byKey.get(key), stats?.lastSysAt)), range);
  extras.replaceChildren(
    ...(stats?.extras ?? []).map(({ label, text }) => {
      const row = el('tr');
      row.append(el('th', undefined, label), el('td', undefined, text));
      return row;
    }),
  );
  extrasTitle.hidden = extras.childElementCount === 0;
  footer.textContent = stats
    ? `${plural(stats.sysMessages, '$SYS message')} (${stats.understood.toLocaleString('en-US')} understood, ${stats.rejected.toLocaleString('en-US')} refused: not a valid value)` +
      ` \u00b7 ${plural(stats.points, 'point')} kept (${formatBytes(stats.bytes)}), ${stats.thinned.toLocaleString('en-US')} thinned` +
      (stats.resets ? ` \u00b7 ${plural(stats.resets, 'counter reset')} (broker restarted)` : '') +
      (stats.extrasDropped ? ` \u00b7 ${stats.extrasDropped.toLocaleString('en-US')} extra figures not shown` : '') +
      ` \u00b7 rates: per second, from the broker's cumulative counters (its 1-minute load average where it has none)`
    : '';
}

host.on('brokerUpdate', (update) => render(update));
// The wait for a first $SYS message counts on without new data.
setInterval(() => {
  if (last && !last.stats?.sysSeen) renderNotice(last, Date.now());
}, 1000);
host.emit('ready', { protocolVersion: PROTOCOL_VERSION });
