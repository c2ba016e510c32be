/**
 * The one way the engine reads a kept payload for a view: the Topics row's preview, the payload
 * filter, the chart's numeric fields and decoded history entries all go through a connection's
 * PayloadReader, so none of them can forget a topic's decoder. A topic with a binding (or under
 * `spBv1.0/`) is read as its decoded value; without one, or when the value does not decode, as the
 * raw payload, as before.
 *
 * Lazy: nothing here runs per received message. What a read costs is bounded by the caller: rows
 * shown (paced by the change tracker), filter answers (kept per node revision), a topic's kept
 * history per series request, the entries of a history request. Each decode stays within
 * DEFAULT_DECODE_LIMITS. The exception is Sparkplug B, which is stateful: `learn` sees every
 * message of a `spBv1.0/` topic as it arrives (the connection calls it; other topics never pay).
 */
import * as l10n from '@vscode/l10n';
import type { DecoderBinding } from '../shared/decoderBindings';
import { SNAPSHOT_SPARKPLUG_FLAGS, type DecodedText, type NodeSnapshot, type SparkplugRowStatus } from '../shared/engineProtocol';
import { oneLine, payloadAsText } from '../shared/format';
import { compactJson, formatJson, type JsonNode } from '../shared/json';
import { extractFields, jsonNodeLeaves, pathOf } from '../shared/series';
import type { IDisposable } from '../shared/dispose';
import { DEVICE_TYPES, NODE_TYPES, SPARKPLUG_CAPS, SparkplugState, type SparkplugCaps } from './decoders/sparkplug';
import type { DecodeResult } from './decoders/types';
import { FORMAT_NAMES, type DecoderState } from './decoding';
import { FILTER_PAYLOAD_BYTES, filterText } from './topicFilter';
import type { StoredMessage, TopicNode } from './topicTree';

/** Characters of a row's preview: the tree shows one line. */
export const PREVIEW_CHARS = 200;
/** A raw preview of PREVIEW_CHARS characters needs at most this many bytes of UTF-8. */
const PREVIEW_BYTES = PREVIEW_CHARS * 4;
/** A decode error in a snapshot is cut to this (it names types and files, which a workspace may make long). */
const MAX_ERROR_CHARS = 300;
/** Sparkplug B's per-connection caps in the engine: edge nodes, devices and birth metric definitions remembered. */
export const ENGINE_SPARKPLUG_CAPS: SparkplugCaps = { ...SPARKPLUG_CAPS };
/** Sparkplug B messages whose arrival raised notes (a seq gap…) that a view of them repeats: at most this many per connection, the oldest go. */
export const MAX_SESSION_NOTES = 4096;

/** A kept message by its topic's node and seq: where a decode may add what the message's arrival noted. */
export interface MessageAt {
  node: TopicNode;
  seq: number;
}

const SPARKPLUG_TYPES = new Set<string>([...NODE_TYPES, ...DEVICE_TYPES]);
const DEVICE_TYPE_SET = new Set<string>(DEVICE_TYPES);

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The entry of `key` in a decoded object, if it is one. */
function entryOf(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.kind === 'object' ? node.entries.find(([name]) => name === key)?.[1] : undefined;
}

/** A Sparkplug B metric's name, or "alias 7" when no birth named it. */
function metricName(metric: JsonNode): string | undefined {
  const name = entryOf(metric, 'name');
  if (name?.kind === 'string') return name.value;
  const alias = entryOf(metric, 'alias');
  return alias?.kind === 'number' ? `alias ${alias.raw}` : undefined;
}

/** The decoded Sparkplug B payload's metrics (undefined for what has none, such as a STATE). */
function metricsOf(value: JsonNode): JsonNode[] | undefined {
  const metrics = entryOf(value, 'metrics');
  return metrics?.kind === 'array' ? metrics.items : undefined;
}

/** What a row shows of a Sparkplug B payload: its metrics as `{"name": value, …}` (timestamps, aliases and types are in the panel). */
function sparkplugSummary(value: JsonNode): JsonNode {
  const metrics = metricsOf(value);
  if (!metrics) return value;
  const entries: [string, JsonNode][] = [];
  for (const metric of metrics) entries.push([metricName(metric) ?? '?', entryOf(metric, 'value') ?? { kind: 'literal', raw: 'null' }]);
  return { kind: 'object', entries };
}

/** A Sparkplug B payload's numeric metrics by name, as chart paths: `metrics.Temperature`, `metrics["Inputs/Temp 1"]`. */
function sparkplugFields(value: JsonNode): Map<string, number> {
  const metrics = metricsOf(value);
  if (!metrics) return jsonNodeLeaves(value);
  const fields = new Map<string, number>();
  for (const metric of metrics) {
    const name = metricName(metric);
    const item = entryOf(metric, 'value');
    if (name === undefined || !item) continue;
    if (item.kind === 'number') {
      const number = Number(item.raw);
      if (Number.isFinite(number)) fields.set(pathOf('metrics', name), number);
    } else if (item.kind === 'literal' && item.raw !== 'null') fields.set(pathOf('metrics', name), item.raw === 'true' ? 1 : 0);
  }
  return fields;
}

/** The edge node (and device) a topic's row stands for: `spBv1.0/<group>/<N or D type>/<node>[/<device>]`. */
function sparkplugTarget(topic: string): { group: string; node: string; device?: string } | undefined {
  if (!topic.startsWith('spBv1.0/')) return undefined;
  // At most 6 pieces: a topic can have 20,000 levels.
  const levels = topic.split('/', 6);
  if (levels.length !== 4 && levels.length !== 5) return undefined;
  const [, group, type, node, device] = levels;
  if (!group || !node || !SPARKPLUG_TYPES.has(type)) return undefined;
  // The 4-level row under a device type (spBv1.0/G/DDATA/E) is the edge node's level: its devices are below it.
  if (levels.length === 4) return { group, node };
  return DEVICE_TYPE_SET.has(type) && device ? { group, node, device } : undefined;
}

export class PayloadReader implements IDisposable {
  /** What the connection's Sparkplug B messages said: births, aliases, seq, deaths. */
  readonly sparkplug: SparkplugState;
  private readonly caps: SparkplugCaps;
  private sawSparkplug = false;
  /** By `${node key}:${seq}` (node keys are never reused), what a Sparkplug message's arrival noted: a view cannot find it again. */
  private readonly sessionNotes = new Map<string, string[]>();

  constructor(
    private readonly decoders: DecoderState,
    options: { sparkplugCaps?: Partial<SparkplugCaps> } = {},
  ) {
    this.caps = { ...ENGINE_SPARKPLUG_CAPS, ...options.sparkplugCaps };
    this.sparkplug = new SparkplugState({ caps: this.caps });
  }

  dispose(): void {
    this.sparkplug.dispose();
  }

  /**
   * A message of a `spBv1.0/` topic as it arrives, whole, in order, after `node` kept it: the Sparkplug
   * session rules learn from it, and what they noted of it is kept for the views of the stored message.
   */
  learn(topic: string, payload: Uint8Array, receivedAt: number, node: TopicNode): void {
    this.sawSparkplug = true;
    const { session } = this.sparkplug.receive(topic, payload, receivedAt);
    if (!session.length || !node.attached) return;
    this.sessionNotes.set(`${node.key}:${node.messageCount - 1}`, session);
    if (this.sessionNotes.size > MAX_SESSION_NOTES) this.sessionNotes.delete(this.sessionNotes.keys().next().value as string);
  }

  /** The connection's Sparkplug B counts, once it has seen a Sparkplug message. */
  get sparkplugStats(): SparkplugState['stats'] | undefined {
    return this.sawSparkplug ? this.sparkplug.stats : undefined;
  }

  bindingOf(topic: string): DecoderBinding | undefined {
    return this.decoders.bindingFor(topic);
  }

  /**
   * One kept message (read whole: `payloadBytes` Infinity) decoded with `binding`, by default the
   * topic's own; undefined when the topic has none. A payload the limits cut is not decoded.
   */
  decode(topic: string, message: StoredMessage, binding = this.bindingOf(topic), at?: MessageAt): DecodeResult | undefined {
    if (!binding) return undefined;
    if (message.truncated) return { ok: false, error: l10n.t('{0}: the payload was cut to {1} bytes by the limits: not decoded', FORMAT_NAMES[binding.format], message.keptBytes.toLocaleString('en-US')) };
    const result = this.decoders.decodeBytes(topic, message.payload, binding, this.sparkplug);
    // A Sparkplug message's seq gap or bdSeq mismatch was seen when it arrived; the view of it says so too.
    const session = binding.format === 'sparkplug' && at && result.ok ? this.sessionNotes.get(`${at.node.key}:${at.seq}`) : undefined;
    return session && result.ok ? { ...result, notes: [...session, ...(result.notes ?? [])] } : result;
  }

  /** What a Topics row shows of a node's last value: the decoded value on one line, or the raw payload's. */
  lastValue(node: TopicNode, topic: string): NodeSnapshot['last'] {
    const binding = this.bindingOf(topic);
    const last = binding ? node.last : node.lastMessage(PREVIEW_BYTES);
    if (!last) return undefined;
    const base = { size: last.size, qos: last.qos, retain: last.retain, receivedAt: last.receivedAt, truncated: last.truncated };
    const raw = () => oneLine(last.payload.subarray(0, PREVIEW_BYTES), PREVIEW_CHARS);
    // An empty payload (a retained message deleted) is shown as such, not as a decoded empty value.
    if (!binding || last.payload.length === 0) return { ...base, preview: raw() };
    const result = this.decode(topic, last, binding) as DecodeResult;
    if (!result.ok) return { ...base, preview: raw(), decodeError: cut(result.error, MAX_ERROR_CHARS) };
    const shown = binding.format === 'sparkplug' ? sparkplugSummary(result.value) : result.value;
    return { ...base, preview: compactJson(shown, PREVIEW_CHARS), decodedBy: result.decodedBy };
  }

  /** The text a payload filter searches: the decoded value as compact JSON, or the raw payload's text; undefined for none (binary, no value). */
  filterText(node: TopicNode): string | undefined {
    // Before the topic is built (a walk up the levels): a filter asks this of every node, levels without messages included.
    if (!node.hasMessages) return undefined;
    const topic = node.topic;
    const binding = this.bindingOf(topic);
    const last = binding ? node.last : node.lastMessage(FILTER_PAYLOAD_BYTES);
    if (!last) return undefined;
    const result = binding && last.payload.length ? this.decode(topic, last, binding) : undefined;
    if (result?.ok) return compactJson(result.value, FILTER_PAYLOAD_BYTES);
    return filterText(last.payload.subarray(0, FILTER_PAYLOAD_BYTES));
  }

  /** The numeric fields of a kept message (read whole) for the chart: of its decoded value, or of its JSON text. */
  fields(topic: string, message: StoredMessage, binding = this.bindingOf(topic)): Map<string, number> {
    const result = binding && message.payload.length ? this.decode(topic, message, binding) : undefined;
    if (result?.ok) return binding?.format === 'sparkplug' ? sparkplugFields(result.value) : jsonNodeLeaves(result.value);
    return extractFields(payloadAsText(message.payload));
  }

  /** A history entry's decoded text (message read whole); undefined when the topic has no binding. */
  decodedText(topic: string, message: StoredMessage, binding = this.bindingOf(topic), at?: MessageAt): DecodedText | undefined {
    const result = this.decode(topic, message, binding, at);
    if (!result) return undefined;
    if (!result.ok) return { error: result.error };
    return result.notes?.length ? { text: formatJson(result.value), decodedBy: result.decodedBy, notes: result.notes } : { text: formatJson(result.value), decodedBy: result.decodedBy };
  }

  /** The Sparkplug B status of a topic's row: the edge node's (or device's), or undefined for a topic that names none. */
  sparkplugRow(topic: string): SparkplugRowStatus | undefined {
    const target = sparkplugTarget(topic);
    if (!target) return undefined;
    const { group, node, device } = target;
    const status = device === undefined ? this.sparkplug.nodeStatus(group, node) : this.sparkplug.deviceStatus(group, node, device);
    const row: SparkplugRowStatus = device === undefined ? { group, node, flags: [], flagCount: 0 } : { group, node, device, flags: [], flagCount: 0 };
    if (!status) {
      // Every message under spBv1.0/ reaches the state: one it does not know was left out by the caps (or never decoded).
      const stats = this.sparkplug.stats;
      if (device === undefined ? stats.edgeNodes >= this.caps.edgeNodes : stats.devices >= this.caps.devices) row.untracked = true;
      return row;
    }
    if (status.online !== undefined) row.online = status.online;
    row.flags = status.flags.slice(-SNAPSHOT_SPARKPLUG_FLAGS).map((flag) => flag.message);
    row.flagCount = status.flagCount;
    for (let index = status.flags.length - 1; index >= 0 && row.seqGap === undefined; index--) if (status.flags[index].message.startsWith('seq gap')) row.seqGap = status.flags[index].message;
    return row;
  }
}
