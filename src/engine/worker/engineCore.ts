import { payloadAsText, oneLine } from '../../shared/format';
import { BrokerConnection } from '../connection';
import { topicMatchesFilter } from '../topicRules';
import { DEFAULT_LIMITS, type TopicLimits, type TopicNode } from '../topicTree';
import type { EngineEvent, EngineRequest, EngineRequests, MessageRecord, NodeSnapshot, SortOrder, TopicFilter } from './protocol';

/** How often, at most, the shown nodes that changed are reported to the extension host. */
export const CHANGE_INTERVAL_MS = 250;
/** More changed nodes than this in one report: the host refreshes the whole connection instead. */
const MAX_CHANGED_PER_REPORT = 2000;

interface Watched {
  expanded: Set<string>;
  pinned: Set<string>;
  changed: Set<string>;
}

export function snapshotOf(node: TopicNode): NodeSnapshot {
  const last = node.last;
  return {
    topic: node.topic,
    name: node.name,
    messageCount: node.messageCount,
    totalMessages: node.totalMessages,
    topicCount: node.topicCount,
    childCount: node.children.size,
    retained: node.retained,
    dropped: node.dropped,
    lastActivity: node.lastActivity,
    last: last
      ? { preview: oneLine(last.payload, 200), size: last.size, qos: last.qos, retain: last.retain, receivedAt: last.receivedAt, truncated: last.truncated }
      : undefined,
  };
}

function compare(sort: SortOrder): (a: TopicNode, b: TopicNode) => number {
  switch (sort) {
    case 'messages':
      return (a, b) => b.totalMessages - a.totalMessages || a.name.localeCompare(b.name);
    case 'topics':
      return (a, b) => b.topicCount - a.topicCount || a.name.localeCompare(b.name);
    case 'recent':
      return (a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name);
    case 'name':
      return (a, b) => a.name.localeCompare(b.name);
  }
}

/** A predicate for one node's own topic or last payload; throws a readable error for a bad pattern. */
export function compileFilter(filter: TopicFilter): (node: TopicNode) => boolean {
  let test: (text: string) => boolean;
  switch (filter.kind) {
    case 'substring': {
      const needle = filter.pattern.toLowerCase();
      test = (text) => text.toLowerCase().includes(needle);
      break;
    }
    case 'wildcard':
      test = (text) => topicMatchesFilter(filter.pattern, text);
      break;
    case 'regex': {
      let pattern: RegExp;
      try {
        pattern = new RegExp(filter.pattern, 'i');
      } catch (error) {
        throw new Error(`Not a valid regular expression: ${(error as Error).message}`);
      }
      test = (text) => pattern.test(text);
      break;
    }
  }
  if (filter.target === 'topic') return (node) => node.hasMessages && test(node.topic);
  return (node) => {
    const last = node.last;
    if (!last) return false;
    const text = payloadAsText(last.payload);
    return text !== undefined && test(text);
  };
}

/**
 * Everything the engine worker does, without the worker: connections and their topic models, and
 * the queries and coalesced change reports the Topics view needs. Tests drive it in-process.
 */
export class EngineCore {
  private readonly connections = new Map<string, BrokerConnection>();
  private readonly watched = new Map<string, Watched>();
  private limits: TopicLimits = DEFAULT_LIMITS;
  private visible = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly emit: (event: EngineEvent) => void) {}

  async handle(request: EngineRequest): Promise<unknown> {
    switch (request.name) {
      case 'connect':
        return this.connect(request.params);
      case 'disconnect':
        return this.connection(request.params.connectionId).disconnect();
      case 'remove': {
        const connection = this.connections.get(request.params.connectionId);
        this.connections.delete(request.params.connectionId);
        this.watched.delete(request.params.connectionId);
        if (connection) {
          await connection.disconnect().catch(() => undefined);
          connection.dispose();
        }
        return undefined;
      }
      case 'reconnectNow':
        return this.connection(request.params.connectionId).reconnectNow();
      case 'addSubscription':
        return this.connection(request.params.connectionId).addSubscription(request.params.spec);
      case 'removeSubscription':
        return this.connection(request.params.connectionId).removeSubscription(request.params.topic);
      case 'publish': {
        const { connectionId, topic, payload, qos, retain } = request.params;
        return this.connection(connectionId).publish(topic, payload, { qos, retain });
      }
      case 'children':
        return this.children(request.params);
      case 'node':
        return this.node(request.params);
      case 'snapshots': {
        const tree = this.connections.get(request.params.connectionId)?.topics;
        if (!tree) return [];
        return request.params.topics.flatMap((topic) => {
          const node = topic === '' ? undefined : tree.find(topic);
          return node ? [snapshotOf(node)] : [];
        });
      }
      case 'watch': {
        const watched = this.watchedOf(request.params.connectionId);
        watched.expanded = new Set(request.params.expanded);
        watched.pinned = new Set(request.params.pinned);
        return undefined;
      }
      case 'visible':
        this.visible = request.params.visible;
        if (!this.visible) for (const watched of this.watched.values()) watched.changed.clear();
        return undefined;
      case 'clear': {
        const tree = this.connection(request.params.connectionId).topics;
        const node = request.params.topic === '' ? tree.root : tree.find(request.params.topic);
        if (node) tree.clearSubtree(node);
        this.markAll(request.params.connectionId);
        return undefined;
      }
      case 'retainedBelow': {
        const tree = this.connection(request.params.connectionId).topics;
        const node = request.params.topic === '' ? tree.root : tree.find(request.params.topic);
        if (!node) return [];
        const found = [...tree.topics(node)].filter((candidate) => candidate.retained).map((candidate) => candidate.topic);
        if (node.retained) found.unshift(node.topic);
        return found;
      }
      case 'setLimits':
        this.limits = request.params.limits;
        for (const connection of this.connections.values()) connection.topics.limits = this.limits;
        return undefined;
      case 'stats':
        return { ...this.connection(request.params.connectionId).topics.stats };
    }
  }

  private connection(id: string): BrokerConnection {
    const connection = this.connections.get(id);
    if (!connection) throw new Error(`No connection ${id}.`);
    return connection;
  }

  private watchedOf(id: string): Watched {
    let watched = this.watched.get(id);
    if (!watched) {
      watched = { expanded: new Set(['']), pinned: new Set(), changed: new Set() };
      this.watched.set(id, watched);
    }
    return watched;
  }

  private async connect(params: EngineRequests['connect']['params']): Promise<void> {
    let connection = this.connections.get(params.connectionId);
    if (connection && JSON.stringify(connection.profile) !== JSON.stringify(params.profile)) {
      await connection.disconnect().catch(() => undefined);
      connection.dispose();
      connection = undefined;
    }
    if (!connection) {
      const created = new BrokerConnection(params.profile, {
        secrets: async () => params.secrets,
        backoff: params.backoff,
        log: (line) => this.emit({ kind: 'log', level: 'info', line }),
      });
      created.topics.limits = this.limits;
      created.onDidChangeState((state) => this.emit({ kind: 'state', connectionId: params.connectionId, state }));
      created.onDidChangeSubscriptions(() => this.emit({ kind: 'subscriptions', connectionId: params.connectionId, subscriptions: created.subscriptions }));
      created.onDidUpdateTopic((update) => this.onUpdate(params.connectionId, update.node, update.created));
      this.connections.set(params.connectionId, created);
      connection = created;
    }
    await connection.connect();
  }

  /** Per message: mark the shown nodes on the path that changed. O(depth), no allocation when nothing is shown. */
  private onUpdate(connectionId: string, node: TopicNode, created: TopicNode | undefined): void {
    if (!this.visible) return;
    const watched = this.watchedOf(connectionId);
    if (created) {
      const parent = created.parent;
      if (parent && watched.expanded.has(parent.topic)) watched.changed.add(parent.topic);
    }
    for (let up: TopicNode | undefined = node; up?.parent; up = up.parent) {
      // A node's row is shown when its parent is expanded; a pinned node is shown in a panel.
      if (watched.expanded.has(up.parent.topic) || watched.pinned.has(up.topic)) watched.changed.add(up.topic);
    }
    watched.changed.add(''); // the connection's root row carries the totals
    this.timer ??= setTimeout(() => this.flush(), CHANGE_INTERVAL_MS);
  }

  private markAll(connectionId: string): void {
    const watched = this.watchedOf(connectionId);
    watched.changed.add('');
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.timer = undefined;
    for (const [connectionId, watched] of this.watched) {
      if (!watched.changed.size) continue;
      const connection = this.connections.get(connectionId);
      if (!connection) continue;
      const all = watched.changed.size > MAX_CHANGED_PER_REPORT;
      this.emit({ kind: 'changes', connectionId, topics: all ? [] : [...watched.changed], all, stats: { ...connection.topics.stats } });
      watched.changed.clear();
    }
  }

  private children(params: EngineRequests['children']['params']): EngineRequests['children']['result'] {
    const tree = this.connection(params.connectionId).topics;
    const parent = params.parent === null || params.parent === '' ? tree.root : tree.find(params.parent);
    if (!parent) return { children: [], total: 0 };
    let nodes = [...parent.children.values()];
    if (params.filter && params.filter.pattern) {
      const matches = compileFilter(params.filter);
      const memo = new Map<TopicNode, boolean>();
      const anyBelow = (node: TopicNode): boolean => {
        let result = memo.get(node);
        if (result === undefined) {
          result = matches(node);
          if (!result) for (const child of node.children.values()) if (anyBelow(child)) { result = true; break; }
          memo.set(node, result);
        }
        return result;
      };
      nodes = nodes.filter(anyBelow);
    }
    const atRoot = parent === tree.root;
    const order = compare(params.sort);
    // $SYS is kept apart: after the application topics, never mixed in with them.
    nodes.sort((a, b) => (atRoot && (a.name === '$SYS') !== (b.name === '$SYS') ? (a.name === '$SYS' ? 1 : -1) : order(a, b)));
    return { children: nodes.slice(params.offset, params.offset + params.limit).map(snapshotOf), total: nodes.length };
  }

  private node(params: EngineRequests['node']['params']): EngineRequests['node']['result'] {
    const tree = this.connections.get(params.connectionId)?.topics;
    const node = tree?.find(params.topic);
    if (!node) return undefined;
    const history: MessageRecord[] = node.history.slice(-params.history).map((message) => ({
      payload: message.payload,
      size: message.size,
      truncated: message.truncated,
      qos: message.qos,
      retain: message.retain,
      receivedAt: message.receivedAt,
      properties: message.properties,
    }));
    return { snapshot: snapshotOf(node), history };
  }

  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    await Promise.all([...this.connections.values()].map((connection) => connection.disconnect().catch(() => undefined)));
    for (const connection of this.connections.values()) connection.dispose();
    this.connections.clear();
  }
}
