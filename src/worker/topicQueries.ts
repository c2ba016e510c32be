import { downsample, type Point } from '../shared/series';
import type { ConnectionModel } from './connectionPool';
import type { StoredMessage, TopicNode } from './topicTree';
import type { FilterIndex } from './topicFilter';
import type { EngineRequests, HistoryEntry, HistoryWindow, MessageRecord, NodeRef, NodeSnapshot, SortOrder } from '../shared/engineProtocol';

/** The chart offers at most this many fields of a topic. */
const MAX_SERIES_FIELDS = 64;
/** The fields offered are those of this many recent messages: a field that stopped long ago is not worth a checkbox. */
const RECENT_FOR_FIELDS = 200;

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

/** What the Topics view shows of a node. Its last value is read through the connection's PayloadReader (decoded when the topic has a binding). */
export function snapshotOf(model: ConnectionModel, node: TopicNode): NodeSnapshot {
  const topic = node.topic;
  const snapshot: NodeSnapshot = {
    id: model.index.idOf(node),
    topic,
    name: node.name,
    messageCount: node.messageCount,
    totalMessages: node.totalMessages,
    topicCount: node.topicCount,
    childCount: node.childCount,
    retained: node.retained,
    dropped: node.dropped,
    lastActivity: node.lastActivity,
    last: node.hasMessages ? model.payloads.lastValue(node, topic) : undefined,
    valueDropped: false,
  };
  snapshot.valueDropped = node.messageCount > 0 && !snapshot.last;
  const sparkplug = model.payloads.sparkplugRow(topic);
  if (sparkplug) snapshot.sparkplug = sparkplug;
  const schema = model.schemas.rowStatus(node, topic);
  if (schema) snapshot.schema = schema;
  return snapshot;
}

/** A child with what its order needs, read once: names are decoded from the tree's arena on each read. */
interface Sortable {
  node: TopicNode;
  name: string;
  value: number;
}

function sortValue(sort: SortOrder, node: TopicNode): number {
  switch (sort) {
    case 'messages':
      return node.totalMessages;
    case 'topics':
      return node.topicCount;
    case 'recent':
      return node.lastActivity;
    case 'name':
      return 0;
  }
}

/** The node a ref names, or an error that says it is gone. */
function nodeAt(model: ConnectionModel, ref: NodeRef): TopicNode | undefined {
  return model.index.resolve(ref);
}

/** What the views ask of a connection's topics. Read-only: nothing here changes the tree. */
export const queries = {
  /** A level's children, sorted, a page of them; with a filter, those with a match at or below them (`index` keeps its answers between requests). */
  children(model: ConnectionModel, params: EngineRequests['children']['params'], index: FilterIndex | undefined): EngineRequests['children']['result'] & { parent?: TopicNode; nodes: TopicNode[] } {
    const tree = model.connection.topics;
    const parent = nodeAt(model, params.parent);
    if (!parent) return { children: [], total: 0, nodes: [] };
    let nodes = [...parent.children.values()];
    if (index) nodes = nodes.filter((node) => index.matchesAtOrBelow(node, model.payloads));
    const atRoot = parent.key === tree.root.key;
    const sortable: Sortable[] = nodes.map((node) => ({ node, name: node.name, value: sortValue(params.sort, node) }));
    // Highest first for the counts and recent activity, then by name; $SYS is kept apart: after the
    // application topics, never mixed in with them.
    sortable.sort((a, b) => (atRoot && (a.name === '$SYS') !== (b.name === '$SYS') ? (a.name === '$SYS' ? 1 : -1) : b.value - a.value || a.name.localeCompare(b.name)));
    const page = sortable.slice(params.offset, params.offset + params.limit).map((entry) => entry.node);
    return { children: page.map((node) => snapshotOf(model, node)), total: nodes.length, parent, nodes: page };
  },

  snapshot(model: ConnectionModel, ref: NodeRef): NodeSnapshot | undefined {
    const node = nodeAt(model, ref);
    return node && node.key !== model.connection.topics.root.key ? snapshotOf(model, node) : undefined;
  },

  node(model: ConnectionModel, params: EngineRequests['node']['params']): EngineRequests['node']['result'] {
    const node = model.connection.topics.find(params.topic);
    if (!node) return undefined;
    const history = [...node.messages(Math.max(0, node.keptCount - params.history))].map((message) => recordOf(message, Infinity));
    return { snapshot: snapshotOf(model, node), history };
  },

  windowOf(model: ConnectionModel, node: TopicNode): HistoryWindow {
    return {
      nodeId: model.index.idOf(node),
      firstSeq: node.messageCount - node.keptCount,
      nextSeq: node.messageCount,
      retained: node.retained,
      dropped: node.dropped,
    };
  },

  history(model: ConnectionModel, params: EngineRequests['history']['params']): EngineRequests['history']['result'] {
    const node = model.connection.topics.find(params.topic);
    if (!node || !node.hasMessages) return undefined;
    return queries.entries(model, node, params.from, params.count, params.payloadBytes, params.decoded === true, params.decodedChars);
  },

  /**
   * Kept messages `from` ≤ seq < `from + count` of a node (a negative `from` counts from the end), payloads
   * cut to `payloadBytes`; with `decoded`, each of a topic with a binding also decoded (from its whole kept
   * payload), its text cut to `decodedChars` (a list's preview needs a line, not the whole value).
   */
  entries(model: ConnectionModel, node: TopicNode, from: number, count: number, payloadBytes: number, decoded = false, decodedChars = Infinity): { window: HistoryWindow; entries: HistoryEntry[] } {
    const window = queries.windowOf(model, node);
    // A negative `from` counts from the end: -50 is the newest 50.
    const start = from < 0 ? window.nextSeq + from : from;
    const first = Math.max(start, window.firstSeq);
    const end = Math.min(window.nextSeq, start + count);
    const entries: HistoryEntry[] = [];
    if (first >= end) return { window, entries };
    const topic = decoded ? node.topic : '';
    const binding = decoded ? model.payloads.bindingOf(topic) : undefined;
    let seq = first;
    // Decoding needs the whole kept payload; the reply still carries `payloadBytes` of it.
    for (const message of node.messages(first - window.firstSeq, binding ? Infinity : payloadBytes)) {
      if (seq >= end) break;
      const entry: HistoryEntry = { seq, kept: message.keptBytes, ...recordOf(message, payloadBytes) };
      if (binding) {
        const text = model.payloads.decodedText(topic, message, binding, { node, seq });
        entry.decoded = text && 'text' in text && text.text.length > decodedChars ? { ...text, text: text.text.slice(0, decodedChars) } : text;
      }
      entries.push(entry);
      seq++;
    }
    return { window, entries };
  },

  series(model: ConnectionModel, params: EngineRequests['series']['params']): EngineRequests['series']['result'] {
    const node = model.connection.topics.find(params.topic);
    if (!node || !node.hasMessages) return undefined;
    const topic = node.topic;
    const binding = model.payloads.bindingOf(topic);
    const messages = node.history;
    // Two passes, each message's fields dropped once read: the fields offered come from the recent
    // messages, the points of the chosen ones from all. Keeping every message's fields at once would
    // hold the whole history's fields (a million messages of 20 fields) for one request.
    const available = new Set<string>();
    for (let index = Math.max(0, messages.length - RECENT_FOR_FIELDS); index < messages.length && available.size < MAX_SERIES_FIELDS; index++) {
      for (const path of model.payloads.fields(topic, messages[index], binding).keys()) if (available.size < MAX_SERIES_FIELDS) available.add(path);
    }
    const paths = params.paths.length ? params.paths : [...available].slice(0, 3);
    const points = new Map<string, Point[]>(paths.map((path) => [path, []]));
    for (const message of messages) {
      const fields = model.payloads.fields(topic, message, binding);
      for (const [path, list] of points) {
        const value = fields.get(path);
        if (value !== undefined) list.push({ t: message.receivedAt, v: value });
      }
    }
    return {
      window: queries.windowOf(model, node),
      available: [...available],
      series: [...points].map(([path, list]) => ({ path, points: downsample(list, params.maxPoints) })),
    };
  },

  topicList(models: Iterable<ConnectionModel>, params: EngineRequests['topicList']['params']): EngineRequests['topicList']['result'] {
    const result: { connectionId: string; topic: string; messageCount: number }[] = [];
    for (const model of models) {
      if (params.connectionId !== undefined && params.connectionId !== model.id) continue;
      for (const node of model.connection.topics.topics()) {
        if (result.length >= params.limit) return result;
        result.push({ connectionId: model.id, topic: node.topic, messageCount: node.messageCount });
      }
    }
    return result;
  },

  retainedBelow(model: ConnectionModel, ref: NodeRef): string[] {
    const tree = model.connection.topics;
    const node = nodeAt(model, ref);
    if (!node) return [];
    const found = [...tree.topics(node)].filter((candidate) => candidate.retained).map((candidate) => candidate.topic);
    if (node.retained) found.unshift(node.topic);
    return found;
  },
};
