import mqtt, { type MqttClient } from 'mqtt';
import { CBOR_SENSOR_TOPIC, encodeCborReading, encodeProtobufReading, PROTOBUF_SENSOR_TOPIC } from './encodedDevices';
import { SparkplugEdgeNode, SPARKPLUG_EDGE_PLAN, type SparkplugEdgePlan } from './sparkplugEdgeNode';

/** One simulated device: where it publishes and what kind of telemetry it sends. */
export interface SimulatedDevice {
  id: string;
  kind: 'thermostat' | 'power-meter' | 'air-quality';
  telemetryTopic: string;
  statusTopic: string;
  /** Thermostats only: `{"setpoint": 22}` here sets the setpoint, and a telemetry message with it follows at once. */
  commandTopic?: string;
}

/** The filter the simulator subscribes to for its thermostats' commands. */
export const THERMOSTAT_COMMAND_FILTER = 'fleet/+/thermostat/+/set';
/** A thermostat's setpoint until a command changes it. */
export const DEFAULT_SETPOINT = 21.5;

export interface FleetPlan {
  devices: SimulatedDevice[];
  /** A gateway that sends a packed binary frame (not UTF-8 text). */
  binaryTopic: string;
  /** A gateway log line: plain text, not JSON. */
  textTopic: string;
  /** A sensor many levels down. */
  deepTopic: string;
  /** A topic whose levels are not ASCII. */
  unicodeTopic: string;
  /** A sensor sending Protobuf (`simulator.Reading`, encodedDevices.ts), one a second. */
  protobufTopic: string;
  /** A sensor sending CBOR, one a second. */
  cborTopic: string;
  /** A Sparkplug B edge node with its devices (sparkplugEdgeNode.ts), under spBv1.0/. */
  sparkplug: SparkplugEdgePlan;
}

const TICKS_PER_SECOND = 10;
const SITES = ['berlin', 'lisbon', 'osaka'];
const KINDS: SimulatedDevice['kind'][] = ['thermostat', 'power-meter', 'air-quality'];

/** The fleet is a pure function of its size, so tests know exactly which topics to expect. */
export function planFleet(deviceCount: number): FleetPlan {
  const devices: SimulatedDevice[] = [];
  for (let i = 0; i < deviceCount; i++) {
    const site = SITES[i % SITES.length];
    const kind = KINDS[Math.floor(i / SITES.length) % KINDS.length];
    const id = `${kind}-${String(i + 1).padStart(3, '0')}`;
    const base = `fleet/${site}/${kind}/${id}`;
    devices.push({ id, kind, telemetryTopic: `${base}/telemetry`, statusTopic: `${base}/status`, ...(kind === 'thermostat' ? { commandTopic: `${base}/set` } : {}) });
  }
  return {
    devices,
    binaryTopic: 'fleet/berlin/gateway/gw-01/frame',
    textTopic: 'fleet/berlin/gateway/gw-01/log',
    deepTopic: 'fleet/lisbon/campus/building-2/floor-3/room-301/desk-12/sensor/co2',
    unicodeTopic: 'fleet/osaka/キッチン/température/🌡',
    protobufTopic: PROTOBUF_SENSOR_TOPIC,
    cborTopic: CBOR_SENSOR_TOPIC,
    sparkplug: { ...SPARKPLUG_EDGE_PLAN, devices: [...SPARKPLUG_EDGE_PLAN.devices] },
  };
}

/** Telemetry shaped like what real devices of that kind send, drifting smoothly over time. */
export function telemetryFor(device: SimulatedDevice, index: number, seq: number, now: number, setpoint = DEFAULT_SETPOINT): Record<string, unknown> {
  const wave = Math.sin((seq + index * 7) / 10);
  const round = (value: number, digits = 2) => Number(value.toFixed(digits));
  const common = { ts: new Date(now).toISOString(), seq, rssi: -50 - ((index * 3) % 40) };
  switch (device.kind) {
    case 'thermostat':
      return { ...common, temperature: round(21 + wave * 2), setpoint, humidity: round(45 + wave * 5, 1), heating: wave < 0 };
    case 'power-meter':
      return { ...common, power: { watts: round(1200 + wave * 300, 1), voltage: round(230 + wave, 1) }, energyKwh: round(1000 + seq * 0.01, 3) };
    case 'air-quality':
      return { ...common, pm25: round(8 + Math.abs(wave) * 6, 1), co2: Math.round(600 + wave * 150), voc: [round(0.1 + Math.abs(wave) / 10, 3), round(0.2, 3)] };
  }
}

/** A little-endian frame: uint16 sequence, int16 temperature x100, float32 pressure, uint8 flags. */
export function binaryFrame(seq: number): Buffer {
  const frame = Buffer.alloc(9);
  frame.writeUInt16LE(seq & 0xffff, 0);
  frame.writeInt16LE(Math.round((20 + Math.sin(seq / 5)) * 100), 2);
  frame.writeFloatLE(1013.25 + Math.cos(seq / 7), 4);
  frame.writeUInt8(0x80 | (seq & 0x0f), 8);
  return frame;
}

export interface SimulatorOptions {
  brokerUrl: string;
  devices: number;
  /** Telemetry messages per second for each device. */
  messagesPerSecond: number;
  /** For a broker that requires them (the devtools worker fills in its own broker's). */
  credentials?: { username: string; password: string };
}

/**
 * Publishes the planned fleet to a broker through a real MQTT client: retained status topics once at
 * start, then telemetry for every device at the configured rate, spread evenly over time. Besides
 * (not counted in the configured rate): the gateway's frame and log line, the Protobuf and CBOR
 * sensors (one message a second each), and the Sparkplug B edge node on an MQTT connection of its
 * own (its will is its death certificate), about three messages a second.
 */
export class DeviceSimulator {
  readonly plan: FleetPlan;
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private sent = 0;
  private edge: SparkplugEdgeNode | undefined;
  /** Counts stop() calls: a start that sees it change stops itself. */
  private stops = 0;
  private starting = false;
  /** Thermostats' setpoints changed by a command, by device index. */
  private readonly setpoints = new Map<number, number>();

  constructor(private readonly options: SimulatorOptions) {
    this.plan = planFleet(options.devices);
  }

  get running(): boolean {
    return this.client !== undefined;
  }

  get messagesSent(): number {
    return this.sent + (this.edge?.messagesSent ?? 0);
  }

  async start(): Promise<void> {
    if (this.client || this.starting) return;
    this.starting = true;
    try {
      await this.startOnce(this.stops);
    } finally {
      this.starting = false;
    }
  }

  /** `stops`: stop() calls seen at the start; a stop() while starting ends what was made so far, and nothing more starts. */
  private async startOnce(stops: number): Promise<void> {
    const stopped = () => this.stops !== stops;
    const client = await mqtt.connectAsync(this.options.brokerUrl, {
      clientId: `mqtt-explorer-simulator-${process.pid}`,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
      ...this.options.credentials,
    });
    if (stopped()) {
      await client.endAsync();
      return;
    }
    this.client = client;
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    const { devices, textTopic, deepTopic, unicodeTopic } = this.plan;
    // The retained topics go at QoS 1, awaited: aedes 1.2 stores a retained QoS 0 message sent right
    // after CONNACK but does not forward it to current subscribers (seen in test; QoS 1 is forwarded).
    const retained: [string, string][] = devices.map((device, index) => [
      device.statusTopic,
      JSON.stringify({ online: true, firmware: `2.${index % 4}.${index % 7}`, bootedAt: new Date().toISOString() }),
    ]);
    retained.push([textTopic, 'gateway booted: 3 radios up, uplink ok'], [deepTopic, '612'], [unicodeTopic, JSON.stringify({ température: 19.5, unité: '°C' })]);
    try {
      await client.subscribeAsync(THERMOSTAT_COMMAND_FILTER, { qos: 1 });
      await Promise.all(retained.map(([topic, payload]) => client.publishAsync(topic, payload, { qos: 1, retain: true })));
    } catch (error) {
      if (stopped()) return; // stop() ended the client under these publishes
      throw error;
    }
    this.sent += retained.length;
    if (stopped()) return;
    const edge = new SparkplugEdgeNode({ brokerUrl: this.options.brokerUrl, credentials: this.options.credentials });
    try {
      await edge.start();
    } catch (error) {
      this.client = undefined;
      await client.endAsync();
      throw error;
    }
    if (stopped()) {
      // stop() ran meanwhile and ended the client; the edge node it could not see ends here.
      await edge.stop();
      return;
    }
    this.edge = edge;
    this.publishTick();
    // A tick every 100 ms publishes a slice of the fleet, so the load is smooth, not bursty.
    this.timer = setInterval(() => this.publishTick(), 1000 / TICKS_PER_SECOND);
  }

  private ticks = 0;
  private credit = 0;

  private publishTick(): void {
    const { devices, binaryTopic, textTopic, protobufTopic, cborTopic } = this.plan;
    const now = Date.now();
    // How many telemetry messages this tick owes, carrying fractions over to the next tick.
    this.credit += (devices.length * this.options.messagesPerSecond) / TICKS_PER_SECOND;
    while (this.credit >= 1) {
      this.credit -= 1;
      this.publishTelemetry(this.seq % devices.length, now);
    }
    // The gateway: a binary frame every second, a log line every five.
    if (this.ticks % TICKS_PER_SECOND === 0) this.publish(binaryTopic, binaryFrame(this.ticks), false);
    // The Protobuf and CBOR sensors: one reading a second each, between the gateway's frames.
    const second = Math.floor(this.ticks / TICKS_PER_SECOND);
    if (this.ticks % TICKS_PER_SECOND === 3) this.publish(protobufTopic, encodeProtobufReading(second, now), false);
    if (this.ticks % TICKS_PER_SECOND === 6) this.publish(cborTopic, encodeCborReading(second, now), false);
    if (this.ticks > 0 && this.ticks % (5 * TICKS_PER_SECOND) === 0) {
      this.publish(textTopic, `heartbeat ${new Date(now).toISOString()} uptime=${this.ticks / TICKS_PER_SECOND}s`, true);
    }
    this.ticks++;
  }

  private publishTelemetry(index: number, now: number): void {
    const device = this.plan.devices[index];
    this.publish(device.telemetryTopic, JSON.stringify(telemetryFor(device, index, this.seq, now, this.setpoints.get(index))), false);
    this.seq++;
  }

  /** `{"setpoint": n}` on a thermostat's command topic (n a finite number in 5..35) sets it; anything else is ignored. */
  private onCommand(topic: string, payload: Buffer): void {
    const index = this.plan.devices.findIndex((device) => device.commandTopic === topic);
    if (index < 0 || payload.length > 1024) return;
    let setpoint: unknown;
    try {
      setpoint = (JSON.parse(payload.toString('utf8')) as { setpoint?: unknown } | null)?.setpoint;
    } catch {
      return;
    }
    if (typeof setpoint !== 'number' || !Number.isFinite(setpoint) || setpoint < 5 || setpoint > 35) return;
    this.setpoints.set(index, setpoint);
    this.publishTelemetry(index, Date.now());
  }

  private publish(topic: string, payload: string | Buffer, retain: boolean): void {
    this.client?.publish(topic, payload, { qos: 0, retain });
    this.sent++;
  }

  async stop(): Promise<void> {
    this.stops++;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    const edge = this.edge;
    this.edge = undefined;
    await edge?.stop();
    this.sent += edge?.messagesSent ?? 0;
    if (client) await client.endAsync();
  }
}
