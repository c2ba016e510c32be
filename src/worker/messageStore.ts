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

/** The fields of every record, one typed array each, indexed by record. */
class Records {
  readonly offset: Uint32Array;
  readonly length: Uint32Array;
  readonly size: Uint32Array;
  readonly slabOf: Uint32Array;
  readonly time: Float64Array;
  /** The topic's next (newer) record, -1 for its newest. */
  readonly next: Int32Array;
  readonly props: Int32Array;
  readonly flags: Uint8Array;
  readonly owner: (HistoryOwner | undefined)[];

  constructor(readonly capacity: number) {
    this.offset = new Uint32Array(capacity);
    this.length = new Uint32Array(capacity);
    this.size = new Uint32Array(capacity);
    this.slabOf = new Uint32Array(capacity);
    this.time = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.props = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.owner = new Array<HistoryOwner | undefined>(capacity).fill(undefined);
  }

  /** Record `to` becomes a copy of record `from` of `source`, not yet linked to a next one. */
  copy(to: number, source: Records, from: number): void {
    this.offset[to] = source.offset[from];
    this.length[to] = source.length[from];
    this.size[to] = source.size[from];
    this.slabOf[to] = source.slabOf[from];
    this.time[to] = source.time[from];
    this.flags[to] = source.flags[from];
    this.props[to] = source.props[from];
    this.owner[to] = source.owner[from];
    this.next[to] = -1;
  }
}

export class MessageStore {
  private records = new Records(MIN_CAPACITY);
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
    return this.records.capacity * RECORD_BYTES + this.slabBytes + this.propsBytes;
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
      const owner = this.records.owner[record];
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
    if (this.tail === this.records.capacity) this.compact();
    const record = this.tail++;
    const { slab, offset } = this.place(message.payload);
    this.records.slabOf[record] = slab;
    this.records.offset[record] = offset;
    this.records.length[record] = message.payload.length;
    this.records.size[record] = message.size;
    this.records.time[record] = message.receivedAt;
    this.records.flags[record] = FLAG_LIVE | (message.retain ? FLAG_RETAIN : 0) | (message.truncated ? FLAG_TRUNCATED : 0) | (message.qos << QOS_SHIFT);
    this.records.props[record] = message.properties ? this.intern(message.properties) : -1;
    this.records.next[record] = -1;
    this.records.owner[record] = owner;
    this.link(owner, record);
    this.liveRecords++;
    this.livePayloadBytes += message.payload.length;
    owner.historyBytes += message.payload.length;
  }

  /** Drops a topic's oldest message; returns its payload bytes as kept, -1 when it keeps none. */
  dropOldest(owner: HistoryOwner): number {
    const record = owner.head;
    if (record < 0) return -1;
    const bytes = this.records.length[record];
    owner.head = this.records.next[record];
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

  /** The record of the oldest kept message of all, the one every eviction looks at first; -1 when none is kept. */
  private oldestRecord(): number {
    this.skipDead();
    return this.head < this.tail ? this.head : -1;
  }

  /**
   * Moves a topic's only message to the end of the arrival order (its time stays): eviction keeps
   * last values before history and passes over it until only last values are left.
   */
  private requeue(owner: HistoryOwner): void {
    if (owner.keptCount !== 1) throw new Error('only a last value is requeued');
    if (this.tail === this.records.capacity) this.compact();
    const from = owner.head;
    const to = this.tail++;
    this.records.copy(to, this.records, from);
    this.records.flags[from] = 0;
    this.records.owner[from] = undefined;
    owner.head = owner.tail = to;
  }

  /** The topic's kept messages from the `from`-th (0: the oldest) on; each a copy (the slabs move on compaction). */
  *messages(owner: HistoryOwner, payloadBytes = Infinity, from = 0): Generator<StoredMessage> {
    let record = owner.head;
    for (let skipped = 0; skipped < from && record >= 0; skipped++) record = this.records.next[record];
    for (; record >= 0; record = this.records.next[record]) yield this.read(record, payloadBytes);
  }

  last(owner: HistoryOwner, payloadBytes = Infinity): StoredMessage | undefined {
    return owner.tail >= 0 ? this.read(owner.tail, payloadBytes) : undefined;
  }

  private read(record: number, payloadBytes: number): StoredMessage {
    const flags = this.records.flags[record];
    const view = this.view(record);
    const message: StoredMessage = {
      // A copy in Node's pool: the caller may keep it while the store compacts.
      payload: Buffer.from(view.subarray(0, Math.min(view.length, payloadBytes))),
      size: this.records.size[record],
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

  private link(owner: HistoryOwner, record: number): void {
    if (owner.tail >= 0) this.records.next[owner.tail] = record;
    else owner.head = record;
    owner.tail = record;
    owner.keptCount++;
    if (owner.keptCount === 1) this.owners++;
  }

  private kill(record: number, owner: HistoryOwner): void {
    const bytes = this.records.length[record];
    owner.historyBytes -= bytes;
    this.liveRecords--;
    this.livePayloadBytes -= bytes;
    const slab = this.slabs[this.records.slabOf[record]];
    if (slab) {
      slab.live -= bytes;
      if (slab.live === 0 && this.records.slabOf[record] !== this.current) this.freeSlab(this.records.slabOf[record]);
    }
    const props = this.records.props[record];
    if (props >= 0) this.release(props);
    this.records.flags[record] = 0;
    this.records.owner[record] = undefined;
    this.skipDead();
  }

  private skipDead(): void {
    while (this.head < this.tail && (this.records.flags[this.head] & FLAG_LIVE) === 0) this.head++;
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
    const old = this.records;
    const records = new Records(Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(Math.max(1, this.liveRecords) * 2))));
    const moved = new Int32Array(old.capacity).fill(-1);
    const repack = this.slabBytes > 2 * this.livePayloadBytes + 2 * SLAB_BYTES;
    const oldSlabs = this.slabs;
    if (repack) {
      this.slabs = [];
      this.current = -1;
      this.slabBytes = 0;
    }
    let to = 0;
    for (let from = this.head; from < this.tail; from++) {
      if ((old.flags[from] & FLAG_LIVE) === 0) continue;
      moved[from] = to;
      records.copy(to, old, from);
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
    // Chains and owners point at the new places.
    for (let from = this.head; from < this.tail; from++) {
      const at = moved[from];
      if (at < 0) continue;
      const after = old.next[from];
      records.next[at] = after >= 0 ? moved[after] : -1;
      const who = old.owner[from];
      if (who) {
        if (who.head === from) who.head = at;
        if (who.tail === from) who.tail = at;
      }
    }
    this.records = records;
    this.head = 0;
    this.tail = to;
  }
}
