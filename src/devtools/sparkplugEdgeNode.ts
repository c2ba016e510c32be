import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { readPayload } from '../worker/decoders/sparkplug/decode';
import { REBIRTH_METRIC } from '../worker/decoders/sparkplug/encode';
import { DataType, PayloadType, type PbMetric, type PbPayload, type PbPropertySet } from '../worker/decoders/sparkplug/schema';
import { sparkplugTopic } from '../worker/decoders/sparkplug/topic';

/**
 * A simulated Sparkplug B edge node with two devices, for the device simulator: it follows the
 * session rules of the Sparkplug 3.0 specification so that a host (this explorer) has births,
 * aliases, seq and deaths to track.
 *
 * - CONNECT registers the NDEATH (bdSeq metric only, no seq) as the MQTT will, QoS 1, not retained;
 *   bdSeq starts at 0 and goes up by one (0–255) with every new CONNECT.
 * - Once connected it subscribes to its NCMD and DCMD topics, then publishes NBIRTH (seq 0, bdSeq,
 *   `Node Control/Rebirth` false, its metrics with names, aliases and datatypes) and a DBIRTH per
 *   device (with engineering units as properties).
 * - Then NDATA and DDATA with aliases only (no names, no datatypes), each metric timestamped, only
 *   what changed since it was last published (report by exception).
 * - `seq` is one counter per edge node over NBIRTH, DBIRTH, NDATA and DDATA: 0 at each NBIRTH, 255
 *   wraps to 0.
 * - An NCMD with `Node Control/Rebirth` true gets a fresh NBIRTH and DBIRTHs at once: same bdSeq (no
 *   new CONNECT), seq from 0.
 * - Stopping publishes the NDEATH before the DISCONNECT (a clean DISCONNECT discards the will).
 *
 * Bounded: the state is the metric table and one last value per alias.
 */

export interface SparkplugEdgePlan {
  group: string;
  node: string;
  devices: string[];
}

export const SPARKPLUG_EDGE_PLAN: Readonly<SparkplugEdgePlan> = Object.freeze({ group: 'Plant1', node: 'Edge1', devices: ['Pump1', 'Tank1'] });

type Value = number | boolean | string;
type SimpleType = DataType.Int32 | DataType.Int64 | DataType.Float | DataType.Double | DataType.Boolean | DataType.String;

export interface SimulatedMetric {
  name: string;
  alias: number;
  datatype: SimpleType;
  /** Engineering unit and range, sent as the birth's property set (engUnit, engLow, engHigh). */
  eng?: { unit: string; low: number; high: number };
  /** The value `t` seconds after the edge node started: pure, so a test can compute what to expect. */
  at(t: number): Value;
}

const wave = (t: number, periodSeconds: number, phase = 0) => Math.sin((2 * Math.PI * t) / periodSeconds + phase);
const round = (value: number, digits: number) => Number(value.toFixed(digits));
const tankLevel = (t: number) => round(60 + 30 * wave(t, 120), 2);

/** The edge node's own metrics (besides bdSeq and Node Control/Rebirth, which have no alias). */
export const NODE_METRICS: readonly SimulatedMetric[] = [
  { name: 'Node/Uptime', alias: 1, datatype: DataType.Int64, eng: { unit: 's', low: 0, high: 31_536_000 }, at: (t) => Math.floor(t) },
  { name: 'Node/CPU Temperature', alias: 2, datatype: DataType.Float, eng: { unit: '°C', low: 0, high: 100 }, at: (t) => round(48 + 6 * wave(t, 90), 1) },
  { name: 'Node/Mode', alias: 3, datatype: DataType.String, at: (t) => (Math.floor(t / 60) % 2 === 0 ? 'AUTO' : 'MANUAL') },
  { name: 'Node/Firmware', alias: 4, datatype: DataType.String, at: () => '3.2.1' },
];

/**
 * Each device's metrics. Aliases are unique across the whole edge node, as the specification asks.
 * The pump's pressure (0–10 bar) and flow (0–5000 l/h) are on very different scales.
 */
export const DEVICE_METRICS: Readonly<Record<string, readonly SimulatedMetric[]>> = {
  Pump1: [
    { name: 'Pressure', alias: 10, datatype: DataType.Double, eng: { unit: 'bar', low: 0, high: 10 }, at: (t) => round(5 + 3 * wave(t, 40), 3) },
    { name: 'Flow', alias: 11, datatype: DataType.Double, eng: { unit: 'l/h', low: 0, high: 5000 }, at: (t) => round(2500 + 2000 * wave(t, 40, 0.8), 1) },
    { name: 'Speed', alias: 12, datatype: DataType.Int32, eng: { unit: 'rpm', low: 0, high: 3000 }, at: (t) => Math.round(1450 + 300 * wave(t, 40, 0.4)) },
    // Stops for a short while every five minutes.
    { name: 'Running', alias: 13, datatype: DataType.Boolean, at: (t) => wave(t, 300) > -0.95 },
  ],
  Tank1: [
    { name: 'Level', alias: 20, datatype: DataType.Float, eng: { unit: '%', low: 0, high: 100 }, at: tankLevel },
    { name: 'Temperature', alias: 21, datatype: DataType.Double, eng: { unit: '°C', low: 0, high: 100 }, at: (t) => round(18 + 2 * wave(t, 200, 1), 2) },
    { name: 'Inlet Valve', alias: 22, datatype: DataType.String, at: (t) => (wave(t, 120, Math.PI / 2) >= 0 ? 'OPEN' : 'CLOSED') },
    { name: 'High Level Alarm', alias: 23, datatype: DataType.Boolean, at: (t) => tankLevel(t) > 85 },
  ],
};

/** Where a value goes in a Metric (Tahu's mapping): Int32 in int_value as 32 bits, Int64 in long_value. */
function valueFields(datatype: SimpleType, value: Value): Partial<PbMetric> {
  switch (datatype) {
    case DataType.Int32:
      return { intValue: Number(value) >>> 0 };
    case DataType.Int64:
      return { longValue: Number(value) };
    case DataType.Float:
      return { floatValue: Number(value) };
    case DataType.Double:
      return { doubleValue: Number(value) };
    case DataType.Boolean:
      return { booleanValue: Boolean(value) };
    case DataType.String:
      return { stringValue: String(value) };
  }
}

function engineeringUnits(eng: NonNullable<SimulatedMetric['eng']>): PbPropertySet {
  return {
    keys: ['engUnit', 'engLow', 'engHigh'],
    values: [
      { type: DataType.String, stringValue: eng.unit },
      { type: DataType.Double, doubleValue: eng.low },
      { type: DataType.Double, doubleValue: eng.high },
    ],
  };
}

function encode(payload: PbPayload): Buffer {
  const bytes = PayloadType.encode(payload).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The NDEATH payload: the bdSeq metric alone, no seq (it is registered long before it is sent). */
export function deathPayload(bdSeq: number): Buffer {
  return encode({ metrics: [{ name: 'bdSeq', datatype: DataType.Int64, longValue: bdSeq }] });
}

export interface SparkplugEdgeOptions {
  brokerUrl: string;
  credentials?: { username: string; password: string };
  /** Milliseconds between two rounds of NDATA and DDATA (default 1000). */
  intervalMs?: number;
  /** MQTT.js reconnectPeriod (default 2000 ms). */
  reconnectPeriod?: number;
  clientId?: string;
}

export class SparkplugEdgeNode {
  readonly plan: Readonly<SparkplugEdgePlan> = SPARKPLUG_EDGE_PLAN;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bdSeqValue = 0;
  private seq = 0;
  /** Births published on the current connection: DATA waits for them. */
  private born = false;
  /** The last value published per alias, for report by exception. */
  private readonly lastSent = new Map<number, Value>();
  private started = 0;
  private sent = 0;

  constructor(private readonly options: SparkplugEdgeOptions) {}

  /** When the node started (ms since the epoch): a metric's value is its `at((timestamp - startedAt) / 1000)`. */
  get startedAt(): number {
    return this.started;
  }

  /** The bdSeq of the current connection (its will and its NBIRTHs). */
  get bdSeq(): number {
    return this.bdSeqValue;
  }

  get messagesSent(): number {
    return this.sent;
  }

  private topic(type: 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD'): string;
  private topic(type: 'DBIRTH' | 'DDATA' | 'DCMD', device: string): string;
  private topic(type: 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD' | 'DBIRTH' | 'DDATA' | 'DCMD', device?: string): string {
    return sparkplugTopic(type, this.plan.group, this.plan.node, device);
  }

  private will(): NonNullable<IClientOptions['will']> {
    return { topic: this.topic('NDEATH'), payload: deathPayload(this.bdSeqValue), qos: 1, retain: false };
  }

  async start(): Promise<void> {
    if (this.client) return;
    this.started = Date.now();
    const client = await mqtt.connectAsync(this.options.brokerUrl, {
      clientId: this.options.clientId ?? `mqtt-explorer-simulator-${process.pid}-${this.plan.node}`,
      // Sparkplug edge nodes use a clean session; the subscriptions are made again on every connect.
      clean: true,
      resubscribe: false,
      reconnectPeriod: this.options.reconnectPeriod ?? 2000,
      connectTimeout: 5000,
      will: this.will(),
      ...this.options.credentials,
    });
    this.client = client;
    // A new CONNECT is a new session: the next bdSeq, in the will MQTT.js sends with it.
    client.on('reconnect', () => {
      this.bdSeqValue = (this.bdSeqValue + 1) % 256;
      client.options.will = this.will();
    });
    client.on('close', () => (this.born = false));
    client.on('connect', () => void this.announce(client).catch(() => undefined));
    client.on('message', (topic, payload) => this.command(topic, payload));
    await this.announce(client);
    this.timer = setInterval(() => this.publishData(), this.options.intervalMs ?? 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    this.born = false;
    if (!client) return;
    // A clean DISCONNECT discards the will, so the death is published first (MQTT 3.1.1).
    if (client.connected) this.publish(client, this.topic('NDEATH'), deathPayload(this.bdSeqValue));
    await client.endAsync();
  }

  /** Subscribes to the commands before the births, so a rebirth request right after them is heard. */
  private async announce(client: MqttClient): Promise<void> {
    await client.subscribeAsync([this.topic('NCMD'), this.topic('DCMD', '+')], { qos: 0 });
    if (client !== this.client || !client.connected) return;
    this.publishBirths(client);
  }

  private nextSeq(): number {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 256;
    return seq;
  }

  private publish(client: MqttClient, topic: string, payload: Buffer): void {
    client.publish(topic, payload, { qos: 0, retain: false });
    this.sent++;
  }

  private elapsed(now: number): number {
    return (now - this.started) / 1000;
  }

  private birthMetrics(metrics: readonly SimulatedMetric[], now: number): PbMetric[] {
    const t = this.elapsed(now);
    return metrics.map((metric) => {
      const value = metric.at(t);
      this.lastSent.set(metric.alias, value);
      const birth: PbMetric = { name: metric.name, alias: metric.alias, timestamp: now, datatype: metric.datatype, ...valueFields(metric.datatype, value) };
      if (metric.eng) birth.properties = engineeringUnits(metric.eng);
      return birth;
    });
  }

  /** NBIRTH then every DBIRTH, in one go: no DATA can come between them. */
  private publishBirths(client: MqttClient): void {
    const now = Date.now();
    this.seq = 0;
    const nodeMetrics: PbMetric[] = [
      { name: 'bdSeq', timestamp: now, datatype: DataType.Int64, longValue: this.bdSeqValue },
      { name: REBIRTH_METRIC, timestamp: now, datatype: DataType.Boolean, booleanValue: false },
      ...this.birthMetrics(NODE_METRICS, now),
    ];
    this.publish(client, this.topic('NBIRTH'), encode({ timestamp: now, seq: this.nextSeq(), metrics: nodeMetrics }));
    for (const device of this.plan.devices) {
      const metrics = this.birthMetrics(DEVICE_METRICS[device], now);
      this.publish(client, this.topic('DBIRTH', device), encode({ timestamp: now, seq: this.nextSeq(), metrics }));
    }
    this.born = true;
  }

  /** The metrics whose value changed since they were last published, by alias only. */
  private changed(metrics: readonly SimulatedMetric[], now: number): PbMetric[] {
    const t = this.elapsed(now);
    const out: PbMetric[] = [];
    for (const metric of metrics) {
      const value = metric.at(t);
      if (this.lastSent.get(metric.alias) === value) continue;
      this.lastSent.set(metric.alias, value);
      out.push({ alias: metric.alias, timestamp: now, ...valueFields(metric.datatype, value) });
    }
    return out;
  }

  private publishData(): void {
    const client = this.client;
    if (!client?.connected || !this.born) return;
    const now = Date.now();
    const nodeMetrics = this.changed(NODE_METRICS, now);
    if (nodeMetrics.length) this.publish(client, this.topic('NDATA'), encode({ timestamp: now, seq: this.nextSeq(), metrics: nodeMetrics }));
    for (const device of this.plan.devices) {
      const metrics = this.changed(DEVICE_METRICS[device], now);
      if (metrics.length) this.publish(client, this.topic('DDATA', device), encode({ timestamp: now, seq: this.nextSeq(), metrics }));
    }
  }

  /** NCMD `Node Control/Rebirth` = true: a fresh NBIRTH and DBIRTHs. Anything else is ignored. */
  private command(topic: string, bytes: Buffer): void {
    const client = this.client;
    if (!client || topic !== this.topic('NCMD')) return;
    let payload: PbPayload;
    try {
      payload = readPayload(bytes);
    } catch {
      return; // Not a Sparkplug payload: nothing to do.
    }
    if (payload.metrics.some((metric) => metric.name === REBIRTH_METRIC && metric.booleanValue === true)) this.publishBirths(client);
  }
}
