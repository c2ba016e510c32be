import type { Int32Column, Uint32Column } from './columns';
import type { MessageProperties, StoredMessage } from './topicTree';

/**
 * The kept messages of every topic of every connection of the worker, in one pool: a fixed-width
 * record per message in typed arrays, payload bytes appended to shared slabs, MQTT 5 properties
 * interned. Records sit in arrival order, so the oldest message of all is at `head`, and each
 * topic chains its own records oldest first. No JS object per message: a kept message costs
 * RECORD_BYTES beside its payload, and nothing grows with the number of messages received once the
 * limits are reached (dead records and their bytes are reclaimed by compaction, amortized O(1)).
 */

/**
 * The topics of one tree as the store sees them: per node, where its chain of records starts and
 * ends (columns the tree holds, indexed by node), and what to do when the budget takes a message.
 */
export interface HistoryOwners {
  /** A node's oldest record, -1 when it keeps none. */
  readonly head: Int32Column;
  /** A node's newest record, -1 when it keeps none. */
  readonly tail: Int32Column;
  readonly keptCount: Uint32Column;
  /** Payload bytes of a node's kept messages (as kept: cut payloads count their kept part). */
  readonly historyBytes: Uint32Column;
  /** The budget dropped one of a node's messages (`bytes` of payload). */
  evicted(node: number, bytes: number): void;
  /** Only last values are left and the budget needs room: the node gives up its value (or is forgotten). */
  giveUpLastValue(node: number): void;
  /** What the tree holds in the pool (its nodes and kept messages): the fair floor is weighed by it. */
  readonly heldBytes: number;
}

/**
 * Bytes per record: offset, length (4 each), slab (2), time (8), next (4), props (4), flags (1),
 * tree (2), node (4). A cut payload's size as received is kept beside, in a map: cuts are rare.
 * A message of history (not its topic's newest) costs SUPERSEDED_SLOT_BYTES more, its place in the
 * superseded queue.
 */
export const RECORD_BYTES = 33;
export const SUPERSEDED_SLOT_BYTES = 4;
const SLAB_BYTES = 1024 * 1024;
const MIN_CAPACITY = 1024;
/** The reserve for unused and dead space is this part of the budget. */
const RESERVE_FRACTION = 16;
/** Compaction waits for at least this much garbage, however small the budget: it would run too often else. */
const MIN_COMPACT_BYTES = 4 * SLAB_BYTES;
/** An unbounded budget (tests) still compacts as if it were this. */
const MAX_BUDGET_FOR_RESERVE = 1024 * 1024 * 1024;
/** An interned property set costs about this beside its JSON text (object, map entry). */
const PROPS_OVERHEAD_BYTES = 200;

const FLAG_RETAIN = 1;
const FLAG_TRUNCATED = 2;
const FLAG_LIVE = 4;
const QOS_SHIFT = 3;

interface Slab {
  bytes: Uint8Array;
  used: number;
  live: number;
}

interface InternedProps {
  properties: MessageProperties;
  key: string;
  refs: number;
}

/** What a record needs beside its payload. */
export interface NewMessage {
  payload: Uint8Array;
  size: number;
  truncated: boolean;
  qos: 0 | 1 | 2;
  retain: boolean;
  receivedAt: number;
  properties?: MessageProperties;
}

/** The fields of every record, one typed array each, indexed by record. */
class Records {
  readonly offset: Uint32Array;
  readonly length: Uint32Array;
  readonly slabOf: Uint16Array;
  readonly time: Float64Array;
  /** The topic's next (newer) record, -1 for its newest. */
  readonly next: Int32Array;
  readonly props: Int32Array;
  readonly flags: Uint8Array;
  /** Whose message: the tree (its slot in the store) and the node. */
  readonly tree: Uint16Array;
  readonly node: Int32Array;

  constructor(readonly capacity: number) {
    this.offset = new Uint32Array(capacity);
    this.length = new Uint32Array(capacity);
    this.slabOf = new Uint16Array(capacity);
    this.time = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.props = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.tree = new Uint16Array(capacity);
    this.node = new Int32Array(capacity);
  }

  /** Record `to` becomes a copy of record `from` of `source`, not yet linked to a next one. */
  copy(to: number, source: Records, from: number): void {
    this.offset[to] = source.offset[from];
    this.length[to] = source.length[from];
    this.slabOf[to] = source.slabOf[from];
    this.time[to] = source.time[from];
    this.flags[to] = source.flags[from];
    this.props[to] = source.props[from];
    this.tree[to] = source.tree[from];
    this.node[to] = source.node[from];
    this.next[to] = -1;
  }
}

/** At most this many trees share a store (a record names its tree in 16 bits). */
const MAX_TREES = 0xffff;

export class MessageStore {
  private records = new Records(MIN_CAPACITY);
  /** The oldest record still in use or not yet passed; records before it are free. */
  private head = 0;
  /** Where the next record goes. */
  private tail = 0;
  /**
   * The superseded queue, from `supersededFrom` to `supersededTo`: the records that stopped being
   * their topic's newest (history), in that order, dead ones passed lazily. The budget takes history
   * from its front, so it never walks past the last values that sit before the oldest history in
   * arrival order (a broker's thousands of quiet topics before a $SYS topic's previous value made
   * each eviction a walk over all of them). A record enters at most once between compactions, which
   * rebuild it with the live records' new numbers; it grows only with history.
   */
  private superseded = new Int32Array(MIN_CAPACITY);
  /** The garbage the last compaction left (what it could not give back). */
  private garbageAfterCompaction = 0;
  private supersededFrom = 0;
  private supersededTo = 0;

  private slabs: (Slab | undefined)[] = [];
  private current = -1;
  private slabBytes = 0;

  private readonly interned = new Map<string, number>();
  private readonly propsTable: (InternedProps | undefined)[] = [];
  private readonly freeProps: number[] = [];
  private propsBytes = 0;

  /** The size as received of each cut payload, by record (a record holds the kept length only). */
  private cutSizes = new Map<number, number>();

  /** The trees whose messages are here, by the slot their records name. */
  private readonly trees: (HistoryOwners | undefined)[] = [];
  /** Trees registered (slots in use): the fair floor is an even share among them. */
  private treeCount = 0;
  /** Per tree slot, its topics keeping at least one message. */
  private readonly ownersIn: number[] = [];

  /** Messages kept. */
  liveRecords = 0;
  /** Payload bytes kept. */
  livePayloadBytes = 0;
  /** Topics keeping at least one message. */
  owners = 0;
  /** Records copied so far (compaction, requeued last values): the store's work beside appends, which tests bound. */
  copiedRecords = 0;

  /** What the kept messages cost: records, payloads, properties. */
  get liveBytes(): number {
    return this.liveRecords * RECORD_BYTES + (this.liveRecords - this.owners) * SUPERSEDED_SLOT_BYTES + this.livePayloadBytes + this.propsBytes;
  }

  /** What the store holds allocated: record arrays at their capacity, every slab whole, properties. */
  get allocatedBytes(): number {
    return this.records.capacity * RECORD_BYTES + this.superseded.byteLength + this.slabBytes + this.propsBytes;
  }

  /** What the pool may hold: everything the store allocates, plus `nodeBytes`. */
  budgetBytes = Infinity;
  /** What the topic trees sharing this store hold besides messages (nodes, names, indexes), as they count it. */
  nodeBytes = 0;

  /**
   * Room kept for what is allocated but not live: record slots not yet used or freed, dead bytes in
   * slabs. Compaction runs when there is more (or at least MIN_COMPACT_BYTES, a constant that small
   * budgets pay), so the store's allocation stays within live + reserve, and the budget weighs
   * live + reserve: the memory held does not pass it.
   */
  get reserveBytes(): number {
    return Math.min(this.budgetBytes, MAX_BUDGET_FOR_RESERVE) / RESERVE_FRACTION;
  }

  /** The garbage that makes the next append compact first. */
  private get compactAtBytes(): number {
    return Math.max(this.reserveBytes, MIN_COMPACT_BYTES);
  }

  /** Allocated and not live: what compaction can give back. */
  get garbageBytes(): number {
    return this.allocatedBytes - this.liveBytes;
  }

  /**
   * Garbage past the threshold, and grown by a quarter of it since the last compaction: so however
   * much a compaction could not give back, the next one waits for new garbage to pay for it.
   */
  private get garbageGrownPastThreshold(): boolean {
    const garbage = this.garbageBytes;
    return garbage > this.compactAtBytes && garbage - this.garbageAfterCompaction > this.compactAtBytes / 4;
  }

  get overBudget(): boolean {
    return this.liveBytes + this.reserveBytes + this.nodeBytes > this.budgetBytes;
  }

  /** Registers a tree; its records name it by the slot returned. */
  register(owners: HistoryOwners): number {
    let slot = this.trees.indexOf(undefined);
    if (slot < 0) slot = this.trees.length;
    if (slot >= MAX_TREES) throw new Error('too many topic trees in one store');
    this.trees[slot] = owners;
    this.ownersIn[slot] = 0;
    this.treeCount++;
    return slot;
  }

  /** How many topics of the tree in `slot` keep at least one message. */
  ownersOf(slot: number): number {
    return this.ownersIn[slot] ?? 0;
  }

  /** A tree leaves the store (it must keep no message). */
  unregister(slot: number): void {
    if (this.trees[slot]) this.treeCount--;
    this.trees[slot] = undefined;
  }

  /**
   * Oldest first across every topic of every tree, until the pool fits its budget: history first,
   * then, when only last values are left, the last value's tree is asked to give it up (it forgets
   * the topic, or drops its value); each message dropped is reported to its tree.
   */
  evict(): void {
    while (this.overBudget) {
      if (this.liveRecords > this.owners) {
        // Some topic still has history: that goes before any last value, the first superseded first.
        const record = this.oldestSuperseded();
        if (record < 0) throw new Error(`${this.liveRecords - this.owners} messages of history counted, none queued`);
        const owners = this.trees[this.records.tree[record]];
        const node = this.records.node[record];
        if (!owners || owners.head.get(node) !== record) throw new Error(`superseded record ${record} is not its topic's oldest`);
        owners.evicted(node, this.dropOldest(owners, node));
        continue;
      }
      const record = this.oldestRecord();
      if (record < 0) return;
      const owners = this.trees[this.records.tree[record]];
      const node = this.records.node[record];
      if (!owners) throw new Error(`record ${record} has no tree`);
      if (this.protectedByFloor(this.records.tree[record])) {
        // A quiet connection's last values stay while a bigger one can give up its own.
        this.requeue(owners, node);
      } else {
        const before = this.liveRecords;
        owners.giveUpLastValue(node);
        if (this.liveRecords >= before) throw new Error('a last value was not given up');
      }
    }
  }

  /**
   * The fair floor: with several trees, one that holds less than an even share of half the budget
   * keeps its last values while another tree above that share still has one to give up. So a flood
   * of new topics on one connection forgets its own oldest topics, not a quiet connection's.
   */
  private protectedByFloor(slot: number): boolean {
    if (this.treeCount < 2) return false;
    const floor = this.budgetBytes / (2 * this.treeCount);
    if ((this.trees[slot]?.heldBytes ?? 0) > floor) return false;
    return this.trees.some((owners, other) => owners !== undefined && other !== slot && owners.heldBytes > floor && this.ownersIn[other] > 0);
  }

  append(tree: number, node: number, message: NewMessage): void {
    const owners = this.trees[tree];
    if (!owners) throw new Error(`no tree ${tree} in the store`);
    if (this.tail === this.records.capacity || this.garbageGrownPastThreshold) this.compact();
    const record = this.tail++;
    const { slab, offset } = this.place(message.payload);
    this.records.slabOf[record] = slab;
    this.records.offset[record] = offset;
    this.records.length[record] = message.payload.length;
    if (message.truncated) this.cutSizes.set(record, message.size);
    this.records.time[record] = message.receivedAt;
    this.records.flags[record] = FLAG_LIVE | (message.retain ? FLAG_RETAIN : 0) | (message.truncated ? FLAG_TRUNCATED : 0) | (message.qos << QOS_SHIFT);
    this.records.props[record] = message.properties ? this.intern(message.properties) : -1;
    this.records.next[record] = -1;
    this.records.tree[record] = tree;
    this.records.node[record] = node;
    this.link(owners, node, record);
    this.liveRecords++;
    this.livePayloadBytes += message.payload.length;
    owners.historyBytes.add(node, message.payload.length);
  }

  /** Drops a topic's oldest message; returns its payload bytes as kept, -1 when it keeps none. */
  dropOldest(owners: HistoryOwners, node: number): number {
    const record = owners.head.get(node);
    if (record < 0) return -1;
    const bytes = this.records.length[record];
    const next = this.records.next[record];
    owners.head.set(node, next);
    if (next < 0) owners.tail.set(node, -1);
    owners.keptCount.add(node, -1);
    if (owners.keptCount.get(node) === 0) {
      this.owners--;
      this.ownersIn[this.records.tree[record]]--;
    }
    this.kill(record, owners, node);
    return bytes;
  }

  /** Drops every message of a topic. */
  clear(owners: HistoryOwners, node: number): void {
    while (this.dropOldest(owners, node) >= 0);
  }

  /** The record of the oldest kept message of all, the one every eviction looks at first; -1 when none is kept. */
  private oldestRecord(): number {
    this.skipDead();
    return this.head < this.tail ? this.head : -1;
  }

  /**
   * Moves a topic's only message to the end of the arrival order (its time stays): eviction keeps
   * last values before history and passes over it until only last values are left.
   */
  private requeue(owners: HistoryOwners, node: number): void {
    if (owners.keptCount.get(node) !== 1) throw new Error('only a last value is requeued');
    if (this.tail === this.records.capacity) this.compact();
    const from = owners.head.get(node);
    const to = this.tail++;
    this.records.copy(to, this.records, from);
    this.copiedRecords++;
    this.moveCutSize(this.cutSizes, from, this.cutSizes, to);
    this.records.flags[from] = 0;
    owners.head.set(node, to);
    owners.tail.set(node, to);
  }

  /** The topic's kept messages from the `from`-th (0: the oldest) on; each a copy (the slabs move on compaction). */
  *messages(owners: HistoryOwners, node: number, payloadBytes = Infinity, from = 0): Generator<StoredMessage> {
    let record = owners.head.get(node);
    for (let skipped = 0; skipped < from && record >= 0; skipped++) record = this.records.next[record];
    for (; record >= 0; record = this.records.next[record]) yield this.read(record, payloadBytes);
  }

  last(owners: HistoryOwners, node: number, payloadBytes = Infinity): StoredMessage | undefined {
    const tail = owners.tail.get(node);
    return tail >= 0 ? this.read(tail, payloadBytes) : undefined;
  }

  private read(record: number, payloadBytes: number): StoredMessage {
    const flags = this.records.flags[record];
    const view = this.view(record);
    const message: StoredMessage = {
      // A copy in Node's pool: the caller may keep it while the store compacts.
      payload: Buffer.from(view.subarray(0, Math.min(view.length, payloadBytes))),
      size: flags & FLAG_TRUNCATED ? (this.cutSizes.get(record) ?? view.length) : view.length,
      truncated: (flags & FLAG_TRUNCATED) !== 0,
      keptBytes: view.length,
      qos: ((flags >> QOS_SHIFT) & 3) as 0 | 1 | 2,
      retain: (flags & FLAG_RETAIN) !== 0,
      receivedAt: this.records.time[record],
      properties: undefined,
    };
    const props = this.records.props[record];
    if (props >= 0) message.properties = this.propsTable[props]?.properties;
    return message;
  }

  private view(record: number): Uint8Array {
    const slab = this.slabs[this.records.slabOf[record]];
    if (!slab) throw new Error(`record ${record} has no slab`);
    const start = this.records.offset[record];
    return slab.bytes.subarray(start, start + this.records.length[record]);
  }

  private link(owners: HistoryOwners, node: number, record: number): void {
    const tail = owners.tail.get(node);
    if (tail >= 0) {
      this.records.next[tail] = record;
      this.enqueueSuperseded(tail);
    } else owners.head.set(node, record);
    owners.tail.set(node, record);
    owners.keptCount.add(node, 1);
    if (owners.keptCount.get(node) === 1) {
      this.owners++;
      this.ownersIn[this.records.tree[record]]++;
    }
  }

  private kill(record: number, owners: HistoryOwners, node: number): void {
    const bytes = this.records.length[record];
    owners.historyBytes.add(node, -bytes);
    this.liveRecords--;
    this.livePayloadBytes -= bytes;
    const slab = this.slabs[this.records.slabOf[record]];
    if (slab) {
      slab.live -= bytes;
      if (slab.live === 0 && this.records.slabOf[record] !== this.current) this.freeSlab(this.records.slabOf[record]);
    }
    const props = this.records.props[record];
    if (props >= 0) this.release(props);
    if (this.records.flags[record] & FLAG_TRUNCATED) this.cutSizes.delete(record);
    this.records.flags[record] = 0;
    this.skipDead();
  }

  /** A cut record moved from `from` (in `source`) to `to` (in `target`): its size as received goes with it. */
  private moveCutSize(source: Map<number, number>, from: number, target: Map<number, number>, to: number): void {
    const size = source.get(from);
    if (size === undefined) return;
    source.delete(from);
    target.set(to, size);
  }

  private enqueueSuperseded(record: number): void {
    if (this.supersededTo === this.superseded.length) {
      const queued = this.supersededTo - this.supersededFrom;
      // Half or more passed: move the rest to the front; else double.
      const next = queued * 2 <= this.superseded.length ? this.superseded : new Int32Array(this.superseded.length * 2);
      next.set(this.superseded.subarray(this.supersededFrom, this.supersededTo));
      this.superseded = next;
      this.supersededFrom = 0;
      this.supersededTo = queued;
    }
    this.superseded[this.supersededTo++] = record;
  }

  /** The front of the superseded queue, once its dead entries are passed; -1 when it is empty. */
  private oldestSuperseded(): number {
    const { superseded } = this;
    const { flags } = this.records;
    while (this.supersededFrom < this.supersededTo && (flags[superseded[this.supersededFrom]] & FLAG_LIVE) === 0) this.supersededFrom++;
    return this.supersededFrom < this.supersededTo ? superseded[this.supersededFrom] : -1;
  }

  private skipDead(): void {
    while (this.head < this.tail && (this.records.flags[this.head] & FLAG_LIVE) === 0) this.head++;
    // Nothing live: record numbers start over, and so does the queue that names them.
    if (this.head === this.tail) this.head = this.tail = this.supersededFrom = this.supersededTo = 0;
  }

  private place(payload: Uint8Array): { slab: number; offset: number } {
    let slab = this.current >= 0 ? this.slabs[this.current] : undefined;
    if (!slab || slab.used + payload.length > slab.bytes.length) {
      // A payload larger than a slab gets one of its own size.
      const bytes = new Uint8Array(Math.max(SLAB_BYTES, payload.length));
      slab = { bytes, used: 0, live: 0 };
      const previous = this.current >= 0 ? this.slabs[this.current] : undefined;
      if (previous && previous.live === 0) this.freeSlab(this.current);
      this.current = this.allocateSlab(slab);
      this.slabBytes += bytes.length;
    }
    const offset = slab.used;
    slab.bytes.set(payload, offset);
    slab.used += payload.length;
    slab.live += payload.length;
    return { slab: this.current, offset };
  }

  private allocateSlab(slab: Slab): number {
    const free = this.slabs.indexOf(undefined);
    if (free >= 0) {
      this.slabs[free] = slab;
      return free;
    }
    // A record names its slab in 16 bits: 65,535 slabs of 1 MiB are far beyond any budget.
    if (this.slabs.length > 0xffff) throw new Error('too many payload slabs');
    this.slabs.push(slab);
    return this.slabs.length - 1;
  }

  private freeSlab(index: number): void {
    const slab = this.slabs[index];
    if (!slab) return;
    this.slabBytes -= slab.bytes.length;
    this.slabs[index] = undefined;
    if (index === this.current) this.current = -1;
  }

  private intern(properties: MessageProperties): number {
    const key = JSON.stringify(properties, (_name, value: unknown) => (value instanceof Uint8Array ? { bytes: Array.from(value) } : value));
    const known = this.interned.get(key);
    if (known !== undefined) {
      const entry = this.propsTable[known];
      if (entry) entry.refs++;
      return known;
    }
    const index = this.freeProps.pop() ?? this.propsTable.length;
    this.propsTable[index] = { properties, key, refs: 1 };
    this.interned.set(key, index);
    this.propsBytes += key.length * 2 + PROPS_OVERHEAD_BYTES;
    return index;
  }

  private release(index: number): void {
    const entry = this.propsTable[index];
    if (!entry || --entry.refs > 0) return;
    this.interned.delete(entry.key);
    this.propsTable[index] = undefined;
    this.freeProps.push(index);
    this.propsBytes -= entry.key.length * 2 + PROPS_OVERHEAD_BYTES;
  }

  /**
   * Moves the live records to the front, in order: in place when that frees enough room, else into
   * arrays with room for half as many again (at most a quarter of the reserve more). Payloads move to fresh
   * slabs too when the slabs' dead bytes pass a quarter of the reserve. Afterwards the garbage is at
   * most three quarters of the reserve, and the next run waits for the arrays to fill or the garbage
   * to pass the reserve: what a run copies is paid for by what was appended or freed since.
   */
  private compact(): void {
    const old = this.records;
    const live = this.liveRecords;
    const reserve = this.compactAtBytes;
    const room = Math.max(MIN_CAPACITY, Math.min(Math.ceil(live / 2), Math.floor(reserve / 4 / RECORD_BYTES)));
    const free = old.capacity - live;
    const inPlace = free >= room / 2 && free * RECORD_BYTES <= reserve / 2;
    const records = inPlace ? old : new Records(live + room);
    const moved = new Int32Array(this.tail - this.head).fill(-1);
    const repack = this.slabBytes - this.livePayloadBytes > reserve / 4;
    const oldSlabs = this.slabs;
    if (repack) {
      this.slabs = [];
      this.current = -1;
      this.slabBytes = 0;
    }
    const cutSizes = new Map<number, number>();
    let to = 0;
    for (let from = this.head; from < this.tail; from++) {
      if ((old.flags[from] & FLAG_LIVE) === 0) continue;
      moved[from - this.head] = to;
      if (old.flags[from] & FLAG_TRUNCATED) this.moveCutSize(this.cutSizes, from, cutSizes, to);
      // In place, `to` never passes `from`: nothing is overwritten before it is read.
      const next = old.next[from];
      records.copy(to, old, from);
      records.next[to] = next;
      if (repack) {
        const slab = oldSlabs[old.slabOf[from]];
        if (!slab) throw new Error(`record ${from} has no slab`);
        const start = old.offset[from];
        const placed = this.place(slab.bytes.subarray(start, start + old.length[from]));
        records.slabOf[to] = placed.slab;
        records.offset[to] = placed.offset;
      }
      to++;
    }
    // Chains and owners point at the new places (a chain only points forward, at records also moved).
    for (let at = 0; at < to; at++) {
      const after = records.next[at];
      records.next[at] = after >= 0 ? moved[after - this.head] : -1;
    }
    for (let from = this.head; from < this.tail; from++) {
      const at = moved[from - this.head];
      if (at < 0) continue;
      const owners = this.trees[records.tree[at]];
      const node = records.node[at];
      if (owners) {
        if (owners.head.get(node) === from) owners.head.set(node, at);
        if (owners.tail.get(node) === from) owners.tail.set(node, at);
      }
    }
    this.copiedRecords += to;
    // The superseded queue keeps its order, with the live records' new places (in place, the
    // write position never passes the read one).
    let queued = 0;
    for (let at = this.supersededFrom; at < this.supersededTo; at++) {
      const from = this.superseded[at];
      const moves = from >= this.head && from < this.tail ? moved[from - this.head] : -1;
      if (moves >= 0) this.superseded[queued++] = moves;
    }
    // Sized to what is queued plus an eighth: its spare room counts as garbage, which compaction
    // must be able to give back (else every append would compact again).
    const fitted = Math.max(MIN_CAPACITY, queued + (queued >> 3));
    if (this.superseded.length > fitted) this.superseded = this.superseded.slice(0, fitted);
    this.supersededFrom = 0;
    this.supersededTo = queued;
    // What stays behind in place is free space now.
    if (records === old) old.flags.fill(0, to, this.tail);
    this.records = records;
    this.cutSizes = cutSizes;
    this.head = 0;
    this.tail = to;
    this.garbageAfterCompaction = this.garbageBytes;
  }
}
