import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { formatRange, formatRecordingTime } from '../shared/recordingTime';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import type { RemoteConnection, TopicChanges } from './engine/engineClient';
import type { NodeRef, NodeSnapshot, SchemaRowStatus, SortOrder, SparkplugRowStatus, TopicFilter } from '../shared/engineProtocol';
import type { TreeStats } from '../worker/topicTree';
import { formatBytes } from '../shared/format';
import { viewRow } from './commandArgs';
import { connectionUri, topicUri, type SchemaDecorations } from './schemaDecorations';
import { connectionAccessibility, topicAccessibility } from './treeAccessibility';

export interface TopicElement {
  kind: 'topic';
  connectionId: string;
  /** The worker's id of the node: a topic cleared and received again is another node, and another element. */
  id: number;
  topic: string;
  snapshot: NodeSnapshot;
}

/** A level's children are listed below a connection (its root) or a topic node, never below a topic string. */
type LevelKey = 'root' | number;

/** "N more": a level with more children than one page shows. */
export interface MoreElement {
  kind: 'more';
  connectionId: string;
  level: LevelKey;
  shown: number;
  total: number;
}

export type TopicsElement = RemoteConnection | TopicElement | MoreElement;

/** Children shown per level before a "more" row; each click on it shows this many more. */
export const PAGE_SIZE = 200;
/** A topic that received a message this recently is marked as active. */
const ACTIVE_MS = 5000;
/** Longest label a row shows; the tooltip has the whole name. */
const MAX_LABEL_CHARS = 256;
/** With a filter or a sort by activity, levels are listed again at most this often. */
const ORDER_RELIST_MS = 2000;
/** The view's totals are written at most this often. */
const TOTALS_INTERVAL_MS = 1000;
/** A failed listing is tried again after this, then after twice as long each time, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
const SYS = '$SYS';

// Counted nouns, one key per number form: a translation may need more than an added "s".
const n = (count: number) => count.toLocaleString('en-US');
const messageCount = (count: number) => (count === 1 ? vscode.l10n.t('1 message') : vscode.l10n.t('{0} messages', n(count)));
const msgCount = (count: number) => (count === 1 ? vscode.l10n.t('1 msg') : vscode.l10n.t('{0} msgs', n(count)));
const topicCount = (count: number) => (count === 1 ? vscode.l10n.t('1 topic') : vscode.l10n.t('{0} topics', n(count)));
const subTopicCount = (count: number) => (count === 1 ? vscode.l10n.t('1 sub-topic') : vscode.l10n.t('{0} sub-topics', n(count)));

function isConnection(element: TopicsElement): element is RemoteConnection {
  return 'profile' in element;
}

function key(connectionId: string, level: LevelKey): string {
  return `${connectionId}\u0000${level}`;
}

function refOf(level: LevelKey): NodeRef {
  return level === 'root' ? { root: true } : { id: level };
}

/** Whether a row looks different: only then is it refreshed (a refresh re-lists what is expanded below it). */
function displayKey(node: NodeSnapshot): string {
  const sparkplug = node.sparkplug ? `${node.sparkplug.online}|${node.sparkplug.flagCount}|${node.sparkplug.untracked}` : '';
  const schema = node.schema ? `${node.schema.last}|${node.schema.firstError}` : '';
  return `${node.messageCount}|${node.topicCount}|${node.childCount > 0}|${node.retained}|${node.valueDropped}|${node.last?.receivedAt}|${node.last?.preview}|${sparkplug}|${schema}`;
}

/** What a row says of its JSON Schema checks before its value: a mark when the last message is not valid. */
function schemaDescription(status: SchemaRowStatus | undefined): string {
  return status?.last === 'invalid' ? `✗ ${vscode.l10n.t('not valid')}  · ` : '';
}

/** What a row says of its Sparkplug B edge node or device before its value: "offline", the newest flag. */
function sparkplugDescription(status: SparkplugRowStatus | undefined): string {
  if (!status) return '';
  const parts = [status.online === false ? vscode.l10n.t('offline') : '', status.flags.length ? `⚠ ${status.flags[status.flags.length - 1]}` : ''];
  return parts.filter(Boolean).map((part) => `${part}  · `).join('');
}

function hasLosses(stats: TreeStats): boolean {
  return stats.dropped > 0 || stats.truncated > 0;
}

function describeLosses(stats: TreeStats): string {
  return [
    stats.dropped ? vscode.l10n.t('{0} dropped by the limits', messageCount(stats.dropped)) : '',
    stats.truncated ? (stats.truncated === 1 ? vscode.l10n.t('1 payload cut') : vscode.l10n.t('{0} payloads cut', n(stats.truncated))) : '',
    stats.forgotten ? vscode.l10n.t('{0} forgotten (memory budget)', topicCount(stats.forgotten)) : '',
  ]
    .filter(Boolean)
    .join(', ');
}

export function describeFilter(filter: TopicFilter): string {
  const topic = filter.target === 'topic';
  if (filter.kind === 'substring') return topic ? vscode.l10n.t('Topic contains "{0}"', filter.pattern) : vscode.l10n.t('Payload contains "{0}"', filter.pattern);
  if (filter.kind === 'wildcard') return topic ? vscode.l10n.t('Topic matches "{0}"', filter.pattern) : vscode.l10n.t('Payload matches "{0}"', filter.pattern);
  return topic ? vscode.l10n.t('Topic matches /…/ "{0}"', filter.pattern) : vscode.l10n.t('Payload matches /…/ "{0}"', filter.pattern);
}

/**
 * The Topics view over the engine worker. It holds no topic model of its own: rows are snapshots
 * fetched per level, and the worker pushes, a few times a second, fresh snapshots of the shown rows
 * that changed and the expanded levels that gained a child. A row is refreshed only when it looks
 * different, and a level re-listed only when its children changed: refreshing an element makes VS
 * Code list again everything expanded below it. Connection totals go in the view's description,
 * which re-lists nothing. Nothing is reported while the view is hidden or for collapsed levels.
 */
export class TopicsTreeProvider extends Disposable implements vscode.TreeDataProvider<TopicsElement> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<TopicsElement | TopicsElement[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** What each refresh fired, for the tests that check that only changed rows are refreshed. */
  private readonly firedEmitter = this.register(new vscode.EventEmitter<readonly TopicsElement[] | undefined>());
  readonly onDidFire = this.firedEmitter.event;

  /** Rows by connection and node id. */
  private readonly elements = new Map<string, TopicElement>();
  private readonly parents = new WeakMap<TopicElement | MoreElement, TopicsElement>();
  private readonly expanded = new Map<string, Set<LevelKey>>();
  private readonly pinned = new Map<string, Map<string, number>>();
  private readonly pageSizes = new Map<string, number>();
  /** Connections whose root row shows the losses mark: it is refreshed only when that flips. */
  private readonly lossesShown = new Set<string>();
  /** Levels whose listing failed, by connection and level: listed again by a timer. */
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout | undefined }>();
  private watchTimer: NodeJS.Timeout | undefined;
  private totalsTimer: NodeJS.Timeout | undefined;
  private sortOrder: SortOrder = 'name';
  private connectionIds = '';
  private orderRelistedAt = 0;
  private activeFilter: TopicFilter | undefined;
  private treeView: vscode.TreeView<TopicsElement> | undefined;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly decorations?: SchemaDecorations,
    private readonly log?: vscode.LogOutputChannel,
  ) {
    super();
    this.register(registry.onDidChangeTopics((changes) => this.onChanges(changes)));
    this.register(
      registry.onDidChange(() => {
        // State changes show in the Connections view only: re-list the Topics view when a connection comes or goes.
        const ids = registry.list().map((connection) => connection.id).join('\u0000');
        if (ids !== this.connectionIds) {
          for (const id of this.connectionIds.split('\u0000')) {
            if (!id || registry.get(id)) continue;
            // A removed connection: nothing of its rows is kept.
            this.decorations?.forget(id);
            this.forget(id);
            this.expanded.delete(id);
          }
          this.connectionIds = ids;
          this.fire(undefined);
        }
        this.refreshRecordingRows();
        this.updateDescription();
        // A panel restored at start-up may pin a topic of a connection that only now exists.
        if (this.pinned.size) this.sendWatch();
      }),
    );
    this.register(
      registry.engine.onDidRestart(() => {
        // A fresh worker: no node id is valid, and it knows nothing of what is shown.
        for (const connection of registry.list()) this.forget(connection.id);
        void this.syncVisibility();
        this.sendWatch();
        this.fire(undefined);
      }),
    );
    this.register({
      dispose: () => {
        clearTimeout(this.watchTimer);
        clearTimeout(this.totalsTimer);
        for (const retry of this.retries.values()) clearTimeout(retry.timer);
      },
    });
  }

  /** Connects the provider to its view: expansion and visibility decide what the worker reports. */
  attach(treeView: vscode.TreeView<TopicsElement>): void {
    this.treeView = treeView;
    this.register(treeView.onDidExpandElement(({ element }) => this.setExpanded(element, true)));
    this.register(treeView.onDidCollapseElement(({ element }) => this.setExpanded(element, false)));
    this.register(
      treeView.onDidChangeVisibility(({ visible }) => {
        void this.syncVisibility();
        // Nothing was reported while hidden: bring everything up to date once.
        if (visible) this.fire(undefined);
      }),
    );
    void this.syncVisibility();
    this.updateMessage();
  }

  /** Tells the worker whether the view is visible; resolves once it knows. */
  async syncVisibility(): Promise<void> {
    await this.registry.engine.request('visible', { visible: this.treeView?.visible ?? false }).catch(() => undefined);
  }

  get sort(): SortOrder {
    return this.sortOrder;
  }

  set sort(order: SortOrder) {
    this.sortOrder = order;
    this.fire(undefined);
  }

  get filter(): TopicFilter | undefined {
    return this.activeFilter;
  }

  set filter(filter: TopicFilter | undefined) {
    this.activeFilter = filter?.pattern ? filter : undefined;
    void vscode.commands.executeCommand('setContext', 'mqttExplorer.topicFilterActive', this.activeFilter !== undefined);
    this.updateMessage();
    this.fire(undefined);
  }

  private updateMessage(): void {
    if (!this.treeView) return;
    this.treeView.message = this.activeFilter ? vscode.l10n.t('Filter: {0}. Clear it with the ✕ in the title bar.', describeFilter(this.activeFilter)) : undefined;
    this.updateDescription();
  }

  /** The totals of every connection, in the view's title: writing it re-lists nothing. */
  private updateDescription(): void {
    this.totalsTimer = undefined;
    if (!this.treeView) return;
    const totals = { received: 0, dropped: 0, truncated: 0, forgotten: 0 };
    for (const connection of this.registry.list()) {
      totals.received += connection.stats.received;
      totals.dropped += connection.stats.dropped;
      totals.truncated += connection.stats.truncated;
      totals.forgotten += connection.stats.forgotten;
    }
    const parts = [
      this.activeFilter ? vscode.l10n.t('filtered') : '',
      totals.received ? msgCount(totals.received) : '',
      totals.dropped ? vscode.l10n.t('{0} dropped', n(totals.dropped)) : '',
      totals.truncated ? vscode.l10n.t('{0} cut', n(totals.truncated)) : '',
      totals.forgotten ? vscode.l10n.t('{0} forgotten', topicCount(totals.forgotten)) : '',
    ];
    this.treeView.description = parts.filter(Boolean).join(' · ') || undefined;
  }

  private setExpanded(element: TopicsElement, expanded: boolean): void {
    if (!isConnection(element) && element.kind === 'more') return;
    const connectionId = isConnection(element) ? element.id : element.connectionId;
    const set = this.expandedOf(connectionId);
    const level: LevelKey = isConnection(element) ? 'root' : element.id;
    if (expanded) set.add(level);
    else set.delete(level);
    this.sendWatch();
  }

  /** Whether the view has reported this row as expanded. */
  isExpanded(element: TopicsElement): boolean {
    if (isConnection(element)) return this.expandedOf(element.id).has('root');
    return element.kind === 'topic' && this.expandedOf(element.connectionId).has(element.id);
  }

  private expandedOf(connectionId: string): Set<LevelKey> {
    let set = this.expanded.get(connectionId);
    if (!set) {
      set = new Set<LevelKey>(['root']); // connection roots start expanded
      this.expanded.set(connectionId, set);
    }
    return set;
  }

  /** A panel shows this topic: the worker reports its changes even when its row is not shown. */
  pin(connectionId: string, topic: string): vscode.Disposable {
    const pins = this.pinned.get(connectionId) ?? new Map<string, number>();
    this.pinned.set(connectionId, pins);
    pins.set(topic, (pins.get(topic) ?? 0) + 1);
    this.sendWatch();
    return new vscode.Disposable(() => {
      const count = (pins.get(topic) ?? 1) - 1;
      if (count > 0) pins.set(topic, count);
      else pins.delete(topic);
      this.sendWatch();
    });
  }

  private sendWatch(): void {
    clearTimeout(this.watchTimer);
    this.watchTimer = setTimeout(() => void this.flushWatch(), 50);
  }

  /** Tells the worker now which rows are shown; resolves once it knows. */
  async flushWatch(): Promise<void> {
    clearTimeout(this.watchTimer);
    await Promise.all(
      this.registry.list().map((connection) =>
        this.registry.engine
          .request('watch', { connectionId: connection.id, expanded: [...this.expandedOf(connection.id)].map(refOf), pinned: [...(this.pinned.get(connection.id)?.keys() ?? [])] })
          .catch(() => undefined),
      ),
    );
  }

  private onChanges(changes: TopicChanges): void {
    const connection = this.registry.get(changes.connectionId);
    if (!connection) return;
    // JSON Schema marks are decorations: they change labels (and their ancestors') without refreshing a row.
    this.decorations?.apply(changes);
    this.totalsTimer ??= setTimeout(() => this.updateDescription(), TOTALS_INTERVAL_MS);
    const changed = new Set<TopicsElement>();
    if (hasLosses(changes.stats) !== this.lossesShown.has(connection.id)) changed.add(connection);
    if (changes.reset) {
      this.forget(changes.connectionId);
      this.fire([connection]);
      return;
    }
    for (const snapshot of changes.rows) {
      const element = this.elements.get(key(changes.connectionId, snapshot.id));
      if (!element) continue;
      const before = displayKey(element.snapshot);
      element.snapshot = snapshot;
      if (displayKey(snapshot) !== before) changed.add(element);
    }
    // Which rows a filter keeps, and the order of "most recent" or "most messages", change with any
    // message: with one of those, the levels are listed again, at most every ORDER_RELIST_MS.
    if ((this.activeFilter || this.sortOrder !== 'name') && Date.now() - this.orderRelistedAt >= ORDER_RELIST_MS) {
      this.orderRelistedAt = Date.now();
      changed.add(connection);
    }
    for (const ref of changes.relist) {
      const element = 'root' in ref ? connection : 'id' in ref ? this.elements.get(key(changes.connectionId, ref.id)) : undefined;
      if (element) changed.add(element);
    }
    if (changed.size) this.fire([...changed]);
  }

  private fire(changed: TopicsElement[] | undefined): void {
    this.changeEmitter.fire(changed);
    this.firedEmitter.fire(changed);
  }

  /** Shows another page of a level's children. */
  showMore(element: MoreElement): void {
    const pageKey = key(element.connectionId, element.level);
    this.pageSizes.set(pageKey, (this.pageSizes.get(pageKey) ?? PAGE_SIZE) + PAGE_SIZE);
    const parent = this.parents.get(element);
    this.fire(parent ? [parent] : undefined);
  }

  getTreeItem(element: TopicsElement): vscode.TreeItem {
    if (isConnection(element)) return this.connectionItem(element);
    if (element.kind === 'more') {
      const hidden = element.total - element.shown;
      const item = new vscode.TreeItem(hidden === 1 ? vscode.l10n.t('1 more topic…') : vscode.l10n.t('{0} more topics…', n(hidden)), vscode.TreeItemCollapsibleState.None);
      item.id = `more:${element.connectionId}:${element.level}`;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.tooltip = vscode.l10n.t('Showing {0} of {1}. Click to show {2} more, or filter the view.', element.shown, element.total, PAGE_SIZE);
      item.command = { title: vscode.l10n.t('Show More'), command: 'mqttExplorer.showMoreTopics', arguments: [element] };
      item.contextValue = 'mqttExplorer.more';
      return item;
    }
    return this.topicItem(element);
  }

  /** Tooltips are built on hover from a fresh snapshot: totals change too often to refresh rows for them. */
  async resolveTreeItem(item: vscode.TreeItem, element: TopicsElement): Promise<vscode.TreeItem> {
    if (isConnection(element)) {
      const { stats } = element;
      const losses = describeLosses(stats);
      item.tooltip = `${element.profile.name}\n${vscode.l10n.t('{0} received, {1} kept ({2})', messageCount(stats.received), messageCount(stats.kept), formatBytes(stats.bytes))}${losses ? `\n${losses}` : ''}`;
    } else if (element.kind === 'topic') {
      const fresh = await this.registry.engine.request('snapshot', { connectionId: element.connectionId, node: { id: element.id } }).catch(() => undefined);
      item.tooltip = topicTooltip(fresh ?? element.snapshot);
    }
    return item;
  }

  // ── Offline recordings (issue 15) ──
  /** Per opened recording, the description its row shows: the row is refreshed when it changes (once opened, at each seek; not with every progress report). */
  private readonly recordingDescriptions = new Map<string, string | undefined>();

  private recordingDescription(connection: RemoteConnection): string | undefined {
    const state = connection.state;
    if (state.kind !== 'offline' || state.recording.loading) return this.recordingDescriptions.get(connection.id) ?? vscode.l10n.t('recording · opening…');
    const { from, to, at } = state.recording;
    return from === undefined || to === undefined ? vscode.l10n.t('recording · no messages') : vscode.l10n.t('recording at {0} ({1})', formatRecordingTime(at ?? to, false), formatRange(from, to));
  }

  private refreshRecordingRows(): void {
    for (const id of this.recordingDescriptions.keys()) if (!this.registry.get(id)) this.recordingDescriptions.delete(id);
    for (const connection of this.registry.list()) {
      if (!connection.offline || !this.recordingDescriptions.has(connection.id)) continue;
      if (this.recordingDescription(connection) !== this.recordingDescriptions.get(connection.id)) this.fire([connection]);
    }
  }

  private connectionItem(connection: RemoteConnection): vscode.TreeItem {
    const item = new vscode.TreeItem(connection.profile.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `topics:${connection.id}`;
    const losses = hasLosses(connection.stats);
    if (losses) this.lossesShown.add(connection.id);
    else this.lossesShown.delete(connection.id);
    // Totals are in the view's description; this row only says whether the limits dropped anything.
    item.description = losses ? vscode.l10n.t('the limits dropped or cut messages') : undefined;
    item.iconPath = new vscode.ThemeIcon(losses ? 'warning' : 'server');
    if (connection.offline) {
      // A recording opened offline: its own icon, and the time it shows of its range.
      const description = this.recordingDescription(connection);
      this.recordingDescriptions.set(connection.id, description);
      item.description = losses ? `${description} · ${vscode.l10n.t('the limits dropped or cut messages')}` : description;
      if (!losses) item.iconPath = new vscode.ThemeIcon('history');
    }
    if (this.decorations) item.resourceUri = connectionUri(connection.id);
    // `.offline`: a recording's rows offer nothing that would publish or subscribe (package.json's when clauses).
    item.contextValue = `mqttExplorer.topicsRoot${connection.offline ? '.offline' : ''}`;
    item.accessibilityInformation = connectionAccessibility(connection.profile.name, item.description);
    return item;
  }

  private topicItem(element: TopicElement): vscode.TreeItem {
    const node = element.snapshot;
    const hasChildren = node.childCount > 0;
    const name = node.name === '' ? vscode.l10n.t('(empty)') : node.name.length > MAX_LABEL_CHARS ? `${node.name.slice(0, MAX_LABEL_CHARS - 1)}…` : node.name;
    const item = new vscode.TreeItem(name, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = itemId(element.connectionId, node.topic);
    // The JSON Schema decoration (SchemaDecorations) finds the row, and its ancestors, by this URI.
    if (this.decorations) item.resourceUri = topicUri(element.connectionId, node.topic);
    // Only this topic's own messages: a row that changed with every message below it would re-list its children.
    const active = node.last !== undefined && Date.now() - node.last.receivedAt < ACTIVE_MS;
    const value = node.last ? `${node.last.preview}  · ` : node.valueDropped ? `${vscode.l10n.t('(value dropped: memory budget)')}  · ` : '';
    const own = node.messageCount > 0 ? `${value}${msgCount(node.messageCount)}` : '';
    const below = hasChildren ? topicCount(node.topicCount) : '';
    item.description = `${active ? '● ' : ''}${schemaDescription(node.schema)}${sparkplugDescription(node.sparkplug)}${[own, below].filter(Boolean).join(' · ')}`;
    item.accessibilityInformation = topicAccessibility(node, active);
    const isSys = node.name === SYS && !node.topic.includes('/');
    const sparkplug = node.sparkplug;
    item.iconPath = isSys
      ? new vscode.ThemeIcon('gear')
      : sparkplug?.online === false
        ? new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('disabledForeground'))
        : sparkplug?.flagCount
          ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
          : node.schema?.last === 'invalid'
            ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
            : node.retained
            ? new vscode.ThemeIcon('pinned', active ? new vscode.ThemeColor('charts.green') : undefined)
            : // 'symbol-folder' is the folder glyph: VS Code replaces the icon whose id is 'folder' on a row with a resourceUri by the file icon theme's.
              new vscode.ThemeIcon(hasChildren ? 'symbol-folder' : 'symbol-field', active ? new vscode.ThemeColor('charts.green') : undefined);
    // `.sparkplug` last: the rows of an edge node's or a device's topics offer "Request Rebirth".
    const offline = this.registry.get(element.connectionId)?.offline ? '.offline' : '';
    item.contextValue = `mqttExplorer.${node.messageCount > 0 ? 'topic' : 'topicLevel'}${node.retained ? '.retained' : ''}${sparkplug ? '.sparkplug' : ''}${offline}`;
    if (node.messageCount > 0) {
      item.command = { title: vscode.l10n.t('Show Topic'), command: 'mqttExplorer.showTopic', arguments: [{ connectionId: element.connectionId, topic: node.topic }, { fromTree: true }] };
    }
    return item;
  }

  async getChildren(element?: TopicsElement): Promise<TopicsElement[]> {
    if (!element) return this.registry.list();
    if (!isConnection(element) && element.kind === 'more') return [];
    const connectionId = isConnection(element) ? element.id : element.connectionId;
    const level: LevelKey = isConnection(element) ? 'root' : element.id;
    const limit = this.pageSizes.get(key(connectionId, level)) ?? PAGE_SIZE;
    // VS Code lists the children of expanded rows only, also of those it expands again by their id
    // after a refresh (a clear, a restart) without an expansion event: those count as expanded too.
    const expanded = this.expandedOf(connectionId);
    if (!expanded.has(level)) {
      expanded.add(level);
      this.sendWatch();
    }
    let result;
    const levelKey = key(connectionId, level);
    try {
      result = await this.registry.engine.request('children', { connectionId, parent: refOf(level), sort: this.sortOrder, filter: this.activeFilter, offset: 0, limit });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A bad filter pattern is shown in the view's message; the tree shows nothing below.
      if (this.treeView && this.activeFilter) this.treeView.message = vscode.l10n.t('Filter error: {0}', message);
      else this.retryListing(element, levelKey, message);
      return [];
    }
    this.clearRetry(levelKey);
    const children: TopicsElement[] = result.children.map((snapshot) => {
      const elementKey = key(connectionId, snapshot.id);
      let child = this.elements.get(elementKey);
      if (child) child.snapshot = snapshot;
      else {
        child = viewRow<TopicElement>({ kind: 'topic', connectionId, id: snapshot.id, topic: snapshot.topic, snapshot });
        this.elements.set(elementKey, child);
      }
      this.parents.set(child, element);
      return child;
    });
    if (result.total > result.children.length) {
      const more = viewRow<MoreElement>({ kind: 'more', connectionId, level, shown: result.children.length, total: result.total });
      this.parents.set(more, element);
      children.push(more);
    }
    return children;
  }

  /**
   * A level whose listing failed (the worker was busy past the deadline, or was being replaced) is
   * listed again after a growing delay: an empty level is never left standing as if it had no topics.
   */
  private retryListing(element: TopicsElement, levelKey: string, reason: string): void {
    const retry = this.retries.get(levelKey) ?? { attempt: 0, timer: undefined };
    clearTimeout(retry.timer);
    retry.attempt++;
    const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (retry.attempt - 1));
    this.log?.warn(`Topics view: listing a level failed (${reason}); trying again in ${delayMs / 1000} s.`);
    retry.timer = setTimeout(() => this.fire([element]), delayMs);
    this.retries.set(levelKey, retry);
  }

  private clearRetry(levelKey: string): void {
    const retry = this.retries.get(levelKey);
    if (!retry) return;
    clearTimeout(retry.timer);
    this.retries.delete(levelKey);
  }

  getParent(element: TopicsElement): TopicsElement | undefined {
    if (isConnection(element)) return undefined;
    return this.parents.get(element);
  }

  /** Forgets the rows of a connection (it was cleared or removed): they are listed again from the worker. */
  forget(connectionId: string): void {
    for (const [elementKey, element] of this.elements) if (element.connectionId === connectionId) this.elements.delete(elementKey);
    const expanded = this.expanded.get(connectionId);
    if (expanded) for (const level of expanded) if (level !== 'root') expanded.delete(level);
    for (const levelKey of this.retries.keys()) if (levelKey.startsWith(`${connectionId}\u0000`)) this.clearRetry(levelKey);
  }
}

/**
 * A row's id for VS Code, which keeps expansion across reloads by it: from the topic (node ids start
 * over with each worker), hashed when long, so a 20,000-level path does not carry its topic in every row.
 */
function itemId(connectionId: string, topic: string): string {
  // The connection id is encoded (it may hold ':'), and hashed ids have a prefix of their own: no topic can spell another's id.
  const connection = encodeURIComponent(connectionId);
  return topic.length <= 512 ? `topic:${connection}:${topic}` : `topic-hash:${connection}:${createHash('sha256').update(topic).digest('base64')}`;
}

/** The tooltip's lines on a topic's JSON Schema checks: the last message's verdict, then the counts. */
export function schemaTooltip(status: SchemaRowStatus): string {
  const firstError = status.firstError ?? vscode.l10n.t('see the panel');
  const more = (status.errorCount ?? 0) - 1;
  const last =
    status.last === 'invalid'
      ? more > 0
        ? vscode.l10n.t('Last message not valid against {0}: {1} (and {2}, listed in the panel).', status.schema, firstError, more === 1 ? vscode.l10n.t('1 more error') : vscode.l10n.t('{0} more errors', n(more)))
        : vscode.l10n.t('Last message not valid against {0}: {1}.', status.schema, firstError)
      : status.last === 'valid'
        ? vscode.l10n.t('Last message valid against {0}.', status.schema)
        : vscode.l10n.t('Last message not checked against {0}: {1}.', status.schema, status.reason ?? vscode.l10n.t('no reason given'));
  const counts = status.unchecked
    ? vscode.l10n.t('{0} checked since the schema loaded, {1} not valid, {2} not checked (binding {3}).', messageCount(status.checked), n(status.invalid), messageCount(status.unchecked), status.filter)
    : vscode.l10n.t('{0} checked since the schema loaded, {1} not valid (binding {2}).', messageCount(status.checked), n(status.invalid), status.filter);
  return `${last}\n${counts}`;
}

function topicTooltip(node: NodeSnapshot): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.appendMarkdown('**').appendText(node.topic.length > 4096 ? `${node.topic.slice(0, 4095)}…` : node.topic).appendMarkdown('**\n\n');
  tooltip.appendText(vscode.l10n.t('{0} on this topic, {1} with sub-topics, {2}', messageCount(node.messageCount), messageCount(node.totalMessages), subTopicCount(node.topicCount)));
  if (node.last) {
    tooltip.appendMarkdown('\n\n');
    tooltip.appendText(
      vscode.l10n.t(
        'Last: {0}, {1}, {2}',
        node.last.truncated ? vscode.l10n.t('{0} (cut: only the beginning is kept)', formatBytes(node.last.size)) : formatBytes(node.last.size),
        node.retained ? vscode.l10n.t('QoS {0}, retained', node.last.qos) : `QoS ${node.last.qos}`,
        new Date(node.last.receivedAt).toLocaleTimeString(),
      ),
    );
  }
  if (node.last?.decodedBy) tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Shown decoded: {0}.', node.last.decodedBy));
  if (node.last?.decodeError) tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Not decoded (shown as received): {0}', node.last.decodeError));
  if (node.dropped) tooltip.appendMarkdown('\n\n').appendText(node.dropped === 1 ? vscode.l10n.t('1 older message dropped by the history limits.') : vscode.l10n.t('{0} older messages dropped by the history limits.', n(node.dropped)));
  if (node.schema) for (const line of schemaTooltip(node.schema).split('\n')) tooltip.appendMarkdown('\n\n').appendText(line);
  const sparkplug = node.sparkplug;
  if (sparkplug) {
    const what =
      sparkplug.device === undefined
        ? vscode.l10n.t('Sparkplug B edge node {0}', `${sparkplug.group}/${sparkplug.node}`)
        : vscode.l10n.t('Sparkplug B device {0}', `${sparkplug.group}/${sparkplug.node}/${sparkplug.device}`);
    const state = sparkplug.untracked
      ? vscode.l10n.t('not tracked (this connection tracks as many edge nodes and devices as it can keep)')
      : sparkplug.online === undefined
        ? vscode.l10n.t('no birth or death seen yet ("Request Rebirth" asks the edge node for its births)')
        : sparkplug.online
          ? vscode.l10n.t('online')
          : vscode.l10n.t('offline');
    tooltip.appendMarkdown('\n\n').appendText(`${what}: ${state}.`);
    if (sparkplug.flagCount) {
      const flags = sparkplug.flagCount === 1 ? vscode.l10n.t('1 flag') : vscode.l10n.t('{0} flags', n(sparkplug.flagCount));
      tooltip.appendMarkdown('\n\n').appendText(`${sparkplug.flagCount > sparkplug.flags.length ? vscode.l10n.t('{0}, the latest {1}', flags, sparkplug.flags.length) : flags}:`);
      for (const flag of sparkplug.flags) tooltip.appendMarkdown('\n- ').appendText(flag);
    }
  }
  return tooltip;
}
