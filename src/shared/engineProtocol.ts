/**
 * Messages between the extension host and the engine worker thread, where the MQTT clients and the
 * topic models live. Structured-clone data only. No VS Code.
 */
import type { BackoffOptions } from '../worker/backoff';
import type { ConnectionSecrets, ConnectionState, Subscription } from '../worker/connection';
import type { MessageProperties, TopicLimits, TreeStats } from '../worker/topicTree';
import type { ConnectionProfile, QoS, SubscriptionSpec } from './profile';
import type { PublishProperties, PublishResult } from './publish';
import type { Point } from './series';

export type SortOrder = 'name' | 'messages' | 'topics' | 'recent';

export interface TopicFilter {
  kind: 'substring' | 'wildcard' | 'regex';
  pattern: string;
  target: 'topic' | 'payload';
}

/** What the Topics view shows of one node. */
export interface NodeSnapshot {
  topic: string;
  name: string;
  messageCount: number;
  totalMessages: number;
  topicCount: number;
  childCount: number;
  retained: boolean;
  dropped: number;
  lastActivity: number;
  /** Messages arrived, but the memory budget dropped even the last one. */
  valueDropped: boolean;
  last?: {
    /** At most a few hundred characters: the tree shows one line. */
    preview: string;
    size: number;
    qos: QoS;
    retain: boolean;
    receivedAt: number;
    truncated: boolean;
  };
}

/** A message with its payload, for the panel. */
export interface MessageRecord {
  payload: Uint8Array;
  size: number;
  truncated: boolean;
  qos: QoS;
  retain: boolean;
  receivedAt: number;
  properties?: MessageProperties;
}

/** Where a topic's kept history stands: messages are numbered per topic from 0, and `seq` never changes. */
export interface HistoryWindow {
  /** Changes when the topic was cleared and came back: every seq starts over. */
  nodeId: number;
  /** The oldest kept message (older ones were dropped by the limits). */
  firstSeq: number;
  /** One past the newest message. */
  nextSeq: number;
  retained: boolean;
  /** Messages of this topic dropped by the limits. */
  dropped: number;
}

export interface HistoryEntry extends MessageRecord {
  seq: number;
  /** Bytes of the payload kept by the engine: more than `payload.length` when the reply cut it. */
  kept: number;
}

export interface SeriesResult {
  window: HistoryWindow;
  /** Numeric fields of the recent messages, by path. */
  available: string[];
  series: { path: string; points: Point[] }[];
}

export interface EngineRequests {
  connect: { params: { connectionId: string; profile: ConnectionProfile; secrets: ConnectionSecrets; backoff: BackoffOptions }; result: void };
  disconnect: { params: { connectionId: string }; result: void };
  remove: { params: { connectionId: string }; result: void };
  reconnectNow: { params: { connectionId: string }; result: void };
  addSubscription: { params: { connectionId: string; spec: SubscriptionSpec }; result: Subscription };
  removeSubscription: { params: { connectionId: string; topic: string }; result: void };
  publish: { params: { connectionId: string; topic: string; payload: Uint8Array; qos: QoS; retain: boolean; properties?: PublishProperties }; result: PublishResult };
  children: {
    params: { connectionId: string; parent: string | null; sort: SortOrder; filter?: TopicFilter; offset: number; limit: number };
    result: { children: NodeSnapshot[]; total: number };
  };
  node: { params: { connectionId: string; topic: string; history: number }; result: { snapshot: NodeSnapshot; history: MessageRecord[] } | undefined };
  /** Kept messages `from` ≤ seq < `from + count` (a negative `from` counts from the end), payloads cut to `payloadBytes` (their `size` and `truncated` say what was received). */
  history: { params: { connectionId: string; topic: string; from: number; count: number; payloadBytes: number }; result: { window: HistoryWindow; entries: HistoryEntry[] } | undefined };
  /** Numeric series over the kept history: of `paths`, or of the first fields found when none are given. */
  series: { params: { connectionId: string; topic: string; paths: string[]; maxPoints: number }; result: SeriesResult | undefined };
  /** Topics that have received messages, across connections, for pickers. */
  topicList: { params: { limit: number; connectionId?: string }; result: { connectionId: string; topic: string; messageCount: number }[] };
  /** Fresh snapshots of the given nodes (absent ones are left out). */
  snapshots: { params: { connectionId: string; topics: string[] }; result: NodeSnapshot[] };
  /** The nodes whose rows the view shows: children of `expanded` nodes ('' is the root), and `pinned` ones (open panels). */
  watch: { params: { connectionId: string; expanded: string[]; pinned: string[] }; result: void };
  visible: { params: { visible: boolean }; result: void };
  clear: { params: { connectionId: string; topic: string }; result: void };
  retainedBelow: { params: { connectionId: string; topic: string }; result: string[] };
  setLimits: { params: { limits: TopicLimits }; result: void };
  stats: { params: { connectionId: string }; result: TreeStats };
  /** The worker's own memory (its heap is apart from the extension host's), after a GC when it can. */
  memory: { params: Record<string, never>; result: { heapUsed: number; arrayBuffers: number; rss: number } };
}

export type EngineRequestName = keyof EngineRequests;

export type EngineRequest = {
  [K in EngineRequestName]: { kind: 'request'; id: number; name: K; params: EngineRequests[K]['params'] };
}[EngineRequestName];

export type EngineReply = { kind: 'reply'; id: number; ok: true; result: unknown } | { kind: 'reply'; id: number; ok: false; error: string };

export type EngineEvent =
  | { kind: 'state'; connectionId: string; state: ConnectionState }
  | { kind: 'subscriptions'; connectionId: string; subscriptions: Subscription[] }
  /** Coalesced: the shown nodes that changed since the last one ('' is the connection's root). */
  | { kind: 'changes'; connectionId: string; topics: string[]; all: boolean; stats: TreeStats }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; line: string };

export type WorkerToHost = EngineReply | EngineEvent;
