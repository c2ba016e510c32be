import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as sparkplugPayload from 'sparkplug-payload';
import { formatJson, parseJson } from '../../src/shared/json';
import { decodeSparkplugPayload, encodeSparkplugPayload, SparkplugState } from '../../src/worker/decoders/sparkplug';
import { floatNode } from '../../src/worker/decoders/sparkplug/values';

const tahu = sparkplugPayload.get('spBv1.0')!;

/** JSON text of a value as the decoder prints it (numbers in their shortest exact form, NaN and infinities as strings). */
const doubleText = (value: number) => (Number.isFinite(value) ? (Object.is(value, -0) ? '-0' : String(value)) : JSON.stringify(String(value)));
const floatText = (value: number) => {
  const node = floatNode(value);
  return node.kind === 'number' ? node.raw : JSON.stringify(node.kind === 'string' ? node.value : '');
};
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const int = (min: number, max: number) => fc.integer({ min, max }).map(String);
const big = (min: bigint, max: bigint) => fc.bigInt({ min, max }).map(String);
const float32 = fc.float().map(floatText);
const float64 = fc.double().map(doubleText);
const json = (value: unknown) => JSON.stringify(value);

/** Per datatype, its value as the decoder prints it: any value in the type's range. */
const VALUES: Record<string, fc.Arbitrary<string>> = {
  Int8: int(-128, 127),
  Int16: int(-32768, 32767),
  Int32: int(-2147483648, 2147483647),
  Int64: big(-(2n ** 63n), 2n ** 63n - 1n),
  UInt8: int(0, 255),
  UInt16: int(0, 65535),
  UInt32: int(0, 4294967295),
  UInt64: big(0n, 2n ** 64n - 1n),
  Float: float32,
  Double: float64,
  Boolean: fc.boolean().map(String),
  String: text.map(json),
  DateTime: big(0n, 2n ** 64n - 1n),
  Text: text.map(json),
  UUID: fc.uuid().map(json),
  Bytes: fc.uint8Array({ maxLength: 16 }).map((bytes) => json(Buffer.from(bytes).toString('base64'))),
  File: fc.uint8Array({ maxLength: 16 }).map((bytes) => json(Buffer.from(bytes).toString('base64'))),
  Int8Array: fc.array(int(-128, 127), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
  Int64Array: fc.array(big(-(2n ** 63n), 2n ** 63n - 1n), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
  UInt16Array: fc.array(int(0, 65535), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
  UInt64Array: fc.array(big(0n, 2n ** 64n - 1n), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
  FloatArray: fc.array(float32, { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
  DoubleArray: fc.array(float64, { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
  BooleanArray: fc.array(fc.boolean(), { maxLength: 20 }).map((items) => json(items)),
  StringArray: fc.array(text.filter((item) => !item.includes('\0')), { maxLength: 5 }).map((items) => json(items)),
  DateTimeArray: fc.array(big(0n, 2n ** 64n - 1n), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
};

/** One metric as JSON text, its keys in the decoder's order, so the text is also what decoding prints. */
const metricText = fc
  .record({
    name: text,
    alias: fc.option(big(0n, 2n ** 64n - 1n), { nil: undefined }),
    timestamp: fc.option(big(0n, 2n ** 64n - 1n), { nil: undefined }),
    typed: fc.constantFrom(...Object.keys(VALUES)).chain((datatype) => fc.tuple(fc.constant(datatype), fc.oneof({ weight: 9, arbitrary: VALUES[datatype] }, { weight: 1, arbitrary: fc.constant('null') }))),
    isHistorical: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ name, alias, timestamp, typed: [datatype, value], isHistorical }) => {
    const entries = [`"name": ${json(name)}`];
    if (alias !== undefined) entries.push(`"alias": ${alias}`);
    if (timestamp !== undefined) entries.push(`"timestamp": ${timestamp}`);
    entries.push(`"datatype": "${datatype}"`, `"value": ${value}`);
    if (value === 'null') entries.push('"isNull": true');
    if (isHistorical !== undefined) entries.push(`"isHistorical": ${isHistorical}`);
    return `{ ${entries.join(', ')} }`;
  });

const payloadText = fc
  .record({
    timestamp: big(0n, 2n ** 64n - 1n),
    seq: fc.option(int(0, 255), { nil: undefined }),
    uuid: fc.option(text, { nil: undefined }),
    metrics: fc.array(metricText, { maxLength: 8 }),
  })
  .map(({ timestamp, seq, uuid, metrics }) => {
    const entries = [`"timestamp": ${timestamp}`];
    if (seq !== undefined) entries.push(`"seq": ${seq}`);
    if (uuid !== undefined) entries.push(`"uuid": ${json(uuid)}`);
    entries.push(`"metrics": [${metrics.join(', ')}]`);
    return `{ ${entries.join(', ')} }`;
  });

describe('Sparkplug B: properties', () => {
  it('any metric list in range encodes and decodes back to exactly the same JSON (64-bit integers, floats, arrays, nulls)', () => {
    fc.assert(
      fc.property(payloadText, (typed) => {
        const encoded = encodeSparkplugPayload(typed);
        if (!encoded.ok) throw new Error(`${encoded.error}\n${typed}`);
        const decoded = decodeSparkplugPayload(encoded.bytes);
        if (!decoded.ok) throw new Error(decoded.error);
        assert.equal(formatJson(decoded.value), formatJson(parseJson(typed)));
        assert.equal(decoded.notes, undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('Tahu reads the names, datatypes and payload seq of whatever the encoder writes (the types it knows)', () => {
    fc.assert(
      fc.property(payloadText, (typed) => {
        const encoded = encodeSparkplugPayload(typed);
        if (!encoded.ok) throw new Error(encoded.error);
        const expected = JSON.parse(typed) as { seq?: number; metrics: { name: string; datatype: string }[] };
        const decoded = tahu.decodePayload(encoded.bytes);
        assert.equal(decoded.seq === undefined ? undefined : Number(String(decoded.seq)), expected.seq);
        assert.deepEqual(
          (decoded.metrics ?? []).map((metric) => [metric.name, metric.type ?? 'an array type']),
          expected.metrics.map((metric) => [metric.name, metric.datatype.endsWith('Array') ? 'an array type' : metric.datatype]),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('never throws on any bytes, nor on a valid payload with bytes changed or cut, with or without state', () => {
    const state = new SparkplugState();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(payloadText, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([typed, at, byte, cut]) => {
            const encoded = encodeSparkplugPayload(typed);
            if (!encoded.ok) throw new Error(encoded.error);
            const bytes = new Uint8Array(encoded.bytes);
            if (bytes.length) bytes[at % bytes.length] = byte;
            return bytes.subarray(0, bytes.length - (cut % (bytes.length + 1)));
          }),
        ),
        fc.constantFrom('spBv1.0/G/NBIRTH/E', 'spBv1.0/G/NDATA/E', 'spBv1.0/G/DDATA/E/D', 'spBv1.0/G/NDEATH/E'),
        (bytes, topic) => {
          for (const result of [decodeSparkplugPayload(bytes), state.decode(topic, bytes)]) {
            if (!result.ok) assert.match(result.error, /^Not decoded as Sparkplug B: /);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
