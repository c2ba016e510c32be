import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodeCbor } from 'cbor2';
import mqtt from 'mqtt';
import * as protobuf from 'protobufjs';
import * as sparkplugPayload from 'sparkplug-payload';
import * as tahuProto from 'sparkplug-payload/lib/sparkplugPayloadProto';
import { cborReading, protobufReading } from '../../src/devtools/encodedDevices';
import { LocalBroker } from '../../src/devtools/localBroker';
import { DeviceSimulator } from '../../src/devtools/simulator';
import { DEVICE_METRICS, NODE_METRICS, SparkplugEdgeNode, type SimulatedMetric } from '../../src/devtools/sparkplugEdgeNode';
import { bindingFor, readDecoderBindings } from '../../src/shared/decoderBindings';
import { formatJson } from '../../src/shared/json';
import { buildDecoderSchemas, decodePayload } from '../../src/worker/decoders/index';
import { DataType, dataTypeName, encodeSparkplugPayload, parseSparkplugTopic, rebirthRequest, SparkplugState } from '../../src/worker/decoders/sparkplug';
import { writePlayground } from '../../tools/workbench/playground';

/** Eclipse Tahu's JavaScript implementation, the reference decoder (tests only). */
const tahu = sparkplugPayload.get('spBv1.0')!;
type TahuPayload = ReturnType<typeof tahu.decodePayload>;
type TahuMetric = NonNullable<TahuPayload['metrics']>[number];
/** Tahu's protobufjs classes, for what its decodePayload leaves out (which fields are on the wire). */
const RawPayload = tahuProto.org.eclipse.tahu.protobuf.Payload;

const has = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
/** A Tahu 64-bit value (long.js Long, or a number) as a number. */
const num = (value: unknown) => (typeof value === 'number' ? value : Number(String(value)));

interface Received {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** Every message a real MQTT.js client receives, in order, and a bounded wait for the next that fits. */
class Recorder {
  readonly messages: Received[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(client: mqtt.MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, qos: packet.qos, retain: packet.retain });
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  /** The index of the first message at or after `from` that satisfies `test`. */
  next(test: (message: Received) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve, reject) => {
      let checked = from;
      const check = () => {
        for (; checked < this.messages.length; checked++) {
          if (!test(this.messages[checked])) continue;
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(checked);
          return;
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

const GROUP = 'Plant1';
const NODE = 'Edge1';
const topicOf = (type: string, device?: string) => `spBv1.0/${GROUP}/${type}/${NODE}${device ? `/${device}` : ''}`;
const isType = (type: string) => (message: Received) => {
  const reading = parseSparkplugTopic(message.topic);
  return reading.ok && reading.topic.type === type;
};

/** The value a simulated metric had at a metric timestamp, as its datatype carries it on the wire. */
function expected(metric: SimulatedMetric, timestamp: number, startedAt: number): number | boolean | string {
  const value = metric.at((timestamp - startedAt) / 1000);
  return metric.datatype === DataType.Float ? Math.fround(Number(value)) : value;
}

/** A metric value read from the raw Tahu message by the datatype its birth gave. */
function rawValue(metric: tahuProto.org.eclipse.tahu.protobuf.Payload.IMetric, datatype: number): number | boolean | string {
  switch (datatype) {
    case DataType.Int32:
      return metric.intValue! | 0;
    case DataType.Int64:
      return num(metric.longValue);
    case DataType.Float:
      return metric.floatValue!;
    case DataType.Double:
      return metric.doubleValue!;
    case DataType.Boolean:
      return metric.booleanValue!;
    case DataType.String:
      return metric.stringValue!;
    default:
      throw new Error(`unexpected datatype ${datatype}`);
  }
}

/** A Tahu metric's value as a plain value (its Int64 comes as a Long). */
const tahuValue = (metric: TahuMetric) => (metric.type === 'Int64' ? num(metric.value) : metric.value);

describe('Device simulator: the Sparkplug B edge node', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let observer: mqtt.MqttClient;
  let recorder: Recorder;
  const edges: SparkplugEdgeNode[] = [];
  const servers: Server[] = [];

  beforeEach(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    observer = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    recorder = new Recorder(observer);
    // QoS 1: a message published at QoS 1 (the will) arrives at QoS 1.
    await observer.subscribeAsync('spBv1.0/#', { qos: 1 });
  });

  afterEach(async () => {
    await Promise.all(edges.splice(0).map((edge) => edge.stop()));
    for (const server of servers.splice(0)) server.close();
    await observer.endAsync(true);
    await broker.stop();
  });

  function edgeNode(options: { intervalMs?: number; url?: string; reconnectPeriod?: number } = {}): SparkplugEdgeNode {
    const edge = new SparkplugEdgeNode({ brokerUrl: options.url ?? broker.url, intervalMs: options.intervalMs ?? 1000, reconnectPeriod: options.reconnectPeriod });
    edges.push(edge);
    return edge;
  }

  /** The index of the NBIRTH at or after `from`, and of the two DBIRTHs that follow it. */
  async function births(from = 0): Promise<{ nbirth: number; pump: number; tank: number }> {
    const nbirth = await recorder.next(isType('NBIRTH'), 'an NBIRTH', from);
    const pump = await recorder.next((m) => m.topic === topicOf('DBIRTH', 'Pump1'), 'the DBIRTH of Pump1', nbirth);
    const tank = await recorder.next((m) => m.topic === topicOf('DBIRTH', 'Tank1'), 'the DBIRTH of Tank1', nbirth);
    return { nbirth, pump, tank };
  }

  function checkBirthMetrics(metrics: TahuMetric[], specs: readonly SimulatedMetric[], startedAt: number): void {
    for (const spec of specs) {
      const metric = metrics.find((each) => each.name === spec.name);
      assert.ok(metric, `${spec.name} is in the birth`);
      assert.equal(num(metric.alias), spec.alias, `${spec.name}'s alias`);
      assert.equal(metric.type, dataTypeName(spec.datatype), `${spec.name}'s datatype`);
      assert.ok(num(metric.timestamp) >= startedAt, `${spec.name} is timestamped`);
      assert.equal(tahuValue(metric), expected(spec, num(metric.timestamp), startedAt), `${spec.name}'s value`);
      if (spec.eng) {
        const properties = metric.properties ?? {};
        assert.deepEqual(
          { unit: properties.engUnit?.value, low: properties.engLow?.value, high: properties.engHigh?.value },
          { unit: spec.eng.unit, low: spec.eng.low, high: spec.eng.high },
          `${spec.name}'s engineering units`,
        );
        assert.equal(properties.engUnit?.type, 'String');
      }
    }
  }

  it('births: NBIRTH (seq 0, bdSeq, Node Control/Rebirth false, typed metrics with aliases), then a DBIRTH per device with units; Tahu decodes them', async () => {
    const edge = edgeNode();
    await edge.start();
    const { nbirth, pump, tank } = await births();
    assert.deepEqual([pump, tank], [nbirth + 1, nbirth + 2], 'the DBIRTHs follow the NBIRTH at once');

    const node = tahu.decodePayload(recorder.messages[nbirth].payload);
    assert.equal(num(node.seq), 0);
    assert.ok(num(node.timestamp) >= edge.startedAt);
    const metrics = node.metrics ?? [];
    const bdSeq = metrics.find((metric) => metric.name === 'bdSeq');
    assert.ok(bdSeq);
    assert.equal(bdSeq.type, 'Int64');
    assert.equal(num(bdSeq.value), 0);
    const rebirth = metrics.find((metric) => metric.name === 'Node Control/Rebirth');
    assert.ok(rebirth);
    assert.deepEqual([rebirth.type, rebirth.value, rebirth.alias], ['Boolean', false, undefined], 'the rebirth metric has no alias (the host names it)');
    assert.deepEqual(new Set(NODE_METRICS.map((metric) => metric.datatype)), new Set([DataType.Int64, DataType.Float, DataType.String]));
    checkBirthMetrics(metrics, NODE_METRICS, edge.startedAt);

    for (const [index, device, seq] of [[pump, 'Pump1', 1], [tank, 'Tank1', 2]] as const) {
      const birth = tahu.decodePayload(recorder.messages[index].payload);
      assert.equal(num(birth.seq), seq, `${device}'s DBIRTH seq`);
      assert.ok(num(birth.timestamp) >= edge.startedAt);
      assert.equal(birth.metrics?.length, DEVICE_METRICS[device].length);
      checkBirthMetrics(birth.metrics ?? [], DEVICE_METRICS[device], edge.startedAt);
    }
    const aliases = [...NODE_METRICS, ...Object.values(DEVICE_METRICS).flat()].map((metric) => metric.alias);
    assert.equal(new Set(aliases).size, aliases.length, "aliases are unique across the edge node's metrics");
    for (const message of recorder.messages.slice(nbirth, tank + 1)) assert.deepEqual([message.qos, message.retain], [0, false], `${message.topic}: QoS 0, not retained`);
  });

  it('NDATA and DDATA carry aliases only, timestamped, with the drifting values; seq goes up by one and wraps after 255; the explorer names them with no flag', async () => {
    // Fast rounds, so seq wraps within the test (the simulator sends one round a second).
    const edge = edgeNode({ intervalMs: 5 });
    await edge.start();
    const { nbirth } = await births();
    const wrapped = await recorder.next((m) => m.topic.includes('DATA') && num(tahu.decodePayload(m.payload).seq) === 0, 'a DATA message with seq 0 (the wrap)', nbirth + 1, 15_000);
    const session = recorder.messages.slice(nbirth, wrapped + 3);
    assert.ok(session.length > 256);

    const state = new SparkplugState();
    let previous = -1;
    const byAlias = new Map<number, SimulatedMetric>();
    for (const spec of [...NODE_METRICS, ...Object.values(DEVICE_METRICS).flat()]) byAlias.set(spec.alias, spec);
    const seen = new Set<string>();
    const aliasesSeen = new Set<number>();
    for (const message of session) {
      const decoded = tahu.decodePayload(message.payload);
      const seq = num(decoded.seq);
      if (previous >= 0) assert.equal(seq, (previous + 1) % 256, `${message.topic}: seq after ${previous}`);
      previous = seq;
      const explorer = state.decode(message.topic, message.payload);
      assert.ok(explorer.ok, `the explorer decodes ${message.topic}`);
      assert.equal(explorer.notes, undefined, `${message.topic} seq ${seq}: ${explorer.notes?.join('; ')}`);
      if (!message.topic.includes('DATA')) continue;
      seen.add(message.topic);
      const raw = RawPayload.decode(message.payload);
      assert.ok(raw.metrics.length > 0);
      for (const [index, metric] of (decoded.metrics ?? []).entries()) {
        assert.equal(metric.name, undefined, `${message.topic}: no name, alias ${num(metric.alias)}`);
        const spec = byAlias.get(num(metric.alias));
        assert.ok(spec, `alias ${num(metric.alias)} is one of the births'`);
        aliasesSeen.add(spec.alias);
        assert.ok(!has(raw.metrics[index], 'datatype'), 'no datatype in DATA (the birth has it)');
        assert.ok(has(raw.metrics[index], 'timestamp'), 'every metric is timestamped');
        const owner = message.topic.endsWith(NODE) ? NODE_METRICS : DEVICE_METRICS[message.topic.split('/').pop() ?? ''];
        assert.ok(owner.includes(spec), `alias ${spec.alias} belongs to ${message.topic}`);
        assert.equal(rawValue(raw.metrics[index], spec.datatype), expected(spec, num(raw.metrics[index].timestamp), edge.startedAt), `${spec.name}'s value`);
        if (index === 0) {
          // What the explorer shows: the alias named by its birth.
          assert.match(formatJson(explorer.value), new RegExp(`"name": "${spec.name}"`));
        }
      }
    }
    assert.deepEqual([...seen].sort(), [topicOf('DDATA', 'Pump1'), topicOf('DDATA', 'Tank1'), topicOf('NDATA')].sort(), 'NDATA and both DDATA are in the session');
    assert.equal(state.nodeStatus(GROUP, NODE)?.flagCount, 0);
    // The numbers that drift all the time are reported (the others when they change).
    const drifting = Object.values(DEVICE_METRICS).flat().filter((metric) => metric.datatype !== DataType.Boolean && metric.datatype !== DataType.String);
    assert.deepEqual(drifting.filter((metric) => !aliasesSeen.has(metric.alias)).map((metric) => metric.name), []);
  });

  it('an NCMD Node Control/Rebirth = true gets a new NBIRTH (same bdSeq, seq 0) and the DBIRTHs', async () => {
    const edge = edgeNode({ intervalMs: 20 });
    await edge.start();
    const first = await births();
    const dataBefore = await recorder.next(isType('DDATA'), 'DDATA', first.tank);
    const request = rebirthRequest(GROUP, NODE);
    assert.ok(request.ok);
    // Rebirth = false, and a payload that is not Sparkplug, change nothing.
    const noRebirth = encodeSparkplugPayload('{"metrics": [{"name": "Node Control/Rebirth", "datatype": "Boolean", "value": false}]}');
    assert.ok(noRebirth.ok);
    await observer.publishAsync(topicOf('NCMD'), Buffer.from(noRebirth.bytes));
    await observer.publishAsync(topicOf('NCMD'), 'not a Sparkplug payload');
    await observer.publishAsync(request.topic, Buffer.from(request.bytes));
    const again = await births(dataBefore + 1);
    const rebirths = recorder.messages.slice(first.nbirth + 1).filter(isType('NBIRTH'));
    assert.equal(rebirths.length, 1, 'one request, one rebirth');
    assert.deepEqual([again.pump, again.tank], [again.nbirth + 1, again.nbirth + 2]);
    const nbirth = tahu.decodePayload(recorder.messages[again.nbirth].payload);
    assert.equal(num(nbirth.seq), 0);
    assert.equal(num(nbirth.metrics?.find((metric) => metric.name === 'bdSeq')?.value), 0, 'same session, same bdSeq');
    assert.equal(num(tahu.decodePayload(recorder.messages[again.tank].payload).seq), 2);
    const after = await recorder.next(isType('DDATA'), 'DDATA after the rebirth', again.tank);
    assert.ok(num(tahu.decodePayload(recorder.messages[after].payload).seq) >= 3, 'DATA goes on from the births');
  });

  it('its will is an NDEATH (QoS 1, not retained, bdSeq only, no seq) with the NBIRTH\'s bdSeq; it comes back with the next bdSeq; stop publishes the NDEATH', async () => {
    // A TCP relay between the edge node and the broker: cutting it is a connection lost without DISCONNECT.
    const relayed = new Set<Socket>();
    const relay = createServer((socket) => {
      const upstream = tcpConnect(broker.port, '127.0.0.1');
      relayed.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const drop = () => (socket.destroy(), upstream.destroy());
      socket.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    servers.push(relay);
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const edge = edgeNode({ url: `mqtt://127.0.0.1:${(relay.address() as AddressInfo).port}`, reconnectPeriod: 200 });
    await edge.start();
    const first = await births();
    const birthBdSeq = num(tahu.decodePayload(recorder.messages[first.nbirth].payload).metrics?.find((metric) => metric.name === 'bdSeq')?.value);

    for (const socket of relayed) socket.destroy();
    const death = await recorder.next(isType('NDEATH'), 'the NDEATH will', first.tank);
    const message = recorder.messages[death];
    assert.equal(message.topic, topicOf('NDEATH'));
    assert.deepEqual([message.qos, message.retain], [1, false]);
    const payload = tahu.decodePayload(message.payload);
    assert.deepEqual(payload.metrics?.map((metric) => [metric.name, metric.type, num(metric.value)]), [['bdSeq', 'Int64', birthBdSeq]]);
    assert.ok(!has(RawPayload.decode(message.payload), 'seq'), 'an NDEATH has no seq');

    // MQTT.js reconnects through the relay: a new session, the next bdSeq, seq from 0.
    const second = await births(death);
    const reborn = tahu.decodePayload(recorder.messages[second.nbirth].payload);
    assert.equal(num(reborn.metrics?.find((metric) => metric.name === 'bdSeq')?.value), birthBdSeq + 1);
    assert.equal(num(reborn.seq), 0);
    assert.equal(edge.bdSeq, birthBdSeq + 1);

    // The new CONNECT registered a will with the new bdSeq.
    for (const socket of relayed) socket.destroy();
    const secondDeath = await recorder.next(isType('NDEATH'), 'the second NDEATH will', second.tank);
    assert.equal(num(tahu.decodePayload(recorder.messages[secondDeath].payload).metrics?.[0].value), birthBdSeq + 1);
    const third = await births(secondDeath);
    assert.equal(num(tahu.decodePayload(recorder.messages[third.nbirth].payload).metrics?.find((metric) => metric.name === 'bdSeq')?.value), birthBdSeq + 2);

    await edge.stop();
    const last = await recorder.next(isType('NDEATH'), 'the NDEATH of a stop', third.tank);
    assert.equal(num(tahu.decodePayload(recorder.messages[last].payload).metrics?.[0].value), birthBdSeq + 2);
  });
});

describe('Device simulator: the Protobuf and CBOR sensors, and the playground that binds them', function () {
  this.timeout(20_000);

  it('a real subscriber gets Protobuf that decodes with the playground\'s .proto file and binding, and CBOR that cbor2 decodes', async () => {
    const broker = new LocalBroker();
    await broker.start(0);
    const folder = mkdtempSync(join(tmpdir(), 'mqtt-playground-'));
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 1, messagesPerSecond: 1 });
    const observer = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      writePlayground(folder, broker.port);
      const settings = JSON.parse(readFileSync(join(folder, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(settings['mqttExplorer.simulator.autoStart'], true);
      const { bindings, errors } = readDecoderBindings(settings['mqttExplorer.decoders']);
      assert.deepEqual(errors, []);
      const { plan } = simulator;
      const protobufBinding = bindingFor(plan.protobufTopic, bindings);
      assert.equal(protobufBinding?.format, 'protobuf');
      assert.ok(protobufBinding.type && protobufBinding.schema);
      assert.equal(bindingFor(plan.cborTopic, bindings)?.format, 'cbor');
      assert.equal(bindingFor(`spBv1.0/${plan.sparkplug.group}/NBIRTH/${plan.sparkplug.node}`, bindings)?.format, 'sparkplug', 'Sparkplug needs no binding');
      const protoText = readFileSync(join(folder, ...protobufBinding.schema.split('/')), 'utf8');

      const recorder = new Recorder(observer);
      await observer.subscribeAsync([plan.protobufTopic, plan.cborTopic]);
      await simulator.start();
      const startedAt = Date.now();
      const protobufAt = await recorder.next((m) => m.topic === plan.protobufTopic, 'a Protobuf reading');
      const cborAt = await recorder.next((m) => m.topic === plan.cborTopic, 'a CBOR reading');

      const type = protobuf.parse(protoText, { keepCase: true }).root.lookupType(protobufBinding.type);
      const reading = type.toObject(type.decode(recorder.messages[protobufAt].payload), { longs: Number, enums: String, defaults: true });
      const sent = protobufReading(reading.seq as number, reading.timestamp_ms as number);
      assert.ok(Math.abs((reading.timestamp_ms as number) - startedAt) < 5000, 'timestamp_ms is now (int64)');
      assert.deepEqual(reading.location, sent.location, 'the nested message');
      assert.deepEqual(reading.vibration, sent.vibration, 'the repeated field');
      assert.equal(reading.temperature, sent.temperature, 'the double');
      assert.equal(reading.humidity, Math.fround(sent.humidity as number), 'the float');
      assert.match(reading.status as string, /^STATUS_(OK|WARNING)$/, 'the enum');
      assert.equal(reading.status, sent.status);
      assert.equal(reading.sensor_id, 'protobuf-sensor-01');
      // The engine's own decoder, as the panel will use it, with the same file and binding.
      const engine = decodePayload(recorder.messages[protobufAt].payload, { format: 'protobuf', type: protobufBinding.type, schema: protobufBinding.schema }, buildDecoderSchemas({ [protobufBinding.schema]: protoText }));
      assert.ok(engine.ok, engine.ok ? '' : engine.error);
      assert.match(formatJson(engine.value), /"sensor_id": "protobuf-sensor-01"/);

      const cbor = decodeCbor(recorder.messages[cborAt].payload) as Record<string, unknown>;
      const cborSent = cborReading(cbor.seq as number, (cbor.time as Date).getTime());
      assert.ok(cbor.time instanceof Date && Math.abs(cbor.time.getTime() - startedAt) < 5000, 'a date (tag 1)');
      assert.ok(cbor.firmware instanceof Uint8Array, 'a byte string');
      // cbor2 hands a byte string of a Buffer input over as a Buffer.
      assert.deepEqual({ ...cbor, firmware: new Uint8Array(cbor.firmware) }, cborSent);
      assert.equal(cbor.error, null);
    } finally {
      await simulator.stop();
      await observer.endAsync(true);
      await broker.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
