import * as assert from 'node:assert/strict';
import { parseMqttFile, resolveBlock } from '../../src/shared/mqttFiles';
import { encodePayload } from '../../src/shared/publish';
import { snapshotJson, snapshotMqtt, snapshotValueJson } from '../../src/shared/snapshotExport';
import type { LastValue } from '../../src/worker/lastValues';

const bytes = (payload: string | number[]): Uint8Array => (typeof payload === 'string' ? new TextEncoder().encode(payload) : new Uint8Array(payload));
const value = (topic: string, payload: string | number[] | Uint8Array, extra: Partial<LastValue> = {}): LastValue => {
  const data = payload instanceof Uint8Array ? payload : bytes(payload);
  return { topic, payload: data, size: data.length, truncated: false, qos: 0, retain: true, receivedAt: 0, ...extra };
};

/** Every PUBLISH of an exported file, as the parser and the publish path read it: topic, bytes, QoS, retain, properties. */
function readBack(text: string) {
  const document = parseMqttFile(text);
  assert.deepEqual(
    document.diagnostics.map((d) => `${d.severity} ${d.message}`),
    [],
  );
  return document.blocks.map((block) => {
    const resolved = resolveBlock(document, block, {});
    assert.ok(resolved.ok, JSON.stringify(resolved));
    const publish = resolved.block;
    assert.equal(publish.kind, 'publish');
    if (publish.kind !== 'publish' || !('text' in publish.payload)) throw new Error('not a typed PUBLISH');
    const encoded = encodePayload(publish.payload.text, publish.format);
    if (!('bytes' in encoded)) throw new Error(JSON.stringify(encoded));
    return { topic: publish.topic, payload: encoded.bytes, qos: publish.qos, retain: publish.retain, properties: publish.properties };
  });
}

describe('Export Snapshot: JSON and .mqtt files of a subtree\'s last values', () => {
  it('JSON: a JSON payload as JSON (numbers exact), other UTF-8 as text, other bytes as { base64 }, sorted by topic; cut payloads left out and counted', () => {
    const { text, written, truncated, examples } = snapshotJson([
      value('b/json', '{"id":12345678901234567890,"on":true,"list":[1.50,{"x":null}]}'),
      value('a/text', 'hello "world"\n'),
      value('c/bin', [0, 0xff, 0xfe]),
      value('__proto__', '42'),
      value('d/empty', ''),
      value('e/cut', 'abc', { truncated: true, size: 100_000 }),
      value('/lead', '[INFO] not json'),
    ]);
    assert.equal(written, 6);
    assert.equal(truncated, 1);
    assert.deepEqual(examples, ['e/cut']);
    // The 20-digit id survives (JSON.parse would round it), 1.50 keeps its text.
    assert.match(text, /"id": 12345678901234567890/);
    assert.match(text, /1\.50/);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['/lead', '__proto__', 'a/text', 'b/json', 'c/bin', 'd/empty']);
    assert.equal(parsed['a/text'], 'hello "world"\n');
    assert.deepEqual(parsed['c/bin'], { base64: 'AP/+' });
    assert.equal(parsed['__proto__'], 42);
    assert.equal(parsed['d/empty'], '');
    assert.equal(parsed['/lead'], '[INFO] not json');
    assert.equal(snapshotJson([]).text, '{}\n');
    // Nesting past the JSON reader's depth is kept as text, not refused.
    const deep = '['.repeat(600) + ']'.repeat(600);
    assert.equal(snapshotValueJson(bytes(deep)), JSON.stringify(deep));
  });

  it('.mqtt: retained PUBLISH blocks that the parser reads back to the exact bytes, QoS and properties, whatever the payload', () => {
    const hostile = [
      value('plain/json', '{"on": true, "n": 1}', { qos: 1, properties: { contentType: 'application/json', userProperties: { site: 'berlin', tag: ['a', 'b'] }, payloadFormatIndicator: true } }),
      value('plain/text', 'just text'),
      value('var', 'has a {{variable}} in it'),
      value('builtin', '{{$uuid}}'),
      value('hashes', 'line one\n### not a block\nline three'),
      value('blank-ends', '\n\nmiddle\n\n'),
      value('spaces', '  indented  '),
      value('crlf', 'a\r\nb\rc'),
      value('hexlike', 'hex: 01 02'),
      value('b64like', 'base64: AAAA'),
      value('filelike', '< ./secret.bin'),
      value('xml', '<a>1</a>'),
      value('badjson', '[INFO] started'),
      value('badjson2', '{not json'),
      value('comment', '# not a comment\n// nor this'),
      value('binary', [0, 1, 2, 0xff, 0xfe, 0x80, 0x0a, 0x0d]),
      value('empty', '', { qos: 2 }),
      value('bom', '\ufeff{"a":1}'),
      value('unicode/ünï/✓', 'ñ ✓ 𝄞'),
      value('/leading/slash', 'x'),
      value('a//empty/level', 'y'),
      value('nul', [0x61, 0x00, 0x62]),
      value('tabs', '\tTabbed\t'),
    ];
    const { text, written, notWritable, truncated, overLimits } = snapshotMqtt(hostile, 'Snapshot of Local broker at 2026-12-05T12:00:00.000Z');
    assert.deepEqual([written, notWritable, truncated, overLimits], [hostile.length, 0, 0, 0]);
    const back = readBack(text);
    const sorted = [...hostile].sort((a, b) => (a.topic < b.topic ? -1 : 1));
    assert.deepEqual(
      back.map((b) => b.topic),
      sorted.map((v) => v.topic),
    );
    for (const [index, original] of sorted.entries()) {
      assert.deepEqual([...back[index].payload], [...original.payload], `payload of ${original.topic}`);
      assert.equal(back[index].qos, original.qos);
      assert.equal(back[index].retain, true);
    }
    const json = back.find((b) => b.topic === 'plain/json');
    assert.equal(json?.properties.contentType, 'application/json');
    assert.equal(json?.properties.payloadFormatIndicator, true);
    assert.deepEqual(json?.properties.userProperties, [
      ['site', 'berlin'],
      ['tag', 'a'],
      ['tag', 'b'],
    ]);
    // Readable where it can be: JSON and text stay text; only what must be is base64.
    assert.match(text, /PUBLISH plain\/json\nQoS: 1\nRetain: true\nContent-Type: application\/json\nPayload-Format: utf8\nUser-Property: site=berlin\nUser-Property: tag=a\nUser-Property: tag=b\n\n\{"on": true, "n": 1\}\n/);
    assert.match(text, /PUBLISH binary\nRetain: true\n\nbase64: AAEC\/\/6ACg0=\n/);
    assert.match(text, /PUBLISH badjson\nRetain: true\nFormat: text\n\n\[INFO\] started\n/);
  });

  it('.mqtt: topics the notation cannot hold, cut payloads and bodies over 1 MiB are left out and counted', () => {
    const { text, written, notWritable, truncated, overLimits, examples } = snapshotMqtt(
      [value(' lead', 'a'), value('trail ', 'b'), value('new\nline', 'c'), value('has {{x}}', 'd'), value('ok', 'e'), value('cut', 'f', { truncated: true }), value('big', new Uint8Array(900 * 1024).fill(0x80))],
      'title',
    );
    assert.deepEqual([written, notWritable, truncated, overLimits], [1, 4, 1, 1]);
    assert.deepEqual(examples.length, 5);
    assert.deepEqual(
      readBack(text).map((b) => b.topic),
      ['ok'],
    );
  });

  it('.mqtt: random payloads round-trip byte for byte', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = ['{', '}', '[', ']', '{{', '}}', '###', '#', '//', '\n', '\r', '\r\n', ' ', '\t', 'hex:', 'base64:', '< ', '"', 'é', '✓', '𝄞', '\ufeff', 'a', '0', '\u0000', '@x = 1'];
    const values: LastValue[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) {
        values.push(value(`bin/${i}`, Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256))));
      } else {
        let text = '';
        for (let k = Math.floor(random() * 12); k > 0; k--) text += pieces[Math.floor(random() * pieces.length)];
        values.push(value(`text/${i}`, text, { qos: (i % 3) as 0 | 1 | 2 }));
      }
    }
    const { text, written } = snapshotMqtt(values, 'random');
    assert.equal(written, values.length);
    const back = new Map(readBack(text).map((b) => [b.topic, b]));
    for (const original of values) assert.deepEqual([...(back.get(original.topic)?.payload ?? [])], [...original.payload], original.topic);
  });
});
