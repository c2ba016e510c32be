import * as vscode from 'vscode';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import { describeExchange, formatLatency, SNAPSHOT_TOPICS, type RequestExchange, type RequestsSnapshot, type RequestTopicSummary } from '../shared/requests';
import { viewRow } from './commandArgs';

export interface RequestsConnectionElement {
  kind: 'connection';
  connectionId: string;
}

export interface RequestsNoticeElement {
  kind: 'notice';
  connectionId: string;
  id: string;
  label: string;
  tooltip: string;
}

export interface RequestTopicElement {
  kind: 'requestTopic';
  connectionId: string;
  key: string;
}

export interface RequestExchangeElement {
  kind: 'exchange';
  connectionId: string;
  topicKey: string;
  exchange: RequestExchange;
  timeoutMs: number;
}

export type RequestsElement = RequestsConnectionElement | RequestsNoticeElement | RequestTopicElement | RequestExchangeElement;

/** The Clear command's argument: a connection's row of the Requests view, or `{ connectionId }`; anything else means every connection. */
export function requestsConnectionArg(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, connectionId } = value as Record<string, unknown>;
  if (typeof connectionId !== 'string') return undefined;
  return kind === undefined || kind === 'connection' ? connectionId : undefined;
}

const n = (count: number) => count.toLocaleString('en-US');
// Counted nouns, one key per number form: a translation may need more than an added "s".
const requestCount = (count: number) => (count === 1 ? vscode.l10n.t('1 request') : vscode.l10n.t('{0} requests', n(count)));
const openRequestCount = (count: number) => (count === 1 ? vscode.l10n.t('1 open request') : vscode.l10n.t('{0} open requests', n(count)));
const messageCount = (count: number) => (count === 1 ? vscode.l10n.t('1 message') : vscode.l10n.t('{0} messages', n(count)));
const requestTopicCount = (count: number) => (count === 1 ? vscode.l10n.t('1 request topic') : vscode.l10n.t('{0} request topics', n(count)));
const topicCount = (count: number) => (count === 1 ? vscode.l10n.t('1 topic') : vscode.l10n.t('{0} topics', n(count)));

/** "08:12:03.114": when a request arrived, to the millisecond (replies come within milliseconds). */
function timeOfDay(at: number): string {
  const date = new Date(at);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A topic row's counts, the most telling first (a narrow sidebar cuts the end): "10/12 answered · 2 unanswered · avg 4 ms · p95 9 ms". */
export function describeTopic(topic: RequestTopicSummary): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const parts = [vscode.l10n.t('{0}/{1} answered', count(topic.answered), count(topic.total))];
  const unanswered = topic.timedOut + topic.evicted;
  if (unanswered) parts.push(vscode.l10n.t('{0} unanswered', count(unanswered)));
  if (topic.open) parts.push(vscode.l10n.t('{0} waiting', count(topic.open)));
  if (topic.latency) parts.push(vscode.l10n.t('avg {0}', formatLatency(topic.latency.avgMs)), `p95 ${formatLatency(topic.latency.p95Ms)}`);
  return parts.join(' · ');
}

/**
 * The Requests view: per connection, the MQTT 5 requests the engine saw and paired with their
 * replies, by request topic, with their recent exchanges. The engine pushes a connection's
 * snapshot at most once a second, and only while this view is visible; a snapshot refreshes the
 * topic rows whose counts changed (a topic coming or going, the connection's row), never the
 * whole view. Totals go in the connection row's tooltip, read when hovered, so that they do not
 * refresh the row (which would list everything below it again).
 */
export class RequestsTreeProvider extends Disposable implements vscode.TreeDataProvider<RequestsElement> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<RequestsElement | RequestsElement[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly updateEmitter = this.register(new vscode.EventEmitter<RequestsSnapshot>());
  /** A connection's snapshot was applied (the tests wait for it). */
  readonly onDidUpdate = this.updateEmitter.event;
  private readonly snapshots = new Map<string, RequestsSnapshot>();
  private readonly connectionElements = new Map<string, RequestsConnectionElement>();
  private readonly topicElements = new Map<string, RequestTopicElement>();
  private treeView: vscode.TreeView<RequestsElement> | undefined;
  private connectionIds = '';

  constructor(private readonly registry: ConnectionRegistry) {
    super();
    this.register(registry.onDidChangeRequests((snapshot) => this.apply(snapshot)));
    this.register(
      registry.onDidChange(() => {
        const ids = registry.list().map((connection) => connection.id);
        const joined = ids.join('\u0000');
        if (joined === this.connectionIds) return;
        this.connectionIds = joined;
        for (const id of [...this.snapshots.keys()]) if (!ids.includes(id)) this.forget(id);
        this.changeEmitter.fire(undefined);
      }),
    );
    this.register(
      registry.engine.onDidRestart(() => {
        // A fresh worker saw no request yet, and does not know that the view shows.
        for (const id of [...this.snapshots.keys()]) this.forget(id);
        void this.syncVisibility();
        this.changeEmitter.fire(undefined);
      }),
    );
  }

  attach(treeView: vscode.TreeView<RequestsElement>): void {
    this.treeView = treeView;
    this.register(
      treeView.onDidChangeVisibility(({ visible }) => {
        void this.syncVisibility();
        // Nothing was pushed while hidden: read every connection's state once.
        if (visible) void this.refresh();
      }),
    );
    void this.syncVisibility();
    if (treeView.visible) void this.refresh();
  }

  private async syncVisibility(): Promise<void> {
    await this.registry.engine.request('watchRequests', { visible: this.treeView?.visible ?? false }).catch(() => undefined);
  }

  /** Reads every connection's snapshot now (on showing the view, after a clear). */
  async refresh(): Promise<void> {
    await Promise.all(
      this.registry.list().map(async (connection) => {
        const snapshot = await this.registry.engine.request('requests', { connectionId: connection.id }).catch(() => undefined);
        if (snapshot) this.apply(snapshot);
      }),
    );
  }

  /** Forgets what a connection (or every one) saw, in the engine too. */
  async clear(connectionId?: string): Promise<void> {
    await this.registry.engine.request('clearRequests', connectionId === undefined ? {} : { connectionId });
    await this.refresh();
  }

  snapshot(connectionId: string): RequestsSnapshot | undefined {
    return this.snapshots.get(connectionId);
  }

  private forget(connectionId: string): void {
    this.snapshots.delete(connectionId);
    this.connectionElements.delete(connectionId);
    for (const [key, element] of this.topicElements) if (element.connectionId === connectionId) this.topicElements.delete(key);
  }

  private apply(snapshot: RequestsSnapshot): void {
    const id = snapshot.connectionId;
    if (!this.registry.get(id)) return;
    const old = this.snapshots.get(id);
    this.snapshots.set(id, snapshot);
    const shownBefore = old !== undefined && shows(old);
    if (shownBefore !== shows(snapshot)) this.changeEmitter.fire(undefined);
    else if (old && shows(snapshot)) {
      const connection = this.connectionElements.get(id);
      if (connection && (topicKeys(old) !== topicKeys(snapshot) || JSON.stringify(notices(old)) !== JSON.stringify(notices(snapshot)) || old.timeoutMs !== snapshot.timeoutMs)) {
        this.changeEmitter.fire(connection);
      } else {
        const before = new Map(old.topics.map((topic) => [topic.key, JSON.stringify(topic)]));
        const changed: RequestsElement[] = [];
        for (const topic of snapshot.topics) {
          const element = this.topicElements.get(elementKey(id, topic.key));
          if (element && before.get(topic.key) !== JSON.stringify(topic)) changed.push(element);
        }
        if (changed.length) this.changeEmitter.fire(changed);
      }
    }
    // Rows of topics the snapshot no longer carries are gone from the view: their elements go too.
    const keys = new Set(snapshot.topics.map((topic) => elementKey(id, topic.key)));
    for (const [key, element] of this.topicElements) if (element.connectionId === id && !keys.has(key)) this.topicElements.delete(key);
    this.updateEmitter.fire(snapshot);
  }

  getChildren(element?: RequestsElement): RequestsElement[] {
    if (!element) {
      return this.registry
        .list()
        .filter((connection) => {
          const snapshot = this.snapshots.get(connection.id);
          return snapshot !== undefined && shows(snapshot);
        })
        .map((connection) => this.connectionElement(connection.id));
    }
    const snapshot = this.snapshots.get(element.connectionId);
    if (!snapshot) return [];
    if (element.kind === 'connection') {
      const rows: RequestsElement[] = notices(snapshot).map((notice) => viewRow({ kind: 'notice' as const, connectionId: element.connectionId, ...notice }));
      for (const topic of snapshot.topics) rows.push(this.topicElement(element.connectionId, topic.key));
      return rows;
    }
    if (element.kind === 'requestTopic') {
      const topic = snapshot.topics.find((candidate) => candidate.key === element.key);
      return (topic?.recent ?? []).map((exchange) => viewRow({ kind: 'exchange' as const, connectionId: element.connectionId, topicKey: element.key, exchange, timeoutMs: snapshot.timeoutMs }));
    }
    return [];
  }

  getParent(element: RequestsElement): RequestsElement | undefined {
    if (element.kind === 'connection') return undefined;
    if (element.kind === 'exchange') return this.topicElements.get(elementKey(element.connectionId, element.topicKey));
    return this.connectionElements.get(element.connectionId);
  }

  getTreeItem(element: RequestsElement): vscode.TreeItem {
    const snapshot = this.snapshots.get(element.connectionId);
    switch (element.kind) {
      case 'connection': {
        const name = this.registry.get(element.connectionId)?.profile.name ?? element.connectionId;
        const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `requests:${element.connectionId}`;
        const topics = (snapshot?.topics.length ?? 0) + (snapshot?.moreTopics ?? 0);
        item.description = requestTopicCount(topics);
        item.iconPath = new vscode.ThemeIcon('plug');
        item.contextValue = 'mqttExplorer.requests.connection';
        return item;
      }
      case 'notice': {
        const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
        item.id = `requests:${element.connectionId}:notice:${element.id}`;
        item.tooltip = element.tooltip;
        item.iconPath = new vscode.ThemeIcon(element.id === 'unseen' ? 'warning' : 'info', element.id === 'unseen' ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
        return item;
      }
      case 'requestTopic': {
        const topic = snapshot?.topics.find((candidate) => candidate.key === element.key);
        const item = new vscode.TreeItem(topic?.topic ?? '', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `requests:${element.connectionId}:topic:${element.key}`;
        if (topic) {
          item.description = describeTopic(topic);
          item.tooltip = topicTooltip(topic);
          const unanswered = topic.timedOut + topic.evicted;
          item.iconPath = new vscode.ThemeIcon(unanswered ? 'warning' : 'arrow-swap', unanswered ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
        }
        item.contextValue = 'mqttExplorer.requests.topic';
        return item;
      }
      case 'exchange': {
        const { exchange, timeoutMs } = element;
        const item = new vscode.TreeItem(`${timeOfDay(exchange.requestedAt)}  ${describeExchange(exchange, timeoutMs)}`, vscode.TreeItemCollapsibleState.None);
        item.id = `requests:${element.connectionId}:exchange:${exchange.id}`;
        item.description = `${exchange.correlation ?? vscode.l10n.t('(no correlation data)')} → ${exchange.responseTopic}`;
        item.tooltip = exchangeTooltip(exchange, timeoutMs);
        item.iconPath = exchangeIcon(exchange);
        item.contextValue = 'mqttExplorer.requests.exchange';
        // A cut topic names no topic of the tree: nothing to open.
        if (!exchange.requestTopicCut) {
          item.command = { title: vscode.l10n.t('Show Topic'), command: 'mqttExplorer.showTopic', arguments: [{ connectionId: element.connectionId, topic: exchange.requestTopic }] };
        }
        return item;
      }
    }
  }

  /** The connection row's tooltip: its totals, read when hovered. */
  resolveTreeItem(item: vscode.TreeItem, element: RequestsElement): vscode.TreeItem {
    if (element.kind !== 'connection') return item;
    const snapshot = this.snapshots.get(element.connectionId);
    if (!snapshot) return item;
    const { totals } = snapshot;
    const lines = [
      vscode.l10n.t('{0}: {1} answered, {2} without a reply within {3}, {4} waiting', requestCount(totals.requests), n(totals.answered), n(totals.timedOut), formatLatency(snapshot.timeoutMs), n(totals.open)),
    ];
    if (totals.evicted) lines.push(vscode.l10n.t('{0} dropped unanswered (more open at once than the engine keeps)', openRequestCount(totals.evicted)));
    if (totals.duplicates) lines.push(vscode.l10n.t('{0} seen again while open (counted once)', requestCount(totals.duplicates)));
    if (totals.unmatchedReplies) lines.push(vscode.l10n.t('{0} on a response topic matched no open request\'s correlation data', messageCount(totals.unmatchedReplies)));
    if (totals.forgottenTopics) lines.push(vscode.l10n.t('{0} forgotten (the least recently active, beyond the engine\'s bound)', requestTopicCount(totals.forgottenTopics)));
    item.tooltip = lines.join('\n');
    return item;
  }

  private connectionElement(connectionId: string): RequestsConnectionElement {
    const known = this.connectionElements.get(connectionId);
    if (known) return known;
    const element = viewRow<RequestsConnectionElement>({ kind: 'connection', connectionId });
    this.connectionElements.set(connectionId, element);
    return element;
  }

  private topicElement(connectionId: string, key: string): RequestTopicElement {
    const known = this.topicElements.get(elementKey(connectionId, key));
    if (known) return known;
    const element = viewRow<RequestTopicElement>({ kind: 'requestTopic', connectionId, key });
    this.topicElements.set(elementKey(connectionId, key), element);
    return element;
  }
}

/** A connection is in the view once it saw a request (a Clear takes it out again). */
function shows(snapshot: RequestsSnapshot): boolean {
  return snapshot.totals.requests > 0 || snapshot.topics.length > 0;
}

function elementKey(connectionId: string, key: string): string {
  return `${connectionId}\u0000${key}`;
}

function topicKeys(snapshot: RequestsSnapshot): string {
  return snapshot.topics.map((topic) => topic.key).join('\u0000');
}

/** Rows above a connection's topics: replies it cannot see, what its bounds left out. */
function notices(snapshot: RequestsSnapshot): { id: string; label: string; tooltip: string }[] {
  const rows: { id: string; label: string; tooltip: string }[] = [];
  const { totals } = snapshot;
  if (totals.responseUnseen > 0) {
    const topics = snapshot.unseenResponseTopics.join(', ');
    rows.push({
      id: 'unseen',
      label: vscode.l10n.t('Replies cannot be seen: {0} named a response topic outside this connection\'s subscriptions', requestCount(totals.responseUnseen)),
      tooltip: vscode.l10n.t(
        'Response topics no subscription of this connection matches (newest first): {0}.\nA reply only reaches the explorer when a subscription matches its topic: subscribe to the response topics (or to #) to see the replies and their latency.',
        topics,
      ),
    });
  }
  if (snapshot.moreTopics > 0) {
    const label = snapshot.moreTopics === 1 ? vscode.l10n.t('1 more request topic not shown') : vscode.l10n.t('{0} more request topics not shown', n(snapshot.moreTopics));
    rows.push({ id: 'more', label, tooltip: vscode.l10n.t('The {0} most recently active request topics are shown.', SNAPSHOT_TOPICS) });
  }
  const dropped = totals.evicted + totals.forgottenTopics;
  if (dropped > 0) {
    rows.push({
      id: 'dropped',
      label: vscode.l10n.t('Bounded: {0} dropped, {1} forgotten', openRequestCount(totals.evicted), topicCount(totals.forgottenTopics)),
      tooltip: vscode.l10n.t('The engine keeps at most 1,000 open requests and the counts of 1,000 request topics per connection: the oldest open requests and the least recently active topics go first, and are counted here.'),
    });
  }
  return rows;
}

function topicTooltip(topic: RequestTopicSummary): string {
  const lines = [topic.topicCut ? vscode.l10n.t('{0} (cut: the topic is longer)', topic.topic) : topic.topic, `${requestCount(topic.total)}: ${describeTopic(topic)}`];
  if (topic.latency) lines.push(vscode.l10n.t('Latency: average {0}, p95 {1} (last 256 replies), max {2}', formatLatency(topic.latency.avgMs), formatLatency(topic.latency.p95Ms), formatLatency(topic.latency.maxMs)));
  if (topic.timedOut) lines.push(vscode.l10n.t('{0} got no reply within the timeout', requestCount(topic.timedOut)));
  if (topic.evicted) lines.push(vscode.l10n.t('{0} dropped while waiting (too many open requests)', requestCount(topic.evicted)));
  if (topic.responseUnseen) lines.push(vscode.l10n.t('{0} named a response topic outside the subscriptions: their replies cannot be seen', requestCount(topic.responseUnseen)));
  return lines.join('\n');
}

function exchangeTooltip(exchange: RequestExchange, timeoutMs: number): string {
  const lines = [
    vscode.l10n.t('Request on {0} at {1}', exchange.requestTopic, new Date(exchange.requestedAt).toISOString()),
    exchange.responseUnseen ? vscode.l10n.t('Response topic: {0} (outside the subscriptions: a reply cannot be seen)', exchange.responseTopic) : vscode.l10n.t('Response topic: {0}', exchange.responseTopic),
    exchange.correlation === undefined ? vscode.l10n.t('No correlation data (the next message on the response topic answers it)') : vscode.l10n.t('Correlation data: {0}', exchange.correlation),
    vscode.l10n.t('Request: {0}', exchange.requestPreview),
  ];
  if (exchange.replyPreview !== undefined) lines.push(vscode.l10n.t('Reply: {0}', exchange.replyPreview));
  lines.push(describeExchange(exchange, timeoutMs));
  return lines.join('\n');
}

function exchangeIcon(exchange: RequestExchange): vscode.ThemeIcon {
  switch (exchange.state) {
    case 'answered':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'timedOut':
    case 'evicted':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    case 'open':
      return new vscode.ThemeIcon('clock');
  }
}
