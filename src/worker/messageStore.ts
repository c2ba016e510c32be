import type { MessageProperties, StoredMessage } from './topicTree';

/**
 * The kept messages of every topic of every connection of the worker, in one pool: a fixed-width
 * record per message in typed arrays, payload bytes appended to shared slabs, MQTT 5 properties
 * interned. Records sit in arrival order, so the oldest message of all is at `head`, and each
 * topic chains its own records oldest first. No JS object per message: a kept message costs
 * RECORD_BYTES beside its payload, and nothing grows with the number of messages received once the
 * limits are reached (dead records and their bytes are reclaimed by compaction, amortized O(1)).
 */

/** A topic as the store sees it: where its chain of records starts and ends. */
export interface HistoryOwner {
  /** Its oldest record, -1 when it keeps none. */
  head: number;
  /** Its newest record, -1 when it keeps none. */
  tail: number;
  keptCount: number;
  /** Payload bytes of its kept messages (as kept: cut payloads count their kept part). */
  historyBytes: number;
}

/** Bytes per record: offset, length, size, slab (4 each), time (8), next (4), props (4), flags (1), owner slot (4). */
export const RECORD_BYTES = 37;
const SLAB_BYTES = 1024 * 1024;
const MIN_CAPACITY = 1024;
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

export class MessageStore {
  private capacity = MIN_CAPACITY;
  private offset = new Uint32Array(MIN_CAPACITY);
  private length = new Uint32Array(MIN_CAPACITY);
  private size = new Uint32Array(MIN_CAPACITY);
  private slabOf = new Uint32Array(MIN_CAPACITY);
  private time = new Float64Array(MIN_CAPACITY);
  private next = new Int32Array(MIN_CAPACITY);
  private props = new Int32Array(MIN_CAPACITY);
  private flags = new Uint8Array(MIN_CAPACITY);
  private owner: (HistoryOwner | undefined)[] = new Array<HistoryOwner | undefined>(MIN_CAPACITY).fill(undefined);
  /** The oldest record still in use or not yet passed; records before it are free. */
  private head = 0;
  /** Where the next record goes. */
  private tail = 0;

  private slabs: (Slab | undefined)[] = [];
  private current = -1;
  private slabBytes = 0;

  private readonly interned = new Map<string, number>();
  private readonly propsTable: (InternedProps | undefined)[] = [];
  private readonly freeProps: number[] = [];
  private propsBytes = 0;

  /** Messages kept. */
  liveRecords = 0;
  /** Payload bytes kept. */
  livePayloadBytes = 0;
  /** Topics keeping at least one message. */
  owners = 0;

  /** What the kept messages cost: records, payloads, properties. What the budget weighs. */
  get liveBytes(): number {
    return this.liveRecords * RECORD_BYTES + this.livePayloadBytes + this.propsBytes;
  }

  /** What the store holds allocated: record arrays at their capacity, every slab whole, properties. */
  get allocatedBytes(): number {
    return this.capacity * (RECORD_BYTES) + this.slabBytes + this.propsBytes;
  }

  /** What the pool may hold: kept messages plus `nodeBytes`. */
  budgetBytes = Infinity;
  /** What the topic trees sharing this store hold besides messages (their nodes), as they estimate it. */
  nodeBytes = 0;

  get overBudget(): boolean {
    return this.liveBytes + this.nodeBytes > this.budgetBytes;
  }

  /**
   * Oldest first across every topic of every tree, until the pool fits its budget: history first,
   * then, when only last values are left, `lastValue` is asked to give one up (the tree forgets the
   * topic, or drops its value); each message dropped is reported to `dropped`.
   */
  evict(events: { dropped(owner: HistoryOwner, bytes: number): void; lastValue(owner: HistoryOwner): void }): void {
    while (this.overBudget) {
      const record = this.oldestRecord();
      if (record < 0) return;
      const owner = this.owner[record];
      if (!owner) throw new Error(`record ${record} has no topic`);
      if (owner.keptCount > 1) {
        const bytes = this.dropOldest(owner);
        if (bytes < 0) throw new Error(`${owner.keptCount} messages counted on a topic whose chain is empty`);
        events.dropped(owner, bytes);
      } else if (this.liveRecords > this.owners) {
        // Some topic still has history: that goes before any last value.
        this.requeue(owner);
      } else {
        const before = this.liveRecords;
        events.lastValue(owner);
        if (this.liveRecords >= before) throw new Error('a last value was not given up');
      }
    }
  }

  append(owner: HistoryOwner, message: NewMessage): void {
    if (this.tail === this.capacity) this.compact();
    const record = this.tail++;
    const { slab, offset } = this.place(message.payload);
    this.slabOf[record] = slab;
    this.offset[record] = offset;
    this.length[record] = message.payload.length;
    this.size[record] = message.size;
    this.time[record] = message.receivedAt;
    this.flags[record] = FLAG_LIVE | (message.retain ? FLAG_RETAIN : 0) | (message.truncated ? FLAG_TRUNCATED : 0) | (message.qos << QOS_SHIFT);
    this.props[record] = message.properties ? this.intern(message.properties) : -1;
    this.next[record] = -1;
    this.owner[record] = owner;
    this.link(owner, record);
    this.liveRecords++;
    this.livePayloadBytes += message.payload.length;
    owner.historyBytes += message.payload.length;
  }

  /** Drops a topic's oldest message; returns its payload bytes as kept, -1 when it keeps none. */
  dropOldest(owner: HistoryOwner): number {
    const record = owner.head;
    if (record < 0) return -1;
    const bytes = this.length[record];
    owner.head = this.next[record];
    if (owner.head < 0) owner.tail = -1;
    owner.keptCount--;
    if (owner.keptCount === 0) this.owners--;
    this.kill(record, owner);
    return bytes;
  }

  /** Drops every message of a topic. */
  clear(owner: HistoryOwner): void {
    while (this.dropOldest(owner) >= 0);
  }

  /** The record of a topic's oldest kept message, the one every eviction looks at first; -1 when none is kept. */
  oldestRecord(): number {
    this.skipDead();
    return this.head < this.tail ? this.head : -1;
  }

  ownerOf(record: number): HistoryOwner | undefined {
    return this.owner[record];
  }

  /**
   * Moves a topic's only message to the end of the arrival order (its time stays): eviction keeps
   * last values before history and passes over it until only last values are left.
   */
  requeue(owner: HistoryOwner): void {
    if (owner.keptCount !== 1) throw new Error('only a last value is requeued');
    if (this.tail === this.capacity) this.compact();
    const from = owner.head;
    const to = this.tail++;
    this.offset[to] = this.offset[from];
    this.length[to] = this.length[from];
    this.size[to] = this.size[from];
    this.slabOf[to] = this.slabOf[from];
    this.time[to] = this.time[from];
    this.flags[to] = this.flags[from];
    this.props[to] = this.props[from];
    this.next[to] = -1;
    this.owner[to] = owner;
    this.flags[from] = 0;
    this.owner[from] = undefined;
    owner.head = owner.tail = to;
  }

  /** The topic's kept messages from the `from`-th (0: the oldest) on; each a copy (the slabs move on compaction). */
  *messages(owner: HistoryOwner, payloadBytes = Infinity, from = 0): Generator<StoredMessage> {
    let record = owner.head;
    for (let skipped = 0; skipped < from && record >= 0; skipped++) record = this.next[record];
    for (; record >= 0; record = this.next[record]) yield this.read(record, payloadBytes);
  }

  /** The topic's `index`-th kept message (0: the oldest). */
  messageAt(owner: HistoryOwner, index: number, payloadBytes = Infinity): StoredMessage | undefined {
    if (index < 0 || index >= owner.keptCount) return undefined;
    if (index === owner.keptCount - 1) return this.read(owner.tail, payloadBytes);
    let record = owner.head;
    for (let step = 0; step < index; step++) record = this.next[record];
    return this.read(record, payloadBytes);
  }

  last(owner: HistoryOwner, payloadBytes = Infinity): StoredMessage | undefined {
    return owner.tail >= 0 ? this.read(owner.tail, payloadBytes) : undefined;
  }

  /** The kept payload of the topic's newest message, as a view valid until the next change to the store. */
  lastPayloadView(owner: HistoryOwner): Uint8Array | undefined {
    if (owner.tail < 0) return undefined;
    return this.view(owner.tail);
  }

  private read(record: number, payloadBytes: number): StoredMessage {
    const flags = this.flags[record];
    const view = this.view(record);
    const message: StoredMessage = {
      // A copy in Node's pool: the caller may keep it while the store compacts.
      payload: Buffer.from(view.subarray(0, Math.min(view.length, payloadBytes))),
      size: this.size[record],
      truncated: (flags & FLAG_TRUNCATED) !== 0,
      keptBytes: view.length,
      qos: ((flags >> QOS_SHIFT) & 3) as 0 | 1 | 2,
      retain: (flags & FLAG_RETAIN) !== 0,
      receivedAt: this.time[record],
      properties: undefined,
    };
    const props = this.props[record];
    if (props >= 0) message.properties = this.propsTable[props]?.properties;
    return message;
  }

  private view(record: number): Uint8Array {
    const slab = this.slabs[this.slabOf[record]];
    if (!slab) throw new Error(`record ${record} has no slab`);
    const start = this.offset[record];
    return slab.bytes.subarray(start, start + this.length[record]);
  }

  private link(owner: HistoryOwner, record: number): void {
    if (owner.tail >= 0) this.next[owner.tail] = record;
    else owner.head = record;
    owner.tail = record;
    owner.keptCount++;
    if (owner.keptCount === 1) this.owners++;
  }

  private kill(record: number, owner: HistoryOwner): void {
    const bytes = this.length[record];
    owner.historyBytes -= bytes;
    this.liveRecords--;
    this.livePayloadBytes -= bytes;
    const slab = this.slabs[this.slabOf[record]];
    if (slab) {
      slab.live -= bytes;
      if (slab.live === 0 && this.slabOf[record] !== this.current) this.freeSlab(this.slabOf[record]);
    }
    const props = this.props[record];
    if (props >= 0) this.release(props);
    this.flags[record] = 0;
    this.owner[record] = undefined;
    this.skipDead();
  }

  private skipDead(): void {
    while (this.head < this.tail && (this.flags[this.head] & FLAG_LIVE) === 0) this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
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
   * Moves the live records to the front, in order, into arrays sized for twice as many; payloads
   * move to fresh slabs too when the slabs hold more dead bytes than live ones. Runs when the
   * arrays are full, so at least half of what it copies was appended since the last run.
   */
  private compact(): void {
    const capacity = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(Math.max(1, this.liveRecords) * 2)));
    const moved = new Int32Array(this.capacity).fill(-1);
    const offset = new Uint32Array(capacity);
    const length = new Uint32Array(capacity);
    const size = new Uint32Array(capacity);
    const slabOf = new Uint32Array(capacity);
    const time = new Float64Array(capacity);
    const next = new Int32Array(capacity);
    const props = new Int32Array(capacity);
    const flags = new Uint8Array(capacity);
    const owner = new Array<HistoryOwner | undefined>(capacity).fill(undefined);
    const repack = this.slabBytes > 2 * this.livePayloadBytes + 2 * SLAB_BYTES;
    const oldSlabs = this.slabs;
    if (repack) {
      this.slabs = [];
      this.current = -1;
      this.slabBytes = 0;
    }
    let to = 0;
    for (let from = this.head; from < this.tail; from++) {
      if ((this.flags[from] & FLAG_LIVE) === 0) continue;
      moved[from] = to;
      if (repack) {
        const slab = oldSlabs[this.slabOf[from]];
        if (!slab) throw new Error(`record ${from} has no slab`);
        const start = this.offset[from];
        const placed = this.place(slab.bytes.subarray(start, start + this.length[from]));
        slabOf[to] = placed.slab;
        offset[to] = placed.offset;
      } else {
        slabOf[to] = this.slabOf[from];
        offset[to] = this.offset[from];
      }
      length[to] = this.length[from];
      size[to] = this.size[from];
      time[to] = this.time[from];
      flags[to] = this.flags[from];
      props[to] = this.props[from];
      owner[to] = this.owner[from];
      to++;
    }
    // Chains and owners point at the new places.
    for (let from = this.head; from < this.tail; from++) {
      const at = moved[from];
      if (at < 0) continue;
      const after = this.next[from];
      next[at] = after >= 0 ? moved[after] : -1;
      const who = this.owner[from];
      if (who) {
        if (who.head === from) who.head = at;
        if (who.tail === from) who.tail = at;
      }
    }
    this.capacity = capacity;
    this.offset = offset;
    this.length = length;
    this.size = size;
    this.slabOf = slabOf;
    this.time = time;
    this.next = next;
    this.props = props;
    this.flags = flags;
    this.owner = owner;
    this.head = 0;
    this.tail = to;
  }
}
