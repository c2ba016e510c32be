import { Emitter, type IDisposable } from '../../../shared/dispose';
import { tryParseJson, type JsonNode } from '../../../shared/json';
import type { DecodeLimits, DecodeResult } from '../types';
import { aliasList, DECODED_BY, decodeError, decodeSparkplugPayload, payloadToJson, readPayload, SPARKPLUG_LIMITS, type MetricDefinition } from './decode';
import { encodeSparkplugPayload, type SparkplugEncodeResult } from './encode';
import type { PbMetric, PbPayload } from './schema';
import { parseSparkplugTopic, type SparkplugTopic } from './topic';
import { toBigUint } from './values';

/**
 * What Sparkplug B's session rules say about a connection's edge nodes and devices, learnt from the
 * messages as they arrive: one SparkplugState per connection, in the engine worker.
 *
 * - NBIRTH/DBIRTH define the metrics of an edge node/device (name, alias, datatype, properties); DATA
 *   and CMD messages that carry aliases only are decoded with those names and datatypes.
 * - `seq` runs 0–255 and wraps, one counter per edge node across its NBIRTH, NDATA, DBIRTH, DDATA and
 *   DDEATH (NDEATH, NCMD and DCMD carry none); NBIRTH starts it. A jump is flagged.
 * - NBIRTH's `bdSeq` ties the session to its NDEATH (the MQTT will registered at connect).
 * - NDEATH marks the edge node and all its devices offline, DDEATH the device; a birth brings it back.
 *
 * Bounded: at most `caps.edgeNodes` edge nodes, `caps.devices` devices and `caps.metrics` metric
 * definitions per connection. Past a cap a message still decodes, without names from a birth, with a
 * note; `stats.untracked` counts what was left out. Names of groups, nodes and devices are Map keys,
 * never object properties (`__proto__` is a fine edge node id).
 */

export interface SparkplugCaps {
  edgeNodes: number;
  devices: number;
  metrics: number;
}
export const SPARKPLUG_CAPS: SparkplugCaps = { edgeNodes: 10_000, devices: 100_000, metrics: 100_000 };

/** Flags kept per edge node or device, newest last (older ones are dropped; `flagCount` keeps counting). */
export const FLAGS_KEPT = 10;

export interface SparkplugFlag {
  /** "seq gap: expected 12, got 14", "bdSeq mismatch: …", "alias 7 has no birth; request a rebirth". */
  message: string;
  /** When the message that raised it arrived (ms since the epoch). */
  at: number;
}

interface Tracked {
  /** true after a birth, false after a death, undefined before either was seen. */
  online: boolean | undefined;
  /** The birth's metrics, by alias (decimal text) and by name; undefined before a birth. */
  metrics?: { byAlias: Map<string, MetricDefinition>; byName: Map<string, MetricDefinition>; size: number };
  flags: SparkplugFlag[];
  flagCount: number;
  /** An unknown alias has been flagged since the last birth (flagged once, not per message). */
  aliasFlagged: boolean;
  lastMessageAt?: number;
}

interface DeviceState extends Tracked {
  device: string;
}

interface NodeState extends Tracked {
  group: string;
  node: string;
  /** The NBIRTH's bdSeq, decimal text. */
  bdSeq?: string;
  /** The seq the next N* or D* message should carry; undefined until one was seen (or after a death). */
  expectedSeq?: number;
  lastSeq?: number;
  devices: Map<string, DeviceState>;
}

export interface SparkplugStatus {
  /** true after a birth, false after a death, undefined when neither has been seen (joined mid-session). */
  online: boolean | undefined;
  /** Recent flags, newest last (at most FLAGS_KEPT). */
  flags: readonly SparkplugFlag[];
  /** Every flag raised, including those no longer kept. */
  flagCount: number;
  /** Metrics its birth defined (0 before a birth). */
  metrics: number;
  lastMessageAt?: number;
}

export interface EdgeNodeStatus extends SparkplugStatus {
  group: string;
  node: string;
  bdSeq?: string;
  /** The last seq an N* or D* message of this edge node carried. */
  lastSeq?: number;
  devices: number;
}

export interface DeviceStatus extends SparkplugStatus {
  group: string;
  node: string;
  device: string;
}

/** Something the views show changed for an edge node or a device: its presence, or a new flag. */
export interface SparkplugChange {
  group: string;
  node: string;
  device?: string;
  /** What changed: 'online'/'offline' its presence, 'flag' a new flag (in `flag`). */
  kind: 'online' | 'offline' | 'flag';
  flag?: string;
}

export interface SparkplugStats {
  edgeNodes: number;
  devices: number;
  metrics: number;
  /** Left out past the caps: messages of edge nodes and devices not tracked, birth metrics not kept. */
  untracked: { edgeNodeMessages: number; deviceMessages: number; metrics: number };
}

/** Types whose payload carries the edge node's seq. */
const SEQ_TYPES = new Set(['NBIRTH', 'DBIRTH', 'NDATA', 'DDATA', 'DDEATH']);

function presenceOf(tracked: Tracked): SparkplugStatus {
  return { online: tracked.online, flags: [...tracked.flags], flagCount: tracked.flagCount, metrics: tracked.metrics?.size ?? 0, lastMessageAt: tracked.lastMessageAt };
}

/** The value of the metric named `name` (bdSeq) as decimal text, from long_value or int_value. */
function metricInteger(payload: PbPayload, name: string): string | undefined {
  const metric = payload.metrics.find((item) => item.name === name);
  if (!metric) return undefined;
  if (Object.prototype.hasOwnProperty.call(metric, 'longValue')) return toBigUint(metric.longValue ?? 0).toString();
  if (Object.prototype.hasOwnProperty.call(metric, 'intValue')) return String((metric.intValue ?? 0) >>> 0);
  return undefined;
}

export class SparkplugState implements IDisposable {
  private readonly groups = new Map<string, Map<string, NodeState>>();
  /** The next seq to publish as, per group and edge node (see encode). */
  private readonly publishSeq = new Map<string, Map<string, number>>();
  private readonly hosts = new Map<string, { online: boolean | undefined; at: number }>();
  private readonly changed = new Emitter<SparkplugChange>();
  private readonly caps: SparkplugCaps;
  private readonly limits: DecodeLimits;
  private readonly now: () => number;
  private nodeCount = 0;
  private deviceCount = 0;
  private metricCount = 0;
  private readonly untracked = { edgeNodeMessages: 0, deviceMessages: 0, metrics: 0 };

  /** Fires, synchronously in decode(), when an edge node's or device's presence changes or it gets a new flag. */
  readonly onDidChange = this.changed.event;

  constructor(options: { caps?: Partial<SparkplugCaps>; limits?: DecodeLimits; now?: () => number } = {}) {
    this.caps = { ...SPARKPLUG_CAPS, ...options.caps };
    this.limits = options.limits ?? SPARKPLUG_LIMITS;
    this.now = options.now ?? Date.now;
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** Forgets everything (the connection's session is gone). */
  clear(): void {
    this.groups.clear();
    this.publishSeq.clear();
    this.hosts.clear();
    this.nodeCount = this.deviceCount = this.metricCount = 0;
    this.untracked.edgeNodeMessages = this.untracked.deviceMessages = this.untracked.metrics = 0;
  }

  get stats(): SparkplugStats {
    return { edgeNodes: this.nodeCount, devices: this.deviceCount, metrics: this.metricCount, untracked: { ...this.untracked } };
  }

  nodeStatus(group: string, node: string): EdgeNodeStatus | undefined {
    const state = this.groups.get(group)?.get(node);
    if (!state) return undefined;
    return { ...presenceOf(state), group, node, bdSeq: state.bdSeq, lastSeq: state.lastSeq, devices: state.devices.size };
  }

  deviceStatus(group: string, node: string, device: string): DeviceStatus | undefined {
    const state = this.groups.get(group)?.get(node)?.devices.get(device);
    return state && { ...presenceOf(state), group, node, device };
  }

  /**
   * The status a topic's row shows: for `spBv1.0/<group>/<any type>/<node>` the edge node's, for
   * `…/<node>/<device>` the device's; undefined for other topics and for what is not tracked.
   */
  statusOfTopic(topic: string): EdgeNodeStatus | DeviceStatus | undefined {
    const reading = parseSparkplugTopic(topic);
    if (!reading.ok || reading.topic.type === 'STATE') return undefined;
    const { group, node } = reading.topic;
    return 'device' in reading.topic ? this.deviceStatus(group, node, reading.topic.device) : this.nodeStatus(group, node);
  }

  /** Every tracked edge node (for a list or a summary). */
  *edgeNodes(): IterableIterator<EdgeNodeStatus> {
    for (const [group, nodes] of this.groups) for (const node of nodes.keys()) yield this.nodeStatus(group, node) as EdgeNodeStatus;
  }

  /** The metrics the last birth of an edge node (or of its device) defined, in birth order. */
  definitions(group: string, node: string, device?: string): MetricDefinition[] {
    const nodeState = this.groups.get(group)?.get(node);
    const tracked = device === undefined ? nodeState : nodeState?.devices.get(device);
    return tracked?.metrics ? [...tracked.metrics.byName.values()] : [];
  }

  /** A host application's last STATE (`spBv1.0/STATE/<host id>`): online, offline, or undefined when unreadable. */
  hostStatus(hostId: string): { online: boolean | undefined; at: number } | undefined {
    return this.hosts.get(hostId);
  }

  /**
   * Decodes a message of `topic` and learns from it. The notes carry what the session rules found
   * ("seq gap: expected 12, got 14", "alias 7 has no birth; request a rebirth", a bdSeq mismatch),
   * the same text as the flags the edge node or device keeps. A payload that is not Sparkplug changes
   * nothing (its seq is unknown: the next message shows the gap). One that is, but is too large to
   * show (past the limits' nodes or depth), still counts: its seq, birth (without properties) or death.
   */
  decode(topic: string, bytes: Uint8Array, receivedAt: number = this.now()): DecodeResult {
    return this.receive(topic, bytes, receivedAt).result;
  }

  /**
   * `decode`, with the notes that only this message's arrival can give apart (`session`: seq gaps,
   * bdSeq mismatches, deaths and data out of order, what the caps left out; not the alias notes a
   * later `view` makes again with the births known then), for a caller that keeps them with the
   * stored message.
   */
  receive(topic: string, bytes: Uint8Array, receivedAt: number = this.now()): { result: DecodeResult; session: string[] } {
    const none: string[] = [];
    const reading = parseSparkplugTopic(topic);
    if (!reading.ok) return { result: { ok: false, error: reading.reason }, session: none };
    if (reading.topic.type === 'STATE') {
      const { result, online } = this.readState(bytes);
      const { hostId } = reading.topic;
      if (this.hosts.has(hostId) || this.hosts.size < this.caps.edgeNodes) this.hosts.set(hostId, { online, at: receivedAt });
      else this.untracked.edgeNodeMessages++;
      return { result, session: none };
    }
    let payload: PbPayload;
    try {
      payload = readPayload(bytes, this.limits);
    } catch (error) {
      return { result: { ok: false, error: decodeError(error) }, session: none };
    }
    const notes: string[] = [];
    const target = this.track(reading.topic, notes);
    if (target) this.learn(reading.topic, target.node, target.device, payload, receivedAt, notes);
    // What names this message's aliases: the device's birth for D* topics, the edge node's for N* topics.
    const tracked = 'device' in reading.topic ? target?.device : target?.node;
    const birth = this.isBirth(reading.topic);
    const birthName = 'device' in reading.topic ? 'DBIRTH' : 'NBIRTH';
    try {
      const { value, notes: decodeNotes, unresolvedAliases } = payloadToJson(payload, {
        limits: this.limits,
        // A birth defines the names; it is not read with the previous one's.
        resolve: birth ? undefined : this.resolver(tracked),
        unresolvedNote: (aliases) => {
          const are = aliases.length === 1 ? 'is' : 'are';
          if (birth) return `${aliasList(aliases)} ${are} in the ${birthName} without a name`;
          return `${aliasList(aliases)} ${tracked?.metrics ? `${are} not in the ${birthName}` : `${aliases.length === 1 ? 'has' : 'have'} no birth`}; request a rebirth`;
        },
      });
      if (unresolvedAliases.length && tracked && target && !birth) {
        const [note] = decodeNotes;
        if (!tracked.aliasFlagged) {
          tracked.aliasFlagged = true;
          this.flag(target.node, target.device, note, receivedAt);
        }
      }
      if (birth && tracked) this.define(tracked, payload.metrics, value, notes);
      const session = [...notes];
      notes.push(...decodeNotes);
      return { result: notes.length ? { ok: true, value, decodedBy: DECODED_BY, notes } : { ok: true, value, decodedBy: DECODED_BY }, session };
    } catch (error) {
      if (birth && tracked) this.define(tracked, payload.metrics, undefined, notes);
      return { result: { ok: false, error: decodeError(error) }, session: notes };
    }
  }

  /**
   * Decodes a message again for a view (the panel's history, a preview) with the names the births
   * define now, learning nothing and flagging nothing: `decode` is for each message as it arrives,
   * once, in order; calling it again for a stored message would count its seq twice. A stored message
   * older than the last birth is named by that birth (aliases rarely change between sessions).
   * `limits`: a view's own bounds (the engine's views decode within DEFAULT_DECODE_LIMITS).
   */
  view(topic: string, bytes: Uint8Array, limits: DecodeLimits = this.limits): DecodeResult {
    const reading = parseSparkplugTopic(topic);
    if (!reading.ok) return { ok: false, error: reading.reason };
    if (reading.topic.type === 'STATE') return this.readState(bytes, limits).result;
    const nodeState = this.groups.get(reading.topic.group)?.get(reading.topic.node);
    const tracked = 'device' in reading.topic ? nodeState?.devices.get(reading.topic.device) : nodeState;
    const birthName = 'device' in reading.topic ? 'DBIRTH' : 'NBIRTH';
    const birth = this.isBirth(reading.topic);
    return decodeSparkplugPayload(bytes, {
      limits,
      resolve: birth ? undefined : this.resolver(tracked),
      unresolvedNote: (aliases) =>
        `${aliasList(aliases)} ${birth ? 'without a name in the birth' : tracked?.metrics ? `not in the ${birthName}` : 'with no birth'}`,
    });
  }

  /**
   * Encodes typed JSON for `topic` (see encode.ts for the shape). A metric without a datatype takes
   * its birth's. `seq`: a seq in the JSON is used as given; otherwise an NBIRTH gets 0 and NDATA,
   * DBIRTH, DDATA and DDEATH the next seq of this edge node as the user publishes it (one counter per
   * edge node, started by the NBIRTH published, or from the edge node's seq as observed when nothing
   * was published as it yet). NCMD, DCMD and NDEATH carry no seq unless the JSON gives one. The
   * counter moves on when the encode succeeds.
   */
  /** `check`: only whether it encodes (a form checking what is typed); the next seq is not taken. */
  encode(topic: string, json: string | JsonNode, options: { check?: boolean } = {}): SparkplugEncodeResult {
    const reading = parseSparkplugTopic(topic);
    if (!reading.ok) return { ok: false, error: reading.reason };
    if (reading.topic.type === 'STATE') return { ok: false, error: 'A STATE message is JSON ({"online": true, "timestamp": …}), not a Sparkplug B payload: publish it as JSON' };
    const { type, group, node } = reading.topic;
    const nodeState = this.groups.get(group)?.get(node);
    const tracked = 'device' in reading.topic ? nodeState?.devices.get(reading.topic.device) : nodeState;
    let seq: number | undefined;
    if (type === 'NBIRTH') seq = 0;
    else if (SEQ_TYPES.has(type)) seq = this.publishSeq.get(group)?.get(node) ?? nodeState?.expectedSeq ?? 0;
    const result = encodeSparkplugPayload(json, {
      seq,
      now: this.now,
      resolve: this.resolver(tracked),
    });
    if (result.ok && result.seq !== undefined && SEQ_TYPES.has(type) && !options.check) this.setPublishSeq(group, node, (result.seq + 1) % 256);
    return result;
  }

  /**
   * A message encoded with `{ check: true }` was published: its seq is taken, the next one follows it.
   * (Publishing encodes as a check first, so a publish that fails takes no seq and opens no gap.)
   */
  published(topic: string, seq: number | undefined): void {
    const reading = parseSparkplugTopic(topic);
    if (seq === undefined || !reading.ok || reading.topic.type === 'STATE' || !SEQ_TYPES.has(reading.topic.type)) return;
    this.setPublishSeq(reading.topic.group, reading.topic.node, (seq + 1) % 256);
  }

  /** Definitions by alias first, then by name, from a tracked edge node's or device's birth. */
  private resolver(tracked: Tracked | undefined): ((alias: string | undefined, name: string | undefined) => MetricDefinition | undefined) | undefined {
    const metrics = tracked?.metrics;
    if (!metrics) return undefined;
    return (alias, name) => (alias !== undefined ? metrics.byAlias.get(alias) : undefined) ?? (name !== undefined ? metrics.byName.get(name) : undefined);
  }

  private setPublishSeq(group: string, node: string, next: number): void {
    let nodes = this.publishSeq.get(group);
    if (!nodes) {
      if (this.publishSeq.size >= this.caps.edgeNodes) return;
      this.publishSeq.set(group, (nodes = new Map()));
    }
    if (nodes.has(node) || nodes.size < this.caps.edgeNodes) nodes.set(node, next);
  }

  private isBirth(topic: SparkplugTopic): boolean {
    return topic.type === 'NBIRTH' || topic.type === 'DBIRTH';
  }

  /** The tracked edge node (and device) of a topic, created within the caps; undefined (noted, counted) past them. */
  private track(topic: Exclude<SparkplugTopic, { type: 'STATE' }>, notes: string[]): { node: NodeState; device?: DeviceState } | undefined {
    let nodes = this.groups.get(topic.group);
    let node = nodes?.get(topic.node);
    if (!node) {
      if (this.nodeCount >= this.caps.edgeNodes) {
        this.untracked.edgeNodeMessages++;
        notes.push(`edge node not tracked: this connection tracks ${this.caps.edgeNodes} edge nodes already (no names from births, no seq or bdSeq checks)`);
        return undefined;
      }
      if (!nodes) this.groups.set(topic.group, (nodes = new Map()));
      node = { group: topic.group, node: topic.node, online: undefined, flags: [], flagCount: 0, aliasFlagged: false, devices: new Map() };
      nodes.set(topic.node, node);
      this.nodeCount++;
    }
    if (!('device' in topic)) return { node };
    let device = node.devices.get(topic.device);
    if (!device) {
      if (this.deviceCount >= this.caps.devices) {
        this.untracked.deviceMessages++;
        notes.push(`device not tracked: this connection tracks ${this.caps.devices} devices already (no names from births)`);
        return { node };
      }
      device = { device: topic.device, online: undefined, flags: [], flagCount: 0, aliasFlagged: false };
      node.devices.set(topic.device, device);
      this.deviceCount++;
    }
    return { node, device };
  }

  private flag(node: NodeState, device: DeviceState | undefined, message: string, at: number, notes?: string[]): void {
    const tracked = device ?? node;
    tracked.flags.push({ message, at });
    if (tracked.flags.length > FLAGS_KEPT) tracked.flags.shift();
    tracked.flagCount++;
    notes?.push(message);
    this.changed.fire({ group: node.group, node: node.node, device: device?.device, kind: 'flag', flag: message });
  }

  private setOnline(node: NodeState, device: DeviceState | undefined, online: boolean): void {
    const tracked = device ?? node;
    if (tracked.online === online) return;
    tracked.online = online;
    this.changed.fire({ group: node.group, node: node.node, device: device?.device, kind: online ? 'online' : 'offline' });
  }

  /** The session rules for one message: seq, births, deaths, bdSeq. */
  private learn(topic: Exclude<SparkplugTopic, { type: 'STATE' }>, node: NodeState, device: DeviceState | undefined, payload: PbPayload, at: number, notes: string[]): void {
    const { type } = topic;
    node.lastMessageAt = at;
    if (device) device.lastMessageAt = at;
    if (SEQ_TYPES.has(type)) this.checkSeq(node, device, type, payload, at, notes);
    switch (type) {
      case 'NBIRTH': {
        node.bdSeq = metricInteger(payload, 'bdSeq');
        if (node.bdSeq === undefined) this.flag(node, undefined, 'NBIRTH without a bdSeq metric', at, notes);
        this.setOnline(node, undefined, true);
        // A new session: the devices' births of the old one no longer hold; each comes back with its DBIRTH.
        for (const each of node.devices.values()) {
          this.forgetMetrics(each);
          this.setOnline(node, each, false);
        }
        return;
      }
      case 'NDEATH': {
        const bdSeq = metricInteger(payload, 'bdSeq');
        // The NDEATH is the MQTT will the edge node registered when it connected; its bdSeq names that
        // session. One whose bdSeq differs from the current NBIRTH's is a late will of an earlier
        // session (delivered after the node reconnected and was born again): the specification has a
        // host ignore it, and a user would not expect a live node to show offline. So it is flagged
        // and the node stays as it is. Without a known NBIRTH bdSeq (joined mid-session) or without a
        // bdSeq in the NDEATH there is nothing to match: the death counts.
        if (bdSeq !== undefined && node.bdSeq !== undefined && bdSeq !== node.bdSeq) {
          this.flag(node, undefined, `bdSeq mismatch: NDEATH has ${bdSeq}, the NBIRTH had ${node.bdSeq}; ignored as an earlier session's death`, at, notes);
          return;
        }
        if (bdSeq === undefined) this.flag(node, undefined, 'NDEATH without a bdSeq metric', at, notes);
        node.expectedSeq = undefined;
        this.setOnline(node, undefined, false);
        for (const each of node.devices.values()) this.setOnline(node, each, false);
        return;
      }
      case 'DBIRTH':
        if (device) this.setOnline(node, device, true);
        if (node.online === false) this.flag(node, device, 'DBIRTH from an offline edge node (its NDEATH came after its NBIRTH)', at, notes);
        return;
      case 'DDEATH':
        if (device) this.setOnline(node, device, false);
        return;
      case 'NDATA':
      case 'DDATA':
        if (node.online === false) this.flag(node, device, `${type} from an offline edge node (no NBIRTH since its NDEATH); request a rebirth`, at, notes);
        else if (device?.online === false) this.flag(node, device, 'DDATA from an offline device (no DBIRTH since its DDEATH); request a rebirth', at, notes);
        return;
      default: // NCMD, DCMD: commands from a host; nothing to learn.
        return;
    }
  }

  private checkSeq(node: NodeState, device: DeviceState | undefined, type: string, payload: PbPayload, at: number, notes: string[]): void {
    if (!Object.prototype.hasOwnProperty.call(payload, 'seq')) {
      this.flag(node, device, `${type} without a seq`, at, notes);
      return;
    }
    const wide = toBigUint(payload.seq ?? 0);
    if (wide > 255n) {
      this.flag(node, device, `seq ${wide} is out of range (0 to 255)`, at, notes);
      node.expectedSeq = undefined;
      return;
    }
    const seq = Number(wide);
    // NBIRTH starts the count; before any NBIRTH (joined mid-session) the first seq seen does.
    if (type !== 'NBIRTH' && node.expectedSeq !== undefined && seq !== node.expectedSeq) {
      this.flag(node, device, `seq gap: expected ${node.expectedSeq}, got ${seq}`, at, notes);
    }
    node.lastSeq = seq;
    node.expectedSeq = (seq + 1) % 256;
  }

  private forgetMetrics(tracked: Tracked): void {
    if (tracked.metrics) this.metricCount -= tracked.metrics.size;
    tracked.metrics = undefined;
    tracked.aliasFlagged = false;
  }

  /** A birth's metrics become the definitions of its edge node or device, within the metrics cap. */
  private define(tracked: Tracked, metrics: PbMetric[], value: JsonNode | undefined, notes: string[]): void {
    this.forgetMetrics(tracked);
    const table = { byAlias: new Map<string, MetricDefinition>(), byName: new Map<string, MetricDefinition>(), size: 0 };
    const nodes = value?.kind === 'object' ? value.entries.find(([key]) => key === 'metrics')?.[1] : undefined;
    const duplicates: string[] = [];
    let left = 0;
    metrics.forEach((metric, index) => {
      if (!Object.prototype.hasOwnProperty.call(metric, 'name') || metric.name === undefined) return;
      if (this.metricCount + table.size >= this.caps.metrics) {
        left++;
        return;
      }
      const alias = Object.prototype.hasOwnProperty.call(metric, 'alias') ? toBigUint(metric.alias ?? 0).toString() : undefined;
      const metricNode = nodes?.kind === 'array' ? nodes.items[index] : undefined;
      const properties = metricNode?.kind === 'object' ? metricNode.entries.find(([key]) => key === 'properties')?.[1] : undefined;
      const definition: MetricDefinition = { name: metric.name, alias, datatype: metric.datatype ?? 0, properties };
      if (alias !== undefined) {
        const other = table.byAlias.get(alias);
        if (other && other.name !== metric.name) duplicates.push(`alias ${alias} names both ${JSON.stringify(other.name)} and ${JSON.stringify(metric.name)}`);
        table.byAlias.set(alias, definition);
      }
      if (!table.byName.has(metric.name)) table.size++;
      table.byName.set(metric.name, definition);
    });
    tracked.metrics = table;
    this.metricCount += table.size;
    if (left) {
      this.untracked.metrics += left;
      notes.push(`${left} of the birth's metrics not tracked: this connection tracks at most ${this.caps.metrics} metrics (their aliases will not resolve)`);
    }
    if (duplicates.length) notes.push(`${duplicates.slice(0, 3).join('; ')}${duplicates.length > 3 ? ` (and ${duplicates.length - 3} more)` : ''}`);
  }

  /** `spBv1.0/STATE/<host id>`: JSON `{"online": true, "timestamp": …}` (3.0), or the text ONLINE/OFFLINE (earlier versions). */
  private readState(bytes: Uint8Array, limits: DecodeLimits = this.limits): { result: DecodeResult; online?: boolean } {
    if (bytes.length > limits.maxBytes) return { result: { ok: false, error: `Not decoded: ${bytes.length} bytes is more than the ${limits.maxBytes} decoded` } };
    const text = new TextDecoder().decode(bytes);
    const value = tryParseJson(text);
    let online: boolean | undefined;
    if (value?.kind === 'object') {
      const entry = value.entries.find(([key]) => key === 'online')?.[1];
      online = entry?.kind === 'literal' && entry.raw !== 'null' ? entry.raw === 'true' : undefined;
    } else if (/^\s*(ONLINE|OFFLINE)\s*$/.test(text)) online = text.trim() === 'ONLINE';
    if (value) return { online, result: { ok: true, value, decodedBy: 'Sparkplug B STATE (JSON)', ...(online === undefined ? { notes: ['STATE without an "online" true or false'] } : {}) } };
    if (online !== undefined) return { online, result: { ok: true, value: { kind: 'string', value: text.trim() }, decodedBy: 'Sparkplug B STATE (text, before 3.0)' } };
    return { result: { ok: false, error: 'Not decoded: a STATE payload is JSON ({"online": true, "timestamp": …}) or the text ONLINE/OFFLINE' } };
  }
}
