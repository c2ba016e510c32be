import * as vscode from 'vscode';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import type { RemoteConnection, TopicChanges } from './engine/engineClient';
import type { NodeSnapshot, SortOrder, TopicFilter } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';

export interface TopicElement {
  kind: 'topic';
  connectionId: string;
  topic: string;
  snapshot: NodeSnapshot;
}

/** "N more": a level with more children than one page shows. */
export interface MoreElement {
  kind: 'more';
  connectionId: string;
  parentTopic: string;
  shown: number;
  total: number;
}

export type TopicsElement = RemoteConnection | TopicElement | MoreElement;

/** Children shown per level before a "more" row; each click on it shows this many more. */
export const PAGE_SIZE = 200;
/** A topic that received a message this recently is marked as active. */
const ACTIVE_MS = 5000;
const SYS = '$SYS';

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

function isConnection(element: TopicsElement): element is RemoteConnection {
  return 'profile' in element;
}

function key(connectionId: string, topic: string): string {
  return `${connectionId}\u0000${topic}`;
}

export function describeFilter(filter: TopicFilter): string {
  const how = filter.kind === 'substring' ? 'contains' : filter.kind === 'wildcard' ? 'matches' : 'matches /…/';
  return `${filter.target === 'topic' ? 'Topic' : 'Payload'} ${how} "${filter.pattern}"`;
}

/**
 * The Topics view over the engine worker. It holds no topic model of its own: rows are snapshots
 * fetched per level, and the worker reports, a few times a second, which shown rows changed. Only
 * those rows are refreshed; nothing is reported while the view is hidden or for collapsed levels.
 */
export class TopicsTreeProvider extends Disposable implements vscode.TreeDataProvider<TopicsElement> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<TopicsElement | TopicsElement[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** What each refresh fired, for the tests that check that only changed rows are refreshed. */
  private readonly firedEmitter = this.register(new vscode.EventEmitter<readonly TopicsElement[] | undefined>());
  readonly onDidFire = this.firedEmitter.event;

  private readonly elements = new Map<string, TopicElement>();
  private readonly parents = new WeakMap<TopicElement | MoreElement, TopicsElement>();
  private readonly expanded = new Map<string, Set<string>>();
  private readonly pinned = new Map<string, Map<string, number>>();
  private readonly pageSizes = new Map<string, number>();
  private watchTimer: NodeJS.Timeout | undefined;
  private sortOrder: SortOrder = 'name';
  private activeFilter: TopicFilter | undefined;
  private treeView: vscode.TreeView<TopicsElement> | undefined;

  constructor(private readonly registry: ConnectionRegistry) {
    super();
    this.register(registry.onDidChangeTopics((changes) => void this.onChanges(changes)));
    this.register(
      registry.onDidChange(() => {
        this.fire(undefined);
        // A panel restored at start-up may pin a topic of a connection that only now exists.
        if (this.pinned.size) this.sendWatch();
      }),
    );
    this.register({ dispose: () => clearTimeout(this.watchTimer) });
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
    this.treeView.message = this.activeFilter ? `Filter: ${describeFilter(this.activeFilter)}. Clear it with the ✕ in the title bar.` : undefined;
    this.treeView.description = this.activeFilter ? 'filtered' : undefined;
  }

  private setExpanded(element: TopicsElement, expanded: boolean): void {
    if (!isConnection(element) && element.kind === 'more') return;
    const connectionId = isConnection(element) ? element.id : element.connectionId;
    const topic = isConnection(element) ? '' : element.topic;
    const set = this.expandedOf(connectionId);
    if (expanded) set.add(topic);
    else set.delete(topic);
    this.sendWatch();
  }

  /** Whether the view has reported this row as expanded. */
  isExpanded(element: TopicsElement): boolean {
    if (isConnection(element)) return this.expandedOf(element.id).has('');
    return element.kind === 'topic' && this.expandedOf(element.connectionId).has(element.topic);
  }

  private expandedOf(connectionId: string): Set<string> {
    let set = this.expanded.get(connectionId);
    if (!set) {
      set = new Set(['']); // connection roots start expanded
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
          .request('watch', { connectionId: connection.id, expanded: [...this.expandedOf(connection.id)], pinned: [...(this.pinned.get(connection.id)?.keys() ?? [])] })
          .catch(() => undefined),
      ),
    );
  }

  private async onChanges(changes: TopicChanges): Promise<void> {
    const connection = this.registry.get(changes.connectionId);
    if (!connection) return;
    if (changes.all) {
      this.fire([connection]);
      return;
    }
    const known = changes.topics.filter((topic) => topic !== '' && this.elements.has(key(changes.connectionId, topic)));
    const fresh = known.length ? await this.registry.engine.request('snapshots', { connectionId: changes.connectionId, topics: known }).catch(() => []) : [];
    const changed: TopicsElement[] = [];
    for (const snapshot of fresh) {
      const element = this.elements.get(key(changes.connectionId, snapshot.topic));
      if (!element) continue;
      // A node whose children changed while shown with none (or the other way) must be re-listed by its parent.
      const parent = (snapshot.childCount > 0) !== (element.snapshot.childCount > 0) ? this.parents.get(element) : undefined;
      element.snapshot = snapshot;
      changed.push(parent ?? element);
    }
    if (changes.topics.includes('')) changed.push(connection);
    if (changed.length) this.fire([...new Set(changed)]);
  }

  private fire(changed: TopicsElement[] | undefined): void {
    this.changeEmitter.fire(changed);
    this.firedEmitter.fire(changed);
  }

  /** Shows another page of a level's children. */
  showMore(element: MoreElement): void {
    const pageKey = key(element.connectionId, element.parentTopic);
    this.pageSizes.set(pageKey, (this.pageSizes.get(pageKey) ?? PAGE_SIZE) + PAGE_SIZE);
    const parent = this.parents.get(element);
    this.fire(parent ? [parent] : undefined);
  }

  getTreeItem(element: TopicsElement): vscode.TreeItem {
    if (isConnection(element)) return this.connectionItem(element);
    if (element.kind === 'more') {
      const item = new vscode.TreeItem(`${plural(element.total - element.shown, 'more topic')}…`, vscode.TreeItemCollapsibleState.None);
      item.id = `more:${element.connectionId}:${element.parentTopic}`;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.tooltip = `Showing ${element.shown} of ${element.total}. Click to show ${PAGE_SIZE} more, or filter the view.`;
      item.command = { title: 'Show More', command: 'mqttExplorer.showMoreTopics', arguments: [element] };
      item.contextValue = 'mqttExplorer.more';
      return item;
    }
    return this.topicItem(element);
  }

  private connectionItem(connection: RemoteConnection): vscode.TreeItem {
    const item = new vscode.TreeItem(connection.profile.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `topics:${connection.id}`;
    const { stats } = connection;
    const losses = [stats.dropped ? `${plural(stats.dropped, 'message')} dropped by the limits` : '', stats.truncated ? `${plural(stats.truncated, 'payload')} cut` : '']
      .filter(Boolean)
      .join(', ');
    item.description = `${plural(stats.received, 'message')}${losses ? ` · ${losses}` : ''}`;
    item.tooltip = `${connection.profile.name}\n${plural(stats.received, 'message')} received, ${plural(stats.kept, 'message')} kept (${formatBytes(stats.bytes)})${losses ? `\n${losses}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(stats.dropped || stats.truncated ? 'warning' : 'server');
    item.contextValue = 'mqttExplorer.topicsRoot';
    return item;
  }

  private topicItem(element: TopicElement): vscode.TreeItem {
    const node = element.snapshot;
    const hasChildren = node.childCount > 0;
    const item = new vscode.TreeItem(node.name === '' ? '(empty)' : node.name, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `topic:${element.connectionId}:${node.topic}`;
    const counts = hasChildren ? `${plural(node.topicCount, 'topic')}, ${plural(node.totalMessages, 'msg')}` : plural(node.messageCount, 'msg');
    const active = Date.now() - node.lastActivity < ACTIVE_MS;
    const value = node.last ? `${node.last.preview}  · ` : node.valueDropped ? '(value dropped: memory budget)  · ' : '';
    item.description = `${active ? '● ' : ''}${value}${counts}`;
    const isSys = node.name === SYS && !node.topic.includes('/');
    item.iconPath = isSys
      ? new vscode.ThemeIcon('gear')
      : node.retained
        ? new vscode.ThemeIcon('pinned', active ? new vscode.ThemeColor('charts.green') : undefined)
        : new vscode.ThemeIcon(hasChildren ? 'folder' : 'symbol-field', active ? new vscode.ThemeColor('charts.green') : undefined);
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**').appendText(node.topic).appendMarkdown('**\n\n');
    tooltip.appendText(`${plural(node.messageCount, 'message')} on this topic, ${plural(node.totalMessages, 'message')} with sub-topics, ${plural(node.topicCount, 'sub-topic')}`);
    if (node.last) {
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(
        `Last: ${formatBytes(node.last.size)}${node.last.truncated ? ' (cut: only the beginning is kept)' : ''}, QoS ${node.last.qos}${node.retained ? ', retained' : ''}, ${new Date(node.last.receivedAt).toLocaleTimeString()}`,
      );
    }
    if (node.dropped) tooltip.appendMarkdown('\n\n').appendText(`${plural(node.dropped, 'older message')} dropped by the history limits.`);
    item.tooltip = tooltip;
    item.contextValue = `mqttExplorer.${node.messageCount > 0 ? 'topic' : 'topicLevel'}${node.retained ? '.retained' : ''}`;
    if (node.messageCount > 0) {
      item.command = { title: 'Show Topic', command: 'mqttExplorer.showTopic', arguments: [{ connectionId: element.connectionId, topic: node.topic }, { fromTree: true }] };
    }
    return item;
  }

  async getChildren(element?: TopicsElement): Promise<TopicsElement[]> {
    if (!element) return this.registry.list();
    if (!isConnection(element) && element.kind === 'more') return [];
    const connectionId = isConnection(element) ? element.id : element.connectionId;
    const parentTopic = isConnection(element) ? '' : element.topic;
    const limit = this.pageSizes.get(key(connectionId, parentTopic)) ?? PAGE_SIZE;
    let result;
    try {
      result = await this.registry.engine.request('children', { connectionId, parent: parentTopic, sort: this.sortOrder, filter: this.activeFilter, offset: 0, limit });
    } catch (error) {
      // A bad filter pattern is shown in the view's message; the tree shows nothing below.
      if (this.treeView && this.activeFilter) this.treeView.message = `Filter error: ${error instanceof Error ? error.message : String(error)}`;
      return [];
    }
    const children: TopicsElement[] = result.children.map((snapshot) => {
      const elementKey = key(connectionId, snapshot.topic);
      let child = this.elements.get(elementKey);
      if (child) child.snapshot = snapshot;
      else {
        child = { kind: 'topic', connectionId, topic: snapshot.topic, snapshot };
        this.elements.set(elementKey, child);
      }
      this.parents.set(child, element);
      return child;
    });
    if (result.total > result.children.length) {
      const more: MoreElement = { kind: 'more', connectionId, parentTopic, shown: result.children.length, total: result.total };
      this.parents.set(more, element);
      children.push(more);
    }
    return children;
  }

  getParent(element: TopicsElement): TopicsElement | undefined {
    if (isConnection(element)) return undefined;
    return this.parents.get(element);
  }

  /** Forgets the rows of a connection (it was cleared or removed). */
  forget(connectionId: string, below = ''): void {
    for (const elementKey of [...this.elements.keys()]) {
      const [id, topic] = elementKey.split('\u0000');
      if (id === connectionId && (below === '' || topic === below || topic.startsWith(`${below}/`))) this.elements.delete(elementKey);
    }
  }
}
