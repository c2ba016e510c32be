import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { encode as cborEncode } from 'cbor2';
import mqtt from 'mqtt';
import * as protobuf from 'protobufjs';
import { EngineClient } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import type { DecodedMessage } from '../../src/shared/engineProtocol';
import { formatJson, parseJson } from '../../src/shared/json';
import { MAX_SCHEMA_FILE_BYTES, MAX_SCHEMA_FILES, MAX_SCHEMA_TOTAL_BYTES } from '../../src/worker/decoding';
import { DEFAULT_LIMITS } from '../../src/worker/topicTree';
import { connectSubscribed, nextChanges } from '../helpers/engine';

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
const BROKEN_PROTO = 'syntax = "proto3";\npackage broken;\nmessage Thing {\n  int32 x = 1\n}\n';
const READING = protobuf.parse(SENSORS_PROTO, { keepCase: true }).root.lookupType('sensors.Reading');

const SENSORS_BINDING = { topic: 'sensors/#', format: 'protobuf', type: 'sensors.Reading' } as const;
const BINDINGS = [SENSORS_BINDING, { topic: 'cbor/#', format: 'cbor' }, { topic: 'pack/#', format: 'msgpack' }];
const FILES = { 'protos/sensors.proto': SENSORS_PROTO };

/** JSON text as the panel prints it. */
const pretty = (text: string) => formatJson(parseJson(text));

function decoded(reply: DecodedMessage): string {
  assert.ok(reply.result, 'expected a result');
  assert.ok(reply.result.ok, reply.result.ok ? '' : reply.result.error);
  return formatJson(reply.result.value);
}

function failure(reply: DecodedMessage): string {
  assert.ok(reply.result, 'expected a result');
  assert.ok(!reply.result.ok, 'expected the decode to fail');
  return reply.result.error;
}

describe('The engine worker decodes kept messages on request (a real worker thread, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let engine: EngineClient;
  let publisher: mqtt.MqttClient;
  const connectionId = 'dec';

  /** Publishes and resolves once the engine has received the message (its change report counts it). */
  async function publish(topic: string, payload: Uint8Array | string): Promise<void> {
    const { received } = await engine.request('stats', { connectionId });
    const arrived = nextChanges(engine, (changes) => changes.connectionId === connectionId && changes.stats.received > received, 5000, `the message on ${topic}`);
    await publisher.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1 });
    await arrived;
  }

  const decode = (topic: string, extra: { seq?: number } = {}) => engine.request('decode', { connectionId, topic, ...extra });

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    engine = new EngineClient(WORKER);
    publisher = await mqtt.connectAsync(broker.url);
    await connectSubscribed(engine, connectionId, { port: broker.port, subscriptions: [{ topic: '#', qos: 0 }] });
    await engine.request('watch', { connectionId, expanded: [{ root: true }], pinned: [] });
  });

  after(async () => {
    await publisher?.endAsync();
    engine?.dispose();
    await broker?.stop();
  });

  it('decodes a Protobuf message from a .proto text, a 64-bit field exact', async () => {
    const set = await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    assert.deepEqual(set, { errors: [], schemaErrors: [], messageTypes: ['sensors.Reading'] });
    const message = READING.fromObject({ id: 'probe-7', celsius: 21.5, counter: '18446744073709551615', samples: ['-9223372036854775808', '9007199254740993'] });
    await publish('sensors/hall/reading', READING.encode(message).finish());
    const reply = await decode('sensors/hall/reading');
    assert.equal(decoded(reply), pretty('{"id": "probe-7", "celsius": 21.5, "counter": 18446744073709551615, "samples": [-9223372036854775808, 9007199254740993]}'));
    assert.deepEqual(reply.binding, SENSORS_BINDING);
    assert.ok(reply.result?.ok && reply.result.decodedBy === 'Protobuf sensors.Reading (protos/sensors.proto)', JSON.stringify(reply.result));
    assert.equal(reply.truncated, false);
    assert.equal(reply.size, READING.encode(message).finish().length);
  });

  it('decodes CBOR and MessagePack by their bindings', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    await publish('cbor/meter', cborEncode({ kwh: 12.25, serial: 18446744073709551615n, tags: ['a', 'b'], ok: true }));
    await publish('pack/meter', msgpackEncode({ kwh: 12.25, serial: 9007199254740993n, nested: { list: [1, null, 'ü'] } }, { useBigInt64: true }));
    assert.equal(decoded(await decode('cbor/meter')), pretty('{"kwh": 12.25, "serial": 18446744073709551615, "tags": ["a", "b"], "ok": true}'));
    assert.equal(decoded(await decode('pack/meter')), pretty('{"kwh": 12.25, "serial": 9007199254740993, "nested": {"list": [1, null, "ü"]}}'));
  });

  it('answers no binding and no result for a topic no binding matches, and replaces the set', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    await publish('plain/text', 'hello');
    const reply = await decode('plain/text');
    assert.deepEqual(reply, { seq: 0, size: 5, truncated: false });
    // A new set replaces the old one: the CBOR binding is gone.
    await engine.request('setDecoders', { bindings: [SENSORS_BINDING], files: FILES });
    const gone = await decode('cbor/meter');
    assert.equal(gone.binding, undefined);
    assert.equal(gone.result, undefined);
  });

  it('names the file and line of a broken .proto, and a decode of its type says why', async () => {
    const set = await engine.request('setDecoders', { bindings: [...BINDINGS, { topic: 'broken/#', format: 'protobuf', type: 'broken.Thing' }], files: { ...FILES, 'protos/broken.proto': BROKEN_PROTO } });
    assert.deepEqual(set.errors, []);
    assert.deepEqual(set.schemaErrors, [{ file: 'protos/broken.proto', error: "protos/broken.proto line 5: illegal token '}', ';' expected" }]);
    assert.deepEqual(set.messageTypes, ['sensors.Reading'], 'the good file still loads');
    await publish('broken/x', new Uint8Array([8, 1]));
    assert.match(failure(await decode('broken/x')), /^Protobuf: no message type broken\.Thing .*not loaded: protos\/broken\.proto line 5/);
  });

  it('checks the bindings in the worker: errors name index and field, the good ones apply', async () => {
    const set = await engine.request('setDecoders', {
      bindings: [{ topic: 'cbor/#', format: 'cbor' }, { topic: 'x/#', format: 'yaml' }, { topic: 'y/#', format: 'protobuf' }, { topic: 'a/#/b', format: 'cbor' }, 'nope'],
      files: {},
    });
    assert.equal(set.errors.length, 4, set.errors.join('\n'));
    assert.match(set.errors[0], /^mqttExplorer\.decoders\[1\]\.format: one of protobuf, cbor, msgpack, avro, sparkplug expected, got "yaml"/);
    assert.match(set.errors[1], /^mqttExplorer\.decoders\[2\]\.type: /);
    assert.match(set.errors[2], /^mqttExplorer\.decoders\[3\]\.topic: /);
    assert.match(set.errors[3], /^mqttExplorer\.decoders\[4\]: an object expected/);
    assert.equal((await decode('cbor/meter')).binding?.format, 'cbor');
    const notAList = await engine.request('setDecoders', { bindings: { topic: '#' }, files: {} });
    assert.deepEqual(notAList.errors, ['mqttExplorer.decoders: a list of bindings expected, got object']);
  });

  it('refuses schema files beyond the limits, with a reason', async () => {
    const many: Record<string, string> = {};
    for (let index = 0; index <= MAX_SCHEMA_FILES; index++) many[`p/f${index}.proto`] = `syntax = "proto3"; message M${index} { int32 x = 1; }`;
    const tooMany = await engine.request('setDecoders', { bindings: BINDINGS, files: many });
    assert.deepEqual(tooMany.errors, [`schema files: ${MAX_SCHEMA_FILES + 1} .proto and .avsc files, more than the ${MAX_SCHEMA_FILES} read: none loaded`]);
    assert.deepEqual(tooMany.messageTypes, []);

    const comment = (bytes: number) => `// ${'x'.repeat(bytes - 4)}\n`;
    const big = await engine.request('setDecoders', { bindings: BINDINGS, files: { ...FILES, 'p/big.proto': comment(MAX_SCHEMA_FILE_BYTES + 1) } });
    assert.deepEqual(big.schemaErrors, [{ file: 'p/big.proto', error: 'p/big.proto: 1,048,577 bytes, more than the 1,048,576 (1 MiB) a schema file may have: not loaded' }]);
    assert.deepEqual(big.messageTypes, ['sensors.Reading'], 'the others load');

    const heavy: Record<string, string> = { ...FILES };
    const count = Math.ceil(MAX_SCHEMA_TOTAL_BYTES / MAX_SCHEMA_FILE_BYTES) + 1;
    for (let index = 0; index < count; index++) heavy[`p/h${index}.proto`] = comment(MAX_SCHEMA_FILE_BYTES);
    const tooHeavy = await engine.request('setDecoders', { bindings: BINDINGS, files: heavy });
    const total = Buffer.byteLength(Object.values(heavy).join(''));
    assert.deepEqual(tooHeavy.errors, [`schema files: ${total.toLocaleString('en-US')} bytes together, more than the 8,388,608 (8 MiB) read: none loaded`]);
    assert.deepEqual(tooHeavy.messageTypes, []);
    assert.match(failure(await decode('sensors/hall/reading')), /^Protobuf: no message type sensors\.Reading/);

    const odd = await engine.request('setDecoders', { bindings: [], files: { 'notes.txt': 'hi', 'a.proto': 42 as unknown as string } });
    assert.deepEqual(odd.schemaErrors, [
      { file: 'notes.txt', error: 'notes.txt: neither a .proto nor a .avsc file: not loaded' },
      { file: 'a.proto', error: 'a.proto: its text expected, got number' },
    ]);
  });

  it('decodes an older kept message by seq, and says when a seq is not kept', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    const history = await engine.request('history', { connectionId, topic: 'cbor/series', from: -1, count: 1, payloadBytes: 0 });
    const first = history?.window.nextSeq ?? 0;
    await publish('cbor/series', cborEncode({ n: 1 }));
    await publish('cbor/series', cborEncode({ n: 2 }));
    assert.equal(decoded(await decode('cbor/series', { seq: first })), pretty('{"n": 1}'));
    const newest = await decode('cbor/series');
    assert.equal(newest.seq, first + 1);
    assert.equal(decoded(newest), pretty('{"n": 2}'));
    assert.equal(failure(await decode('cbor/series', { seq: first + 5 })), `CBOR: no message ${first + 5} of cbor/series (kept: ${first}–${first + 1})`);
    assert.equal(failure(await decode('cbor/series', { seq: first + 0.5 })), `CBOR: no message ${first + 0.5} of cbor/series (kept: ${first}–${first + 1})`);
    assert.equal(failure(await decode('cbor/nothing-here')), 'CBOR: no message 0 of cbor/nothing-here (none kept)');
  });

  it('decodes with an explicit binding ("Decode As…") over the topic\'s own, and checks it', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    await publish('plain/packed', msgpackEncode([1, 'two']));
    const reply = await engine.request('decode', { connectionId, topic: 'plain/packed', binding: { topic: 'plain/packed', format: 'msgpack' } });
    assert.deepEqual(reply.binding, { topic: 'plain/packed', format: 'msgpack' });
    assert.equal(decoded(reply), pretty('[1, "two"]'));
    // The CBOR topic decoded as MessagePack instead of its own CBOR.
    await publish('cbor/as-pack', msgpackEncode({ k: 'v' }));
    assert.equal(decoded(await engine.request('decode', { connectionId, topic: 'cbor/as-pack', binding: { topic: 'cbor/as-pack', format: 'msgpack' } })), pretty('{"k": "v"}'));
    const bad = await engine.request('decode', { connectionId, topic: 'plain/packed', binding: { topic: 'plain/packed', format: 'protobuf' } });
    assert.equal(bad.binding, undefined);
    assert.match(failure(bad), /^binding\[0\]\.type: a protobuf binding needs the message type/);
  });

  it('does not decode a payload the limits cut, and says so', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    await engine.request('setLimits', { limits: { ...DEFAULT_LIMITS, maxPayloadBytes: 16 } });
    try {
      const bytes = cborEncode({ text: 'a'.repeat(100) });
      await publish('cbor/long', bytes);
      const reply = await decode('cbor/long');
      assert.equal(reply.truncated, true);
      assert.equal(reply.size, bytes.length);
      assert.equal(failure(reply), 'CBOR: the payload was cut to 16 bytes by the limits: not decoded');
    } finally {
      await engine.request('setLimits', { limits: DEFAULT_LIMITS });
    }
  });

  it('answers garbage (Protobuf, CBOR, Sparkplug B) with an error result, and keeps answering', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    await publish('sensors/garbage', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    assert.match(failure(await decode('sensors/garbage')), /^Protobuf: sensors\.Reading: /);
    await publish('cbor/garbage', new Uint8Array([0x9f, 0x9f, 0x9f, 0x1f]));
    assert.match(failure(await decode('cbor/garbage')), /^CBOR: /);
    await publish('spBv1.0/group/NDATA/node', new Uint8Array([1, 2, 3]));
    const sparkplug = await decode('spBv1.0/group/NDATA/node');
    assert.equal(sparkplug.binding?.format, 'sparkplug');
    assert.match(failure(sparkplug), /^Not decoded as Sparkplug B: malformed: /);
    const stats = await engine.request('stats', { connectionId });
    assert.ok(stats.received > 0);
  });

  it('encodes JSON with a topic\'s binding for publishing: byte for byte what protobufjs makes, errors by field', async () => {
    await engine.request('setDecoders', { bindings: BINDINGS, files: FILES });
    assert.deepEqual(await engine.request('decoderOf', { topic: 'sensors/a' }), SENSORS_BINDING);
    assert.equal(await engine.request('decoderOf', { topic: 'plain/a' }), undefined);
    const json = '{"id": "s-1", "celsius": 21.5, "counter": "18446744073709551615", "samples": [-1, 2]}';
    const encoded = await engine.request('encode', { connectionId, topic: 'sensors/a', json });
    assert.deepEqual(encoded.binding, SENSORS_BINDING);
    assert.ok(encoded.result.ok, encoded.result.ok ? '' : encoded.result.error);
    const reference = READING.encode(READING.fromObject({ id: 's-1', celsius: 21.5, counter: '18446744073709551615', samples: [-1, 2] })).finish();
    assert.deepEqual(Buffer.from(encoded.result.bytes), Buffer.from(reference));
    const wrong = await engine.request('encode', { connectionId, topic: 'sensors/a', json: '{"celsius": "warm"}' });
    assert.ok(!wrong.result.ok);
    assert.match(wrong.result.error, /celsius/);
    const cbor = await engine.request('encode', { connectionId, topic: 'cbor/a', json: '{"a": [1, 2]}' });
    assert.ok(cbor.result.ok);
    assert.deepEqual(Buffer.from(cbor.result.bytes), Buffer.from(cborEncode({ a: [1, 2] })));
    const unbound = await engine.request('encode', { connectionId, topic: 'plain/a', json: '{}' });
    assert.equal(unbound.binding, undefined);
    assert.ok(!unbound.result.ok);
    assert.match(unbound.result.error, /No decoder is bound to plain\/a/);
    const given = await engine.request('encode', { connectionId, topic: 'plain/a', json: '[1]', binding: { topic: 'plain/a', format: 'msgpack' } });
    assert.ok(given.result.ok);
    assert.deepEqual(Buffer.from(given.result.bytes), Buffer.from(msgpackEncode([1])));
  });

  it('refuses a decode for a connection it does not have', async () => {
    await assert.rejects(engine.request('decode', { connectionId: 'nope', topic: 'a' }), /No connection nope/);
  });
});
