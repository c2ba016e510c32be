import * as vscode from 'vscode';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import { detailOf, formatHistory, PREVIEW_BYTES, rowOf } from './engine/historyFormat';
import { PREVIEW_DECODED_CHARS, type DecodedMessage, type HistoryEntry, type PinnedUpdate, type SchemaCheckResult } from '../shared/engineProtocol';
import { describeDecoder, readDecoderBindings, type DecoderBinding } from '../shared/decoderBindings';
import { hexPreview, payloadAsText } from '../shared/format';
import { formatJson } from '../shared/json';
import {
  defaultPanelState,
  parsePanelMessage,
  parsePanelState,
  VIEW_PAYLOAD_BYTES,
  type ExportFormat,
  type HistoryRow,
  type PanelHostApi,
  type PanelState,
  type PanelTopic,
  type PanelWebviewApi,
  type RequestResults,
  type DecodedView,
  type DecoderChoice,
  type DecoderChoices,
  type DraftSchemaCheck,
  type SchemaView,
} from '../shared/webviewProtocol';
import { parseDraft, type PublishDraft } from '../shared/publish';
import type { PayloadDocuments } from './payloadDocuments';
import type { DecoderCatalog } from './decoderCatalog';
import { decoderLabel, encodeWithDecoder, publishDraft, type PublishHistory } from './publishFlow';
import { WebviewChannel } from './webviewChannel';
import { progress } from './progress';
import { renderWebviewHtml, webviewOptions } from './webviewHtml';

export const TOPIC_PANEL_VIEW_TYPE = 'mqttExplorer.topic';

/** At most this many updates a second go into a webview, whatever the topic's rate. */
const UPDATE_INTERVAL_MS = 100;
/** Rows an update carries at most: the webview asks for any others it scrolls to. */
const RECENT_ROWS = 50;
/** Known topics the publish form completes from. */
const KNOWN_TOPICS = 500;
/** Messages an export asks the engine for at a time (each decoded when the topic has a binding). */
const EXPORT_PAGE = 500;
/** Points per chart series; the engine keeps each bucket's lowest and highest. */
const CHART_POINTS = 1200;

export interface TopicRef {
  connectionId: string;
  topic: string;
}

/** What a panel needs from the rest of the extension. */
export interface PanelContext {
  registry: ConnectionRegistry;
  extensionUri: vscode.Uri;
  /** Keeps the worker reporting a topic's changes while a panel shows it. */
  pin(ref: TopicRef): vscode.Disposable;
  documents: PayloadDocuments;
  publishHistory: PublishHistory;
  decoders: PanelDecoders;
  /** The JSON Schemas changed (and the engine has them): the panel's checks are stale. */
  schemasChanged: (listener: () => void) => vscode.Disposable;
}

/** What the panel needs of the workspace's decoders. */
export interface PanelDecoders {
  /** What "Decode As…" offers. */
  choices(): DecoderChoices;
  /** Puts a binding first in mqttExplorer.decoders; resolves once the engine has the new set. `effective: false`: the folder's list hides a user binding. */
  addBinding(binding: DecoderBinding, target: 'workspace' | 'user'): Promise<{ effective: boolean }>;
  /** The bindings or schema files changed (and the engine has them). */
  readonly onDidChange: (listener: () => void) => vscode.Disposable;
}

/** The catalog as the panels use it. */
export function panelDecoders(catalog: DecoderCatalog): PanelDecoders {
  return {
    choices: () => ({ messageTypes: [...catalog.messageTypes], avroSchemas: catalog.schemaFiles.filter((file) => file.endsWith('.avsc')), canWriteWorkspace: catalog.canWriteWorkspace }),
    addBinding: (binding, target) => catalog.addBinding(binding, target),
    onDidChange: (listener) => catalog.onDidChange(listener),
  };
}

/** The engine's answer as the panel shows it. */
export function decodedView(reply: DecodedMessage, binding: DecoderBinding | undefined = reply.binding): DecodedView | undefined {
  if (!binding) return undefined;
  const view: DecodedView = { seq: reply.seq, decodedBy: describeDecoder(binding) };
  if (binding.topic) view.filter = binding.topic;
  const result = reply.result;
  if (!result) view.error = vscode.l10n.t('Not decoded.');
  else if (result.ok) {
    view.decodedBy = result.decodedBy;
    view.value = result.value;
    if (result.notes?.length) view.notes = result.notes;
  } else view.error = result.error;
  return view;
}

/** The engine's check of a kept message as the panel shows it; undefined when the topic has no schema. */
export function schemaView(reply: SchemaCheckResult): SchemaView | undefined {
  if (!reply.binding || !reply.verdict) return undefined;
  const verdict = reply.verdict;
  const view: SchemaView = { seq: reply.seq ?? 0, schema: reply.binding.schema, filter: reply.binding.filter, errors: [], more: 0, checked: reply.status?.checked ?? 0, invalid: reply.status?.invalid ?? 0 };
  if (verdict.valid === true) view.valid = true;
  else if (verdict.valid === false) Object.assign(view, { valid: false, errors: verdict.errors, more: verdict.more });
  else view.unchecked = verdict.unchecked;
  return view;
}

/** The engine's check of a draft as the publish form and the palette show it. */
export function draftCheck(reply: SchemaCheckResult): DraftSchemaCheck {
  if (!reply.binding || !reply.verdict) return {};
  const verdict = reply.verdict;
  if (verdict.valid === true) return { schema: reply.binding.schema, valid: true };
  if (verdict.valid === false) return { schema: reply.binding.schema, valid: false, errors: verdict.errors, more: verdict.more };
  return { schema: reply.binding.schema, unchecked: verdict.unchecked };
}

/** The save dialog's filters per format (a function: the names are translated when asked). */
const EXPORT_FILTERS = (): Record<ExportFormat, Record<string, string[]>> => ({
  json: { JSON: ['json'] },
  ndjson: { [vscode.l10n.t('Newline-delimited JSON')]: ['ndjson', 'jsonl'] },
  csv: { CSV: ['csv'] },
});

function fileSafe(text: string): string {
  return text.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'topic';
}

/** One webview panel showing one topic's history. The host posts nothing until the webview says `ready`. */
class TopicPanel extends Disposable {
  private readonly channel: WebviewChannel<PanelHostApi, PanelWebviewApi>;
  private pinned: vscode.Disposable | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** The newest seq the webview has a row for, per node: updates carry only newer rows. */
  private sentNext = 0;
  private sentNodeId = 0;
  /** Counts the topics shown; see PanelTopic.target. */
  private target = 0;
  /** A draft for the publish form that waits for the webview to be ready. */
  private pendingDraft: PublishDraft | undefined;
  private pendingDecodeAs = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private state: PanelState,
    private readonly context: PanelContext,
  ) {
    super();
    const { extensionUri, registry } = context;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mqtt.svg');
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = renderWebviewHtml(panel.webview, extensionUri, { script: 'webview.js', title: vscode.l10n.t('MQTT topic'), state });
    this.channel = this.register(
      new WebviewChannel<PanelHostApi, PanelWebviewApi>(panel.webview, {
        validate: parsePanelMessage,
        onReady: () => this.onReady(),
        generation: () => this.target,
        handlers: {
          rows: (params) => this.rows(params.from, params.count),
          message: (params) => this.message(params.seq, params.whole),
          series: (params) => this.series(params.paths),
          copyPayload: (params) => this.copyPayload(params.seq, params.decoded === true),
          savePayload: (params) => this.savePayload(params.seq),
          openPayload: (params) => this.openPayload(params.seq, params.decoded === true),
          exportHistory: (params) => this.exportHistory(params.format),
          setFollow: async (params) => {
            this.state = { ...this.state, follow: params.follow };
            return {};
          },
          publish: async (params) => {
            const draft = parseDraft(params.draft);
            if (!draft) throw new Error(vscode.l10n.t('The form sent a publish the extension cannot read.'));
            return publishDraft(context.registry, context.publishHistory, this.state.connectionId, draft);
          },
          recentPublishes: async () => context.publishHistory.recent(this.state.connectionId),
          decoded: async (params) => decodedView(await registry.engine.request('decode', { ...this.ref, seq: params.seq })),
          decodePreview: (params) => this.decodePreview(params.seq, params.decoder),
          decoderChoices: async () => context.decoders.choices(),
          saveBinding: (params) => this.saveBinding(params.filter, params.decoder, params.target),
          checkEncoding: (params) => this.checkEncoding(params.topic, params.payload),
          schemaCheck: async (params) => schemaView(await registry.engine.request('schemaCheck', { ...this.ref, seq: params.seq })),
          checkSchema: async (params) => draftCheck(await registry.engine.request('checkDraft', { topic: params.topic, json: params.payload })),
          knownTopics: async () =>
            (await context.registry.engine.request('topicList', { limit: KNOWN_TOPICS, connectionId: this.state.connectionId }))
              .map((topic) => topic.topic)
              .sort(),
        },
      }),
    );
    this.retarget(this.ref);
    this.register(
      registry.onDidChangeTopics((changes) => {
        if (changes.connectionId !== this.state.connectionId) return;
        if (changes.reset) return this.scheduleUpdate();
        const update = changes.pinned.find((one) => one.topic === this.state.topic);
        if (update) this.applyPushed(update);
      }),
    );
    this.register(context.decoders.onDidChange(() => this.channel.ready && this.channel.emit('decodersChanged', {})));
    this.register(context.schemasChanged(() => this.channel.ready && this.channel.emit('schemasChanged', {})));
    this.register({ dispose: () => (clearTimeout(this.timer), this.pinned?.dispose()) });
  }

  /** "Decode As…" from the Topics view: the panel shows its chooser. */
  decodeAs(): void {
    if (this.channel.ready) this.channel.emit('decodeAs', {});
    else this.pendingDecodeAs = true;
  }

  private async decodePreview(seq: number, decoder: DecoderChoice): Promise<DecodedView> {
    const binding: DecoderBinding = { topic: this.state.topic, ...decoder };
    const view = decodedView(await this.context.registry.engine.request('decode', { ...this.ref, seq, binding }), binding);
    if (!view) throw new Error(vscode.l10n.t('Nothing to decode.'));
    delete view.filter;
    return view;
  }

  private async saveBinding(filter: string, decoder: DecoderChoice, target: 'workspace' | 'user'): Promise<RequestResults['saveBinding']> {
    const read = readDecoderBindings([{ topic: filter, ...decoder }], 'binding');
    const binding = read.bindings[0];
    if (!binding) throw new Error(read.errors.join('; ') || vscode.l10n.t('The binding is not valid.'));
    const { effective } = await this.context.decoders.addBinding(binding, target);
    const decodedAs = describeDecoder(binding);
    // VS Code uses the folder's list instead of the user's when the folder has one.
    if (target === 'workspace') return { saved: vscode.l10n.t('{0} is decoded as {1} (workspace settings).', filter, decodedAs) };
    return {
      saved: effective
        ? vscode.l10n.t('{0} is decoded as {1} (user settings).', filter, decodedAs)
        : vscode.l10n.t('{0} is decoded as {1} (user settings), but the folder\'s settings list decoders of their own, which apply here instead.', filter, decodedAs),
    };
  }

  private async checkEncoding(topic: string, payload: string): Promise<RequestResults['checkEncoding']> {
    const decoder = await decoderLabel(this.context.registry, topic);
    if (!decoder) return {};
    try {
      JSON.parse(payload);
      await encodeWithDecoder(this.context.registry, this.state.connectionId, topic, payload, true);
      return { decoder };
    } catch (error) {
      return { decoder, error: (error as Error).message };
    }
  }

  get ref(): TopicRef {
    return { connectionId: this.state.connectionId, topic: this.state.topic };
  }

  get following(): boolean {
    return this.state.follow;
  }

  /** Fills the publish form and shows it, once the webview is ready. */
  fillPublishForm(draft: PublishDraft): void {
    if (this.channel.ready) this.channel.emit('publishDraft', draft);
    else this.pendingDraft = draft;
  }

  /** Shows another topic in this panel (a panel that follows the Topics view's selection). */
  retarget(ref: TopicRef): void {
    this.state = { ...this.state, ...ref };
    this.target++;
    this.panel.title = ref.topic.split('/').pop() || ref.topic;
    this.pinned?.dispose();
    this.pinned = this.context.pin(ref);
    this.sentNext = 0;
    this.sentNodeId = 0;
    if (this.channel?.ready) this.onReady();
  }

  /** The engine restarted: what the panel showed is gone from memory; it starts over with what comes next. */
  startOver(): void {
    if (this.channel.ready) this.onReady();
  }

  private onReady(): void {
    this.sentNext = 0;
    this.sentNodeId = 0;
    const connection = this.context.registry.get(this.state.connectionId);
    const topic: PanelTopic = {
      connectionId: this.state.connectionId,
      connectionName: connection?.profile.name ?? this.state.connectionId,
      topic: this.state.topic,
      follow: this.state.follow,
      mqttVersion: connection?.profile.mqttVersion === 5 ? 5 : 4,
      target: this.target,
    };
    this.channel.emit('panelTopic', topic);
    void this.postUpdate();
    if (this.pendingDraft) this.channel.emit('publishDraft', this.pendingDraft);
    this.pendingDraft = undefined;
    if (this.pendingDecodeAs) this.channel.emit('decodeAs', {});
    this.pendingDecodeAs = false;
  }

  /** `decoded`: entries of a bound topic also decoded, their text cut to `decodedChars` (list previews) or whole (exports). */
  private history(from: number, count: number, payloadBytes: number, decoded = false, decodedChars?: number) {
    return this.context.registry.engine.request('history', { ...this.ref, from, count, payloadBytes, ...(decoded ? { decoded } : {}), ...(decodedChars === undefined ? {} : { decodedChars }) });
  }

  private async entry(seq: number, payloadBytes: number): Promise<HistoryEntry> {
    const page = await this.history(seq, 1, payloadBytes);
    const entry = page?.entries[0];
    if (!entry) throw new Error(vscode.l10n.t('Message #{0} is no longer kept: the history limits dropped it.', seq));
    return entry;
  }

  private async rows(from: number, count: number): Promise<RequestResults['rows']> {
    const page = await this.history(from, count, PREVIEW_BYTES, true, PREVIEW_DECODED_CHARS);
    return { window: page?.window, rows: page?.entries.map(rowOf) ?? [] };
  }

  private async message(seq: number, whole: boolean): Promise<RequestResults['message']> {
    return detailOf(await this.entry(seq, whole ? Infinity : VIEW_PAYLOAD_BYTES));
  }

  private async series(paths: string[]): Promise<RequestResults['series']> {
    const result = await this.context.registry.engine.request('series', { ...this.ref, paths, maxPoints: CHART_POINTS });
    return { available: result?.available ?? [], series: result?.series ?? [] };
  }

  /** The message as its decoder reads it, pretty-printed; undefined when it has none or does not decode. */
  private async decodedText(seq: number): Promise<string | undefined> {
    const reply = await this.context.registry.engine.request('decode', { ...this.ref, seq });
    return reply.result?.ok ? formatJson(reply.result.value) : undefined;
  }

  private async copyPayload(seq: number, decoded: boolean): Promise<RequestResults['copyPayload']> {
    const text = decoded ? await this.decodedText(seq) : undefined;
    if (text !== undefined) {
      await vscode.env.clipboard.writeText(text);
      return { copied: Buffer.byteLength(text) };
    }
    const entry = await this.entry(seq, Infinity);
    await vscode.env.clipboard.writeText(payloadAsText(entry.payload) ?? Buffer.from(entry.payload).toString('base64'));
    return { copied: entry.payload.length };
  }

  private async savePayload(seq: number): Promise<RequestResults['savePayload']> {
    const entry = await this.entry(seq, Infinity);
    const text = payloadAsText(entry.payload);
    const extension = text === undefined ? 'bin' : /^\s*[[{]/.test(text) ? 'json' : 'txt';
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Save the payload of message #{0}', seq),
      defaultUri: this.defaultFile(`${fileSafe(this.state.topic)}-${seq}.${extension}`),
    });
    if (!target) return { saved: undefined };
    await vscode.workspace.fs.writeFile(target, entry.payload);
    return { saved: target.fsPath };
  }

  private async openPayload(seq: number, decoded: boolean): Promise<RequestResults['openPayload']> {
    const entry = await this.entry(seq, Infinity);
    await this.context.documents.open(this.ref, entry, decoded ? await this.decodedText(seq) : undefined);
    return {};
  }

  private async exportHistory(format: ExportFormat): Promise<RequestResults['exportHistory']> {
    // In pages: each request decodes at most EXPORT_PAGE messages, so one export of a long decoded
    // history never holds the engine past its heartbeat; the host's thread is free between pages.
    // A long decoded history takes seconds: the notification counts the messages read, and Cancel
    // stops before the next page (nothing is written then).
    const read = await progress.run({ title: vscode.l10n.t('Reading the history of {0}', this.state.topic), cancellable: true }, async (reportProgress, token) => {
      const first = await this.history(0, EXPORT_PAGE, Infinity, true);
      if (!first || !first.entries.length) throw new Error(vscode.l10n.t('No message on this topic to export.'));
      const entries = [...first.entries];
      const end = first.window.nextSeq;
      const total = Math.max(1, end - first.entries[0].seq);
      reportProgress(vscode.l10n.t('{0} of {1} messages', entries.length, total), (100 * entries.length) / total);
      for (let next = entries[entries.length - 1].seq + 1; next < end; ) {
        if (token.isCancellationRequested) return undefined;
        const more = await this.history(next, Math.min(EXPORT_PAGE, end - next), Infinity, true);
        if (!more?.entries.length || more.window.nodeId !== first.window.nodeId) break;
        entries.push(...more.entries);
        next = more.entries[more.entries.length - 1].seq + 1;
        reportProgress(vscode.l10n.t('{0} of {1} messages', entries.length, total), (100 * more.entries.length) / total);
      }
      return token.isCancellationRequested ? undefined : entries;
    });
    if (!read) return { saved: undefined, count: 0 };
    const page = { entries: read };
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Export the history of {0}', this.state.topic),
      defaultUri: this.defaultFile(`${fileSafe(this.state.topic)}.${format}`),
      filters: EXPORT_FILTERS()[format],
    });
    if (!target) return { saved: undefined, count: 0 };
    await vscode.workspace.fs.writeFile(target, Buffer.from(formatHistory(this.state.topic, page.entries, format), 'utf8'));
    return { saved: target.fsPath, count: page.entries.length };
  }

  private defaultFile(name: string): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return folder ? vscode.Uri.joinPath(folder, name) : undefined;
  }

  private scheduleUpdate(): void {
    if (!this.channel.ready) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) void this.postUpdate();
    }, UPDATE_INTERVAL_MS);
  }

  /**
   * The worker's report carries the rows new since its last one and the newest message: posted as
   * they are, with no request back. Before the panel has a window of this node (just opened, or the
   * node is new), it asks instead.
   */
  private applyPushed(update: PinnedUpdate): void {
    if (!this.channel.ready) return;
    if (update.window.nodeId !== this.sentNodeId || this.dirty) {
      this.scheduleUpdate();
      return;
    }
    const rows = update.recent.filter((entry) => entry.seq >= this.sentNext).map(rowOf);
    this.sentNext = update.window.nextSeq;
    this.channel.emit('panelUpdate', { window: update.window, recent: rows, latest: detailOf(update.latest) });
  }

  /** The rows newer than those already sent (at most RECENT_ROWS) and the newest message, cut to a bounded size. */
  private async postUpdate(): Promise<void> {
    this.dirty = false;
    const ref = this.ref;
    try {
      const [recent, latest] = await Promise.all([this.history(-RECENT_ROWS, RECENT_ROWS, PREVIEW_BYTES, true, PREVIEW_DECODED_CHARS), this.history(-1, 1, VIEW_PAYLOAD_BYTES)]);
      if (ref.topic !== this.state.topic || ref.connectionId !== this.state.connectionId) return; // retargeted meanwhile
      const window = recent?.window;
      let rows: HistoryRow[] = [];
      if (window) {
        const since = window.nodeId === this.sentNodeId ? this.sentNext : 0;
        rows = recent.entries.filter((entry) => entry.seq >= since).map(rowOf);
        this.sentNodeId = window.nodeId;
        this.sentNext = window.nextSeq;
      }
      const newest = latest?.entries[0];
      this.channel.emit('panelUpdate', { window, recent: rows, latest: newest ? detailOf(newest) : undefined });
    } catch {
      // The connection went away: the panel keeps what it shows.
    }
  }
}

/** Opens, reveals and restores topic panels: one per topic, plus any that follow the Topics view's selection. */
export class TopicPanels extends Disposable {
  private readonly panels = new Set<TopicPanel>();
  private readonly opened = this.register(new vscode.EventEmitter<TopicRef>());
  /** The person opened a topic's panel (not one restored with the window): the walkthrough's "open a topic". */
  readonly onDidOpen = this.opened.event;

  constructor(private readonly context: PanelContext) {
    super();
    this.register(
      vscode.window.registerWebviewPanelSerializer(TOPIC_PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const restored = parsePanelState(state);
          if (restored) this.adopt(panel, restored);
          else panel.dispose();
        },
      }),
    );
    this.register(context.registry.engine.onDidRestart(() => this.panels.forEach((panel) => panel.startOver())));
    this.register({ dispose: () => [...this.panels].forEach((panel) => panel.panel.dispose()) });
  }

  /** Reveals the panel pinned to this topic, or opens one (beside the active editor when asked). */
  show(ref: TopicRef, options: { beside?: boolean; follow?: boolean } = {}): vscode.WebviewPanel {
    const existing = [...this.panels].find((panel) => panel.following === (options.follow ?? false) && (options.follow || sameRef(panel.ref, ref)));
    if (existing) {
      if (options.follow) existing.retarget(ref);
      existing.panel.reveal();
      return existing.panel;
    }
    const column = options.beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(TOPIC_PANEL_VIEW_TYPE, ref.topic, column, webviewOptions(this.context.extensionUri));
    this.adopt(panel, defaultPanelState(ref.connectionId, ref.topic, options.follow ?? false));
    this.opened.fire(ref);
    return panel;
  }

  /** "Publish to This Topic": the topic's own panel, its publish form filled with the topic and its last payload. */
  async showPublishForm(ref: TopicRef): Promise<void> {
    const node = await this.context.registry.engine.request('node', { ...ref, history: 1 }).catch(() => undefined);
    const last = node?.history.at(-1)?.payload;
    const draft: PublishDraft = { topic: ref.topic, ...(last ? payloadDraft(last) : { payload: '', format: 'text' }), qos: 0, retain: node?.snapshot.retained ?? false };
    this.show(ref);
    [...this.panels].find((panel) => !panel.following && sameRef(panel.ref, ref))?.fillPublishForm(draft);
  }

  /** "Decode As…": the topic's own panel, with the decoder chooser open. */
  decodeAs(ref: TopicRef): void {
    this.show(ref);
    [...this.panels].find((panel) => !panel.following && sameRef(panel.ref, ref))?.decodeAs();
  }

  /** The Topics view's selection moved: panels that follow it show the selected topic. */
  followSelection(ref: TopicRef): void {
    for (const panel of this.panels) if (panel.following && !sameRef(panel.ref, ref)) panel.retarget(ref);
  }

  /** Shows the topic in a panel that follows the selection, if one is open, keeping the focus in the tree. */
  revealFollowing(ref: TopicRef): boolean {
    const following = [...this.panels].find((panel) => panel.following);
    if (!following) return false;
    if (!sameRef(following.ref, ref)) following.retarget(ref);
    following.panel.reveal(undefined, true);
    return true;
  }

  /** The panels open now, for the tests. */
  get open(): readonly { ref: TopicRef; following: boolean; panel: vscode.WebviewPanel }[] {
    return [...this.panels].map((panel) => ({ ref: panel.ref, following: panel.following, panel: panel.panel }));
  }

  private adopt(panel: vscode.WebviewPanel, state: PanelState): void {
    const topicPanel = new TopicPanel(panel, state, this.context);
    this.panels.add(topicPanel);
    panel.onDidDispose(() => {
      topicPanel.dispose();
      this.panels.delete(topicPanel);
    });
  }
}

/** A payload as the form shows it: JSON or text as typed, anything else in hex. */
export function payloadDraft(payload: Uint8Array): Pick<PublishDraft, 'payload' | 'format'> {
  const text = payloadAsText(payload);
  if (text === undefined) return { payload: hexPreview(payload, payload.length), format: 'hex' };
  try {
    JSON.parse(text);
    return { payload: text, format: 'json' };
  } catch {
    return { payload: text, format: 'text' };
  }
}

function sameRef(a: TopicRef, b: TopicRef): boolean {
  return a.connectionId === b.connectionId && a.topic === b.topic;
}

/** Topics offered by "Show Topic History"; a broker with more is filtered by typing a topic in full. */
const PICKABLE_TOPICS = 5000;

interface TopicPick extends vscode.QuickPickItem {
  ref?: TopicRef;
  follow?: boolean;
}

/** "MQTT: Show Topic History": a known topic, or a panel that follows the Topics view's selection. */
export async function showTopicHistory(registry: ConnectionRegistry, panels: TopicPanels, topicsView: vscode.TreeView<unknown>, target?: TopicRef): Promise<void> {
  if (target && typeof target.connectionId === 'string' && typeof target.topic === 'string') {
    panels.show({ connectionId: target.connectionId, topic: target.topic });
    return;
  }
  const topics = await registry.engine.request('topicList', { limit: PICKABLE_TOPICS });
  const several = new Set(topics.map((topic) => topic.connectionId)).size > 1;
  const items: TopicPick[] = [
    { label: `$(eye) ${vscode.l10n.t('Follow the selection in the Topics view')}`, description: vscode.l10n.t('a panel that shows whichever topic is selected'), follow: true },
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    ...topics
      .sort((a, b) => a.topic.localeCompare(b.topic))
      .map((topic) => ({
        label: topic.topic,
        description: `${topic.messageCount === 1 ? vscode.l10n.t('1 message') : vscode.l10n.t('{0} messages', topic.messageCount.toLocaleString('en-US'))}${several ? ` · ${registry.get(topic.connectionId)?.profile.name ?? topic.connectionId}` : ''}`,
        ref: { connectionId: topic.connectionId, topic: topic.topic },
      })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('MQTT: Show Topic History'), ignoreFocusOut: true, placeHolder: topics.length ? vscode.l10n.t('Type to find a topic') : vscode.l10n.t('No topic has received a message yet'), matchOnDescription: true });
  if (!picked) return;
  if (picked.ref) {
    panels.show(picked.ref);
    return;
  }
  const selected = topicsView.selection[0] as { kind?: string; connectionId?: string; topic?: string } | undefined;
  const start = selected?.kind === 'topic' && selected.connectionId && selected.topic !== undefined ? { connectionId: selected.connectionId, topic: selected.topic } : topics[0];
  if (!start) throw new Error(vscode.l10n.t('Select a topic in the Topics view first: no topic has received a message yet.'));
  panels.show({ connectionId: start.connectionId, topic: start.topic }, { follow: true });
}
