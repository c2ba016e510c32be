import { MessageStore, RECORD_BYTES, type HistoryOwner, type NewMessage } from './messageStore';

/** MQTT 5 properties of a received message. */
export interface MessageProperties {
  userProperties?: Record<string, string | string[]>;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  messageExpiryInterval?: number;
  payloadFormatIndicator?: boolean;
}

/** One message as the explorer keeps it. */
export interface ReceivedMessage {
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  retain: boolean;
  receivedAt: number;
  properties?: MessageProperties;
}

/** A message as kept in a topic's history: the payload may be cut, its real size is kept. */
export interface StoredMessage extends ReceivedMessage {
  /** The payload's size as received. */
  size: number;
  /** The payload was longer than the limit: `payload` holds its beginning only. */
  truncated: boolean;
  /** The payload's length as kept (a read may return less of it). */
  keptBytes: number;
}

/** What bounds memory. Every message dropped or cut because of these is counted. */
export interface TopicLimits {
  /** Messages kept per topic; the oldest go first. */
  messagesPerTopic: number;
  /** Payload bytes kept per topic; the oldest go first (the last message always stays). */
  bytesPerTopic: number;
  /** A payload longer than this is cut to this length and marked. */
  maxPayloadBytes: number;
  /**
   * Everything the topics of all connections hold together (messages, nodes, names, properties).
   * The oldest history goes first across all topics, then the least recently active topics are
   * forgotten; last values stay longest.
   */
  totalBudgetBytes: number;
}

export const DEFAULT_LIMITS: TopicLimits = {
  messagesPerTopic: 1000,
  bytesPerTopic: 1024 * 1024,
  maxPayloadBytes: 256 * 1024,
  totalBudgetBytes: 256 * 1024 * 1024,
};

/** What a kept message costs beyond its payload: its record in the store's typed arrays. */
export const MESSAGE_OVERHEAD_BYTES = RECORD_BYTES;
/**
 * Estimated bytes a topic node costs beyond its name's characters (object, name string header, its
 * slot in the parent's children): measured 226 B per node with 10.7-character names (`node
 * --expose-gc`, 400,000 nodes of `site-N/device-N/telemetry`), so the budget bounds the real heap.
 */
export const NODE_OVERHEAD_BYTES = 208;

function nodeCost(node: TopicNode): number {
  return NODE_OVERHEAD_BYTES + node.name.length * 2;
}

export interface TreeStats {
  received: number;
  /** Messages dropped from histories by the limits. */
  dropped: number;
  /** Payloads cut to maxPayloadBytes. */
  truncated: number;
  /** Estimated bytes held. */
  bytes: number;
  /** Messages held in histories. */
  kept: number;
  /** Topics forgotten (their rows gone) because even the last values did not fit the budget. */
  forgotten: number;
}


/** Up to this many children live in an array (a linear look-up beats a Map's cost there). */
const SMALL_CHILDREN = 8;

/** What callers read of a node's children. */
export interface Children {
  readonly size: number;
  get(name: string): TopicNode | undefined;
  values(): IterableIterator<TopicNode>;
  keys(): IterableIterator<string>;
}

/** A few children as an array, read as Children. */
class SmallChildren implements Children {
  constructor(private readonly list: readonly TopicNode[]) {}
  get size(): number {
    return this.list.length;
  }
  get(name: string): TopicNode | undefined {
    return this.list.find((kid) => kid.name === name);
  }
  values(): IterableIterator<TopicNode> {
    return this.list.values();
  }
  keys(): IterableIterator<string> {
    return this.list.map((kid) => kid.name).values();
  }
}

const NO_CHILDREN: Children = new SmallChildren([]);
/** Topics looked up by their full name at most: a cache for the common case of a known topic, bounded. */
const TOPIC_CACHE_SIZE = 4096;

/** A level of the topic hierarchy. A node may hold messages itself and have children. */
export class TopicNode implements HistoryOwner {
  /**
   * None, one child, a few in an array, or a Map once there are many: most nodes have none or one
   * (`device-7/telemetry`), and a Map costs a couple of hundred bytes even for one entry.
   */
  private kids: TopicNode | TopicNode[] | Map<string, TopicNode> | undefined;
  /** Messages received on exactly this topic. */
  messageCount = 0;
  /** Messages received on this topic and every topic below it. */
  totalMessages = 0;
  /** Topics below this node that have received at least one message. */
  topicCount = 0;
  /** Its kept messages in the store: the oldest and newest record, and how many. */
  head = -1;
  tail = -1;
  keptCount = 0;
  historyBytes = 0;
  /** Messages of this topic dropped by the limits. */
  dropped = 0;
  /** The broker holds a retained message for this topic (as far as we have seen). */
  retained = false;
  /** When this topic or one below it last received a message. */
  lastActivity = 0;
  /**
   * Goes up whenever this node or one below it changes in a way a filter can see (a message, a node
   * added or removed below, a last value dropped by the budget); never goes back. A cache of answers
   * about a subtree is valid while the revision it was computed at is the node's current one.
   */
  revision = 0;

  constructor(
    /** This level's name; may be empty (`a//b`, `/a`, `a/`). */
    readonly name: string,
    readonly parent: TopicNode | undefined,
    readonly tree: TopicTree,
  ) {}

  /** Where its messages are kept (shared by the trees of all connections). */
  get store(): MessageStore {
    return this.tree.store;
  }

  /** The full topic, empty for the root. Built from the levels when asked: not stored per node. */
  get topic(): string {
    if (!this.parent) return '';
    // A loop, not the parent's topic: a topic may have 20,000 levels.
    const levels = [this.name];
    for (let up = this.parent; up.parent; up = up.parent) levels.push(up.name);
    return levels.reverse().join('/');
  }

  /** This topic's kept messages, oldest first: copies, read from the store. */
  get history(): readonly StoredMessage[] {
    return [...this.store.messages(this)];
  }

  /** Kept messages from the `from`-th (0: the oldest) on, payloads cut to `payloadBytes`. */
  messages(from = 0, payloadBytes = Infinity): Generator<StoredMessage> {
    return this.store.messages(this, payloadBytes, from);
  }

  get hasMessages(): boolean {
    return this.messageCount > 0;
  }

  /** The children, read-only, whatever their storage. */
  get children(): Children {
    const kids = this.kids;
    if (kids === undefined) return NO_CHILDREN;
    if (kids instanceof Map) return kids;
    return new SmallChildren(kids instanceof TopicNode ? [kids] : kids);
  }

  /** The child named `name`: the look-up of every new topic's walk, without allocating. */
  child(name: string): TopicNode | undefined {
    const kids = this.kids;
    if (kids === undefined) return undefined;
    if (kids instanceof TopicNode) return kids.name === name ? kids : undefined;
    if (kids instanceof Map) return kids.get(name);
    for (const kid of kids) if (kid.name === name) return kid;
    return undefined;
  }

  get childCount(): number {
    const kids = this.kids;
    if (kids === undefined) return 0;
    if (kids instanceof TopicNode) return 1;
    return kids instanceof Map ? kids.size : kids.length;
  }

  addChild(child: TopicNode): void {
    const kids = this.kids;
    if (kids === undefined) this.kids = child;
    else if (kids instanceof TopicNode) this.kids = [kids, child];
    else if (kids instanceof Map) kids.set(child.name, child);
    else if (kids.length < SMALL_CHILDREN) kids.push(child);
    else this.kids = new Map([...kids, child].map((kid) => [kid.name, kid]));
  }

  removeChild(name: string): void {
    const kids = this.kids;
    if (kids === undefined) return;
    if (kids instanceof TopicNode) {
      if (kids.name === name) this.kids = undefined;
    } else if (kids instanceof Map) {
      kids.delete(name);
    } else {
      const index = kids.findIndex((kid) => kid.name === name);
      if (index >= 0) kids.splice(index, 1);
      if (kids.length === 1) this.kids = kids[0];
    }
  }

  removeAllChildren(): void {
    this.kids = undefined;
  }

  /** The newest kept message, whole. */
  get last(): StoredMessage | undefined {
    return this.store.last(this);
  }

  /** The newest kept message with at most `payloadBytes` of its payload (a preview, a filter's text). */
  lastMessage(payloadBytes: number): StoredMessage | undefined {
    return this.store.last(this, payloadBytes);
  }
}

export interface TopicUpdate {
  node: TopicNode;
  /** The highest node this message created, if it created any: its parent's children changed. */
  created: TopicNode | undefined;
}

/**
 * The topics of one connection, built from the messages it receives, within bounded memory. Plain
 * data, no VS Code and no I/O: the engine worker owns it, tests drive it directly. Its messages
 * live in a MessageStore, which the trees of all connections share so that one budget covers them.
 */
export class TopicTree {
  readonly root: TopicNode;
  readonly stats: TreeStats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0, forgotten: 0 };
  /** Nodes by full topic, for the common case of a message to a known topic; bounded, so it is cleared when full. */
  private readonly byTopic = new Map<string, TopicNode>();
  private perTopic: TopicLimits;
  /** Told when the budget forgot topics below `parent` (their rows go): the views re-list that level. */
  onForgotten: ((parent: TopicNode) => void) | undefined;
  /** What this tree's nodes cost, as counted in the store's `nodeBytes`. */
  private nodeBytes = 0;
  /** What this tree's kept messages cost in the store (payloads and records). */
  private keptBytes = 0;
  private readonly evictions = {
    dropped: (owner: HistoryOwner, bytes: number) => this.onDropped(owner as TopicNode, bytes),
    lastValue: (owner: HistoryOwner) => (owner as TopicNode).tree.forget(owner as TopicNode),
  };

  readonly store: MessageStore;
  private readonly ownsStore: boolean;

  /** `store`: shared with other trees (one budget for all, set on the store); without it the tree has its own, bounded by `limits`. */
  constructor(limits: TopicLimits = DEFAULT_LIMITS, store?: MessageStore) {
    this.ownsStore = store === undefined;
    this.store = store ?? new MessageStore();
    this.perTopic = limits;
    this.root = new TopicNode('', undefined, this);
    if (this.ownsStore) this.store.budgetBytes = limits.totalBudgetBytes;
  }

  get limits(): TopicLimits {
    return this.perTopic;
  }

  /** Per-topic limits; the total budget too when the tree has a store of its own. */
  set limits(limits: TopicLimits) {
    this.perTopic = limits;
    if (this.ownsStore) this.store.budgetBytes = limits.totalBudgetBytes;
  }

  add(topic: string, message: ReceivedMessage): TopicUpdate {
    // Most messages go to a topic already seen: one map look-up instead of a walk level by level.
    let node = this.byTopic.get(topic);
    let created: TopicNode | undefined;
    if (!node) {
      let current: TopicNode = this.root;
      // split('/') keeps empty levels, which MQTT allows and which are distinct topics.
      for (const level of topic.split('/')) {
        let child: TopicNode | undefined = current.child(level);
        if (!child) {
          child = new TopicNode(level, current, this);
          current.addChild(child);
          this.countNode(child, 1);
          created ??= child;
        }
        current = child;
      }
      node = current;
      if (this.byTopic.size >= TOPIC_CACHE_SIZE) this.byTopic.clear();
      this.byTopic.set(topic, node);
    }
    const firstMessage = node.messageCount === 0;
    node.messageCount++;
    this.stats.received++;
    if (message.retain) node.retained = message.payload.length > 0;
    const kept = this.cut(message);
    this.store.append(node, kept);
    this.stats.kept++;
    this.keptBytes += kept.payload.length + RECORD_BYTES;
    for (let up: TopicNode | undefined = node; up; up = up.parent) {
      up.totalMessages++;
      up.lastActivity = message.receivedAt;
      up.revision++;
      if (firstMessage && up !== node) up.topicCount++;
    }
    this.enforceTopicLimits(node);
    this.enforceBudget();
    this.syncBytes();
    return { node, created };
  }

  /** The payload as kept: cut to maxPayloadBytes, marked. The store copies the bytes. */
  private cut(message: ReceivedMessage): NewMessage {
    const size = message.payload.length;
    const truncated = size > this.perTopic.maxPayloadBytes;
    if (truncated) this.stats.truncated++;
    return {
      payload: truncated ? message.payload.subarray(0, this.perTopic.maxPayloadBytes) : message.payload,
      size,
      truncated,
      qos: message.qos,
      retain: message.retain,
      receivedAt: message.receivedAt,
      properties: message.properties,
    };
  }

  private enforceTopicLimits(node: TopicNode): void {
    const { messagesPerTopic, bytesPerTopic } = this.perTopic;
    while (node.keptCount > 1 && (node.keptCount > messagesPerTopic || node.historyBytes > bytesPerTopic)) {
      const bytes = this.store.dropOldest(node);
      if (bytes < 0) throw new Error(`${node.keptCount} messages counted on a topic whose chain is empty`);
      this.onDropped(node, bytes);
    }
  }

  /** A message of `node` (`bytes` of payload) left the store: its topic's limits, or the budget. */
  private onDropped(node: TopicNode, bytes: number): void {
    const tree = node.tree;
    node.dropped++;
    tree.stats.kept--;
    tree.stats.dropped++;
    tree.keptBytes -= bytes + RECORD_BYTES;
    if (tree !== this) tree.syncBytes();
    // The last value went: a payload filter's answer may change along the path.
    if (node.keptCount === 0) for (let up: TopicNode | undefined = node; up; up = up.parent) up.revision++;
  }

  /** Oldest first across every tree sharing the store, until it fits the budget. */
  fitBudget(): void {
    this.enforceBudget();
    this.syncBytes();
  }

  private enforceBudget(): void {
    if (this.store.overBudget) this.store.evict(this.evictions);
  }

  /**
   * Even the last values do not fit: the topic goes (its row too), and comes back with its next
   * message. A topic with topics below it keeps its node and loses its value.
   */
  private forget(node: TopicNode): void {
    if (node.childCount > 0) {
      this.onDropped(node, this.store.dropOldest(node));
      this.syncBytes();
      return;
    }
    this.stats.forgotten++;
    // Its last value is a message dropped like any other: received = kept + dropped still holds.
    this.stats.dropped += node.keptCount;
    node.dropped += node.keptCount;
    this.clearSubtree(node);
    // Levels above it that hold nothing any more go with it.
    let parent = node.parent;
    for (; parent && parent !== this.root && parent.childCount === 0 && parent.messageCount === 0; parent = parent.parent) {
      this.clearSubtree(parent);
    }
    this.syncBytes();
    if (parent) this.onForgotten?.(parent);
  }

  private countNode(node: TopicNode, sign: 1 | -1): void {
    const bytes = sign * nodeCost(node);
    this.nodeBytes += bytes;
    this.store.nodeBytes += bytes;
  }

  /** This tree's share of the pool, as the connection's totals show it. */
  private syncBytes(): void {
    this.stats.bytes = this.nodeBytes + this.keptBytes;
  }

  find(topic: string): TopicNode | undefined {
    const known = this.byTopic.get(topic);
    if (known) return known;
    let node: TopicNode | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.child(level);
      if (!node) return undefined;
    }
    return node;
  }

  /** Every topic that has received a message, below `from`, in no particular order. */
  *topics(from: TopicNode = this.root): Generator<TopicNode> {
    for (const node of this.descendants(from)) if (node.hasMessages) yield node;
  }

  /** Removes a node and everything below it from the tree (not from the broker); the root clears all. */
  clearSubtree(node: TopicNode): void {
    // A topic forgotten by the budget is a leaf: only its own entry goes (clearing the cache for each would cost a flood dearly).
    if (node.childCount === 0 && node !== this.root) this.byTopic.delete(node.topic);
    else this.byTopic.clear();
    let messages = 0;
    let topics = 0;
    const forget = (gone: TopicNode) => {
      this.stats.kept -= gone.keptCount;
      this.keptBytes -= gone.historyBytes + gone.keptCount * RECORD_BYTES;
      this.store.clear(gone);
      if (gone !== this.root) this.countNode(gone, -1);
      messages += gone.messageCount;
      if (gone.messageCount > 0) topics++;
    };
    // Nothing below is unlinked until the walk is over: the walk reads the children as they were.
    forget(node);
    for (const gone of this.descendants(node)) forget(gone);
    node.revision++;
    if (node === this.root) {
      this.root.removeAllChildren();
      Object.assign(this.root, { totalMessages: 0, topicCount: 0, messageCount: 0 });
    } else {
      node.parent?.removeChild(node.name);
      for (let up = node.parent; up; up = up.parent) {
        up.totalMessages -= messages;
        up.topicCount -= topics;
        up.revision++;
      }
    }
    this.syncBytes();
  }

  /** Every node below `node`, parents before their children, in insertion order; an explicit stack, as a tree may be 20,000 levels deep. */
  private *descendants(node: TopicNode): Generator<TopicNode> {
    const stack: Iterator<TopicNode>[] = [node.children.values()];
    while (stack.length) {
      const next = stack[stack.length - 1].next();
      if (next.done) {
        stack.pop();
        continue;
      }
      yield next.value;
      if (next.value.childCount) stack.push(next.value.children.values());
    }
  }
}
