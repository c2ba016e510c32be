import * as assert from 'node:assert/strict';
import * as avro from 'avsc';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { formatJson, parseJson } from '../../src/shared/json';
import { buildDecoderSchemas, decodePayload, DEFAULT_DECODE_LIMITS, encodePayload, formatProtoError, type FormatBinding } from '../../src/worker/decoders/index';
import type { DecodeResult, EncodeResult } from '../../src/worker/decoders/types';

const SAMPLE_PROTO = `syntax = "proto3";
package test;
import "common/units.proto";
import "google/protobuf/timestamp.proto";

enum Color { RED = 0; GREEN = 1; BLUE = 2; }

message Inner {
  string name = 1;
  repeated sint64 values = 2;
}

message Sample {
  int32 i32 = 1;
  int64 i64 = 2;
  uint64 u64 = 3;
  double d = 4;
  bool flag = 5;
  string text = 6;
  bytes blob = 7;
  Color color = 8;
  Inner inner = 9;
  repeated Inner items = 10;
  repeated int32 nums = 11;
  map<string, int64> counts = 12;
  fixed64 f64 = 13;
  units.Unit unit = 14;
  google.protobuf.Timestamp at = 15;
}

message Node {
  Node child = 1;
  int32 value = 2;
}
`;
const UNITS_PROTO = 'syntax = "proto3";\npackage units;\nmessage Unit { string symbol = 1; }\n';

const PROTO_FILES = { 'protos/sample.proto': SAMPLE_PROTO, 'protos/common/units.proto': UNITS_PROTO };
const SAMPLE: FormatBinding = { format: 'protobuf', type: 'test.Sample' };

const SAMPLE_AVSC = JSON.stringify({
  type: 'record',
  name: 'Reading',
  namespace: 'test',
  fields: [
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'd', type: 'double' },
    { name: 's', type: 'string' },
    { name: 'b', type: 'bytes' },
    { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE'] } },
    { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'name', type: 'string' }, { name: 'tags', type: { type: 'array', items: 'string' } }] } } },
    { name: 'opt', type: ['null', 'long'] },
    { name: 'm', type: { type: 'map', values: 'string' } },
    { name: 'f', type: { type: 'fixed', name: 'Four', size: 4 } },
  ],
});
const NODE_AVSC = JSON.stringify({ type: 'record', name: 'Node', fields: [{ name: 'child', type: ['null', 'Node'] }] });
const NULLS_AVSC = JSON.stringify({ type: 'array', items: 'null' });

const SCHEMAS = buildDecoderSchemas({ ...PROTO_FILES, 'schemas/reading.avsc': SAMPLE_AVSC, 'schemas/node.avsc': NODE_AVSC, 'schemas/nulls.avsc': NULLS_AVSC, 'schemas/broken.avsc': '{"type": "record",' });
const READING: FormatBinding = { format: 'avro', schema: 'schemas/reading.avsc' };

function decoded(result: DecodeResult): string {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return formatJson(result.value);
}
function failure(result: DecodeResult | EncodeResult): string {
  assert.ok(!result.ok, 'expected a failure');
  return result.error;
}
function encoded(result: EncodeResult): Uint8Array {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.bytes;
}
const pretty = (text: string) => formatJson(parseJson(text));

/** JSON text of a generated value, bigints as their literal. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `@@${item}@@` : item)).replace(/"@@(-?\d+)@@"/g, '$1');
}

describe('Decoders: Protobuf schema sets', () => {
  it('loads .proto texts with imports among the given files and the bundled well-known types', () => {
    const set = SCHEMAS.protobuf;
    assert.deepEqual(set.errors, []);
    assert.deepEqual(set.messageTypes, ['google.protobuf.Timestamp', 'test.Inner', 'test.Node', 'test.Sample', 'units.Unit']);
  });

  it('names the file and line of a syntax error, an import not given, and the files that import a broken one', () => {
    const schemas = buildDecoderSchemas({
      'bad.proto': 'syntax = "proto3";\nmessage A {\n  int32 x = 1\n}\n',
      'lonely.proto': 'syntax = "proto3";\n\nimport "missing/thing.proto";\nmessage L { int32 x = 1; }\n',
      'user.proto': 'syntax = "proto3";\nimport "bad.proto";\nmessage U { A a = 1; }\n',
      'typo.proto': 'syntax = "proto3";\nmessage T { Nope n = 1; }\n',
      'good.proto': 'syntax = "proto3";\nmessage G { int32 x = 1; }\n',
    });
    const errors = schemas.protobuf.errors.map(formatProtoError);
    assert.ok(errors.includes("bad.proto line 4: illegal token '}', ';' expected"), errors.join('\n'));
    assert.ok(errors.includes('lonely.proto line 3: imports "missing/thing.proto", which is not among the .proto files given'), errors.join('\n'));
    assert.ok(errors.includes('user.proto line 2: imports bad.proto, which has errors'), errors.join('\n'));
    assert.ok(errors.some((error) => /^typo\.proto: no such Type or Enum 'Nope'/.test(error)), errors.join('\n'));
    assert.deepEqual(schemas.protobuf.loaded, ['good.proto']);
    assert.deepEqual(schemas.protobuf.messageTypes, ['G']);
    assert.match(failure(decodePayload(new Uint8Array(), { format: 'protobuf', type: 'A' }, schemas)), /^Protobuf: no message type A in bad\.proto, good\.proto, lonely\.proto, typo\.proto, user\.proto \(known: G\); not loaded: bad\.proto line 4/);
  });

  it('says which types exist when a type is missing, and where a type is defined when the file is wrong', () => {
    assert.equal(
      failure(decodePayload(new Uint8Array(), { format: 'protobuf', type: 'sensors.Reading' }, SCHEMAS)),
      'Protobuf: no message type sensors.Reading in protos/common/units.proto, protos/sample.proto (known: google.protobuf.Timestamp, test.Inner, test.Node, test.Sample, units.Unit)',
    );
    assert.equal(failure(decodePayload(new Uint8Array(), { format: 'protobuf', type: 'test.Sample', schema: 'protos/common/units.proto' }, SCHEMAS)), 'Protobuf: test.Sample is defined in protos/sample.proto, not in protos/common/units.proto');
    assert.equal(failure(decodePayload(new Uint8Array(), { format: 'protobuf', type: 'test.Color' }, SCHEMAS)).split(' (known')[0], 'Protobuf: no message type test.Color in protos/common/units.proto, protos/sample.proto');
  });
});

describe('Decoders: Protobuf', () => {
  const root = SCHEMAS.protobuf.root;
  const Sample = root.lookupType('test.Sample');

  it('decodes a message protobufjs encoded: 64-bit integers exact, enums by name, bytes as base64, imported and well-known types', () => {
    const message = Sample.fromObject({
      i32: -5,
      i64: '-9223372036854775808',
      u64: '18446744073709551615',
      d: 1.5,
      flag: true,
      text: 'ünïcødé 😀',
      blob: Buffer.from([1, 2, 3]),
      color: 'BLUE',
      inner: { name: 'n', values: ['9007199254740993', '-1'] },
      items: [{ name: 'a' }, { name: 'b' }],
      counts: { x: '9007199254740993' },
      f64: '9007199254740993',
      unit: { symbol: '°C' },
      at: { seconds: 1700000000, nanos: 5 },
    });
    const result = decodePayload(Sample.encode(message).finish(), SAMPLE, SCHEMAS);
    assert.equal(
      decoded(result),
      pretty(`{"i32": -5, "i64": -9223372036854775808, "u64": 18446744073709551615, "d": 1.5, "flag": true, "text": "ünïcødé 😀", "blob": "AQID",
        "color": "BLUE", "inner": {"name": "n", "values": [9007199254740993, -1]}, "items": [{"name": "a"}, {"name": "b"}],
        "counts": {"x": 9007199254740993}, "f64": 9007199254740993, "unit": {"symbol": "°C"}, "at": {"seconds": 1700000000, "nanos": 5}}`),
    );
    assert.ok(result.ok && result.decodedBy === 'Protobuf test.Sample (protos/sample.proto)');
  });

  it('encodes JSON to the bytes protobufjs writes for the same message', () => {
    const text = '{"i64": 9007199254740993, "u64": "18446744073709551615", "color": "GREEN", "blob": "AQID", "inner": {"values": [-9223372036854775808]}, "counts": {"k": 1}}';
    const mine = encoded(encodePayload(text, SAMPLE, SCHEMAS));
    const reference = Sample.encode(Sample.fromObject({ i64: '9007199254740993', u64: '18446744073709551615', color: 1, blob: 'AQID', inner: { values: ['-9223372036854775808'] }, counts: { k: 1 } })).finish();
    assert.deepEqual(Buffer.from(mine), Buffer.from(reference));
  });

  it('names the field when the JSON does not fit the type', () => {
    assert.equal(failure(encodePayload('{"inner": {"values": ["x"]}}', SAMPLE, SCHEMAS)), 'Protobuf: test.Sample: inner.values[0]: an integer from -9223372036854775808 to 9223372036854775807 expected (sint64)');
    assert.equal(failure(encodePayload('{"color": "PINK"}', SAMPLE, SCHEMAS)), 'Protobuf: test.Sample: color: "PINK" is not a value of test.Color (RED, GREEN, BLUE)');
    assert.match(failure(encodePayload('{"nope": 1}', SAMPLE, SCHEMAS)), /^Protobuf: test\.Sample: nope: test\.Sample has no field "nope"/);
    assert.equal(failure(encodePayload('{"i32": 2147483648}', SAMPLE, SCHEMAS)), 'Protobuf: test.Sample: i32: an integer from -2147483648 to 2147483647 expected (int32)');
    assert.equal(failure(encodePayload('{"blob": "not base64!"}', SAMPLE, SCHEMAS)), 'Protobuf: test.Sample: blob: base64 text expected (bytes), got text that is not base64');
    assert.match(failure(encodePayload('[1]', SAMPLE, SCHEMAS)), /^Protobuf: test\.Sample: Sample: an object expected/);
    assert.match(failure(encodePayload('{"i32": ', SAMPLE, SCHEMAS)), /^Protobuf: test\.Sample: not valid JSON/);
  });

  it('round-trips generated values of a fixed schema (property)', () => {
    const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    // Empty repeated and map fields are not on the wire: the generated ones have at least one item.
    const inner = fc.record({ name: fc.string(), values: fc.array(int64, { minLength: 1, maxLength: 3 }) }, { requiredKeys: [] });
    const sample = fc.record(
      {
        i32: fc.integer(),
        i64: int64,
        u64: fc.bigInt(0n, 2n ** 64n - 1n),
        d: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0)),
        flag: fc.boolean(),
        text: fc.string({ unit: 'grapheme' }),
        blob: fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes).toString('base64')),
        color: fc.constantFrom('RED', 'GREEN', 'BLUE'),
        inner,
        items: fc.array(inner, { minLength: 1, maxLength: 3 }),
        nums: fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
        counts: fc.dictionary(fc.string({ minLength: 1 }), int64, { minKeys: 1, maxKeys: 3 }),
        f64: fc.bigInt(0n, 2n ** 64n - 1n),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(sample, (value) => {
        fc.pre(!Object.keys(value.counts ?? {}).includes('__proto__'));
        const bytes = encoded(encodePayload(jsonText(value), SAMPLE, SCHEMAS));
        // proto3 leaves a field at its default off the wire: it decodes as absent.
        const isDefault = (item: unknown) => item === 0 || item === 0n || item === '' || item === false || item === 'RED';
        const present = (record: object) => Object.fromEntries(Object.entries(record).filter(([, item]) => !isDefault(item)));
        const expected = present({ ...value, ...(value.inner ? { inner: present(value.inner) } : {}), ...(value.items ? { items: value.items.map(present) } : {}) });
        assert.equal(decoded(decodePayload(bytes, SAMPLE, SCHEMAS)), pretty(jsonText(expected)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses garbage, a truncated message and a message nested past protobufjs\'s 100 levels, with a reason', () => {
    assert.match(failure(decodePayload(Buffer.from('garbage here, really not protobuf'), SAMPLE, SCHEMAS)), /^Protobuf: test\.Sample: (invalid wire type \d+ at offset \d+|unexpected end of data)/);
    const whole = Sample.encode(Sample.fromObject({ text: 'hello world' })).finish();
    assert.equal(failure(decodePayload(whole.subarray(0, 5), SAMPLE, SCHEMAS)), 'Protobuf: test.Sample: unexpected end of data at byte 2 (the payload has 5 bytes)');
    // Node { child: Node { child: … } } 100,000 levels: each level's length prefix written from the inside out.
    const Node = root.lookupType('test.Node');
    let deep = Buffer.from(Node.encode(Node.fromObject({ value: 1 })).finish());
    for (let level = 0; level < 20_000; level++) {
      const length = protobuf.Writer.create().uint32(deep.length).finish();
      deep = Buffer.concat([Buffer.from([0x0a]), Buffer.from(length), deep]);
    }
    assert.equal(failure(decodePayload(deep, { format: 'protobuf', type: 'test.Node' }, SCHEMAS)), "Protobuf: test.Node: nested deeper than 100 levels (protobufjs's limit)");
    assert.match(failure(decodePayload(new Uint8Array(DEFAULT_DECODE_LIMITS.maxBytes + 1), SAMPLE, SCHEMAS)), /^Protobuf: the payload has 1,048,577 bytes/);
  });
});

describe('Decoders: Avro', () => {
  const Reading = (SCHEMAS.avro.get('schemas/reading.avsc') as { ok: true; schema: { type: avro.Type } }).schema.type;

  it('decodes a datum avsc encoded: longs exact, bytes and fixed as base64, unions unwrapped, unicode', () => {
    const bytes = Reading.toBuffer({
      i: -7,
      l: -9223372036854775808n,
      d: 2.25,
      s: 'ünï 😀',
      b: Buffer.from([1, 2, 3]),
      e: 'GREEN',
      items: [{ name: 'x', tags: ['a', 'b'] }],
      opt: 9007199254740993n,
      m: { k: 'v' },
      f: Buffer.from([9, 9, 9, 9]),
    });
    const result = decodePayload(bytes, READING, SCHEMAS);
    assert.equal(
      decoded(result),
      pretty(`{"i": -7, "l": -9223372036854775808, "d": 2.25, "s": "ünï 😀", "b": "AQID", "e": "GREEN", "items": [{"name": "x", "tags": ["a", "b"]}],
        "opt": 9007199254740993, "m": {"k": "v"}, "f": "CQkJCQ=="}`),
    );
    assert.ok(result.ok && result.decodedBy === 'Avro test.Reading (schemas/reading.avsc)');
  });

  it('encodes JSON to the bytes avsc writes, and names the path of a bad field', () => {
    const text = '{"i": 1, "l": 9007199254740993, "d": 0.5, "s": "x", "b": "AQID", "e": "RED", "items": [], "opt": null, "m": {}, "f": "AAAAAA=="}';
    const reference = Reading.toBuffer({ i: 1, l: 9007199254740993n, d: 0.5, s: 'x', b: Buffer.from([1, 2, 3]), e: 'RED', items: [], opt: null, m: {}, f: Buffer.alloc(4) });
    assert.deepEqual(Buffer.from(encoded(encodePayload(text, READING, SCHEMAS))), reference);
    const bad = (patch: string) => failure(encodePayload(text.replace('"items": []', patch), READING, SCHEMAS));
    assert.equal(bad('"items": [{"name": "x", "tags": [1]}]'), 'Avro: items[0].tags[0]: a string expected (string), got a number (schema schemas/reading.avsc)');
    assert.equal(bad('"items": [], "zz": 1'), 'Avro: zz: test.Reading has no field "zz" (fields: i, l, d, s, b, e, items, opt, m, f) (schema schemas/reading.avsc)');
    assert.match(failure(encodePayload(text.replace('"e": "RED"', '"e": "PINK"'), READING, SCHEMAS)), /^Avro: e: one of RED, GREEN, BLUE expected/);
    assert.match(failure(encodePayload(text.replace('"opt": null', '"opt": "x"'), READING, SCHEMAS)), /^Avro: opt: no branch of null \| long takes a string/);
    assert.match(failure(encodePayload(text.replace('"i": 1, ', ''), READING, SCHEMAS)), /^Avro: i: missing/);
  });

  it('round-trips generated values of a fixed schema (property)', () => {
    const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    const reading = fc.record({
      i: fc.integer(),
      l: int64,
      d: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0)),
      s: fc.string({ unit: 'grapheme' }),
      b: fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      e: fc.constantFrom('RED', 'GREEN', 'BLUE'),
      items: fc.array(fc.record({ name: fc.string(), tags: fc.array(fc.string(), { maxLength: 3 }) }), { maxLength: 3 }),
      opt: fc.option(int64, { nil: null }),
      m: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
      f: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    });
    fc.assert(
      fc.property(reading, (value) => {
        fc.pre(!Object.keys(value.m).includes('__proto__'));
        const text = jsonText(value);
        assert.equal(decoded(decodePayload(encoded(encodePayload(text, READING, SCHEMAS)), READING, SCHEMAS)), pretty(text));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a schema that is not JSON or not a schema, naming the file', () => {
    assert.match(failure(decodePayload(new Uint8Array([0]), { format: 'avro', schema: 'schemas/broken.avsc' }, SCHEMAS)), /^Avro: schemas\/broken\.avsc is not JSON: /);
    const schemas = buildDecoderSchemas({ 'x.avsc': '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "Nope"}]}' });
    assert.equal(failure(decodePayload(new Uint8Array([0]), { format: 'avro', schema: 'x.avsc' }, schemas)), 'Avro: x.avsc is not a valid schema: undefined type name: Nope');
    assert.match(failure(decodePayload(new Uint8Array([0]), { format: 'avro', schema: 'missing.avsc' }, SCHEMAS)), /^Avro: no schema file missing\.avsc \(known: /);
  });

  it('refuses hostile payloads at once: trailing bytes, truncation, 2^31 nulls in 6 bytes, 100,000 levels of a recursive record', () => {
    const whole = Reading.toBuffer({ i: 1, l: 1n, d: 0, s: 'abc', b: Buffer.alloc(0), e: 'RED', items: [], opt: null, m: {}, f: Buffer.alloc(4) });
    assert.match(failure(decodePayload(Buffer.concat([whole, Buffer.from([0])]), READING, SCHEMAS)), /^Avro: 1 bytes remain after the datum \(from byte \d+\); a payload must be exactly one datum/);
    assert.match(failure(decodePayload(whole.subarray(0, 12), READING, SCHEMAS)), /^Avro: unexpected end of data: string at byte 10 declares 3 bytes, only 1 follow/);
    // A block of 2^31 - 1 nulls (zero bytes each): avsc would push them all and run out of memory.
    assert.match(failure(decodePayload(new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00]), { format: 'avro', schema: 'schemas/nulls.avsc' }, SCHEMAS)), /^Avro: a block at byte 0 declares 2147483647 items, more than a view shows/);
    // Node {child: Node {child: …}}: union index 1 (0x02) 100,000 times, then null (0x00).
    const deep = new Uint8Array(100_001).fill(0x02);
    deep[100_000] = 0;
    assert.equal(failure(decodePayload(deep, { format: 'avro', schema: 'schemas/node.avsc' }, SCHEMAS)), 'Avro: nested deeper than 500 levels (schema schemas/node.avsc)');
    assert.match(failure(decodePayload(Buffer.from('not avro at all, no'), READING, SCHEMAS)), /^Avro: /);
  });
});
