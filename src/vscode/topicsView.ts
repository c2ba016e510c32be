import * as vscode from 'vscode';
import type { BrokerConnection } from '../engine/connection';
import type { ConnectionRegistry, ConnectionTopicUpdate } from '../engine/connectionRegistry';
import { Disposable } from '../engine/dispose';
import type { TopicNode } from '../engine/topicTree';
import { formatBytes, oneLine } from '../shared/format';

export type TopicsElement = BrokerConnection | TopicNode;

/** How often, at most, the view is told that nodes changed. VS Code adds its own 200 ms debounce. */
export const REFRESH_INTERVAL_MS = 300;

const SYS = '$SYS';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isConnection(element: TopicsElement): element is BrokerConnection {
  return 'profile' in element;
}

/**
 * The Topics view: one root per connection, its topic hierarchy below. Messages never refresh the
 * view directly: the nodes they touch are collected and fired together a few times a second.
 */
export class TopicsTreeProvider extends Disposable implements vscode.TreeDataProvider<TopicsElement> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<TopicsElement | TopicsElement[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;

  private readonly pending = new Set<TopicsElement>();
  private timer: NodeJS.Timeout | undefined;

  /** What each refresh fired, for the tests that check only changed nodes are refreshed. */
  private readonly firedEmitter = this.register(new vscode.EventEmitter<readonly TopicsElement[] | undefined>());
  readonly onDidFire = this.firedEmitter.event;

  constructor(private readonly registry: ConnectionRegistry) {
    super();
    this.register(registry.onDidUpdateTopic((update) => this.onTopicUpdate(update)));
    this.register(registry.onDidChange(() => this.fire(undefined)));
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  private onTopicUpdate({ connection, update }: ConnectionTopicUpdate): void {
    const root = connection.topics.root;
    // A new node changes its parent's children; an existing one changes itself and the counts above it.
    const first = update.created ? update.created.parent : update.node;
    for (let node = first; node; node = node.parent) {
      this.pending.add(node === root ? connection : node);
    }
    this.timer ??= setTimeout(() => this.flush(), REFRESH_INTERVAL_MS);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const changed = [...this.pending];
    this.pending.clear();
    this.fire(changed);
  }

  private fire(changed: TopicsElement[] | undefined): void {
    if (changed === undefined) this.pending.clear();
    this.changeEmitter.fire(changed);
    this.firedEmitter.fire(changed);
  }

  getTreeItem(element: TopicsElement): vscode.TreeItem {
    if (isConnection(element)) {
      const root = element.topics.root;
      const item = new vscode.TreeItem(element.profile.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `topics:${element.profile.id}`;
      item.description = `${plural(root.topicCount, 'topic')}, ${plural(root.totalMessages, 'message')}`;
      item.iconPath = new vscode.ThemeIcon('server');
      item.contextValue = 'mqttExplorer.topicsRoot';
      return item;
    }
    const node = element;
    const hasChildren = node.children.size > 0;
    const item = new vscode.TreeItem(
      node.name === '' ? '(empty)' : node.name,
      hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    const owner = this.ownerOf(node);
    item.id = `topic:${owner?.profile.id ?? ''}:${node.topic}`;
    const counts = hasChildren ? `${plural(node.topicCount, 'topic')}, ${plural(node.totalMessages, 'msg')}` : plural(node.messageCount, 'msg');
    item.description = node.last ? `${oneLine(node.last.payload)}  · ${counts}` : counts;
    item.iconPath = new vscode.ThemeIcon(
      node.name === SYS && node.parent?.parent === undefined ? 'gear' : node.retained ? 'pinned' : hasChildren ? 'folder' : 'symbol-field',
    );
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**').appendText(node.topic).appendMarkdown('**\n\n');
    tooltip.appendText(`${node.messageCount} messages on this topic, ${node.totalMessages} including sub-topics, ${node.topicCount} sub-topics`);
    if (node.last) {
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(
        `Last: ${formatBytes(node.last.payload.length)}, QoS ${node.last.qos}${node.retained ? ', retained' : ''}, ${new Date(node.last.receivedAt).toLocaleTimeString()}`,
      );
    }
    item.tooltip = tooltip;
    item.contextValue = node.hasMessages ? 'mqttExplorer.topic' : 'mqttExplorer.topicLevel';
    if (node.hasMessages && owner) {
      item.command = { title: 'Show Topic', command: 'mqttExplorer.showTopic', arguments: [{ connectionId: owner.profile.id, topic: node.topic }] };
    }
    return item;
  }

  getChildren(element?: TopicsElement): TopicsElement[] {
    if (!element) return this.registry.list();
    const parent = isConnection(element) ? element.topics.root : element;
    const children = [...parent.children.values()];
    // $SYS is kept apart: after the application topics, never mixed in with them.
    return children.sort((a, b) => {
      if (parent.parent === undefined && (a.name === SYS) !== (b.name === SYS)) return a.name === SYS ? 1 : -1;
      return a.name.localeCompare(b.name);
    });
  }

  getParent(element: TopicsElement): TopicsElement | undefined {
    if (isConnection(element)) return undefined;
    const parent = element.parent;
    if (!parent) return undefined;
    return parent.parent === undefined ? this.ownerOf(element) : parent;
  }

  private ownerOf(node: TopicNode): BrokerConnection | undefined {
    let root = node;
    while (root.parent) root = root.parent;
    return this.registry.list().find((connection) => connection.topics.root === root);
  }
}
