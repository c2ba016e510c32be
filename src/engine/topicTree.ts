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

/** A level of the topic hierarchy. A node may hold messages itself and have children. */
export class TopicNode {
  readonly children = new Map<string, TopicNode>();
  /** Messages received on exactly this topic. */
  messageCount = 0;
  /** Messages received on this topic and every topic below it. */
  totalMessages = 0;
  /** Topics below this node that have received at least one message. */
  topicCount = 0;
  last: ReceivedMessage | undefined;
  /** The broker holds a retained message for this topic (as far as we have seen). */
  retained = false;

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
}

export interface TopicUpdate {
  node: TopicNode;
  /** The highest node this message created, if it created any: its parent's children changed. */
  created: TopicNode | undefined;
}

/**
 * The topics of one connection, built from the messages it receives. Plain data, no VS Code: the
 * tree view renders it, tests drive it directly.
 */
export class TopicTree {
  readonly root = new TopicNode('', '', undefined);

  add(topic: string, message: ReceivedMessage): TopicUpdate {
    let node = this.root;
    let created: TopicNode | undefined;
    // split('/') keeps empty levels, which MQTT allows and which are distinct topics.
    for (const level of topic.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = new TopicNode(level, node === this.root ? level : `${node.topic}/${level}`, node);
        node.children.set(level, child);
        created ??= child;
      }
      node = child;
    }
    const firstMessage = node.messageCount === 0;
    node.messageCount++;
    node.last = message;
    if (message.retain) node.retained = message.payload.length > 0;
    for (let up: TopicNode | undefined = node; up; up = up.parent) {
      up.totalMessages++;
      if (firstMessage && up !== node) up.topicCount++;
    }
    return { node, created };
  }

  find(topic: string): TopicNode | undefined {
    let node: TopicNode | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children.get(level);
      if (!node) return undefined;
    }
    return node;
  }

  /** Every topic that has received a message, in no particular order. */
  *topics(from: TopicNode = this.root): Generator<TopicNode> {
    for (const child of from.children.values()) {
      if (child.hasMessages) yield child;
      yield* this.topics(child);
    }
  }

  clear(): void {
    this.root.children.clear();
    this.root.totalMessages = 0;
    this.root.topicCount = 0;
  }
}
