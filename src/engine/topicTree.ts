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
  /** All topics of the tree together, estimated with per-message and per-node overheads. */
  totalBudgetBytes: number;
}

export const DEFAULT_LIMITS: TopicLimits = {
  messagesPerTopic: 1000,
  bytesPerTopic: 1024 * 1024,
  maxPayloadBytes: 256 * 1024,
  totalBudgetBytes: 256 * 1024 * 1024,
};

/** Estimated bytes a kept message costs beyond its payload (object, typed array, queue slot). */
export const MESSAGE_OVERHEAD_BYTES = 160;
/** Estimated bytes a topic node costs beyond its name. */
export const NODE_OVERHEAD_BYTES = 240;

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


/** A level of the topic hierarchy. A node may hold messages itself and have children. */
export class TopicNode {
  readonly children = new Map<string, TopicNode>();
  /** Messages received on exactly this topic. */
  messageCount = 0;
  /** Messages received on this topic and every topic below it. */
  totalMessages = 0;
  /** Topics below this node that have received at least one message. */
  topicCount = 0;
  /** This topic's kept messages, oldest first. */
  readonly history: StoredMessage[] = [];
  historyBytes = 0;
  /** Messages of this topic dropped by the limits. */
  dropped = 0;
  /** The broker holds a retained message for this topic (as far as we have seen). */
  retained = false;
  /** When this topic or one below it last received a message. */
  lastActivity = 0;
  /** Budget-queue entries of this topic whose message its own limits already dropped. */
  staleEntries = 0;

  constructor(
    /** This level's name; may be empty (`a//b`, `/a`, `a/`). */
    readonly name: string,
    /** The full topic; empty for the root. */
    readonly topic: string,
    readonly parent: TopicNode | undefined,
  ) {}

  get hasMessages(): boolean {
    return this.messageCount > 0;
  }

  get last(): StoredMessage | undefined {
    return this.history[this.history.length - 1];
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
  readonly root = new TopicNode('', '', undefined);
  readonly stats: TreeStats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0 };
  /**
   * One entry per kept message, naming its topic, in arrival order: the budget drops the oldest
   * first across all topics. Entries of messages already dropped by their topic's own limits are
   * counted in the node's `staleEntries` and skipped.
   */
  private queue: (TopicNode | undefined)[] = [];
  private queueHead = 0;

  constructor(public limits: TopicLimits = DEFAULT_LIMITS) {}

  add(topic: string, message: ReceivedMessage): TopicUpdate {
    let node = this.root;
    let created: TopicNode | undefined;
    // split('/') keeps empty levels, which MQTT allows and which are distinct topics.
    for (const level of topic.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = new TopicNode(level, node === this.root ? level : `${node.topic}/${level}`, node);
        node.children.set(level, child);
        this.stats.bytes += NODE_OVERHEAD_BYTES + level.length * 2;
        created ??= child;
      }
      node = child;
    }
    const firstMessage = node.messageCount === 0;
    node.messageCount++;
    this.stats.received++;
    if (message.retain) node.retained = message.payload.length > 0;
    const stored = this.store(message);
    node.history.push(stored);
    node.historyBytes += stored.payload.length;
    this.stats.bytes += stored.payload.length + MESSAGE_OVERHEAD_BYTES;
    this.stats.kept++;
    this.queue.push(node);
    for (let up: TopicNode | undefined = node; up; up = up.parent) {
      up.totalMessages++;
      up.lastActivity = message.receivedAt;
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
    // new Uint8Array(view) copies: a kept message must not pin the socket chunk it was parsed from.
    const payload = new Uint8Array(message.payload.subarray(0, truncated ? this.limits.maxPayloadBytes : size));
    return { ...message, payload, size, truncated };
  }

  private enforceTopicLimits(node: TopicNode): void {
    const { messagesPerTopic, bytesPerTopic } = this.limits;
    while (node.history.length > 1 && (node.history.length > messagesPerTopic || node.historyBytes > bytesPerTopic)) {
      this.dropOldest(node);
      node.staleEntries++;
    }
  }

  private dropOldest(node: TopicNode): void {
    const message = node.history.shift();
    if (!message) return;
    node.historyBytes -= message.payload.length;
    node.dropped++;
    this.stats.bytes -= message.payload.length + MESSAGE_OVERHEAD_BYTES;
    this.stats.kept--;
    this.stats.dropped++;
  }

  /** Drops the oldest messages of all topics until the tree fits its budget; each topic keeps its last. */
  private enforceBudget(): void {
    let entries = this.queue.length - this.queueHead;
    while (this.stats.bytes > this.limits.totalBudgetBytes && entries-- > 0) {
      const node = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined;
      if (!node) continue;
      if (node.staleEntries > 0) {
        node.staleEntries--;
      } else if (node.history.length > 1) {
        this.dropOldest(node);
      } else {
        // A topic's last value always stays; its entry goes back so a newer message can replace it.
        this.queue.push(node);
      }
    }
    if (this.queueHead > 65_536 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  find(topic: string): TopicNode | undefined {
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
    const removed = [node, ...this.descendants(node)];
    let messages = 0;
    let topics = 0;
    for (const gone of removed) {
      this.stats.bytes -= gone.historyBytes + gone.history.length * MESSAGE_OVERHEAD_BYTES + NODE_OVERHEAD_BYTES + gone.name.length * 2;
      this.stats.kept -= gone.history.length;
      // Its queue entries are skipped from now on.
      gone.staleEntries += gone.history.length;
      gone.history.length = 0;
      gone.historyBytes = 0;
      messages += gone.messageCount;
      if (gone.messageCount > 0) topics++;
    }
    if (node === this.root) {
      this.root.children.clear();
      this.stats.bytes = 0;
      this.queue = [];
      this.queueHead = 0;
      Object.assign(this.root, { totalMessages: 0, topicCount: 0, messageCount: 0 });
      return;
    }
    node.parent?.children.delete(node.name);
    for (let up = node.parent; up; up = up.parent) {
      up.totalMessages -= messages;
      up.topicCount -= topics;
    }
  }

  private *descendants(node: TopicNode): Generator<TopicNode> {
    for (const child of node.children.values()) {
      yield child;
      yield* this.descendants(child);
    }
  }
}
