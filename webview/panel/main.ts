import '../localize';
import * as l10n from '@vscode/l10n';
import { formatBytes } from '../../src/shared/format';
import {
  defaultPanelState,
  parsePanelState,
  PROTOCOL_VERSION,
  type ExportFormat,
  type HistoryWindowView,
  type MessageDetail,
  type PanelState,
  type PanelTab,
  type PanelTopic,
  type PayloadViewChoice,
  type DecodedView,
  type SchemaView,
} from '../../src/shared/webviewProtocol';
import { initialState, saveState, StaleReply } from '../host';
import { badge, button, checkbox, divider, dropdown, registerToolkit, tabs, tag } from '../toolkit';
import { ChartView } from './chartView';
import { host, setTarget } from './channel';
import { el } from './dom';
import { HistoryList } from './historyList';
import { PublishForm } from './publishForm';
import { detailLine, diffBody, PAYLOAD_VIEWS, payloadBody, propertiesTable, resolveView, viewLabel } from './messageViews';
import { NewMessageAnnouncer } from '../logic/announce';
import { DecodeAsChooser, DecodedCache, decodedBody, decoderBar, decoderNotes } from './decoding';
import { SchemaChecks, schemaBar } from './schemaView';
import { formatJson } from '../../src/shared/json';

/** The chart asks for fresh points at most this often while messages arrive. */
const CHART_REFRESH_MS = 1000;
/** Messages kept in the page for the diff and for going back and forth. */
const KEPT_MESSAGES = 64;

registerToolkit();

let state: PanelState = initialState(parsePanelState) ?? defaultPanelState('', '');
let topic: PanelTopic | undefined;
let window_: HistoryWindowView | undefined;
let latest: MessageDetail | undefined;
/** The message the payload and diff tabs show. */
let shown: MessageDetail | undefined;
/** The message to compare with; undefined: the one before the shown one. */
let compared: number | undefined;
const messages = new Map<number, MessageDetail>();
const decoded = new DecodedCache();
const schemaChecks = new SchemaChecks();
/** The newest schema check shown, so a render of the same message (decoded after raw) keeps it without a flash. */
let schemaShown: { seq: number; view: SchemaView | undefined } | undefined;
/** Counts renders of the payload: a decoding that comes back after a newer render is dropped. */
let payloadRender = 0;
let chartTimer: number | undefined;
let chartDue = false;

function remember(message: MessageDetail): MessageDetail {
  if (!message.cut || !messages.get(message.seq)) messages.set(message.seq, message);
  while (messages.size > KEPT_MESSAGES) messages.delete(messages.keys().next().value as number);
  return message;
}

async function messageAt(seq: number): Promise<MessageDetail> {
  return messages.get(seq) ?? remember(await host.request('message', { seq, whole: false }));
}

/** What an error says in the page: nothing for a reply that came after the panel moved on (it is dropped). */
function shownError(error: Error): string {
  return error instanceof StaleReply ? '' : error.message;
}

function store(change: Partial<PanelState>): void {
  state = { ...state, ...change };
  saveState(state);
}

// ---- layout ----

const app = document.getElementById('app') as HTMLElement;
const title = el('h1', 'topic', state.topic);
const meta = el('div', 'meta');
const follow = checkbox('follow', l10n.t('Follow the selection in the Topics view'));
follow.value = state.follow;
follow.onChange(() => {
  store({ follow: follow.value === true });
  void host.request('setFollow', { follow: state.follow });
});
const exportFormat = dropdown('export-format', l10n.t('Export history as'), [
  { value: 'json', label: 'JSON' },
  { value: 'ndjson', label: 'NDJSON' },
  { value: 'csv', label: 'CSV' },
]);
const status = el('span', 'status');
status.setAttribute('role', 'status');
const toolbar = el('div', 'toolbar');
toolbar.append(
  follow.element,
  exportFormat.element,
  button(l10n.t('Export…'), () => {
    const format = exportFormat.value as ExportFormat;
    host.request('exportHistory', { format }).then(
      (result) => say(result.saved ? l10n.t('Exported {0} messages to {1}.', result.count, result.saved) : ''),
      (error: Error) => say(shownError(error), true),
    );
  }),
  status,
);

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

const list = new HistoryList({
  select: (seq) => void select(seq),
  pickCompare: (seq) => {
    compared = seq;
    list.setCompared(seq);
    inspector.select('diff');
    store({ tab: 'diff' });
    void renderDiff();
  },
  fetchRows: (from, count) => host.request('rows', { from, count }),
  open: (seq) => void openDetails(seq),
});

/** Enter in the history: the message on the Payload tab, and the keyboard on its content. */
async function openDetails(seq: number | undefined): Promise<void> {
  inspector.select('payload');
  store({ tab: 'payload' });
  await select(seq);
  focusPayload();
}

/** The payload's first tab stop (the JSON tree's item, the text block), once it is in the page. */
function focusPayload(): void {
  const target = payloadContent.querySelector<HTMLElement>('[tabindex="0"]');
  if (target) target.focus();
  else payloadContent.focus();
}

const viewChoice = dropdown(
  'payload-view',
  l10n.t('View'),
  PAYLOAD_VIEWS.map((value) => ({ value, label: viewLabel(value) })),
);
viewChoice.value = state.view;
viewChoice.onChange(() => {
  store({ view: viewChoice.value as PayloadViewChoice });
  renderPayload();
});
const payloadStatus = el('span', 'status');
payloadStatus.setAttribute('role', 'status');
const loadWhole = button(l10n.t('Load whole payload'), () => {
  if (!shown) return;
  const seq = shown.seq;
  host.request('message', { seq, whole: true }).then(
    (message) => {
      messages.set(seq, message);
      if (shown?.seq === seq) show(message);
    },
    (error: Error) => (payloadStatus.textContent = shownError(error)),
  );
});
const latestButton = button(l10n.t('Show latest'), () => void select(undefined));
const act = (name: 'copyPayload' | 'savePayload' | 'openPayload', done: (result: { copied?: number; saved?: string | undefined }) => string) => () => {
  if (!shown) return;
  // What the tab shows is what is copied and opened: the decoded value unless Raw is chosen.
  const params = name === 'savePayload' ? { seq: shown.seq } : { seq: shown.seq, decoded: decoded.bound && state.raw !== true };
  host.request(name, params).then(
    (result) => (payloadStatus.textContent = done(result as { copied?: number; saved?: string })),
    (error: Error) => (payloadStatus.textContent = shownError(error)),
  );
};
const payloadActions = el('div', 'actions');
payloadActions.append(
  viewChoice.element,
  button(l10n.t('Copy'), act('copyPayload', (result) => l10n.t('Copied {0}.', formatBytes(result.copied ?? 0)))),
  button(l10n.t('Save…'), act('savePayload', (result) => (result.saved ? l10n.t('Saved to {0}.', result.saved) : ''))),
  button(l10n.t('Open in Editor'), act('openPayload', () => '')),
  button(l10n.t('Decode As…'), () => void openDecodeAs()),
  loadWhole,
  latestButton,
  payloadStatus,
);
const decodeAs = new DecodeAsChooser(
  () => shown?.seq,
  (saved) => {
    if (saved) payloadStatus.textContent = saved;
  },
);
async function openDecodeAs(): Promise<void> {
  inspector.select('payload');
  store({ tab: 'payload' });
  await decodeAs.show(state.topic);
}
const payloadHead = el('div', 'message-head');
const payloadContent = el('div', 'message-body');
// Focusable by script only: Enter in the history lands here when the payload has no tab stop of its own.
payloadContent.tabIndex = -1;
const diffContent = el('div', 'diff-body');
const diffActions = el('div', 'actions');
const diffNote = el('span', 'note');
diffActions.append(
  button(l10n.t('Compare with previous'), () => {
    compared = undefined;
    list.setCompared(undefined);
    void renderDiff();
  }),
  diffNote,
);
const publishForm = new PublishForm((draft) => store({ publish: draft }));
if (state.publish) publishForm.fill(state.publish);
const chart = new ChartView((paths) => {
  store({ chartPaths: paths });
  void refreshChart();
});

const inspector = tabs<PanelTab>(
  [
    { id: 'payload', label: l10n.t('Payload') },
    { id: 'diff', label: l10n.t('Diff') },
    { id: 'chart', label: l10n.t('Chart') },
    { id: 'publish', label: l10n.t('Publish') },
  ],
  state.tab,
  (tab) => {
    store({ tab });
    if (tab === 'diff') void renderDiff();
    if (tab === 'chart') void refreshChart();
    if (tab === 'publish') void publishForm.refreshLists();
  },
);
inspector.views.payload.append(payloadActions, decodeAs.element, payloadHead, payloadContent);
inspector.views.diff.append(diffActions, diffContent);
inspector.views.chart.append(chart.element);
inspector.views.publish.append(publishForm.element);
for (const view of Object.values(inspector.views)) view.classList.add('tab-view');

const header = el('header');
header.append(title, meta, toolbar);
/**
 * New messages for a screen reader: a polite region, at most one sentence every few seconds
 * ("12 new messages on a/b"), however fast they come. The text is cleared first, so that the same
 * sentence twice is said twice.
 */
const arrivals = el('div', 'sr-only arrivals');
arrivals.setAttribute('role', 'status');
arrivals.setAttribute('aria-live', 'polite');
arrivals.setAttribute('aria-atomic', 'true');
const announcer = new NewMessageAnnouncer((text) => {
  arrivals.textContent = '';
  window.setTimeout(() => (arrivals.textContent = text), 50);
});
// One <main> landmark holds the page and paints the theme's background behind its text (the
// webview's own is transparent over the workbench), so contrast checks measure what a person sees.
const page = el('main', 'panel-view');
page.append(header, divider(), list.element, inspector.element, arrivals);
app.replaceChildren(page);
// The tabs component picks its first tab when it connects: choose the stored one once it is in the page.
requestAnimationFrame(() => inspector.select(state.tab));

// ---- rendering ----

function renderHeader(): void {
  title.textContent = topic?.topic ?? state.topic;
  const parts: HTMLElement[] = [];
  if (topic) parts.push(tag(topic.connectionName));
  if (window_) {
    const kept = window_.nextSeq - window_.firstSeq;
    parts.push(badge(kept === 1 ? l10n.t('1 message') : l10n.t('{0} messages', kept.toLocaleString('en-US'))));
    if (window_.retained) parts.push(tag(l10n.t('retained')));
    if (window_.dropped) parts.push(el('span', 'dropped', l10n.t('{0} older dropped by the history limits', window_.dropped.toLocaleString('en-US'))));
  }
  meta.replaceChildren(...parts);
}

/**
 * The shown message: decoded by the topic's binding unless Raw is chosen (then, and without a binding,
 * in the chosen view of its bytes). A message that fails to decode shows why above its bytes.
 */
function renderPayload(): void {
  const render = ++payloadRender;
  if (!shown) {
    payloadHead.replaceChildren();
    payloadContent.replaceChildren(el('p', 'empty', l10n.t('Waiting for a message on this topic…')));
    loadWhole.hidden = true;
    return;
  }
  const message = shown;
  // Bound topics keep what they show until the decoding comes (no flash of bytes at each message).
  const early = !decoded.bound || state.raw === true;
  if (early) renderMessage(message, undefined);
  decoded.get(message.seq).then(
    (view) => {
      if (render === payloadRender && (view || !early)) renderMessage(message, view);
    },
    () => {
      if (render === payloadRender && !early) renderMessage(message, undefined);
    },
  );
  schemaChecks.get(message.seq).then(
    (view) => {
      if (render !== payloadRender) return;
      schemaShown = { seq: message.seq, view };
      payloadHead.querySelector('.schema-slot')?.replaceChildren(...(view ? [schemaBar(view)] : []));
    },
    () => undefined,
  );
  loadWhole.hidden = !message.cut;
  latestButton.hidden = list.selectedSeq === undefined;
}

/** Where the shown message's schema check goes: filled at once when it is known, else when it comes. */
function schemaSlot(seq: number): HTMLElement {
  const slot = el('div', 'schema-slot');
  const view = schemaShown?.seq === seq ? schemaShown.view : undefined;
  if (view) slot.append(schemaBar(view));
  return slot;
}

function renderMessage(message: MessageDetail, view: DecodedView | undefined): void {
  const bytes = message.payload;
  const line = detailLine(message);
  const showDecoded = view !== undefined && !view.error && !state.raw;
  if (!showDecoded) {
    const shownAs = resolveView(state.view, bytes);
    line.append(el('span', 'kind', state.view === 'auto' ? l10n.t('{0} (auto)', viewLabel(shownAs)) : viewLabel(shownAs)));
  } else line.append(el('span', 'kind', l10n.t('Decoded')));
  const head: HTMLElement[] = [line, schemaSlot(message.seq)];
  if (view) {
    head.push(
      decoderBar(view, state.raw === true, (raw) => {
        store({ raw });
        renderPayload();
      }),
    );
    const notes = decoderNotes(view);
    if (notes) head.push(notes);
  }
  const properties = propertiesTable(message.properties);
  if (properties) head.push(properties);
  payloadHead.replaceChildren(...head);
  payloadContent.replaceChildren(showDecoded ? decodedBody(view) : payloadBody(bytes, resolveView(state.view, bytes)));
}

let diffToken = 0;
async function renderDiff(): Promise<void> {
  const token = ++diffToken;
  const after = shown;
  if (!after) {
    diffContent.replaceChildren(el('p', 'empty', l10n.t('No message to compare yet.')));
    return;
  }
  const baseSeq = compared ?? after.seq - 1;
  diffNote.textContent = compared === undefined ? l10n.t('Shift+click (or Shift+Enter on) a message in the history to compare with it.') : l10n.t('Comparing with #{0}.', compared);
  if (window_ && baseSeq < window_.firstSeq) {
    diffContent.replaceChildren(el('p', 'empty', l10n.t('No earlier message is kept to compare with.')));
    return;
  }
  try {
    const before = await messageAt(baseSeq);
    // A bound topic is compared by its decoded fields (Raw compares the bytes).
    const [was, now] = decoded.bound && !state.raw ? await Promise.all([decoded.get(before.seq), decoded.get(after.seq)]) : [undefined, undefined];
    if (token !== diffToken) return;
    const texts = was?.value && now?.value ? { before: formatJson(was.value), after: formatJson(now.value) } : undefined;
    diffContent.replaceChildren(diffBody(before, after, texts));
  } catch (error) {
    if (token === diffToken && !(error instanceof StaleReply)) diffContent.replaceChildren(el('p', 'error', (error as Error).message));
  }
}

async function refreshChart(): Promise<void> {
  chartDue = false;
  try {
    chart.update(await host.request('series', { paths: state.chartPaths }));
  } catch (error) {
    if (!(error instanceof StaleReply)) say((error as Error).message, true);
  }
}

function scheduleChart(): void {
  if (state.tab !== 'chart') return;
  if (chartTimer !== undefined) {
    chartDue = true;
    return;
  }
  void refreshChart();
  chartTimer = window.setTimeout(() => {
    chartTimer = undefined;
    if (chartDue) scheduleChart();
  }, CHART_REFRESH_MS);
}

function show(message: MessageDetail | undefined): void {
  shown = message;
  renderPayload();
  if (state.tab === 'diff') void renderDiff();
}

async function select(seq: number | undefined): Promise<void> {
  list.setSelected(seq);
  if (seq === undefined) {
    show(latest);
    return;
  }
  try {
    const message = await messageAt(seq);
    if (list.selectedSeq === seq) show(message);
  } catch (error) {
    payloadStatus.textContent = shownError(error as Error);
  }
}

host.on('panelTopic', (shownTopic) => {
  const changed = shownTopic.topic !== state.topic || shownTopic.connectionId !== state.connectionId;
  setTarget(shownTopic.target);
  topic = shownTopic;
  publishForm.setConnection(topic.connectionName);
  // Fields picked for another topic would chart nothing here.
  if (changed) store({ chartPaths: [] });
  store({ connectionId: topic.connectionId, topic: topic.topic, follow: topic.follow });
  publishForm.setMqttVersion(topic.mqttVersion);
  // The form starts on the panel's topic; what was typed for another topic stays.
  if (!state.publish || (changed && !state.publish.payload)) publishForm.fill({ topic: topic.topic, payload: '', format: 'text', qos: 0, retain: false });
  follow.value = topic.follow;
  if (changed || !window_) {
    window_ = undefined;
    latest = undefined;
    compared = undefined;
    messages.clear();
    decoded.reset();
    schemaChecks.clear();
    schemaShown = undefined;
    if (decodeAs.open) decodeAs.close(undefined);
    announcer.reset();
    list.reset();
    show(undefined);
  }
  renderHeader();
  if (state.tab === 'chart') void refreshChart();
  if (state.tab === 'publish') void publishForm.refreshLists();
});

host.on('publishDraft', (draft) => {
  publishForm.fill(draft);
  inspector.select('publish');
  store({ tab: 'publish' });
  void publishForm.refreshLists();
  publishForm.focus();
});

host.on('decodersChanged', () => {
  decoded.clear();
  list.forgetRows();
  renderPayload();
  if (state.tab === 'diff') void renderDiff();
  if (state.tab === 'chart') void refreshChart();
  if (decodeAs.open) void decodeAs.refresh();
});

host.on('decodeAs', () => void openDecodeAs());

host.on('schemasChanged', () => {
  schemaChecks.clear();
  schemaShown = undefined;
  renderPayload();
  publishForm.recheck();
});

host.on('panelUpdate', (update) => {
  // Cleared (no window), or cleared and come back (another node): nothing kept here is right any more.
  if (!update.window || (window_ && window_.nodeId !== update.window.nodeId)) {
    messages.clear();
    decoded.clear();
    schemaChecks.clear();
    compared = undefined;
    latest = undefined;
    if (!update.window) {
      announcer.reset();
      list.reset();
    }
  }
  // Counted from the second window on: the messages there when the panel opened are not news.
  if (window_ && update.window && window_.nodeId === update.window.nodeId) announcer.add(update.window.nextSeq - window_.nextSeq, topic?.topic ?? state.topic);
  window_ = update.window;
  list.update(update.window, update.recent);
  if (update.latest) latest = remember(update.latest);
  renderHeader();
  if (list.selectedSeq === undefined && latest && latest.seq !== shown?.seq) show(latest);
  else if (!latest) show(undefined);
  scheduleChart();
});

renderHeader();
renderPayload();
host.emit('ready', { protocolVersion: PROTOCOL_VERSION });
