import * as assert from 'node:assert/strict';
import { Writer } from 'protobufjs/light';
import * as sparkplugPayload from 'sparkplug-payload';
import { formatJson, parseJson, type JsonNode } from '../../src/shared/json';
import type { DecodeResult } from '../../src/worker/decoders/types';
import { decodeSparkplugPayload, encodeSparkplugPayload, MAX_ENCODE_NESTING, parseSparkplugTopic, rebirthRequest } from '../../src/worker/decoders/sparkplug';
import { checkStructure } from '../../src/worker/decoders/sparkplug/decode';

/** Eclipse Tahu's JavaScript implementation: the reference the vectors come from (tests only). */
const tahu = sparkplugPayload.get('spBv1.0')!;
type TahuPayload = Parameters<typeof tahu.encodePayload>[0];

/** A 64-bit value for Tahu's protobufjs 6 (it reads any object with low and high bits, as long.js's Long has). */
function tahuLong(value: bigint, unsigned: boolean) {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned } as never;
}

/** The decoded JSON, printed (fails the test with the error when it did not decode). */
function printed(result: DecodeResult): string {
  if (!result.ok) assert.fail(result.error);
  return formatJson(result.value);
}

/** JSON text, pretty-printed as formatJson prints a JsonNode, numbers as written. */
const pretty = (text: string) => formatJson(parseJson(text));

function encoded(json: string | JsonNode): Uint8Array {
  const result = encodeSparkplugPayload(json);
  if (!result.ok) assert.fail(result.error);
  return result.bytes;
}

describe('Sparkplug B: decoding reference vectors made by Eclipse Tahu (sparkplug-payload)', () => {
  it('decodes every scalar datatype, typed as the datatype says, 64-bit integers exact', () => {
    const bytes = tahu.encodePayload({
      timestamp: 1700000000000,
      seq: 7,
      uuid: 'a-uuid',
      body: new Uint8Array([0xde, 0xad]),
      metrics: [
        { name: 'int8', type: 'Int8', value: -5 },
        { name: 'int8 max', type: 'Int8', value: 127 },
        { name: 'int16', type: 'Int16', value: -32768 },
        { name: 'int32', type: 'Int32', value: -2147483648 },
        { name: 'int64 min', type: 'Int64', value: tahuLong(-9223372036854775808n, false) },
        { name: 'int64 max', type: 'Int64', value: tahuLong(9223372036854775807n, false) },
        { name: 'uint8', type: 'UInt8', value: 255 },
        { name: 'uint16', type: 'UInt16', value: 65535 },
        { name: 'uint32', type: 'UInt32', value: 4294967295 },
        { name: 'uint64', type: 'UInt64', value: tahuLong(18446744073709551615n, true) },
        { name: 'float', type: 'Float', value: 21.5 },
        { name: 'float tenth', type: 'Float', value: 0.1 },
        { name: 'double', type: 'Double', value: 0.1 },
        { name: 'boolean', type: 'Boolean', value: false },
        { name: 'string', type: 'String', value: 'héllo 🌡' },
        { name: 'datetime', type: 'DateTime', value: tahuLong(1700000000123n, true) },
        { name: 'text', type: 'Text', value: 'long text' },
        { name: 'uuid', type: 'UUID', value: '123e4567-e89b-12d3-a456-426614174000' },
        { name: 'bytes', type: 'Bytes', value: new Uint8Array([0, 1, 2, 253, 254, 255]) },
        { name: 'file', type: 'File', value: new Uint8Array([0x25, 0x50, 0x44, 0x46]) },
      ],
    } as TahuPayload);
    assert.equal(
      printed(decodeSparkplugPayload(bytes)),
      pretty(`{
        "timestamp": 1700000000000, "seq": 7, "uuid": "a-uuid", "body": "3q0=",
        "metrics": [
          { "name": "int8", "datatype": "Int8", "value": -5 },
          { "name": "int8 max", "datatype": "Int8", "value": 127 },
          { "name": "int16", "datatype": "Int16", "value": -32768 },
          { "name": "int32", "datatype": "Int32", "value": -2147483648 },
          { "name": "int64 min", "datatype": "Int64", "value": -9223372036854775808 },
          { "name": "int64 max", "datatype": "Int64", "value": 9223372036854775807 },
          { "name": "uint8", "datatype": "UInt8", "value": 255 },
          { "name": "uint16", "datatype": "UInt16", "value": 65535 },
          { "name": "uint32", "datatype": "UInt32", "value": 4294967295 },
          { "name": "uint64", "datatype": "UInt64", "value": 18446744073709551615 },
          { "name": "float", "datatype": "Float", "value": 21.5 },
          { "name": "float tenth", "datatype": "Float", "value": 0.1 },
          { "name": "double", "datatype": "Double", "value": 0.1 },
          { "name": "boolean", "datatype": "Boolean", "value": false },
          { "name": "string", "datatype": "String", "value": "héllo 🌡" },
          { "name": "datetime", "datatype": "DateTime", "value": 1700000000123 },
          { "name": "text", "datatype": "Text", "value": "long text" },
          { "name": "uuid", "datatype": "UUID", "value": "123e4567-e89b-12d3-a456-426614174000" },
          { "name": "bytes", "datatype": "Bytes", "value": "AAEC/f7/" },
          { "name": "file", "datatype": "File", "value": "JVBERg==" }
        ]
      }`),
    );
  });

  it('decodes a DataSet as a table, a Template with its metrics and parameters, property sets, metadata and is_null', () => {
    const bytes = tahu.encodePayload({
      timestamp: 1,
      metrics: [
        {
          name: 'table',
          alias: 3,
          timestamp: 2,
          type: 'DataSet',
          value: { numOfColumns: 3, columns: ['id', 'reading', 'ok'], types: ['Int64', 'Double', 'Boolean'], rows: [[tahuLong(-1n, false), 1.5, true], [tahuLong(2n, false), -0.25, false]] },
        },
        {
          name: 'motor',
          type: 'Template',
          value: {
            version: 'v2',
            templateRef: 'Motor',
            isDefinition: false,
            metrics: [
              { name: 'rpm', type: 'UInt16', value: 1200 },
              { name: 'inner', type: 'Template', value: { templateRef: 'Bearing', metrics: [{ name: 'temp', type: 'Int8', value: -40 }], parameters: [] } },
            ],
            parameters: [
              { name: 'serial', type: 'String', value: 'A-17' },
              { name: 'rated', type: 'Int64', value: tahuLong(-3n, false) },
            ],
          },
        },
        {
          name: 'setpoint',
          type: 'Double',
          value: null,
          isHistorical: true,
          isTransient: false,
          metadata: { contentType: 'text/plain', size: 12, description: 'a setpoint' },
          properties: {
            engUnit: { type: 'String', value: '°C' },
            limits: { type: 'PropertySet', value: { low: { type: 'Int32', value: -10 }, high: { type: 'Float', value: 99.5 } } },
            history: { type: 'PropertySetList', value: [{ a: { type: 'Boolean', value: true } }, { b: { type: 'UInt64', value: tahuLong(7n, true) } }] },
            unset: { type: 'String', value: null },
          },
        },
      ],
    } as TahuPayload);
    assert.equal(
      printed(decodeSparkplugPayload(bytes)),
      pretty(`{
        "timestamp": 1,
        "metrics": [
          { "name": "table", "alias": 3, "timestamp": 2, "datatype": "DataSet", "value": {
              "numOfColumns": 3, "columns": ["id", "reading", "ok"], "types": ["Int64", "Double", "Boolean"],
              "rows": [[-1, 1.5, true], [2, -0.25, false]] } },
          { "name": "motor", "datatype": "Template", "value": {
              "version": "v2", "templateRef": "Motor", "isDefinition": false,
              "metrics": [
                { "name": "rpm", "datatype": "UInt16", "value": 1200 },
                { "name": "inner", "datatype": "Template", "value": {
                    "templateRef": "Bearing", "metrics": [{ "name": "temp", "datatype": "Int8", "value": -40 }], "parameters": [] } }
              ],
              "parameters": [
                { "name": "serial", "type": "String", "value": "A-17" },
                { "name": "rated", "type": "Int64", "value": -3 }
              ] } },
          { "name": "setpoint", "datatype": "Double", "value": null, "isNull": true, "isHistorical": true, "isTransient": false,
            "metadata": { "contentType": "text/plain", "description": "a setpoint", "size": 12 },
            "properties": {
              "engUnit": { "type": "String", "value": "°C" },
              "limits": { "type": "PropertySet", "value": { "low": { "type": "Int32", "value": -10 }, "high": { "type": "Float", "value": 99.5 } } },
              "history": { "type": "PropertySetList", "value": [{ "a": { "type": "Boolean", "value": true } }, { "b": { "type": "UInt64", "value": 7 } }] },
              "unset": { "type": "String", "value": null, "isNull": true }
            } }
        ]
      }`),
    );
  });

  it('reads a small signed integer however it was stored: 32-bit two\'s complement (Tahu), the type\'s own width, or out of range with a note', () => {
    const metric = (datatype: number, intValue: number) => {
      const writer = Writer.create();
      writer.uint32(18).fork().uint32(10).string('m').uint32(32).uint32(datatype).uint32(80).uint32(intValue).ldelim();
      return decodeSparkplugPayload(writer.finish());
    };
    const value = (result: DecodeResult) => (result.ok ? formatJson(result.value).match(/"value": (.*)/)?.[1] : result.error);
    assert.equal(value(metric(1, 0xfffffffb)), '-5', 'Int8 -5 as Tahu writes it');
    assert.equal(value(metric(1, 0xfb)), '-5', 'Int8 -5 as an 8-bit two\'s complement');
    assert.equal(value(metric(2, 0xffff8000)), '-32768');
    assert.equal(value(metric(2, 0x8000)), '-32768');
    const wide = metric(1, 300);
    assert.equal(value(wide), '300');
    assert.deepEqual(wide.ok && wide.notes, ['metrics[0] (m): 300 does not fit Int8']);
    assert.equal(value(metric(7, 4294967295)), '4294967295', 'UInt32 in int_value (as the specification has it)');
  });

  it('unpacks the array datatypes (little-endian, Boolean bit-packed after a count, strings ended by 0)', () => {
    const arrays: [string, number, Uint8Array][] = [
      ['Int8Array', 22, new Uint8Array([0xe9, 0x7b])],
      ['Int32Array', 24, new Uint8Array([0x15, 0xcd, 0x5b, 0x07, 0xff, 0xff, 0xff, 0xff])],
      ['UInt64Array', 29, new Uint8Array([0x34, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
      ['FloatArray', 30, new Uint8Array(new Float32Array([1.23, -0.5]).buffer)],
      ['BooleanArray', 32, new Uint8Array([0x0c, 0, 0, 0, 0x34, 0xd0])],
      ['StringArray', 33, new Uint8Array([0x41, 0x42, 0x43, 0, 0x68, 0x69, 0])],
    ];
    const writer = Writer.create();
    for (const [name, type, bytes] of arrays) writer.uint32(18).fork().uint32(10).string(name).uint32(32).uint32(type).uint32(130).bytes(bytes).ldelim();
    const values = JSON.parse(printed(decodeSparkplugPayload(writer.finish()))).metrics.map((metric: { value: unknown }) => metric.value);
    assert.deepEqual(values, [
      [-23, 123],
      [123456789, -1],
      [52, 18446744073709552000], // JSON.parse rounds: the text is exact, see below
      [1.23, -0.5],
      [false, false, true, true, false, true, false, false, true, true, false, true],
      ['ABC', 'hi'],
    ]);
    assert.match(printed(decodeSparkplugPayload(writer.finish())), /18446744073709551615/);
  });

  it('decodes what Tahu encodes from the encoder\'s own bytes: the encoder\'s output reads back the same in Tahu', () => {
    const bytes = encoded(`{
      "timestamp": 1700000000000, "seq": 4,
      "metrics": [
        { "name": "int8", "datatype": "Int8", "value": -5 },
        { "name": "int16", "datatype": 2, "value": -300 },
        { "name": "int32", "datatype": "int32", "value": -2147483648 },
        { "name": "int64", "datatype": "Int64", "value": -9223372036854775808 },
        { "name": "uint32", "datatype": "UInt32", "value": 4294967295 },
        { "name": "uint64", "datatype": "UInt64", "value": "18446744073709551615" },
        { "name": "datetime", "datatype": "DateTime", "value": "2023-11-14T22:13:20.123Z" },
        { "name": "float", "datatype": "Float", "value": 21.5 },
        { "name": "double", "datatype": "Double", "value": 1e300 },
        { "name": "flag", "alias": 9, "datatype": "Boolean", "value": true, "timestamp": 5, "isHistorical": true },
        { "name": "text", "datatype": "String", "value": "héllo" },
        { "name": "bytes", "datatype": "Bytes", "value": "AAEC/f7/" },
        { "name": "nothing", "datatype": "Int32", "value": null },
        { "name": "table", "datatype": "DataSet", "value": { "columns": ["n", "s"], "types": ["Int64", "String"], "rows": [[-7, "a"], [8, "b"]] } },
        { "name": "tpl", "datatype": "Template", "value": { "templateRef": "Motor", "metrics": [{ "name": "rpm", "datatype": "Double", "value": 3.5 }],
            "parameters": [{ "name": "serial", "type": "String", "value": "A-17" }] } },
        { "name": "with props", "datatype": "Double", "value": 1, "properties": { "engUnit": { "type": "String", "value": "°C" } } }
      ]
    }`);
    const decoded = tahu.decodePayload(bytes);
    const metrics = decoded.metrics ?? [];
    const value = (name: string) => metrics.find((metric) => metric.name === name)?.value;
    assert.equal(String(decoded.timestamp), '1700000000000');
    assert.equal(String(decoded.seq), '4');
    assert.equal(value('int8'), -5);
    assert.equal(value('int16'), -300);
    assert.equal(value('int32'), -2147483648);
    // Tahu turns a long into a signed or 32-bit number only when it is its own long.js's Long; here its
    // protobufjs 6 finds another copy of long.js, so it hands back the unsigned Long: compare the bits.
    assert.equal(BigInt.asIntN(64, BigInt(String(value('int64')))), -9223372036854775808n);
    assert.equal(BigInt.asUintN(32, BigInt(String(value('uint32')))), 4294967295n);
    assert.equal(String(value('uint64')), '18446744073709551615');
    assert.equal(String(value('datetime')), '1700000000123');
    assert.equal(value('float'), 21.5);
    assert.equal(value('double'), 1e300);
    assert.equal(value('flag'), true);
    const flag = metrics.find((metric) => metric.name === 'flag');
    assert.equal(String(flag?.alias), '9');
    assert.equal(String(flag?.timestamp), '5');
    assert.equal(flag?.isHistorical, true);
    assert.equal(value('text'), 'héllo');
    assert.deepEqual([...(value('bytes') as Uint8Array)], [0, 1, 2, 253, 254, 255]);
    assert.equal(value('nothing'), null);
    const table = value('table') as { columns: string[]; types: string[]; rows: unknown[][] };
    assert.deepEqual(table.columns, ['n', 's']);
    assert.deepEqual(table.types, ['Int64', 'String']);
    assert.deepEqual(table.rows.map(([number, text]) => [BigInt.asIntN(64, BigInt(String(number))), text]), [[-7n, 'a'], [8n, 'b']]);
    const template = value('tpl') as { templateRef: string; metrics: { name: string; value: number }[]; parameters: { name: string; value: string }[] };
    assert.equal(template.templateRef, 'Motor');
    assert.deepEqual(template.metrics.map((metric) => [metric.name, metric.value]), [['rpm', 3.5]]);
    assert.deepEqual(template.parameters.map((parameter) => [parameter.name, parameter.value]), [['serial', 'A-17']]);
    assert.deepEqual(metrics.find((metric) => metric.name === 'with props')?.properties, { engUnit: { type: 'String', value: '°C' } });
  });

  it('encodes what it decodes: a decoded message, typed back, gives the same JSON', () => {
    const text = `{
      "timestamp": 1, "seq": 255, "uuid": "u", "body": "3q0=",
      "metrics": [
        { "name": "a", "alias": 18446744073709551615, "timestamp": 3, "datatype": "UInt64", "value": 18446744073709551615 },
        { "name": "b", "datatype": "Int64Array", "value": [-9223372036854775808, 0, 9223372036854775807] },
        { "name": "c", "datatype": "BooleanArray", "value": [true, false, true] },
        { "name": "d", "datatype": "StringArray", "value": ["", "x", "é"] },
        { "name": "e", "datatype": "DoubleArray", "value": [-0, 1.5, "NaN", "-Infinity"] },
        { "name": "f", "datatype": "Float", "value": "Infinity" },
        { "name": "g", "datatype": "DateTimeArray", "value": [0, 1700000000000] },
        { "name": "h", "datatype": "Template", "value": { "version": "1", "isDefinition": true, "metrics": [], "parameters": [{ "name": "p", "type": "UInt32", "value": 4294967295 }] } },
        { "name": "i", "datatype": "Int8", "value": null, "isNull": true, "metadata": { "isMultiPart": false, "md5": "x", "seq": 2 } }
      ]
    }`;
    assert.equal(printed(decodeSparkplugPayload(encoded(text))), pretty(text));
  });

  it('says which metric and field is wrong when encoding', () => {
    const error = (text: string) => {
      const result = encodeSparkplugPayload(text);
      return result.ok ? 'encoded' : result.error;
    };
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Int8", "value": 1}, {"name": "b", "datatype": "Int8", "value": 300}]}'), 'metrics[1].value: 300 is out of range for Int8 (-128 to 127)');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "UInt64", "value": -1}]}'), 'metrics[0].value: -1 is out of range for UInt64 (0 to 18446744073709551615)');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Int64", "value": 9223372036854775808}]}'), 'metrics[0].value: 9223372036854775808 is out of range for Int64 (-9223372036854775808 to 9223372036854775807)');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Int32", "value": 1.5}]}'), 'metrics[0].value: expected an integer (Int32), got 1.5');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Doubel", "value": 1}]}'), 'metrics[0].datatype: not a Sparkplug datatype: "Doubel"');
    assert.equal(error('{"metrics": [{"name": "a", "value": 1}]}'), 'metrics[0].datatype: missing (name it, e.g. "Double"; no birth defines this metric)');
    assert.equal(error('{"metrics": [{"datatype": "Double", "value": 1}]}'), 'metrics[0]: a metric needs a name or an alias');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Double", "valu": 1}]}'), 'metrics[0].valu: unknown field (expected name, alias, timestamp, datatype, dataType, type, value, isNull, isHistorical, isTransient, metadata, properties)');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Boolean", "value": "yes"}]}'), 'metrics[0].value: expected true or false, got a string');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Bytes", "value": "not base64!"}]}'), 'metrics[0].value: expected base64 text');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "PropertySet", "value": {}}]}'), 'metrics[0].value: PropertySet cannot be the value of a metric (it has no field for it)');
    assert.equal(
      error('{"metrics": [{"name": "t", "datatype": "Template", "value": {"metrics": [{"name": "x", "datatype": "UInt8", "value": 256}]}}]}'),
      'metrics[0].value.metrics[0].value: 256 is out of range for UInt8 (0 to 255)',
    );
    assert.equal(error('{"metrics": [{"name": "d", "datatype": "DataSet", "value": {"columns": ["a"], "types": ["Int8"], "rows": [[1, 2]]}}]}'), 'metrics[0].value.rows[0]: 2 values for 1 columns');
    assert.equal(error('{"seq": 256, "metrics": []}'), 'seq: 256 is out of range for a seq, 0 to 255 (0 to 255)');
    assert.equal(error('{"metrics": [{"name": "a", "datatype": "Double", "type": "Float", "value": 1}]}'), 'metrics[0].type: the datatype is given twice (datatype and type)');
    assert.match(error('{"metrics": ['), /^Not JSON: /);
  });

  it('writes zero values, a seq of 0 and a timestamp of now when none is given', () => {
    const result = encodeSparkplugPayload('{"metrics": [{"name": "zero", "datatype": "Int32", "value": 0}]}', { seq: 0, now: () => 42 });
    assert.ok(result.ok);
    assert.equal(printed(decodeSparkplugPayload(result.bytes)), pretty('{"timestamp": 42, "seq": 0, "metrics": [{"name": "zero", "datatype": "Int32", "value": 0}]}'));
  });

  it('builds the Rebirth request: NCMD Node Control/Rebirth = true, timestamped now, on spBv1.0/<group>/NCMD/<node>', () => {
    const request = rebirthRequest('Plant 1', 'edge-7', 1700000000000);
    assert.ok(request.ok);
    assert.equal(request.topic, 'spBv1.0/Plant 1/NCMD/edge-7');
    const decoded = tahu.decodePayload(request.bytes);
    assert.equal(String(decoded.timestamp), '1700000000000');
    assert.equal(decoded.seq, undefined);
    assert.deepEqual(
      decoded.metrics?.map((metric) => [metric.name, metric.type, metric.value, String(metric.timestamp)]),
      [['Node Control/Rebirth', 'Boolean', true, '1700000000000']],
    );
    assert.deepEqual(rebirthRequest('a/b', 'n'), { ok: false, error: 'Cannot request a rebirth: the group id "a/b" contains /, + or #' });
  });
});

describe('Sparkplug B: topics', () => {
  it('reads node, device and host STATE topics', () => {
    assert.deepEqual(parseSparkplugTopic('spBv1.0/G/NBIRTH/E'), { ok: true, topic: { type: 'NBIRTH', group: 'G', node: 'E' } });
    assert.deepEqual(parseSparkplugTopic('spBv1.0/G/DDATA/E/D'), { ok: true, topic: { type: 'DDATA', group: 'G', node: 'E', device: 'D' } });
    assert.deepEqual(parseSparkplugTopic('spBv1.0/STATE/scada-1'), { ok: true, topic: { type: 'STATE', hostId: 'scada-1' } });
    assert.deepEqual(parseSparkplugTopic('spBv1.0/G/STATE/h'), { ok: true, topic: { type: 'STATE', hostId: 'h', group: 'G' } });
    assert.deepEqual(parseSparkplugTopic('spBv1.0/__proto__/NCMD/constructor'), { ok: true, topic: { type: 'NCMD', group: '__proto__', node: 'constructor' } });
  });

  it('says why anything else under spBv1.0 is not a Sparkplug topic', () => {
    const reason = (topic: string) => {
      const reading = parseSparkplugTopic(topic);
      return reading.ok ? 'ok' : reading.reason;
    };
    assert.equal(reason('spBv1.0/G/NDATA'), 'Not a Sparkplug topic: it has 3 levels; a Sparkplug topic is spBv1.0/<group>/<type>/<edge node>[/<device>]');
    assert.equal(reason('spBv1.0/G/NDATA/E/D'), 'Not a Sparkplug topic: NDATA is spBv1.0/<group>/NDATA/<edge node>; this topic has 5 levels');
    assert.equal(reason('spBv1.0/G/DDATA/E'), 'Not a Sparkplug topic: DDATA is spBv1.0/<group>/DDATA/<edge node>/<device>; this topic has 4 levels');
    assert.equal(reason(`spBv1.0/G/DDATA/E/D${'/x'.repeat(20000)}`), 'Not a Sparkplug topic: DDATA is spBv1.0/<group>/DDATA/<edge node>/<device>; this topic has more than 5 levels');
    assert.equal(reason('spBv1.0/G/NDATA2/E'), 'Not a Sparkplug topic: "NDATA2" is not a Sparkplug message type (NBIRTH, NDEATH, NDATA, NCMD, DBIRTH, DDEATH, DDATA, DCMD, STATE)');
    assert.equal(reason('spBv1.0//NDATA/E'), 'Not a Sparkplug topic: the group id is empty');
    assert.equal(reason('spBv1.0/G/NDATA/'), 'Not a Sparkplug topic: the edge node id is empty');
    assert.equal(reason('spAv1.0/G/NDATA/E'), 'Not a Sparkplug topic: it does not start with spBv1.0/');
  });
});

describe('Sparkplug B: hostile payloads', () => {
  /** A payload whose one metric is a Template holding a metric that is a Template… `levels` deep, written with protobufjs's writer (iterative). */
  function nestedTemplates(levels: number): Uint8Array {
    const writer = Writer.create();
    writer.uint32(18).fork(); // Payload.metrics
    for (let level = 0; level < levels; level++) {
      writer.uint32(32).uint32(19); // Metric.datatype = Template
      writer.uint32(146).fork(); // Metric.template_value
      writer.uint32(18).fork(); // Template.metrics
    }
    writer.uint32(10).string('leaf');
    for (let level = 0; level < 2 * levels + 1; level++) writer.ldelim();
    return writer.finish();
  }

  it('refuses a Template nested 100,000 deep with a clear error, and returns', () => {
    const bytes = nestedTemplates(100_000);
    const started = Date.now();
    const result = decodeSparkplugPayload(bytes);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.error : '', /^Not decoded as Sparkplug B: nested deeper than 100 levels \(at byte \d+\): not decoded$/);
    assert.ok(Date.now() - started < 1000, `refused at once, not after walking 1 MB (took ${Date.now() - started} ms)`);
    assert.throws(() => checkStructure(bytes, 1000), /nested deeper than 1000 levels/);
  });

  it('decodes 49 Template levels (99 nested messages, within protobufjs\'s recursion limit) and refuses 50 with its own reason', () => {
    const deepest = decodeSparkplugPayload(nestedTemplates(49));
    assert.ok(deepest.ok, !deepest.ok ? deepest.error : '');
    assert.match(printed(deepest), /"name": "leaf"/);
    assert.deepEqual(decodeSparkplugPayload(nestedTemplates(50)), { ok: false, error: 'Not decoded as Sparkplug B: nested deeper than 100 levels (at byte 417): not decoded' });
  });

  it('encodes templates nested MAX_ENCODE_NESTING deep, and names the path of one level more', () => {
    const nested = (levels: number) => {
      let metric = '{"name": "leaf", "datatype": "Int8", "value": -1}';
      for (let level = 0; level < levels; level++) metric = `{"name": "t${level}", "datatype": "Template", "value": {"metrics": [${metric}]}}`;
      return `{"timestamp": 1, "metrics": [${metric}]}`;
    };
    assert.match(printed(decodeSparkplugPayload(encoded(nested(MAX_ENCODE_NESTING)))), /"name": "leaf"/);
    const tooDeep = encodeSparkplugPayload(nested(MAX_ENCODE_NESTING + 1));
    assert.equal(tooDeep.ok, false);
    assert.match(!tooDeep.ok ? tooDeep.error : '', /^metrics\[0\](\.value\.metrics\[0\]){32}\.value: templates and property sets nest deeper than 32 levels$/);
  });

  it('decodes templates nested as deep as the limits allow, and refuses one level more in the JSON', () => {
    // Each template level is three JSON levels (metric object, template object, metrics array).
    const ok = decodeSparkplugPayload(nestedTemplates(10), { limits: { maxBytes: 1 << 20, maxNodes: 10_000, maxDepth: 33 } });
    assert.ok(ok.ok, !ok.ok ? ok.error : '');
    const deep = decodeSparkplugPayload(nestedTemplates(11), { limits: { maxBytes: 1 << 20, maxNodes: 10_000, maxDepth: 33 } });
    assert.deepEqual(deep, { ok: false, error: 'Not decoded as Sparkplug B: nested deeper than 33 levels: not decoded' });
  });

  it('gives a reason for garbage, truncated and oversized payloads, never an exception', () => {
    const good = encoded('{"timestamp": 1, "metrics": [{"name": "Temperature", "datatype": "Double", "value": 21.5}]}');
    const error = (bytes: Uint8Array, limits?: { maxBytes: number; maxNodes: number; maxDepth: number }) => {
      const result = decodeSparkplugPayload(bytes, { limits });
      return result.ok ? 'decoded' : result.error;
    };
    assert.match(error(good.subarray(0, good.length - 3)), /^Not decoded as Sparkplug B: truncated: /);
    assert.match(error(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), /^Not decoded as Sparkplug B: malformed: /);
    assert.match(error(new TextEncoder().encode('{"temperature": 21.5}')), /^Not decoded as Sparkplug B: /);
    assert.equal(error(new Uint8Array([0x10, 0x01])), 'Not decoded as Sparkplug B: malformed: field 2 of Payload has wire type 0, expected 2 (byte 0)');
    assert.equal(error(good, { maxBytes: 10, maxNodes: 100, maxDepth: 100 }), `Not decoded as Sparkplug B: ${good.length} bytes is more than the 10 decoded`);
    assert.equal(error(good, { maxBytes: 1000, maxNodes: 3, maxDepth: 100 }), 'Not decoded as Sparkplug B: more than 3 values: not decoded');
    assert.equal(error(new Uint8Array()), 'decoded', 'an empty payload is a valid empty Payload message');
  });

  it('skips unknown fields (extensions), including groups, within the depth limit', () => {
    const writer = Writer.create();
    writer.uint32(8).uint64(5); // timestamp
    writer.uint32((100 << 3) | 0).uint32(1); // an extension field, varint
    writer.uint32((101 << 3) | 3).uint32((1 << 3) | 0).uint32(1).uint32((101 << 3) | 4); // a group
    assert.equal(printed(decodeSparkplugPayload(writer.finish())), pretty('{"timestamp": 5, "metrics": []}'));
    const groups = Writer.create();
    for (let level = 0; level < 100_000; level++) groups.uint32((101 << 3) | 3);
    assert.match(!decodeSparkplugPayload(groups.finish()).ok ? 'refused' : 'decoded', /refused/);
  });
});
