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
}

/** What bounds memory. Every message dropped or cut because of these is counted. */
export interface TopicLimits {
  /** Messages kept per topic; the oldest go first. */
  messagesPerTopic: number;
  /** Payload bytes kept per topic; the oldest go first (the last message always stays). */
  bytesPerTopic: number;
  /** A payload longer than this is cut to this length and marked. */
  maxPayloadBytes: number;
  /** All topics of the tree together, estimated with per-message and per-node overheads. The oldest messages of all topics go first, last values too when they alone do not fit. */
  totalBudgetBytes: number;
}

export const DEFAULT_LIMITS: TopicLimits = {
  messagesPerTopic: 1000,
  bytesPerTopic: 1024 * 1024,
  maxPayloadBytes: 256 * 1024,
  totalBudgetBytes: 256 * 1024 * 1024,
};

/**
 * Estimated bytes a kept message costs beyond its payload (object, Buffer view, history and queue
 * slots), measured with `node --expose-gc` on Node 20: about 227; rounded up so that the budget
 * bounds the real heap.
 */
export const MESSAGE_OVERHEAD_BYTES = 240;
/** Estimated bytes a topic node costs beyond its name (object, map entries, look-up key): measured about 320. */
export const NODE_OVERHEAD_BYTES = 384;

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
}


const NO_CHILDREN: ReadonlyMap<string, TopicNode> = new Map();
const NO_MESSAGES: readonly StoredMessage[] = Object.freeze([]);

/** A level of the topic hierarchy. A node may hold messages itself and have children. */
export class TopicNode {
  /** Created with the first child: most nodes are leaves, and an empty Map costs hundreds of bytes. */
  private childMap: Map<string, TopicNode> | undefined;
  /** Messages received on exactly this topic. */
  messageCount = 0;
  /** Messages received on this topic and every topic below it. */
  totalMessages = 0;
  /** Topics below this node that have received at least one message. */
  topicCount = 0;
  /** None, one message, or several: most topics hold one, and an array costs more than its element. */
  private kept: StoredMessage | StoredMessage[] | undefined;
  historyBytes = 0;
  /** Messages of this topic dropped by the limits. */
  dropped = 0;
  /** The broker holds a retained message for this topic (as far as we have seen). */
  retained = false;
  /** When this topic or one below it last received a message. */
  lastActivity = 0;
  /** Budget-queue entries of this topic whose message its own limits already dropped. */
  staleEntries = 0;
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
  ) {}

  /** The full topic, empty for the root. Built from the levels when asked: not stored per node. */
  get topic(): string {
    if (!this.parent) return '';
    // A loop, not the parent's topic: a topic may have 20,000 levels.
    const levels = [this.name];
    for (let up = this.parent; up.parent; up = up.parent) levels.push(up.name);
    return levels.reverse().join('/');
  }

  /** This topic's kept messages, oldest first. */
  get history(): readonly StoredMessage[] {
    if (this.kept === undefined) return NO_MESSAGES;
    return Array.isArray(this.kept) ? this.kept : [this.kept];
  }

  get keptCount(): number {
    if (this.kept === undefined) return 0;
    return Array.isArray(this.kept) ? this.kept.length : 1;
  }

  pushMessage(message: StoredMessage): void {
    if (this.kept === undefined) this.kept = message;
    else if (Array.isArray(this.kept)) this.kept.push(message);
    else this.kept = [this.kept, message];
  }

  shiftMessage(): StoredMessage | undefined {
    if (!Array.isArray(this.kept)) {
      const only = this.kept;
      this.kept = undefined;
      return only;
    }
    return this.kept.shift();
  }

  clearMessages(): void {
    this.kept = undefined;
  }

  get hasMessages(): boolean {
    return this.messageCount > 0;
  }

  get children(): ReadonlyMap<string, TopicNode> {
    return this.childMap ?? NO_CHILDREN;
  }

  addChild(child: TopicNode): void {
    (this.childMap ??= new Map()).set(child.name, child);
  }

  removeChild(name: string): void {
    this.childMap?.delete(name);
  }

  removeAllChildren(): void {
    this.childMap = undefined;
  }

  get last(): StoredMessage | undefined {
    return Array.isArray(this.kept) ? this.kept[this.kept.length - 1] : this.kept;
  }
}

export interface TopicUpdate {
  node: TopicNode;
  /** The highest node this message created, if it created any: its parent's children changed. */
  created: TopicNode | undefined;
}

/**
 * The topics of one connection, built from the messages it receives, within bounded memory. Plain
 * data, no VS Code and no I/O: the engine worker owns it, tests drive it directly.
 */
export class TopicTree {
  readonly root = new TopicNode('', undefined);
  readonly stats: TreeStats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0 };
  /**
   * One entry per kept message, naming its topic, in arrival order: the budget drops the oldest
   * first across all topics. Entries of messages already dropped by their topic's own limits are
   * counted in the node's `staleEntries` and skipped.
   */
  private queue: (TopicNode | undefined)[] = [];
  /** Nodes by full topic, for the common case of a message to a known topic. */
  private readonly byTopic = new Map<string, TopicNode>();
  private queueHead = 0;

  constructor(public limits: TopicLimits = DEFAULT_LIMITS) {}

  add(topic: string, message: ReceivedMessage): TopicUpdate {
    // Most messages go to a topic already seen: one map look-up instead of a walk level by level.
    let node = this.byTopic.get(topic);
    let created: TopicNode | undefined;
    if (!node) {
      let current: TopicNode = this.root;
      // split('/') keeps empty levels, which MQTT allows and which are distinct topics.
      for (const level of topic.split('/')) {
        let child: TopicNode | undefined = current.children.get(level);
        if (!child) {
          child = new TopicNode(level, current);
          current.addChild(child);
          this.stats.bytes += nodeCost(child);
          created ??= child;
        }
        current = child;
      }
      node = current;
      this.byTopic.set(topic, node);
    }
    const firstMessage = node.messageCount === 0;
    node.messageCount++;
    this.stats.received++;
    if (message.retain) node.retained = message.payload.length > 0;
    const stored = this.store(message);
    node.pushMessage(stored);
    node.historyBytes += stored.payload.length;
    this.stats.bytes += stored.payload.length + MESSAGE_OVERHEAD_BYTES;
    this.stats.kept++;
    this.queue.push(node);
    for (let up: TopicNode | undefined = node; up; up = up.parent) {
      up.totalMessages++;
      up.lastActivity = message.receivedAt;
      up.revision++;
      if (firstMessage && up !== node) up.topicCount++;
    }
    this.enforceTopicLimits(node);
    if (this.stats.bytes > this.limits.totalBudgetBytes) this.enforceBudget();
    return { node, created };
  }

  /** A copy of the payload (never a view into the socket's buffer), cut when over the limit. */
  private store(message: ReceivedMessage): StoredMessage {
    const size = message.payload.length;
    const truncated = size > this.limits.maxPayloadBytes;
    if (truncated) this.stats.truncated++;
    // A copy, so a kept message does not pin the socket chunk it was parsed from. Buffer.from puts
    // small copies in Node's shared pool: far cheaper than an ArrayBuffer per message.
    const payload = Buffer.from(message.payload.subarray(0, truncated ? this.limits.maxPayloadBytes : size));
    // One object shape for every message keeps property access fast.
    return { payload, size, truncated, qos: message.qos, retain: message.retain, receivedAt: message.receivedAt, properties: message.properties };
  }

  private enforceTopicLimits(node: TopicNode): void {
    const { messagesPerTopic, bytesPerTopic } = this.limits;
    while (node.keptCount > 1 && (node.keptCount > messagesPerTopic || node.historyBytes > bytesPerTopic)) {
      this.dropOldest(node);
      node.staleEntries++;
    }
  }

  private dropOldest(node: TopicNode): void {
    const message = node.shiftMessage();
    if (!message) return;
    node.historyBytes -= message.payload.length;
    node.dropped++;
    this.stats.bytes -= message.payload.length + MESSAGE_OVERHEAD_BYTES;
    this.stats.kept--;
    this.stats.dropped++;
    // The budget took even the last value: a payload filter's answer may change along the path.
    if (node.keptCount === 0) for (let up: TopicNode | undefined = node; up; up = up.parent) up.revision++;
  }

  /** Drops the oldest messages of all topics until the tree fits its budget. */
  private enforceBudget(): void {
    // Each entry is looked at once: the work is proportional to the messages received.
    while (this.stats.bytes > this.limits.totalBudgetBytes && this.queueHead < this.queue.length) {
      const node = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined;
      if (!node) continue;
      // Oldest first across all topics; when even the last values do not fit, the oldest of those
      // go too (the topic keeps its counts and says its value was dropped).
      if (node.staleEntries > 0) node.staleEntries--;
      else this.dropOldest(node);
    }
    if (this.queueHead > 65_536 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  find(topic: string): TopicNode | undefined {
    const known = this.byTopic.get(topic);
    if (known) return known;
    let node: TopicNode | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children.get(level);
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
    this.byTopic.clear();
    let messages = 0;
    let topics = 0;
    const forget = (gone: TopicNode) => {
      this.stats.bytes -= gone.historyBytes + gone.keptCount * MESSAGE_OVERHEAD_BYTES + nodeCost(gone);
      this.stats.kept -= gone.keptCount;
      // Its queue entries are skipped from now on.
      gone.staleEntries += gone.keptCount;
      gone.clearMessages();
      gone.historyBytes = 0;
      messages += gone.messageCount;
      if (gone.messageCount > 0) topics++;
    };
    // Nothing below is unlinked until the walk is over: the walk reads the children as they were.
    forget(node);
    for (const gone of this.descendants(node)) forget(gone);
    node.revision++;
    if (node === this.root) {
      this.root.removeAllChildren();
      this.stats.bytes = 0;
      this.queue = [];
      this.queueHead = 0;
      Object.assign(this.root, { totalMessages: 0, topicCount: 0, messageCount: 0 });
      return;
    }
    node.parent?.removeChild(node.name);
    for (let up = node.parent; up; up = up.parent) {
      up.totalMessages -= messages;
      up.topicCount -= topics;
      up.revision++;
    }
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
      if (next.value.children.size) stack.push(next.value.children.values());
    }
  }
}
