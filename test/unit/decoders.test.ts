import * as assert from 'node:assert/strict';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { encode as cborEncode, Tag } from 'cbor2';
import fc from 'fast-check';
import { formatJson, parseJson, type JsonNode } from '../../src/shared/json';
import { fromJsonNode } from '../../src/worker/decoders/fromJsonNode';
import { buildDecoderSchemas, decodePayload, DEFAULT_DECODE_LIMITS, encodePayload, type FormatBinding } from '../../src/worker/decoders/index';
import { DecodeLimitError, KeyedEntries, toJsonNode } from '../../src/worker/decoders/toJsonNode';
import type { DecodeResult } from '../../src/worker/decoders/types';

const NO_SCHEMAS = buildDecoderSchemas({});
const CBOR: FormatBinding = { format: 'cbor' };
const MSGPACK: FormatBinding = { format: 'msgpack' };
const LEVELS = 100_000;

function decoded(result: DecodeResult): string {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return formatJson(result.value);
}

function failure(result: DecodeResult): string {
  assert.ok(!result.ok, 'expected the decode to fail');
  return result.error;
}

/** JSON text as the panel prints it. */
const pretty = (text: string) => formatJson(parseJson(text));

describe('Decoders: the value converter', () => {
  it('shows 64-bit integers, bytes, maps with any keys, dates and the odd numbers as documented', () => {
    const value = new Map<unknown, unknown>([
      ['big', 9007199254740993n],
      ['min', -9223372036854775808n],
      ['long', { __isLong__: true, toString: () => '18446744073709551615' }],
      ['bytes', new Uint8Array([0, 1, 2, 255])],
      ['buffer', Buffer.from('hi')],
      [1, 'number key'],
      [[1, 2], 'array key'],
      ['nan', NaN],
      ['inf', -Infinity],
      ['negzero', -0],
      ['undef', undefined],
      ['date', new Date(0)],
      ['bad date', new Date(NaN)],
      ['typed', new Int16Array([-1, 2])],
      ['set', new Set(['a'])],
    ]);
    const { value: node, notes } = toJsonNode(value, DEFAULT_DECODE_LIMITS);
    assert.equal(
      formatJson(node),
      pretty(`{"big": 9007199254740993, "min": -9223372036854775808, "long": 18446744073709551615, "bytes": "AAEC/w==", "buffer": "aGk=",
        "1": "number key", "[1,2]": "array key", "nan": "NaN", "inf": "-Infinity", "negzero": -0, "undef": null,
        "date": "1970-01-01T00:00:00.000Z", "bad date": "Invalid Date", "typed": [-1, 2], "set": ["a"]}`),
    );
    assert.ok(notes.some((note) => note.startsWith('NaN (not a JSON number) shows as the string "NaN" (at $.nan)')), notes.join('\n'));
    assert.ok(notes.some((note) => note.startsWith('A map key that is not a string shows as its JSON text')), notes.join('\n'));
    assert.ok(notes.some((note) => note.startsWith('Bytes show as base64 (at $.bytes, 2 times)')), notes.join('\n'));
  });

  it('keeps duplicate keys, __proto__ and the order of keyed entries', () => {
    const { value } = toJsonNode(new KeyedEntries([['__proto__', 1], ['a', 2], ['a', 3], ['2', 4], ['1', 5]]), DEFAULT_DECODE_LIMITS);
    assert.deepEqual(value, {
      kind: 'object',
      entries: [
        ['__proto__', { kind: 'number', raw: '1' }],
        ['a', { kind: 'number', raw: '2' }],
        ['a', { kind: 'number', raw: '3' }],
        ['2', { kind: 'number', raw: '4' }],
        ['1', { kind: 'number', raw: '5' }],
      ],
    });
  });

  it('converts 100,000 levels without recursion when the limits allow, and refuses past maxDepth and maxNodes', () => {
    let deep: unknown = 1;
    for (let level = 0; level < LEVELS; level++) deep = [deep];
    const { value } = toJsonNode(deep, { maxNodes: LEVELS + 1, maxDepth: LEVELS });
    let depth = 0;
    for (let node: JsonNode = value; node.kind === 'array'; node = node.items[0]) depth++;
    assert.equal(depth, LEVELS);
    assert.throws(() => toJsonNode(deep, DEFAULT_DECODE_LIMITS), (error: Error) => error instanceof DecodeLimitError && /nested deeper than 500 levels/.test(error.message));
    assert.throws(() => toJsonNode(new Array(200_000).fill(0), DEFAULT_DECODE_LIMITS), (error: Error) => error instanceof DecodeLimitError && /more than 100,000 values/.test(error.message));
  });

  it('turns JSON back into values: big integers as bigint, __proto__ as an own key', () => {
    const value = fromJsonNode(parseJson('{"__proto__": {"x": 1}, "big": 9007199254740993, "small": 12, "f": 1.5, "list": [true, null, "s"]}')) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__', 'big', 'small', 'f', 'list']);
    assert.equal(value.big, 9007199254740993n);
    assert.equal(value.small, 12);
    assert.deepEqual(value.list, [true, null, 's']);
  });
});

describe('Decoders: CBOR', () => {
  it('decodes vectors made by cbor2: 64-bit integers exact, bytes, nested maps, unicode, tags', () => {
    const bytes = cborEncode(
      new Map<unknown, unknown>([
        ['big', 9007199254740993n],
        ['min', -9223372036854775808n],
        ['bignum', 2n ** 80n],
        ['bytes', new Uint8Array([1, 2, 3])],
        ['nested', new Map<unknown, unknown>([[1, { 'ünï': ['😀', 'é', -1.5] }]])],
        ['when', new Date(Date.UTC(2024, 0, 2))],
        ['tagged', new Tag(99, 'x')],
      ]),
    );
    const result = decodePayload(bytes, CBOR, NO_SCHEMAS);
    assert.equal(
      decoded(result),
      pretty(`{"big": 9007199254740993, "min": -9223372036854775808, "bignum": 1208925819614629174706176, "bytes": "AQID",
        "nested": {"1": {"ünï": ["😀", "é", -1.5]}}, "when": "2024-01-02T00:00:00.000Z", "tagged": {"tag": 99, "value": "x"}}`),
    );
    assert.ok(result.ok && result.decodedBy === 'CBOR');
    assert.ok(result.ok && result.notes?.some((note) => note.startsWith('A CBOR tag the viewer does not decode')));
  });

  it('keeps duplicate map keys and their order', () => {
    // {"b": 1, "a": 2, "b": 3}: cbor2 would keep one "b" in an object.
    const bytes = new Uint8Array([0xa3, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02, 0x61, 0x62, 0x03]);
    assert.equal(decoded(decodePayload(bytes, CBOR, NO_SCHEMAS)), '{\n  "b": 1,\n  "a": 2,\n  "b": 3\n}');
  });

  it('encodes JSON: integers beyond 2^53 exact, then decodes them back', () => {
    const text = '{"id": 9007199254740993, "min": -9223372036854775808, "list": [1, 2.5, "x", null, true], "__proto__": 1}';
    const encoded = encodePayload(text, CBOR, NO_SCHEMAS);
    assert.ok(encoded.ok);
    assert.equal(decoded(decodePayload(encoded.bytes, CBOR, NO_SCHEMAS)), pretty(text));
    assert.match((encodePayload('{"a": ', CBOR, NO_SCHEMAS) as { error: string }).error, /^CBOR: not valid JSON/);
  });

  it('round-trips any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const encoded = encodePayload(text, CBOR, NO_SCHEMAS);
        assert.ok(encoded.ok, encoded.ok ? '' : encoded.error);
        assert.equal(decoded(decodePayload(encoded.bytes, CBOR, NO_SCHEMAS)), pretty(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses hostile payloads at once, with a reason', () => {
    // A definite array that declares 2^32 items, in 10 bytes.
    assert.match(failure(decodePayload(new Uint8Array([0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0x01]), CBOR, NO_SCHEMAS)), /^CBOR: unexpected end of data in the item at byte 9 \(the payload has 10 bytes\)$/);
    // 100,000 levels of one-item arrays.
    const deep = new Uint8Array(LEVELS + 1).fill(0x81);
    deep[LEVELS] = 0x01;
    assert.equal(failure(decodePayload(deep, CBOR, NO_SCHEMAS)), 'CBOR: nested deeper than 500 levels');
    // Truncated: a 2-item array with one item.
    assert.match(failure(decodePayload(cborEncode([1, 'two']).subarray(0, 3), CBOR, NO_SCHEMAS)), /^CBOR: unexpected end of data/);
    assert.match(failure(decodePayload(new Uint8Array([0x01, 0x02]), CBOR, NO_SCHEMAS)), /^CBOR: 1 extra bytes after the value/);
    assert.match(failure(decodePayload(new Uint8Array([0x62, 0xff, 0xfe]), CBOR, NO_SCHEMAS)), /^CBOR: a text string is not valid UTF-8/);
    // A bignum of 1,000 bytes stays bytes (converting it would cost quadratic time).
    const bignum = decodePayload(cborEncode(new Tag(2, new Uint8Array(1000).fill(0xff))), CBOR, NO_SCHEMAS);
    assert.match(decoded(bignum), /"tag": 2/);
    const big = new Uint8Array(DEFAULT_DECODE_LIMITS.maxBytes + 1);
    assert.equal(failure(decodePayload(big, CBOR, NO_SCHEMAS)), 'CBOR: the payload has 1,048,577 bytes, more than the 1,048,576 decoded for a view');
    assert.match(failure(decodePayload(new Uint8Array(0), CBOR, NO_SCHEMAS)), /^CBOR: unexpected end of data/);
  });
});

describe('Decoders: MessagePack', () => {
  it('decodes vectors made by @msgpack/msgpack: 64-bit integers exact, bytes, nested maps, unicode', () => {
    const bytes = msgpackEncode({ big: 9007199254740993n, min: -9223372036854775808n, max: 18446744073709551615n, bytes: new Uint8Array([1, 2, 3]), nested: { 'ünï': ['😀', 'é', -1.5, null] } }, { useBigInt64: true });
    assert.equal(
      decoded(decodePayload(bytes, MSGPACK, NO_SCHEMAS)),
      pretty('{"big": 9007199254740993, "min": -9223372036854775808, "max": 18446744073709551615, "bytes": "AQID", "nested": {"ünï": ["😀", "é", -1.5, null]}}'),
    );
  });

  it('keeps the order of integer-like keys, duplicates, and keys that are not strings', () => {
    // {"2": "a", "1": "b", "2": "c", 7: true, [1]: null} written by hand (the encoder would not write duplicates).
    const bytes = new Uint8Array([0x85, 0xa1, 0x32, 0xa1, 0x61, 0xa1, 0x31, 0xa1, 0x62, 0xa1, 0x32, 0xa1, 0x63, 0x07, 0xc3, 0x91, 0x01, 0xc0]);
    assert.equal(decoded(decodePayload(bytes, MSGPACK, NO_SCHEMAS)), '{\n  "2": "a",\n  "1": "b",\n  "2": "c",\n  "7": true,\n  "[1]": null\n}');
  });

  it('shows an extension as its type and data, and says __proto__ keys are refused', () => {
    const ext = decodePayload(new Uint8Array([0xd4, 0x05, 0x2a]), MSGPACK, NO_SCHEMAS);
    assert.equal(decoded(ext), pretty('{"type": 5, "data": "Kg=="}'));
    const proto = new Uint8Array([0x81, 0xa9, ...Buffer.from('__proto__'), 0x01]);
    assert.match(failure(decodePayload(proto, MSGPACK, NO_SCHEMAS)), /__proto__/);
  });

  it('encodes JSON with 64-bit integers as integers, and refuses one beyond 64 bits that a double would round', () => {
    const text = '{"id": 9007199254740993, "min": -9223372036854775808, "max": 18446744073709551615, "mid": 5000000000, "list": [1, 2.5, "x", null, true]}';
    const encoded = encodePayload(text, MSGPACK, NO_SCHEMAS);
    assert.ok(encoded.ok);
    assert.equal(decoded(decodePayload(encoded.bytes, MSGPACK, NO_SCHEMAS)), pretty(text));
    // 5000000000 is written as a uint 32? no: beyond 32 bits, as a uint 64 (0xcf), not a float 64.
    assert.ok(Buffer.from(encoded.bytes).includes(Buffer.from([0xcf, 0, 0, 0, 1, 0x2a, 0x05, 0xf2, 0])));
    assert.match((encodePayload('123456789012345678901234567890', MSGPACK, NO_SCHEMAS) as { error: string }).error, /^MessagePack: the integer 123456789012345678901234567890 does not fit in 64 bits/);
  });

  it('round-trips any JSON value (property; keys other than __proto__, which the library refuses)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!text.includes('"__proto__":'));
        const encoded = encodePayload(text, MSGPACK, NO_SCHEMAS);
        assert.ok(encoded.ok, encoded.ok ? '' : encoded.error);
        assert.equal(decoded(decodePayload(encoded.bytes, MSGPACK, NO_SCHEMAS)), pretty(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses hostile payloads at once, with a reason', () => {
    // An array 32 that declares 4,294,967,295 items, in 10 bytes: refused before allocating.
    assert.match(failure(decodePayload(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5]), MSGPACK, NO_SCHEMAS)), /^MessagePack: an array declares 4,294,967,295 items, more than the 10-byte payload can hold/);
    assert.match(failure(decodePayload(new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5]), MSGPACK, NO_SCHEMAS)), /^MessagePack: a map declares/);
    assert.match(failure(decodePayload(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]), MSGPACK, NO_SCHEMAS)), /^MessagePack: a string declares/);
    assert.match(failure(decodePayload(new Uint8Array([0xc6, 0xff, 0xff, 0xff, 0xff, 0x61]), MSGPACK, NO_SCHEMAS)), /^MessagePack: a binary value declares/);
    // 100,000 levels of one-item arrays, with and without the innermost value.
    const deep = new Uint8Array(LEVELS + 1).fill(0x91);
    deep[LEVELS] = 0x01;
    assert.equal(failure(decodePayload(deep, MSGPACK, NO_SCHEMAS)), 'MessagePack: nested deeper than 500 levels');
    assert.match(failure(decodePayload(deep.subarray(0, LEVELS), MSGPACK, NO_SCHEMAS)), /^MessagePack: unexpected end of data/);
    assert.match(failure(decodePayload(msgpackEncode({ a: 'text' }).subarray(0, 5), MSGPACK, NO_SCHEMAS)), /^MessagePack: unexpected end of data/);
    assert.match(failure(decodePayload(new Uint8Array([0x01, 0x02]), MSGPACK, NO_SCHEMAS)), /^MessagePack: 1 extra bytes after the value \(from byte 1\)/);
    assert.match(failure(decodePayload(new Uint8Array([0xc1]), MSGPACK, NO_SCHEMAS)), /^MessagePack: Unrecognized type byte/);
    assert.match(failure(decodePayload(new Uint8Array(DEFAULT_DECODE_LIMITS.maxBytes + 1), MSGPACK, NO_SCHEMAS)), /^MessagePack: the payload has 1,048,577 bytes/);
  });
});
