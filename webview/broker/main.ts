import '../localize';
import * as l10n from '@vscode/l10n';
import { brokerName, extraLabel, FIGURE_KEYS, figureLabel, formatFigure, howToEnableSys, SYS_WAIT_MS, type FigureKey, type FigureSeries } from '../../src/shared/brokerStats';
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
// One landmark for the whole view; headings in order (h1, then h2 per part) for a screen reader's outline.
const main = el('main', 'broker-view');
const title = el('h1', 'topic', l10n.t('Broker'));
const meta = el('p', 'details broker-meta');
// Why there are no figures (or what to do): announced when it changes, without taking the focus.
const notice = el('div', 'broker-notice');
notice.setAttribute('role', 'status');
const tilesTitle = el('h2', 'visually-hidden', l10n.t('Current figures'));
const tiles = el('ul', 'broker-tiles');
const charts = el('div', 'broker-charts');
const extrasTitle = el('h2', 'broker-chart-title', l10n.t('Broker-specific figures'));
extrasTitle.id = 'broker-extras-title';
const extras = el('table', 'broker-extras');
extras.setAttribute('aria-labelledby', extrasTitle.id);
const footer = el('p', 'details broker-footer');
main.append(title, meta, notice, tilesTitle, tiles, charts, extrasTitle, extras, footer);
app.append(main);

const tileValue = new Map<FigureKey, { value: HTMLElement; note: HTMLElement }>();
for (const key of FIGURE_KEYS) {
  // A list item read as one: "Clients connected: 3", then the note.
  const tile = el('li', 'broker-tile');
  tile.dataset.figure = key;
  const value = el('div', 'broker-tile-value', '\u2014');
  const note = el('div', 'broker-tile-note', '');
  tile.append(el('div', 'broker-tile-label', figureLabel(key)), value, note);
  tiles.append(tile);
  tileValue.set(key, { value, note });
}

const rate = (key: FigureKey) => (value: number) => formatFigure(key, value);
const chartDefs: { chart: BrokerChart; keys: FigureKey[] }[] = [
  { chart: new BrokerChart(l10n.t('Clients connected'), [{ label: l10n.t('Clients'), format: rate('clients') }], true), keys: ['clients'] },
  { chart: new BrokerChart(l10n.t('Messages per second'), [{ label: l10n.t('Received'), format: rate('messagesIn') }, { label: l10n.t('Sent'), format: rate('messagesOut') }]), keys: ['messagesIn', 'messagesOut'] },
  { chart: new BrokerChart(l10n.t('Bytes per second'), [{ label: l10n.t('Received'), format: rate('bytesIn') }, { label: l10n.t('Sent'), format: rate('bytesOut') }]), keys: ['bytesIn', 'bytesOut'] },
  {
    chart: new BrokerChart(l10n.t('Subscriptions and retained messages'), [{ label: l10n.t('Subscriptions'), format: rate('subscriptions') }, { label: l10n.t('Retained'), format: rate('retained') }], true),
    keys: ['subscriptions', 'retained'],
  },
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

/** A count in the display language's digits grouping. */
function count(value: number): string {
  return value.toLocaleString(document.documentElement.lang || 'en');
}

function sysMessages(value: number): string {
  return value === 1 ? l10n.t('1 $SYS message') : l10n.t('{0} $SYS messages', count(value));
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
    say('info', l10n.t('Not connected ({0}). Figures arrive from the broker’s $SYS topics while connected.', update.connectionState));
    return;
  }
  if (!stats) return;
  const subscription = stats.subscription;
  if (subscription.state === 'absent' && !stats.sysSeen) {
    const subscribe = button(l10n.t('Subscribe to $SYS/#'), () => {
      void host.request('subscribeSys', {}).catch((error: unknown) => {
        notice.append(el('p', 'error', l10n.t('The subscription failed: {0}', (error as Error).message)));
      });
    }, 'primary');
    say('warning', l10n.t('This connection has no subscription to $SYS/# (a # subscription does not match $SYS topics), so no broker statistics can arrive.'), subscribe);
    return;
  }
  if (subscription.state === 'refused') {
    say('warning', l10n.t('The broker refused the subscription to {0}: {1}. It publishes no $SYS to this client. {2}', subscription.filter, subscription.reason, howToEnableSys()));
    return;
  }
  if (stats.sysSeen && stats.understood === 0) {
    say('warning', l10n.t('{0} arrived, but none with a topic this view understands (mosquitto, HiveMQ, EMQX and aedes names are: see docs/broker-statistics.md).', sysMessages(stats.sysMessages)));
    return;
  }
  if (stats.sysSeen && stats.broker === 'aedes' && !Object.keys(stats.figures).length) {
    say('info', l10n.t('aedes publishes only heartbeats and client events on $SYS; its figures come with the aedes-stats plugin.'));
    return;
  }
  if (!stats.sysSeen) {
    const since = stats.connectedSince ?? now;
    const waited = Math.max(0, now - since);
    if (waited < SYS_WAIT_MS) say('info', l10n.t('Waiting for the broker’s $SYS messages… ({0} s)', Math.round(waited / 1000)));
    else say('warning', l10n.t('This broker publishes no $SYS: nothing arrived in {0} s on {1}. {2}', Math.round(waited / 1000), subscription.state === 'absent' ? '$SYS' : subscription.filter, howToEnableSys()));
  }
}

function render(update: BrokerViewUpdate): void {
  last = update;
  const stats = update.stats;
  document.title = l10n.t('Broker: {0}', update.connectionName);
  title.textContent = l10n.t('Broker: {0}', update.connectionName);
  const parts = [update.connectionState];
  if (stats?.sysSeen) parts.unshift(brokerName(stats.broker));
  if (stats?.version) parts.splice(1, 0, stats.version);
  if (stats?.node) parts.splice(1, 0, l10n.t('node {0}', stats.node));
  // When the figures are from: a broker that stopped publishing leaves them as they were.
  if (stats?.lastSysAt !== undefined) parts.push(l10n.t('latest $SYS at {0}', new Date(stats.lastSysAt).toLocaleTimeString(document.documentElement.lang || undefined)));
  meta.textContent = parts.join(' \u00b7 ');
  renderNotice(update, Date.now());
  for (const key of FIGURE_KEYS) {
    const tile = tileValue.get(key);
    const figure = stats?.figures[key];
    if (!tile) continue;
    tile.value.textContent = figure ? formatFigure(key, figure.value) : '\u2014';
    tile.note.textContent = figure?.source === 'load' ? l10n.t('broker’s 1-minute average') : figure?.source === 'counters' ? l10n.t('from its counters') : key === 'dropped' && figure ? l10n.t('since the broker started') : '';
  }
  const byKey = new Map<FigureKey, FigureSeries>((stats?.series ?? []).map((series) => [series.key, series]));
  const range = stats?.firstSysAt !== undefined && stats.lastSysAt !== undefined ? { min: stats.firstSysAt, max: stats.lastSysAt } : undefined;
  for (const { chart, keys } of chartDefs) chart.update(keys.map((key) => held(byKey.get(key), stats?.lastSysAt)), range);
  extras.replaceChildren(
    ...(stats?.extras ?? []).map(({ label, text }) => {
      const row = el('tr');
      const name = el('th', undefined, extraLabel(label));
      name.scope = 'row';
      row.append(name, el('td', undefined, text));
      return row;
    }),
  );
  extrasTitle.hidden = extras.childElementCount === 0;
  footer.textContent = stats
    ? [
        l10n.t('{0} ({1} understood, {2} refused: not a valid value)', sysMessages(stats.sysMessages), count(stats.understood), count(stats.rejected)),
        l10n.t('{0} points kept ({1}), {2} thinned', count(stats.points), formatBytes(stats.bytes), count(stats.thinned)),
        ...(stats.resets ? [l10n.t('{0} counter resets (broker restarted)', count(stats.resets))] : []),
        ...(stats.extrasDropped ? [l10n.t('{0} extra figures not shown', count(stats.extrasDropped))] : []),
        l10n.t('rates: per second, from the broker’s cumulative counters (its 1-minute load average where it has none)'),
      ].join(' \u00b7 ')
    : '';
}

host.on('brokerUpdate', (update) => render(update));
// The wait for a first $SYS message counts on without new data.
setInterval(() => {
  if (last && !last.stats?.sysSeen) renderNotice(last, Date.now());
}, 1000);
host.emit('ready', { protocolVersion: PROTOCOL_VERSION });
