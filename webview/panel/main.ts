import '../localize';
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
import { detailLine, diffBody, payloadBody, propertiesTable, resolveView, VIEW_LABELS } from './messageViews';
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
const follow = checkbox('follow', 'Follow the selection in the Topics view');
follow.value = state.follow;
follow.onChange(() => {
  store({ follow: follow.value === true });
  void host.request('setFollow', { follow: state.follow });
});
const exportFormat = dropdown('export-format', 'Export history as', [
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
  button('Export…', () => {
    const format = exportFormat.value as ExportFormat;
    host.request('exportHistory', { format }).then(
      (result) => say(result.saved ? `Exported ${result.count} messages to ${result.saved}.` : ''),
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
});

const viewChoice = dropdown(
  'payload-view',
  'View',
  (Object.keys(VIEW_LABELS) as PayloadViewChoice[]).map((value) => ({ value, label: VIEW_LABELS[value] })),
);
viewChoice.value = state.view;
viewChoice.onChange(() => {
  store({ view: viewChoice.value as PayloadViewChoice });
  renderPayload();
});
const payloadStatus = el('span', 'status');
payloadStatus.setAttribute('role', 'status');
const loadWhole = button('Load whole payload', () => {
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
const latestButton = button('Show latest', () => void select(undefined));
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
  button('Copy', act('copyPayload', (result) => `Copied ${formatBytes(result.copied ?? 0)}.`)),
  button('Save…', act('savePayload', (result) => (result.saved ? `Saved to ${result.saved}.` : ''))),
  button('Open in Editor', act('openPayload', () => '')),
  button('Decode As…', () => void openDecodeAs()),
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
const diffContent = el('div', 'diff-body');
const diffActions = el('div', 'actions');
const diffNote = el('span', 'note');
diffActions.append(
  button('Compare with previous', () => {
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
    { id: 'payload', label: 'Payload' },
    { id: 'diff', label: 'Diff' },
    { id: 'chart', label: 'Chart' },
    { id: 'publish', label: 'Publish' },
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
app.replaceChildren(header, divider(), list.element, inspector.element);
// The tabs component picks its first tab when it connects: choose the stored one once it is in the page.
requestAnimationFrame(() => inspector.select(state.tab));

// ---- rendering ----

function renderHeader(): void {
  title.textContent = topic?.topic ?? state.topic;
  const parts: HTMLElement[] = [];
  if (topic) parts.push(tag(topic.connectionName));
  if (window_) {
    const kept = window_.nextSeq - window_.firstSeq;
    parts.push(badge(`${kept.toLocaleString('en-US')} message${kept === 1 ? '' : 's'}`));
    if (window_.retained) parts.push(tag('retained'));
    if (window_.dropped) parts.push(el('span', 'dropped', `${window_.dropped.toLocaleString('en-US')} older dropped by the history limits`));
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
    payloadContent.replaceChildren(el('p', 'empty', 'Waiting for a message on this topic…'));
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
    line.append(el('span', 'kind', state.view === 'auto' ? `${VIEW_LABELS[shownAs]} (auto)` : VIEW_LABELS[shownAs]));
  } else line.append(el('span', 'kind', 'Decoded'));
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
    diffContent.replaceChildren(el('p', 'empty', 'No message to compare yet.'));
    return;
  }
  const baseSeq = compared ?? after.seq - 1;
  diffNote.textContent = compared === undefined ? 'Shift+click a message in the history to compare with it.' : `Comparing with #${compared}.`;
  if (window_ && baseSeq < window_.firstSeq) {
    diffContent.replaceChildren(el('p', 'empty', 'No earlier message is kept to compare with.'));
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
    if (!update.window) list.reset();
  }
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
