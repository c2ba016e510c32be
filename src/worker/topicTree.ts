import { CountColumn, Int32Column, Uint32Column } from './columns';
import { MessageStore, RECORD_BYTES, type HistoryOwners, type NewMessage } from './messageStore';
import { levelHash, NameArena } from './nameArena';

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
 * What a topic node costs beside its name's bytes: its row in the tree's columns (parent; name
 * start and length; first child, next and previous sibling; child count; three message
 * counts; sub-topic count; last activity (tenths of a second); revision; state and generation;
 * history chain: 76 bytes)
 * and its slot in the children index (kept between a sixth and two thirds full). A name takes a
 * byte per character (two when it is not all Latin-1) in the tree's name arena.
 */
export const NODE_OVERHEAD_BYTES = 84;

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
  /** Topics in the tree (that received a message and were not forgotten or cleared). */
  topics: number;
  /** Topics keeping at least one message (their last value). */
  topicsWithValue: number;
}

/** Topics looked up by their full name at most: a cache for the common case of a known topic, bounded. */
const TOPIC_CACHE_SIZE = 4096;
/** Node numbers stay below this (a key is generation * NODE_LIMIT + node, exact in a double). */
const NODE_LIMIT = 2 ** 26;
const ROOT = 0;
const ACTIVITY_UNIT_MS = 100;
const ACTIVITY_MARGIN_MS = 24 * 3600 * 1000;
const MAX_ACTIVITY = 2 ** 32 - 1;
const NONE = -1;
const FLAG_LIVE = 1;
const FLAG_RETAINED = 2;
const FLAGS = FLAG_LIVE | FLAG_RETAINED;
const GENERATION_SHIFT = 2;
/** A filter answer keeps 30 bits of the revision it was computed at. */
const REVISION_MASK = 2 ** 30 - 1;
/** 27 bits: generation * NODE_LIMIT + node stays below 2^53. */
const GENERATION_MASK = 2 ** 27 - 1;

/** What callers read of a node's children. */
export interface Children {
  readonly size: number;
  get(name: string): TopicNode | undefined;
  values(): IterableIterator<TopicNode>;
  keys(): IterableIterator<string>;
}

/**
 * A node of a TopicTree, as callers see it: a handle (tree, node number, generation) that reads the
 * tree's columns. Handles are made on demand, so two handles of one node are different objects:
 * compare `key`s. A handle of a node that was removed is no longer `attached`, and its key never
 * names another node (a reused number comes with a new generation).
 */
export class TopicNode {
  constructor(
    readonly tree: TopicTree,
    readonly id: number,
    private readonly generation: number,
  ) {}

  /** Unique over the tree's whole life: a removed node's key is never given again. */
  get key(): number {
    return this.generation * NODE_LIMIT + this.id;
  }

  /** The node is still in the tree (not removed, forgotten or cleared since the handle was made). */
  get attached(): boolean {
    return this.tree.isLive(this.id, this.generation);
  }

  /** This level's name; may be empty (`a//b`, `/a`, `a/`). */
  get name(): string {
    return this.tree.nameOf(this.id);
  }

  get parent(): TopicNode | undefined {
    const parent = this.tree.parentOf(this.id);
    return parent === NONE ? undefined : this.tree.handle(parent);
  }

  /** The parent's key, without making a handle (the per-message check). */
  get parentKey(): number | undefined {
    const parent = this.tree.parentOf(this.id);
    return parent === NONE ? undefined : this.tree.keyOf(parent);
  }

  /** The full topic, empty for the root. Built from the levels when asked: not stored per node. */
  get topic(): string {
    return this.tree.topicOf(this.id);
  }

  /** This topic's kept messages, oldest first: copies, read from the store. */
  get history(): readonly StoredMessage[] {
    return [...this.messages()];
  }

  /** Kept messages from the `from`-th (0: the oldest) on, payloads cut to `payloadBytes`. */
  messages(from = 0, payloadBytes = Infinity): Generator<StoredMessage> {
    return this.tree.store.messages(this.tree, this.id, payloadBytes, from);
  }

  /** The newest kept message, whole. */
  get last(): StoredMessage | undefined {
    return this.tree.store.last(this.tree, this.id);
  }

  /** The newest kept message with at most `payloadBytes` of its payload (a preview, a filter's text). */
  lastMessage(payloadBytes: number): StoredMessage | undefined {
    return this.tree.store.last(this.tree, this.id, payloadBytes);
  }

  get hasMessages(): boolean {
    return this.messageCount > 0;
  }

  /** The children, in the order they came. */
  get children(): Children {
    return new ChildList(this.tree, this.id);
  }

  child(name: string): TopicNode | undefined {
    const child = this.tree.childOf(this.id, name);
    return child === NONE ? undefined : this.tree.handle(child);
  }

  get childCount(): number {
    return this.tree.childCount.get(this.id);
  }
  /** Messages received on exactly this topic. */
  get messageCount(): number {
    return this.tree.messageCount.get(this.id);
  }
  /** Messages received on this topic and every topic below it. */
  get totalMessages(): number {
    return this.tree.totalMessages.get(this.id);
  }
  /** Topics below this node that have received at least one message. */
  get topicCount(): number {
    return this.tree.topicCount.get(this.id);
  }
  /** Messages of this topic dropped by the limits. */
  get dropped(): number {
    return this.tree.dropped.get(this.id);
  }
  get keptCount(): number {
    return this.tree.keptCount.get(this.id);
  }
  /** Payload bytes of its kept messages. */
  get historyBytes(): number {
    return this.tree.historyBytes.get(this.id);
  }
  /** The broker holds a retained message for this topic (as far as we have seen). */
  get retained(): boolean {
    return (this.tree.state.get(this.id) & FLAG_RETAINED) !== 0;
  }
  /** When this topic or one below it last received a message. */
  get lastActivity(): number {
    return this.tree.activityOf(this.id);
  }
  /**
   * Goes up whenever this node or one below it changes in a way a filter can see (a message, a node
   * added or removed below, a last value dropped by the budget); never goes back, not even when the
   * node's number is reused. An answer about a subtree is valid while its revision is current.
   */
  get revision(): number {
    return this.tree.revision.get(this.id);
  }
}

class ChildList implements Children {
  constructor(
    private readonly tree: TopicTree,
    private readonly parent: number,
  ) {}
  get size(): number {
    return this.tree.childCount.get(this.parent);
  }
  get(name: string): TopicNode | undefined {
    const child = this.tree.childOf(this.parent, name);
    return child === NONE ? undefined : this.tree.handle(child);
  }
  *values(): IterableIterator<TopicNode> {
    for (let child = this.tree.firstChild.get(this.parent); child !== NONE; child = this.tree.nextSibling.get(child)) yield this.tree.handle(child);
  }
  *keys(): IterableIterator<string> {
    for (let child = this.tree.firstChild.get(this.parent); child !== NONE; child = this.tree.nextSibling.get(child)) yield this.tree.nameOf(child);
  }
}

export interface TopicUpdate {
  node: TopicNode;
  /** The highest node this message created, if it created any: its parent's children changed. */
  created: TopicNode | undefined;
}

/**
 * Every node but the root by (parent, name): open addressing over node numbers keyed by each
 * node's level hash, linear probing, deletion by shifting back (no tombstones, so it never fills
 * with dead slots). Kept between a sixth and two thirds full.
 */
class ChildIndex {
  table = new Int32Array(1024).fill(NONE);
  private count = 0;

  /** `hashOf` gives a node's level hash, from its stored name. */
  constructor(private readonly hashOf: (node: number) => number) {}

  get bytes(): number {
    return this.table.byteLength;
  }

  insert(node: number): void {
    if ((this.count + 1) * 3 > this.table.length * 2) this.resize(this.table.length * 2);
    this.place(node);
    this.count++;
  }

  remove(node: number): void {
    const mask = this.table.length - 1;
    let slot = this.hashOf(node) & mask;
    while (this.table[slot] !== node) {
      if (this.table[slot] === NONE) throw new Error(`node ${node} is not in the children index`);
      slot = (slot + 1) & mask;
    }
    // Shift back the entries after it whose home is not between the hole and where they are.
    let hole = slot;
    for (let next = (hole + 1) & mask; this.table[next] !== NONE; next = (next + 1) & mask) {
      const other = this.table[next];
      const home = this.hashOf(other) & mask;
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!between) {
        this.table[hole] = other;
        hole = next;
      }
    }
    this.table[hole] = NONE;
    this.count--;
    if (this.table.length > 1024 && this.count * 6 < this.table.length) this.resize(this.table.length / 2);
  }

  private place(node: number): void {
    const mask = this.table.length - 1;
    let slot = this.hashOf(node) & mask;
    while (this.table[slot] !== NONE) slot = (slot + 1) & mask;
    this.table[slot] = node;
  }

  private resize(size: number): void {
    const old = this.table;
    this.table = new Int32Array(size).fill(NONE);
    for (const node of old) if (node !== NONE) this.place(node);
  }
}

/**
 * The topics of one connection, built from the messages it receives, within bounded memory. Plain
 * data, no VS Code and no I/O: the engine worker owns it, tests drive it directly.
 *
 * Nodes are rows of typed-array columns, not objects: a node costs NODE_OVERHEAD_BYTES beside its
 * name's bytes in the tree's name arena. Children are a linked list through the columns plus one
 * index for look-ups by name. Numbers of removed nodes are reused (with a new
 * generation), so nothing grows with the topics a long session has seen and forgotten. Messages
 * live in a MessageStore, which the trees of all connections share so that one budget covers them.
 */
export class TopicTree implements HistoryOwners {
  readonly stats: TreeStats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0, forgotten: 0, topics: 0, topicsWithValue: 0 };
  /** Told when the budget forgot topics below `parent` (their rows go): the views re-list that level. */
  onForgotten: ((parent: TopicNode) => void) | undefined;

  readonly parent = new Int32Column(NONE);
  /** Where the node's name starts in the arena, and its length word. */
  readonly nameStart = new Uint32Column(0);
  readonly nameWord = new Uint32Column(0);
  readonly firstChild = new Int32Column(NONE);
  readonly nextSibling = new Int32Column(NONE);
  /** The previous sibling; the first child's is the last child (appending and unlinking are O(1)). */
  readonly previousSibling = new Int32Column(NONE);
  readonly childCount = new Uint32Column(0);
  readonly messageCount = new CountColumn();
  readonly totalMessages = new CountColumn();
  readonly dropped = new CountColumn();
  readonly topicCount = new Uint32Column(0);
  /** When the node or one below it last received a message: tenths of a second from `activityEpoch`. */
  readonly lastActivity = new Uint32Column(0);
  /** The time lastActivity counts from: a day before the first message (a clock set back a little still fits). */
  private activityEpoch = NaN;
  readonly revision = new Uint32Column(0);
  /** LIVE and RETAINED bits, and the generation above them: bumped when the node's number is freed. */
  readonly state = new Uint32Column(0);
  readonly head = new Int32Column(NONE);
  readonly tail = new Int32Column(NONE);
  readonly keptCount = new Uint32Column(0);
  readonly historyBytes = new Uint32Column(0);

  private readonly names = new NameArena();
  private readonly index = new ChildIndex((node) => this.names.hash(this.parent.get(node), this.nameStart.get(node), this.nameWord.get(node)));
  /** Node numbers handed out so far; freed ones are chained through nextSibling from freeHead. */
  private rows = 0;
  private freeHead = NONE;
  /** Nodes besides the root. */
  private liveNodes = 0;
  /** Nodes by full topic, for the common case of a message to a known topic; bounded, so it is cleared when full. */
  private readonly byTopic = new Map<string, number>();
  private perTopic: TopicLimits;
  /** What this tree's nodes and names cost, as counted in the store's `nodeBytes`. */
  private nodeBytes = 0;
  /** What this tree's kept messages cost in the store (payloads and records). */
  private keptBytes = 0;

  readonly store: MessageStore;
  private readonly ownsStore: boolean;
  /** This tree's slot in the store: its records name it. */
  private readonly slot: number;
  readonly root: TopicNode;

  /** `store`: shared with other trees (one budget for all, set on the store); without it the tree has its own, bounded by `limits`. */
  constructor(limits: TopicLimits = DEFAULT_LIMITS, store?: MessageStore) {
    this.ownsStore = store === undefined;
    this.store = store ?? new MessageStore();
    this.perTopic = limits;
    this.slot = this.store.register(this);
    const root = this.createNode(NONE, '', 0, 0);
    if (root !== ROOT) throw new Error('the root is not node 0');
    this.root = this.handle(ROOT);
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

  /** A handle for node `id` as it is now. */
  handle(id: number): TopicNode {
    return new TopicNode(this, id, this.state.get(id) >>> GENERATION_SHIFT);
  }

  /** When node `id` or one below it last received a message, to the tenth of a second (0 before any). */
  activityOf(id: number): number {
    const activity = this.lastActivity.get(id);
    return activity === 0 && this.totalMessages.get(id) === 0 ? 0 : this.activityEpoch + activity * ACTIVITY_UNIT_MS;
  }

  keyOf(id: number): number {
    return (this.state.get(id) >>> GENERATION_SHIFT) * NODE_LIMIT + id;
  }

  isLive(id: number, generation: number): boolean {
    const state = this.state.get(id);
    return id < this.rows && (state & FLAG_LIVE) !== 0 && state >>> GENERATION_SHIFT === generation;
  }

  nameOf(id: number): string {
    return this.names.read(this.nameStart.get(id), this.nameWord.get(id));
  }

  parentOf(id: number): number {
    return this.parent.get(id);
  }

  childOf(parent: number, name: string): number {
    return this.findChild(parent, name, 0, name.length, levelHash(parent, name, 0, name.length));
  }

  /** The child of `parent` named by code units from..to of `text` (`hash` its level hash), or NONE. */
  private findChild(parent: number, text: string, from: number, to: number, hash: number): number {
    const table = this.index.table;
    const mask = table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const node = table[slot];
      if (node === NONE) return NONE;
      if (this.parent.get(node) === parent && this.names.equals(this.nameStart.get(node), this.nameWord.get(node), text, from, to)) return node;
    }
  }

  topicOf(id: number): string {
    if (id === ROOT) return '';
    // A loop, not recursion: a topic may have 20,000 levels.
    const levels: string[] = [];
    for (let up = id; up !== ROOT; up = this.parent.get(up)) levels.push(this.nameOf(up));
    return levels.reverse().join('/');
  }

  add(topic: string, message: ReceivedMessage): TopicUpdate {
    // Most messages go to a topic already seen: one map look-up instead of a walk level by level.
    let node = this.byTopic.get(topic) ?? NONE;
    let created = NONE;
    if (node === NONE) {
      node = this.walk(topic, true);
      created = this.walkCreated;
      if (this.byTopic.size >= TOPIC_CACHE_SIZE) this.byTopic.clear();
      this.byTopic.set(topic, node);
    }
    const firstMessage = this.messageCount.get(node) === 0;
    this.messageCount.add(node, 1);
    this.stats.received++;
    if (message.retain) this.setRetained(node, message.payload.length > 0);
    const kept = this.cut(message);
    this.store.append(this.slot, node, kept);
    this.stats.kept++;
    this.keptBytes += kept.payload.length + RECORD_BYTES;
    if (Number.isNaN(this.activityEpoch)) this.activityEpoch = message.receivedAt - ACTIVITY_MARGIN_MS;
    // Tenths of a second in 32 bits: 13 years from the epoch, a sort by recent activity needs no more.
    const activity = Math.min(MAX_ACTIVITY, Math.max(0, Math.round((message.receivedAt - this.activityEpoch) / ACTIVITY_UNIT_MS)));
    for (let up = node; up !== NONE; up = this.parent.get(up)) {
      this.totalMessages.add(up, 1);
      this.lastActivity.set(up, activity);
      this.revision.add(up, 1);
      if (firstMessage && up !== node) this.topicCount.add(up, 1);
    }
    this.enforceTopicLimits(node);
    this.enforceBudget();
    this.syncBytes();
    return { node: this.handle(node), created: created === NONE ? undefined : this.handle(created) };
  }

  private setRetained(node: number, retained: boolean): void {
    const state = this.state.get(node);
    this.state.set(node, retained ? state | FLAG_RETAINED : state & ~FLAG_RETAINED);
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

  private enforceTopicLimits(node: number): void {
    const { messagesPerTopic, bytesPerTopic } = this.perTopic;
    for (;;) {
      const kept = this.keptCount.get(node);
      if (kept <= 1 || (kept <= messagesPerTopic && this.historyBytes.get(node) <= bytesPerTopic)) return;
      const bytes = this.store.dropOldest(this, node);
      if (bytes < 0) throw new Error(`${kept} messages counted on a topic whose chain is empty`);
      this.evicted(node, bytes);
    }
  }

  /** A message of `node` (`bytes` of payload) left the store: its topic's limits, or the budget. */
  evicted(node: number, bytes: number): void {
    this.dropped.add(node, 1);
    this.stats.kept--;
    this.stats.dropped++;
    this.keptBytes -= bytes + RECORD_BYTES;
    this.syncBytes();
    // The last value went: a payload filter's answer may change along the path.
    if (this.keptCount.get(node) === 0) this.touchPath(node);
  }

  /** Oldest first across every tree sharing the store, until it fits the budget. */
  fitBudget(): void {
    this.enforceBudget();
    this.syncBytes();
  }

  private enforceBudget(): void {
    if (this.store.overBudget) this.store.evict();
  }

  /**
   * Even the last values do not fit: the topic goes (its row too), and comes back with its next
   * message. A topic with topics below it keeps its node and loses its value.
   */
  giveUpLastValue(node: number): void {
    if (this.childCount.get(node) > 0) {
      this.evicted(node, this.store.dropOldest(this, node));
      return;
    }
    this.stats.forgotten++;
    // Its last value is a message dropped like any other: received = kept + dropped still holds.
    const kept = this.keptCount.get(node);
    this.stats.dropped += kept;
    this.dropped.add(node, kept);
    let parent = this.parent.get(node);
    this.byTopic.delete(this.topicOf(node));
    this.removeSubtree(node);
    // Levels above it that hold nothing any more go with it.
    while (parent !== ROOT && this.childCount.get(parent) === 0 && this.messageCount.get(parent) === 0) {
      const above = this.parent.get(parent);
      this.removeSubtree(parent);
      parent = above;
    }
    this.rebuildNames();
    this.syncBytes();
    this.onForgotten?.(this.handle(parent));
  }

  /**
   * The answers of the current filter index, one word per node (0: none; else the node's revision,
   * in 30 bits, times two plus one when it matched, plus one). Made when a filter first asks, and
   * counted in the budget; a new filter index starts them over.
   */
  private answers: Uint32Column | undefined;
  private answersFor = 0;

  /** The filter index `index`'s answer for node `id` at its current revision, if it has one. */
  filterAnswer(index: number, id: number): boolean | undefined {
    if (this.answersFor !== index || !this.answers) return undefined;
    const word = this.answers.get(id);
    if (word === 0 || (word - 1) >>> 1 !== (this.revision.get(id) & REVISION_MASK)) return undefined;
    return ((word - 1) & 1) === 1;
  }

  rememberFilterAnswer(index: number, id: number, matched: boolean): void {
    if (this.answersFor !== index || !this.answers) {
      this.answers = new Uint32Column(0);
      this.answers.ensure(Math.max(0, this.rows - 1));
      this.answersFor = index;
      this.countBytes();
      this.syncBytes();
    }
    this.answers.set(id, (((this.revision.get(id) & REVISION_MASK) << 1) | (matched ? 1 : 0)) + 1);
  }

  /** What this tree holds in the shared pool now: its nodes, names and kept messages. */
  get heldBytes(): number {
    return this.nodeBytes + this.keptBytes;
  }

  /** This tree's share of the pool, as the connection's totals show it. */
  private syncBytes(): void {
    this.stats.bytes = this.heldBytes;
    this.stats.topics = this.topicCount.get(ROOT);
    this.stats.topicsWithValue = this.store.ownersOf(this.slot);
  }

  find(topic: string): TopicNode | undefined {
    const node = this.byTopic.get(topic) ?? this.walk(topic, false);
    return node === NONE ? undefined : this.handle(node);
  }

  /** The highest node the last creating walk made, NONE when it made none. */
  private walkCreated = NONE;

  /**
   * The node of `topic`, level by level in place (no string per level); NONE when a level is
   * missing, unless `create` makes it (the highest one made is then in walkCreated). Empty levels
   * are levels: MQTT allows them and they are distinct topics (`a//b`, `/a`, `a/`).
   */
  private walk(topic: string, create: boolean): number {
    this.walkCreated = NONE;
    let node = ROOT;
    for (let from = 0; ; ) {
      const slash = topic.indexOf('/', from);
      const to = slash < 0 ? topic.length : slash;
      let child = this.findChild(node, topic, from, to, levelHash(node, topic, from, to));
      if (child === NONE) {
        if (!create) return NONE;
        child = this.createNode(node, topic, from, to);
        if (this.walkCreated === NONE) this.walkCreated = child;
      }
      node = child;
      if (slash < 0) return node;
      from = slash + 1;
    }
  }

  /** Every topic that has received a message, below `from`, in no particular order. */
  *topics(from: TopicNode = this.root): Generator<TopicNode> {
    if (!from.attached) return;
    for (let node = this.nextInWalk(from.id, from.id); node !== NONE; node = this.nextInWalk(node, from.id)) {
      if (this.messageCount.get(node) > 0) yield this.handle(node);
    }
  }

  /**
   * The node after `node` in a walk of `start`'s subtree, parents before children: no stack and no
   * recursion, as a tree may be 20,000 levels deep. NONE when the walk is over.
   */
  private nextInWalk(node: number, start: number): number {
    const first = this.firstChild.get(node);
    if (first !== NONE) return first;
    for (let at = node; at !== start; at = this.parent.get(at)) {
      const next = this.nextSibling.get(at);
      if (next !== NONE) return next;
    }
    return NONE;
  }

  /** Removes a node and everything below it from the tree (not from the broker); the root clears all. */
  clearSubtree(node: TopicNode): void {
    if (!node.attached) return;
    this.byTopic.clear();
    this.removeSubtree(node.id);
    this.rebuildNames();
    this.syncBytes();
  }

  /** When the name arena holds more dead bytes than live ones (or only dead ones), the live names move to a fresh one. */
  private rebuildNames(): void {
    if (!this.names.wasteful && !(this.liveNodes === 0 && this.names.used > 0)) return;
    this.names.rebuild((move) => {
      for (let id = 0; id < this.rows; id++) {
        if ((this.state.get(id) & FLAG_LIVE) !== 0) this.nameStart.set(id, move(this.nameStart.get(id), this.nameWord.get(id)));
      }
    });
    this.countBytes();
  }

  /**
   * Frees `top` and everything below it, children before parents (each freed node is then a first
   * child, unlinked in O(1)); the counts above it go down by what it held. The root stays, emptied.
   */
  private removeSubtree(top: number): void {
    let messages = 0;
    let topics = 0;
    let node = top;
    for (;;) {
      const first = this.firstChild.get(node);
      if (first !== NONE) {
        node = first;
        continue;
      }
      const count = this.messageCount.get(node);
      this.stats.kept -= this.keptCount.get(node);
      this.keptBytes -= this.historyBytes.get(node) + this.keptCount.get(node) * RECORD_BYTES;
      this.store.clear(this, node);
      if (node === top) {
        // The counts below are gone; top's own message count goes with it.
        messages += count;
        if (count > 0 && top !== ROOT) topics++;
        break;
      }
      messages += count;
      if (count > 0) topics++;
      const parent = this.parent.get(node);
      this.freeNode(node);
      node = parent;
    }
    if (top === ROOT) {
      for (const column of [this.totalMessages, this.messageCount, this.dropped]) column.set(ROOT, 0);
      this.topicCount.set(ROOT, 0);
      this.revision.add(ROOT, 1);
      return;
    }
    const parent = this.parent.get(top);
    this.freeNode(top);
    for (let up = parent; up !== NONE; up = this.parent.get(up)) {
      this.totalMessages.add(up, -messages);
      this.topicCount.add(up, -topics);
      this.revision.add(up, 1);
    }
  }

  private touchPath(node: number): void {
    for (let up = node; up !== NONE; up = this.parent.get(up)) this.revision.add(up, 1);
  }

  /** A new node under `parent`, named by code units from..to of `text`. */
  private createNode(parent: number, text: string, from: number, to: number): number {
    let id = this.freeHead;
    if (id !== NONE) {
      this.freeHead = this.nextSibling.get(id);
    } else {
      id = this.rows++;
      if (id >= NODE_LIMIT) throw new Error('too many topic nodes');
      if (id >= this.parent.capacity) for (const column of this.columns()) column.ensure(id);
      if (this.answers && id >= this.answers.capacity) {
        this.answers.ensure(id);
        this.countBytes();
      }
    }
    this.parent.set(id, parent);
    this.nameStart.set(id, this.names.used);
    this.nameWord.set(id, this.names.store(text, from, to));
    this.firstChild.set(id, NONE);
    this.nextSibling.set(id, NONE);
    this.state.set(id, (this.state.get(id) & ~FLAGS) | FLAG_LIVE);
    // Never reset: an answer cached for the node that had this number must not match this one.
    this.revision.add(id, 1);
    if (parent !== NONE) {
      const first = this.firstChild.get(parent);
      if (first === NONE) {
        this.firstChild.set(parent, id);
        this.previousSibling.set(id, id);
      } else {
        const last = this.previousSibling.get(first);
        this.nextSibling.set(last, id);
        this.previousSibling.set(id, last);
        this.previousSibling.set(first, id);
      }
      this.childCount.add(parent, 1);
      this.index.insert(id);
      this.liveNodes++;
    }
    this.countBytes();
    return id;
  }

  /** Unlinks a childless node from its parent and frees its number (its messages are gone already). */
  private freeNode(id: number): void {
    const parent = this.parent.get(id);
    this.index.remove(id);
    const first = this.firstChild.get(parent);
    const next = this.nextSibling.get(id);
    const previous = this.previousSibling.get(id);
    if (id === first) {
      this.firstChild.set(parent, next);
      if (next !== NONE) this.previousSibling.set(next, previous);
    } else {
      this.nextSibling.set(previous, next);
      if (next !== NONE) this.previousSibling.set(next, previous);
      else this.previousSibling.set(first, previous);
    }
    this.childCount.add(parent, -1);
    this.names.free(this.nameWord.get(id));
    // A new generation: handles and keys of this node never match whatever gets its number next.
    this.state.set(id, (((this.state.get(id) >>> GENERATION_SHIFT) + 1) & GENERATION_MASK) << GENERATION_SHIFT);
    this.revision.add(id, 1);
    for (const column of [this.messageCount, this.totalMessages, this.dropped]) column.set(id, 0);
    this.topicCount.set(id, 0);
    this.lastActivity.set(id, 0);
    this.parent.set(id, NONE);
    this.nameWord.set(id, 0);
    this.nextSibling.set(id, this.freeHead);
    this.freeHead = id;
    this.liveNodes--;
    this.countBytes();
  }

  private *columns(): Generator<{ ensure(row: number): void }> {
    yield* [this.parent, this.nameStart, this.nameWord, this.firstChild, this.nextSibling, this.previousSibling, this.childCount, this.messageCount, this.totalMessages, this.dropped];
    yield* [this.topicCount, this.lastActivity, this.revision, this.state, this.head, this.tail, this.keptCount, this.historyBytes];
  }

  /** The nodes' and names' cost, in this tree's stats and the store's count (names as written, dead ones until rebuilt). */
  private countBytes(): void {
    const bytes = this.liveNodes * NODE_OVERHEAD_BYTES + this.names.used + (this.answers?.capacity ?? 0) * 4;
    this.store.nodeBytes += bytes - this.nodeBytes;
    this.nodeBytes = bytes;
  }

  /** The tree is gone (its connection removed): its messages and nodes leave the shared pool. */
  dispose(): void {
    this.clearSubtree(this.root);
    this.store.nodeBytes -= this.nodeBytes;
    this.nodeBytes = 0;
    this.store.unregister(this.slot);
  }
}
