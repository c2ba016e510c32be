import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import * as protobuf from 'protobufjs';
import * as sparkplugPayload from 'sparkplug-payload';
import { EngineClient, type TopicChanges } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import { PREVIEW_DECODED_CHARS, type DecodedText, type EngineEvent, type EngineRequests, type HistoryEntry, type NodeSnapshot } from '../../src/shared/engineProtocol';
import { newProfile } from '../../src/shared/profile';
import { formatJson, parseJson } from '../../src/shared/json';
import { EngineCore } from '../../src/worker/engineCore';
import { connectSubscribed, nextChanges } from '../helpers/engine';
import { waitUntil } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

const SENSORS_PROTO = `syntax = "proto3";
package sensors;

message Reading {
  string id = 1;
  double celsius = 2;
  uint64 counter = 3;
  repeated sint64 samples = 4;
}
`;
const READING = protobuf.parse(SENSORS_PROTO, { keepCase: true }).root.lookupType('sensors.Reading');
const reading = (fields: Record<string, unknown>) => READING.encode(READING.fromObject(fields)).finish();
const BINDINGS = [{ topic: 'sensors/#', format: 'protobuf', type: 'sensors.Reading' }];
const FILES = { 'protos/sensors.proto': SENSORS_PROTO };

const tahu = sparkplugPayload.get('spBv1.0')!;
type TahuPayload = Parameters<typeof tahu.encodePayload>[0];
const spb = (payload: object) => tahu.encodePayload(payload as TahuPayload);
const nbirth = (bdSeq: number) =>
  spb({
    timestamp: 1,
    seq: 0,
    metrics: [
      { name: 'bdSeq', type: 'Int64', value: bdSeq },
      { name: 'Temperature', alias: 1, type: 'Double', value: 20.5 },
      { name: 'Running', alias: 2, type: 'Boolean', value: true },
    ],
  });
const ndeath = (bdSeq: number) => spb({ timestamp: 9, metrics: [{ name: 'bdSeq', type: 'Int64', value: bdSeq }] });
/** NDATA with aliases only (the names come from the NBIRTH). */
const ndata = (seq: number, temperature: number, running: boolean) =>
  spb({ timestamp: 2, seq, metrics: [{ alias: 1, type: 'Double', value: temperature }, { alias: 2, type: 'Boolean', value: running }] });

const pretty = (text: string) => formatJson(parseJson(text));

function decodedText(entry: HistoryEntry | undefined): Extract<DecodedText, { text: string }> {
  assert.ok(entry?.decoded, 'expected a decoded entry');
  assert.ok('text' in entry.decoded, 'error' in entry.decoded ? entry.decoded.error : '');
  return entry.decoded;
}

describe('The engine reads decoded payloads everywhere (a real worker thread, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let engine: EngineClient;
  let publisher: mqtt.MqttClient;
  const connectionId = 'views';

  /** Publishes and resolves with the change report that counts the message (the engine has it). */
  async function publish(topic: string, payload: Uint8Array | string, predicate: (changes: TopicChanges) => boolean = () => true): Promise<TopicChanges> {
    const { received } = await engine.request('stats', { connectionId });
    const arrived = nextChanges(engine, (changes) => changes.connectionId === connectionId && changes.stats.received > received && predicate(changes), 5000, `the message on ${topic}`);
    await publisher.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1 });
    return arrived;
  }

  const snapshot = async (topic: string): Promise<NodeSnapshot> => {
    const found = await engine.request('snapshot', { connectionId, node: { topic } });
    assert.ok(found, `no snapshot of ${topic}`);
    return found;
  };

  /** Lists a level as the Topics view does: its children become rows whose changes are reported. */
  const list = (topic: string, filter?: EngineRequests['children']['params']['filter']) => engine.request('children', { connectionId, parent: { topic }, sort: 'name', offset: 0, limit: 200, filter });

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    engine = new EngineClient(WORKER);
    publisher = await mqtt.connectAsync(broker.url);
    await connectSubscribed(engine, connectionId, { port: broker.port, subscriptions: [{ topic: '#', qos: 0 }] });
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
  });

  after(async () => {
    await publisher?.endAsync();
    engine?.dispose();
    await broker?.stop();
  });

  it('previews a Protobuf-bound topic as its decoded JSON (a snapshot, a listing, a pushed row), and again as bytes once the binding goes', async () => {
    await engine.request('watch', { connectionId, expanded: [{ root: true }, { topic: 'sensors' }], pinned: [] });
    await publish('sensors/hall', reading({ id: 'probe-7', celsius: 21.5, counter: '18446744073709551615' }));
    const decoded = '{"id":"probe-7","celsius":21.5,"counter":18446744073709551615}';
    const first = await snapshot('sensors/hall');
    assert.equal(first.last?.preview, decoded);
    assert.equal(first.last?.decodedBy, 'Protobuf sensors.Reading (protos/sensors.proto)');
    assert.equal((await list('sensors')).children[0].last?.preview, decoded);
    // The row is listed now: the next message's report carries it, decoded.
    const report = await publish('sensors/hall', reading({ id: 'probe-7', celsius: 22 }), (changes) => changes.rows.some((row) => row.topic === 'sensors/hall'));
    assert.equal(report.rows.find((row) => row.topic === 'sensors/hall')?.last?.preview, '{"id":"probe-7","celsius":22}');

    // Without the binding the same row reads as bytes; the shown level is listed again at once, so the view learns it.
    const relisted = nextChanges(engine, (changes) => changes.relist.some((ref) => 'id' in ref), 5000, 'the shown levels listed again');
    await engine.request('setDecoders', { bindings: [], files: FILES });
    await relisted;
    const raw = await snapshot('sensors/hall');
    assert.match(raw.last?.preview ?? '', /^0x 0a 07 70 72 6f 62 65 2d 37/);
    assert.equal(raw.last?.decodedBy, undefined);
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
  });

  it('pushes an open panel\'s new rows decoded, each text cut to a preview\'s length', async () => {
    await engine.request('watch', { connectionId, expanded: [{ root: true }], pinned: ['sensors/panel'] });
    const long = 'x'.repeat(2000);
    const report = await publish('sensors/panel', reading({ id: long, celsius: 3 }), (changes) => changes.pinned.some((update) => update.topic === 'sensors/panel'));
    const row = report.pinned.find((update) => update.topic === 'sensors/panel')?.recent.at(-1);
    assert.equal(decodedText(row).text, pretty(JSON.stringify({ id: long, celsius: 3 })).slice(0, PREVIEW_DECODED_CHARS));
    await engine.request('watch', { connectionId, expanded: [{ root: true }], pinned: [] });
  });

  it('says why a bound topic\'s last value did not decode, and shows it as received', async () => {
    await publish('sensors/broken', new Uint8Array([0xff, 0xff, 0xff]));
    const broken = await snapshot('sensors/broken');
    assert.equal(broken.last?.preview, '0x ff ff ff');
    assert.match(broken.last?.decodeError ?? '', /^Protobuf: sensors\.Reading: /);
  });

  it('charts the numeric fields of the decoded values', async () => {
    for (const celsius of [10.5, 11, 12.25]) await publish('sensors/chart', reading({ id: 'c', celsius, counter: 7, samples: [1, -2] }));
    const series = await engine.request('series', { connectionId, topic: 'sensors/chart', paths: [], maxPoints: 100 });
    assert.deepEqual(series?.available, ['celsius', 'counter', 'samples[0]', 'samples[1]']);
    assert.deepEqual(
      series?.series.find((each) => each.path === 'celsius')?.points.map((point) => point.v),
      [10.5, 11, 12.25],
    );
  });

  it('filters by payload in the decoded value, not in the raw bytes\' text', async () => {
    // A 65-character id makes the raw Protobuf bytes read as text too: "\nA" then the id.
    const bytes = reading({ id: 'x'.repeat(65) });
    assert.equal(Buffer.from(bytes).toString('latin1'), `\nA${'x'.repeat(65)}`);
    await publish('sensors/filter/bound', bytes);
    await publish('plain/filter/raw', bytes);
    const matching = async (pattern: string) => {
      const levels = await list('sensors/filter', { kind: 'substring', target: 'payload', pattern });
      const plain = await list('plain/filter', { kind: 'substring', target: 'payload', pattern });
      return [...levels.children, ...plain.children].map((child) => child.topic);
    };
    assert.deepEqual(await matching('"id":"xxxx'), ['sensors/filter/bound'], 'the decoded JSON matches; the raw text has no "id"');
    assert.deepEqual(await matching(`A${'x'.repeat(10)}`), ['plain/filter/raw'], 'the bound topic\'s raw text is not searched');
    // A new set of bindings makes the filter's kept answers stale: without it, both read raw.
    await engine.request('setDecoders', { bindings: [], files: FILES });
    assert.deepEqual(await matching(`A${'x'.repeat(10)}`), ['sensors/filter/bound', 'plain/filter/raw']);
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
  });

  it('decodes history entries on request (decoded: true), whole even when the reply cuts the payloads', async () => {
    await publish('sensors/history', reading({ id: 'h', celsius: 1 }));
    await publish('sensors/history', new Uint8Array([0xff, 0xff]));
    const history = await engine.request('history', { connectionId, topic: 'sensors/history', from: 0, count: 10, payloadBytes: 2, decoded: true });
    assert.equal(history?.entries.length, 2);
    const [good, bad] = history?.entries ?? [];
    assert.equal(good.payload.length, 2, 'the reply still cuts the payload');
    assert.deepEqual(decodedText(good), { text: pretty('{"id": "h", "celsius": 1}'), decodedBy: 'Protobuf sensors.Reading (protos/sensors.proto)' });
    assert.ok(bad.decoded && 'error' in bad.decoded && /^Protobuf: sensors\.Reading: /.test(bad.decoded.error), JSON.stringify(bad.decoded));
    const preview = await engine.request('history', { connectionId, topic: 'sensors/history', from: 0, count: 1, payloadBytes: 2, decoded: true, decodedChars: 7 });
    assert.deepEqual(decodedText(preview!.entries[0]), { text: pretty('{"id": "h", "celsius": 1}').slice(0, 7), decodedBy: 'Protobuf sensors.Reading (protos/sensors.proto)' }, 'a list preview gets the text cut');
    const plainly = await engine.request('history', { connectionId, topic: 'sensors/history', from: 0, count: 10, payloadBytes: 2 });
    assert.equal(plainly?.entries[0].decoded, undefined, 'not asked: not decoded');
    await publish('plain/history', 'text');
    const unbound = await engine.request('history', { connectionId, topic: 'plain/history', from: 0, count: 10, payloadBytes: 100, decoded: true });
    assert.equal(unbound?.entries[0].decoded, undefined, 'no binding: nothing decoded');
  });

  describe('Sparkplug B', () => {
    const NDATA = 'spBv1.0/G/NDATA/E';

    before(async () => {
      // The Topics view shows the NBIRTH and NDATA levels' rows.
      await engine.request('watch', { connectionId, expanded: [{ root: true }, { topic: 'spBv1.0' }, { topic: 'spBv1.0/G' }, { topic: 'spBv1.0/G/NBIRTH' }, { topic: 'spBv1.0/G/NDATA' }], pinned: [] });
    });

    const rowOf = (changes: TopicChanges, topic: string) => changes.rows.find((row) => row.topic === topic);
    /** A promise, or an error after 5 s naming what did not come. */
    const within = <T>(promise: Promise<T>, what: string) => Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within 5 s`)), 5000))]);
    const firstMessage = (client: mqtt.MqttClient) => new Promise<{ topic: string; payload: Buffer; qos: number }>((resolve) => client.once('message', (topic, payload, packet) => resolve({ topic, payload, qos: packet.qos })));

    it('names the aliases of an NDATA from the NBIRTH (decode, preview, history, chart)', async () => {
      await publish('spBv1.0/G/NBIRTH/E', nbirth(0));
      await publish(NDATA, ndata(1, 21.5, false));
      await list('spBv1.0/G/NBIRTH');
      await list('spBv1.0/G/NDATA');
      const reply = await engine.request('decode', { connectionId, topic: NDATA });
      assert.ok(reply.result?.ok, JSON.stringify(reply.result));
      const metrics = (JSON.parse(formatJson(reply.result.value)) as { metrics: { name: string; value: unknown }[] }).metrics;
      assert.deepEqual(metrics.map(({ name, value }) => [name, value]), [['Temperature', 21.5], ['Running', false]]);
      assert.equal(reply.result.notes, undefined);
      const row = await snapshot(NDATA);
      assert.equal(row.last?.preview, '{"Temperature":21.5,"Running":false}');
      assert.equal(row.last?.decodedBy, 'Sparkplug B');
      assert.deepEqual(row.sparkplug, { group: 'G', node: 'E', online: true, flags: [], flagCount: 0 });
      const series = await engine.request('series', { connectionId, topic: NDATA, paths: ['metrics.Temperature', 'metrics.Running'], maxPoints: 10 });
      assert.deepEqual(series?.available, ['metrics.Temperature', 'metrics.Running']);
      assert.deepEqual(series?.series.map((each) => [each.path, each.points.map((point) => point.v)]), [['metrics.Temperature', [21.5]], ['metrics.Running', [0]]]);
    });

    it('encodes an NDATA to publish with the seq that follows what the node sent, typed by the birth; a check takes no seq', async () => {
      const json = '{"metrics": [{"name": "Temperature", "value": 23}]}';
      const check = await engine.request('encode', { connectionId, topic: NDATA, json, check: true });
      assert.ok(check.result.ok, check.result.ok ? '' : check.result.error);
      const sent = await engine.request('encode', { connectionId, topic: NDATA, json });
      assert.ok(sent.result.ok, sent.result.ok ? '' : sent.result.error);
      const next = await engine.request('encode', { connectionId, topic: NDATA, json });
      assert.ok(next.result.ok);
      const [checked, first, second] = [check.result.bytes, sent.result.bytes, next.result.bytes].map((bytes) => tahu.decodePayload(bytes) as { seq: { toNumber(): number } | number; metrics: { name?: string; type?: string }[] });
      const seqOf = (payload: typeof first) => (typeof payload.seq === 'number' ? payload.seq : payload.seq.toNumber());
      assert.equal(seqOf(checked), 2, 'after the NDATA with seq 1');
      assert.equal(seqOf(first), 2, 'the check took no seq');
      assert.equal(seqOf(second), 3);
      assert.deepEqual([first.metrics[0].name, first.metrics[0].type], ['Temperature', 'Double'], 'the birth\'s datatype for a metric typed by name');
    });

    it('notes a skipped seq on the message and flags it on the edge node\'s rows (also those with no new message)', async () => {
      // seq 2 never comes: the next NDATA carries 3.
      const flagged = await publish(NDATA, ndata(3, 22.5, true), (changes) => rowOf(changes, 'spBv1.0/G/NBIRTH/E')?.sparkplug?.seqGap !== undefined);
      const gap = 'seq gap: expected 2, got 3';
      assert.equal(rowOf(flagged, 'spBv1.0/G/NBIRTH/E')?.sparkplug?.seqGap, gap, 'the NBIRTH row got no message, and is refreshed');
      const row = await snapshot(NDATA);
      assert.equal(row.sparkplug?.seqGap, gap);
      assert.deepEqual(row.sparkplug?.flags, [gap]);
      assert.equal(row.sparkplug?.flagCount, 1);
      const reply = await engine.request('decode', { connectionId, topic: NDATA });
      assert.ok(reply.result?.ok);
      assert.deepEqual(reply.result.notes, [gap]);
      const history = await engine.request('history', { connectionId, topic: NDATA, from: 0, count: 10, payloadBytes: 0, decoded: true });
      assert.deepEqual(history?.entries.map((entry) => decodedText(entry).notes), [undefined, [gap]], 'the note belongs to the message that skipped, not to the one before');
    });

    it('marks the edge node offline on NDEATH (its rows are refreshed without a message of theirs), and online again on NBIRTH', async () => {
      const dead = await publish('spBv1.0/G/NDEATH/E', ndeath(0), (changes) => rowOf(changes, NDATA)?.sparkplug?.online === false);
      assert.equal(rowOf(dead, NDATA)?.sparkplug?.online, false);
      assert.equal((await snapshot('spBv1.0/G/NBIRTH/E')).sparkplug?.online, false);
      const born = await publish('spBv1.0/G/NBIRTH/E', nbirth(1), (changes) => rowOf(changes, NDATA)?.sparkplug?.online === true);
      assert.equal(rowOf(born, NDATA)?.sparkplug?.online, true);
    });

    it('requests a rebirth: NCMD Node Control/Rebirth = true on spBv1.0/<group>/NCMD/<node>, QoS 0, not retained', async () => {
      const listener = await mqtt.connectAsync(broker.url);
      const late = await mqtt.connectAsync(broker.url);
      try {
        // Subscribed at QoS 1: the message comes at the QoS it was published with.
        await listener.subscribeAsync('spBv1.0/G/NCMD/#', { qos: 1 });
        const received = firstMessage(listener);
        const reply = await engine.request('rebirth', { connectionId, group: 'G', node: 'E' });
        assert.deepEqual(reply, { topic: 'spBv1.0/G/NCMD/E', result: { ack: 'none', reasonCode: 0, reason: 'Success' } });
        const message = await within(received, 'NCMD');
        assert.equal(message.topic, 'spBv1.0/G/NCMD/E');
        assert.equal(message.qos, 0);
        const payload = tahu.decodePayload(message.payload);
        assert.deepEqual(
          payload.metrics?.map((metric) => [metric.name, metric.type, metric.value]),
          [['Node Control/Rebirth', 'Boolean', true]],
        );
        // Not retained: a client that subscribes now gets no NCMD from the broker, only the marker published after it subscribed.
        await late.subscribeAsync('spBv1.0/G/NCMD/E', { qos: 1 });
        const next = firstMessage(late);
        await publisher.publishAsync('spBv1.0/G/NCMD/E', 'marker', { qos: 1 });
        assert.equal((await within(next, 'marker')).payload.toString(), 'marker');
      } finally {
        await listener.endAsync();
        await late.endAsync();
      }
      await assert.rejects(engine.request('rebirth', { connectionId, group: 'G/x', node: 'E' }), /Cannot request a rebirth/);
    });

    // Last of this connection's tests: it ends disconnected.
    it('publishes JSON encoded in one request: the seq is taken when sent, not by a publish that fails', async () => {
      await publish('spBv1.0/G2/NBIRTH/E2', nbirth(0));
      const listener = await mqtt.connectAsync(broker.url);
      try {
        await listener.subscribeAsync('spBv1.0/G2/NDATA/E2', { qos: 1 });
        const arrived = firstMessage(listener);
        const json = '{"metrics": [{"name": "Temperature", "value": 30}]}';
        const answer = await engine.request('publishEncoded', { connectionId, topic: 'spBv1.0/G2/NDATA/E2', json, qos: 1, retain: false });
        assert.equal(answer.ack, 'puback');
        const sent = tahu.decodePayload((await within(arrived, 'the NDATA')).payload) as { seq: { toNumber(): number } | number };
        assert.equal(typeof sent.seq === 'number' ? sent.seq : sent.seq.toNumber(), 1, 'after the NBIRTH (seq 0)');
        await assert.rejects(engine.request('publishEncoded', { connectionId, topic: 'spBv1.0/G2/NDATA/E2', json: '{"metrics": [{"name": "Temperature", "value": "hot"}]}', qos: 1, retain: false }), /metrics\[0\]\.value: expected a number/);
        await engine.request('disconnect', { connectionId });
        await assert.rejects(engine.request('publishEncoded', { connectionId, topic: 'spBv1.0/G2/NDATA/E2', json, qos: 1, retain: false }));
        const next = await engine.request('encode', { connectionId, topic: 'spBv1.0/G2/NDATA/E2', json, check: true });
        assert.ok(next.result.ok);
        const seq = (tahu.decodePayload(next.result.bytes) as { seq: { toNumber(): number } | number }).seq;
        assert.equal(typeof seq === 'number' ? seq : seq.toNumber(), 2, 'the failed publishes took no seq');
      } finally {
        await listener.endAsync();
      }
    });
  });
});

describe('Sparkplug B in the engine: the memory caps (in-process engine, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let core: EngineCore;
  let publisher: mqtt.MqttClient;
  const connectionId = 'caps';
  const events: EngineEvent[] = [];

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    core = new EngineCore((event) => events.push(event), { sparkplugCaps: { edgeNodes: 1, devices: 1, metrics: 2 } });
    publisher = await mqtt.connectAsync(broker.url);
    await core.handlers.connect({
      connectionId,
      profile: newProfile(connectionId, { host: '127.0.0.1', port: broker.port, mqttVersion: 4, subscriptions: [{ topic: 'spBv1.0/#', qos: 0 }] }),
      secrets: {},
      backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
    });
    await waitUntil(async () => events.some((event) => event.kind === 'subscriptions' && event.subscriptions.every((s) => s.status.state === 'active')), 5000, 'the subscription');
  });

  after(async () => {
    await publisher?.endAsync();
    await core?.dispose();
    await broker?.stop();
  });

  const stats = async () => core.handlers.stats({ connectionId }) as EngineRequests['stats']['result'];

  async function publish(topic: string, payload: Uint8Array): Promise<void> {
    const { received } = await stats();
    await publisher.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    await waitUntil(async () => (await stats()).received > received, 5000, `the message on ${topic}`, 10);
  }

  it('remembers at most the caps, counts what they leave out, and says so on the rows', async () => {
    assert.equal((await stats()).sparkplug, undefined, 'no Sparkplug message yet: no Sparkplug counts');
    // Three named metrics (bdSeq, Temperature, Running) for a cap of two: Running is not kept.
    await publish('spBv1.0/G/NBIRTH/E1', nbirth(0));
    await publish('spBv1.0/G/NDATA/E1', ndata(1, 30, true));
    // A second edge node for a cap of one: not tracked.
    await publish('spBv1.0/G/NBIRTH/E2', nbirth(0));
    await publish('spBv1.0/G/NDATA/E2', ndata(1, 31, true));
    assert.deepEqual((await stats()).sparkplug, { edgeNodes: 1, devices: 0, metrics: 2, untracked: { edgeNodeMessages: 2, deviceMessages: 0, metrics: 1 } });
    const tracked = core.handlers.snapshot({ connectionId, node: { topic: 'spBv1.0/G/NDATA/E1' } }) as NodeSnapshot;
    assert.equal(tracked.sparkplug?.online, true);
    assert.equal(tracked.sparkplug?.untracked, undefined);
    // Temperature is named from the birth; Running, past the metrics cap, stays an alias.
    assert.equal(tracked.last?.preview, '{"Temperature":30,"alias 2":true}');
    const untracked = core.handlers.snapshot({ connectionId, node: { topic: 'spBv1.0/G/NDATA/E2' } }) as NodeSnapshot;
    assert.deepEqual(untracked.sparkplug, { group: 'G', node: 'E2', flags: [], flagCount: 0, untracked: true });
    assert.equal(untracked.last?.preview, '{"alias 1":31,"alias 2":true}');
  });
});
