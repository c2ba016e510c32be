import { payloadAsText, oneLine } from '../shared/format';
import { BrokerConnection } from './connection';
import { topicMatchesFilter } from '../shared/topicRules';
import { downsample, extractFields, type Point } from '../shared/series';
import { DEFAULT_LIMITS, type StoredMessage, type TopicLimits, type TopicNode } from './topicTree';
import type { EngineEvent, EngineRequest, EngineRequests, HistoryEntry, HistoryWindow, MessageRecord, NodeSnapshot, SortOrder, TopicFilter } from '../shared/engineProtocol';

/** The chart offers at most this many fields of a topic. */
const MAX_SERIES_FIELDS = 64;

/**
 * A message for another thread: the payload copied into its own buffer (a kept payload is a view into
 * a shared pool, and posting a view copies its whole buffer), cut to `payloadBytes`.
 */
function recordOf(message: StoredMessage, payloadBytes: number): MessageRecord {
  return {
    payload: new Uint8Array(message.payload.subarray(0, payloadBytes)),
    size: message.size,
    truncated: message.truncated,
    qos: message.qos,
    retain: message.retain,
    receivedAt: message.receivedAt,
    properties: message.properties,
  };
}

function numericFields(payload: Uint8Array): Map<string, number> {
  return extractFields(payloadAsText(payload));
}

/** Set aside from the memory budget for what the worker holds besides the topic trees (clients, buffers, code): measured 25 to 31 MiB under load. */
export const WORKER_BASE_BYTES = 48 * 1024 * 1024;

/** How often, at most, the shown nodes that changed are reported to the extension host. */
export const CHANGE_INTERVAL_MS = 250;
/** More changed nodes than this in one report: the host refreshes the whole connection instead. */
const MAX_CHANGED_PER_REPORT = 2000;

/** What the view shows of one connection, by topic (from the host) and as nodes (for the per-message check). */
interface Watched {
  expandedTopics: string[];
  pinnedTopics: string[];
  /** Nodes whose children are rows; the root when the connection is expanded. */
  expanded: Set<TopicNode>;
  pinned: Set<TopicNode>;
  changed: Set<TopicNode>;
  rootChanged: boolean;
  /** Everything may have changed (a clear): the next report says `all`. */
  all?: boolean;
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
    valueDropped: node.messageCount > 0 && !last,
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
  private readonly nodeIds = new WeakMap<TopicNode, number>();
  private nextNodeId = 1;
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
        this.applyLimits();
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
        const { connectionId, topic, payload, qos, retain, properties } = request.params;
        return this.connection(connectionId).publish(topic, payload, { qos, retain, properties });
      }
      case 'children':
        return this.children(request.params);
      case 'node':
        return this.node(request.params);
      case 'history':
        return this.history(request.params);
      case 'series':
        return this.series(request.params);
      case 'topicList':
        return this.topicList(request.params);
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
        watched.expandedTopics = request.params.expanded;
        watched.pinnedTopics = request.params.pinned;
        this.resolveWatched(request.params.connectionId, watched);
        return undefined;
      }
      case 'visible':
        this.visible = request.params.visible;
        if (!this.visible) {
          for (const watched of this.watched.values()) {
            watched.changed.clear();
            watched.rootChanged = false;
          }
        }
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
        this.applyLimits();
        return undefined;
      case 'stats':
        return { ...this.connection(request.params.connectionId).topics.stats };
      case 'memory': {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        gc?.();
        const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
        return { heapUsed, arrayBuffers, rss };
      }
    }
  }

  /**
   * One budget for the whole worker: what the worker needs without any topic (code, clients) is set
   * aside, the rest is shared by the connections' topic trees.
   */
  private applyLimits(): void {
    const forTopics = Math.max(this.limits.totalBudgetBytes - WORKER_BASE_BYTES, this.limits.totalBudgetBytes / 2);
    const share = forTopics / Math.max(1, this.connections.size);
    for (const connection of this.connections.values()) connection.topics.limits = { ...this.limits, totalBudgetBytes: share };
  }

  private connection(id: string): BrokerConnection {
    const connection = this.connections.get(id);
    if (!connection) throw new Error(`No connection ${id}.`);
    return connection;
  }

  private watchedOf(id: string): Watched {
    let watched = this.watched.get(id);
    if (!watched) {
      watched = { expandedTopics: [''], pinnedTopics: [], expanded: new Set(), pinned: new Set(), changed: new Set(), rootChanged: false };
      this.watched.set(id, watched);
      this.resolveWatched(id, watched);
    }
    return watched;
  }

  /** Turns the watched topics into nodes, so that the per-message check compares identities, not strings. */
  private resolveWatched(id: string, watched: Watched): void {
    const tree = this.connections.get(id)?.topics;
    const resolve = (topics: string[]) =>
      new Set(topics.flatMap((topic) => {
        const node = !tree ? undefined : topic === '' ? tree.root : tree.find(topic);
        return node ? [node] : [];
      }));
    watched.expanded = resolve(watched.expandedTopics);
    watched.pinned = resolve(watched.pinnedTopics);
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

      created.onDidChangeState((state) => this.emit({ kind: 'state', connectionId: params.connectionId, state }));
      created.onDidChangeSubscriptions(() => this.emit({ kind: 'subscriptions', connectionId: params.connectionId, subscriptions: created.subscriptions }));
      created.onDidUpdateTopic((update) => this.onUpdate(params.connectionId, update.node, update.created));
      this.connections.set(params.connectionId, created);
      this.applyLimits();
      const watched = this.watched.get(params.connectionId);
      if (watched) this.resolveWatched(params.connectionId, watched);
      connection = created;
    }
    await connection.connect();
  }

  /** Per message: mark the shown nodes on the path that changed. O(depth), no allocation when nothing is shown. */
  private onUpdate(connectionId: string, node: TopicNode, created: TopicNode | undefined): void {
    const watched = this.watchedOf(connectionId);
    // A new node may be one the view had expanded or pinned before it was cleared.
    if (created && (watched.expandedTopics.length > 1 || watched.pinnedTopics.length)) this.resolveWatched(connectionId, watched);
    if (!this.visible) {
      // Panels show their topic whether or not the Topics view is visible.
      if (watched.pinned.has(node)) {
        watched.changed.add(node);
        this.timer ??= setTimeout(() => this.flush(), CHANGE_INTERVAL_MS);
      }
      return;
    }
    if (created) {
      const parent = created.parent;
      if (parent && watched.expanded.has(parent)) watched.changed.add(parent);
    }
    for (let up: TopicNode | undefined = node; up?.parent; up = up.parent) {
      // A node's row is shown when its parent is expanded; a pinned node is shown in a panel.
      if (watched.expanded.has(up.parent) || watched.pinned.has(up)) watched.changed.add(up);
    }
    watched.rootChanged = true; // the connection's root row carries the totals
    this.timer ??= setTimeout(() => this.flush(), CHANGE_INTERVAL_MS);
  }

  private markAll(connectionId: string): void {
    const watched = this.watchedOf(connectionId);
    this.resolveWatched(connectionId, watched);
    watched.rootChanged = true;
    watched.all = true; // rows and open panels alike start over
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.timer = undefined;
    for (const [connectionId, watched] of this.watched) {
      if (!watched.changed.size && !watched.rootChanged) continue;
      const connection = this.connections.get(connectionId);
      if (!connection) continue;
      const all = watched.all === true || watched.changed.size > MAX_CHANGED_PER_REPORT;
      watched.all = false;
      const topics = all ? [] : [...watched.changed].map((node) => node.topic);
      if (watched.rootChanged) topics.push('');
      this.emit({ kind: 'changes', connectionId, topics, all, stats: { ...connection.topics.stats } });
      watched.changed.clear();
      watched.rootChanged = false;
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
    const history = node.history.slice(-params.history).map((message) => recordOf(message, Infinity));
    return { snapshot: snapshotOf(node), history };
  }

  /** A stable id per node object: a cleared topic that comes back is a new node, so a panel starts over. */
  private nodeId(node: TopicNode): number {
    let id = this.nodeIds.get(node);
    if (id === undefined) this.nodeIds.set(node, (id = this.nextNodeId++));
    return id;
  }

  private windowOf(node: TopicNode): HistoryWindow {
    return {
      nodeId: this.nodeId(node),
      firstSeq: node.messageCount - node.keptCount,
      nextSeq: node.messageCount,
      retained: node.retained,
      dropped: node.dropped,
    };
  }

  private history(params: EngineRequests['history']['params']): EngineRequests['history']['result'] {
    const node = this.connections.get(params.connectionId)?.topics.find(params.topic);
    if (!node || !node.hasMessages) return undefined;
    const window = this.windowOf(node);
    const history = node.history;
    // A negative `from` counts from the end: -50 is the newest 50.
    const start = params.from < 0 ? window.nextSeq + params.from : params.from;
    const from = Math.max(start, window.firstSeq);
    const to = Math.min(window.nextSeq, start + params.count);
    const entries: HistoryEntry[] = [];
    for (let seq = from; seq < to; seq++) {
      const message = history[seq - window.firstSeq];
      entries.push({ seq, kept: message.payload.length, ...recordOf(message, params.payloadBytes) });
    }
    return { window, entries };
  }

  private series(params: EngineRequests['series']['params']): EngineRequests['series']['result'] {
    const node = this.connections.get(params.connectionId)?.topics.find(params.topic);
    if (!node || !node.hasMessages) return undefined;
    const history = node.history;
    // The fields offered are those of the recent messages: a field that stopped long ago is not worth a checkbox.
    const available = new Set<string>();
    for (let index = Math.max(0, history.length - 200); index < history.length && available.size < MAX_SERIES_FIELDS; index++) {
      for (const path of numericFields(history[index].payload).keys()) if (available.size < MAX_SERIES_FIELDS) available.add(path);
    }
    const paths = params.paths.length ? params.paths : [...available].slice(0, 3);
    const points = new Map<string, Point[]>(paths.map((path) => [path, []]));
    for (const message of history) {
      const fields = numericFields(message.payload);
      for (const [path, list] of points) {
        const value = fields.get(path);
        if (value !== undefined) list.push({ t: message.receivedAt, v: value });
      }
    }
    return {
      window: this.windowOf(node),
      available: [...available],
      series: [...points].map(([path, list]) => ({ path, points: downsample(list, params.maxPoints) })),
    };
  }

  private topicList(params: EngineRequests['topicList']['params']): EngineRequests['topicList']['result'] {
    const result: { connectionId: string; topic: string; messageCount: number }[] = [];
    for (const [connectionId, connection] of this.connections) {
      if (params.connectionId !== undefined && params.connectionId !== connectionId) continue;
      for (const node of connection.topics.topics()) {
        if (result.length >= params.limit) return result;
        result.push({ connectionId, topic: node.topic, messageCount: node.messageCount });
      }
    }
    return result;
  }

  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    await Promise.all([...this.connections.values()].map((connection) => connection.disconnect().catch(() => undefined)));
    for (const connection of this.connections.values()) connection.dispose();
    this.connections.clear();
  }
}
