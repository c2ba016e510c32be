import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvCell, detailOf, formatHistory, previewOf, rowOf } from '../../src/host/engine/historyFormat';
import type { HistoryEntry } from '../../src/shared/engineProtocol';
import { downsample, extractFields } from '../../src/shared/series';
import { formatJson, parseJson, tryParseJson } from '../../src/shared/json';

function entry(seq: number, payload: string | Uint8Array, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  const bytes = typeof payload === 'string' ? new Uint8Array(Buffer.from(payload)) : payload;
  return { seq, payload: bytes, size: bytes.length, kept: bytes.length, truncated: false, qos: 1, retain: false, receivedAt: Date.UTC(2026, 10, 26, 8, 0, seq), ...extra };
}

describe('Panel logic: JSON as it arrived', () => {
  it('keeps big integers, number spelling and duplicate keys that JSON.parse would lose', () => {
    const tree = parseJson('{"id": 12345678901234567890, "f": 1.50, "e": 1E3, "k": 1, "k": 2}');
    assert.deepEqual(tree, {
      kind: 'object',
      entries: [
        ['id', { kind: 'number', raw: '12345678901234567890' }],
        ['f', { kind: 'number', raw: '1.50' }],
        ['e', { kind: 'number', raw: '1E3' }],
        ['k', { kind: 'number', raw: '1' }],
        ['k', { kind: 'number', raw: '2' }],
      ],
    });
    assert.equal(formatJson(parseJson('{"a":[1,{"b":null}],"c":"x\\"y","d":{},"e":[]}')), '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ],\n  "c": "x\\"y",\n  "d": {},\n  "e": []\n}');
  });

  it('refuses what is not JSON, and nesting deep enough to overflow the stack', () => {
    for (const bad of ['', '{', '{"a":1,}', '[1 2]', "{'a':1}", 'NaN', '01', '"\u0001"', '{"a":1} x', '[-]']) assert.equal(tryParseJson(bad), undefined, bad);
    assert.equal(tryParseJson('['.repeat(100_000) + ']'.repeat(100_000)), undefined);
    assert.ok(tryParseJson('['.repeat(400) + ']'.repeat(400)));
  });

  it('property: agrees with JSON.parse on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        assert.deepEqual(JSON.parse(formatJson(parseJson(text))), JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('Panel logic: chart series', () => {
  it('finds the numeric fields of a payload, and keeps the peaks when it thins a series out', () => {
    assert.deepEqual([...extractFields(' 21.5 ')], [['value', 21.5]]);
    assert.deepEqual([...extractFields('{"a.b":1,"l":[2,"x",true]}')], [['["a.b"]', 1], ['l[0]', 2], ['l[2]', 1]]);
    assert.equal(extractFields('hello').size, 0);
    assert.equal(extractFields(undefined).size, 0);
    const points = Array.from({ length: 10_000 }, (_, t) => ({ t, v: t === 4321 ? 1000 : t === 7000 ? -1000 : Math.sin(t / 100) }));
    const thin = downsample(points, 500);
    assert.ok(thin.length <= 500, `${thin.length} points`);
    assert.ok(thin.some((point) => point.v === 1000) && thin.some((point) => point.v === -1000), 'peaks survive');
    assert.deepEqual(thin.map((point) => point.t), [...thin.map((point) => point.t)].sort((a, b) => a - b), 'in time order');
  });
});

describe('Panel logic: rows, messages and exports', () => {
  it('previews a cut payload without breaking a character, and carries MQTT 5 properties bounded in rows only', () => {
    const text = 'é'.repeat(60);
    const cut = entry(0, Buffer.from(text).subarray(0, 95), { size: 120, kept: 120 });
    assert.match(rowOf(cut).preview, /^é+…?$/);
    assert.equal(previewOf(Buffer.from([0xff, 0x00]), false), '0x ff 00');
    const long = 'v'.repeat(1000);
    const withProperties = entry(1, '{}', { properties: { contentType: 'application/json', userProperties: { a: ['1', '2'], b: long }, correlationData: new Uint8Array([1, 2]) } });
    assert.deepEqual(rowOf(withProperties).properties?.userProperties?.map(([name, value]) => [name, value.length]), [['a', 1], ['a', 1], ['b', 200]]);
    const detail = detailOf(withProperties);
    assert.equal(detail.properties?.userProperties?.[2][1], long, 'the message itself carries them whole');
    assert.equal(detail.properties?.correlationData, 'AQI=');
    assert.equal(detail.cut, false);
    const panelCut = detailOf({ ...entry(2, 'abc'), size: 10, kept: 10 });
    assert.deepEqual({ cut: panelCut.cut, payload: [...panelCut.payload] }, { cut: true, payload: [0x61, 0x62, 0x63] });
    // The bytes go to the webview as a plain Uint8Array of their own: VS Code's postMessage would send
    // a view's whole buffer, and a Buffer as JSON.
    const pooled = Buffer.from('0123456789');
    const bytes = detailOf(entry(3, pooled.subarray(2, 5))).payload;
    assert.equal(bytes.constructor, Uint8Array);
    assert.deepEqual({ offset: bytes.byteOffset, buffer: bytes.buffer.byteLength, bytes: [...bytes] }, { offset: 0, buffer: 3, bytes: [0x32, 0x33, 0x34] });
  });

  it('exports JSON, NDJSON and CSV with binary payloads in base64 and nothing lost', () => {
    const entries = [entry(0, '{"t":1}'), entry(1, new Uint8Array([0, 255, 10])), entry(2, 'a,"b"\nc', { properties: { userProperties: { k: 'v' } } })];
    const json = JSON.parse(formatHistory('x/y', entries, 'json')) as { payload: string; encoding: string; seq: number; receivedAt: string }[];
    assert.deepEqual(json.map((message) => [message.seq, message.encoding, message.payload]), [
      [0, 'utf8', '{"t":1}'],
      [1, 'base64', 'AP8K'],
      [2, 'utf8', 'a,"b"\nc'],
    ]);
    assert.equal(json[0].receivedAt, '2026-11-26T08:00:00.000Z');
    const ndjson = formatHistory('x/y', entries, 'ndjson').trimEnd().split('\n');
    assert.equal(ndjson.length, 3);
    assert.deepEqual(JSON.parse(ndjson[2]), json[2]);
    const csv = formatHistory('x/y', entries, 'csv');
    assert.equal(csv.split('\r\n')[0], 'topic,seq,receivedAt,qos,retain,size,truncated,encoding,payload,properties,decodedBy,decoded');
    assert.ok(csv.includes('"a,""b""\nc","{""userProperties"":[[""k"",""v""]]}"'), csv);
  });

  it('exports a bound topic\'s decoded value beside its bytes, its numbers exactly as decoded, and lists it in the rows', () => {
    const text = '{\n  "id": "s-1",\n  "counter": 18446744073709551615,\n  "nested": {\n    "a": [\n      1,\n      2\n    ]\n  }\n}';
    const decodedBy = 'Protobuf sensors.Reading (sensors.proto)';
    const entries = [
      { ...entry(0, new Uint8Array([0x0a, 0x03])), decoded: { text, decodedBy } },
      { ...entry(1, new Uint8Array([0xff])), decoded: { error: 'Protobuf: sensors.Reading: index out of range' } },
      entry(2, '{"plain":true}'),
    ];
    const jsonText = formatHistory('s/1', entries, 'json');
    const json = JSON.parse(jsonText) as { decoded?: unknown; decodedBy?: string; decodeError?: string; payload: string }[];
    assert.deepEqual(json[0].decoded, JSON.parse(text));
    assert.equal(json[0].decodedBy, decodedBy);
    assert.equal(json[0].payload, 'CgM=', 'the raw bytes stay');
    assert.match(jsonText, /"counter": 18446744073709551615,/, 'a 64-bit integer as decoded, not rounded');
    assert.match(jsonText, /\n {4}"decoded": \{\n {6}"id": "s-1",/, 'indented as the rest of the file');
    assert.deepEqual([json[1].decoded, json[1].decodeError], [undefined, 'Protobuf: sensors.Reading: index out of range']);
    assert.equal(json[2].decoded, undefined);
    const ndjson = formatHistory('s/1', entries, 'ndjson').trimEnd().split('\n');
    assert.equal(ndjson.length, 3);
    assert.match(ndjson[0], /"decoded":\{ "id": "s-1", "counter": 18446744073709551615, /);
    assert.deepEqual((JSON.parse(ndjson[0]) as { decoded: unknown }).decoded, JSON.parse(text));
    const csv = formatHistory('s/1', entries, 'csv').split('\r\n');
    assert.ok(csv[1].endsWith(`,${decodedBy},"{ ""id"": ""s-1"", ""counter"": 18446744073709551615, ""nested"": { ""a"": [ 1, 2 ] } }"`), csv[1]);
    assert.ok(csv[2].endsWith(',Protobuf: sensors.Reading: index out of range,'), csv[2]);
    assert.equal(rowOf(entries[0]).preview, '{ "id": "s-1", "counter": 18446744073709551615, "nested": { "a": [ 1, 2 ] } }');
    assert.equal(rowOf(entries[1]).preview, '0x ff', 'no decoded value: the bytes');
  });

  it('keeps a CSV cell from running as a spreadsheet formula, and leaves numbers alone', () => {
    assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('+cmd'), "'+cmd");
    assert.equal(csvCell('-12.5'), '-12.5');
    assert.equal(csvCell(-3), '-3');
    assert.equal(csvCell('plain'), 'plain');
  });
});
