import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { asText, chooseView, decodeNumbers, fromBase64, hexDump, toBase64 } from '../../webview/logic/decoders';
import { diffPayloads, jsonDiff, lineDiff } from '../../webview/logic/diff';
import { extractSeries, numericLeaves, parsePath, valueAt } from '../../src/shared/series';

describe('Webview logic: payload decoders', () => {
  it('chooses JSON, text or hex as a person would', () => {
    assert.equal(chooseView(Buffer.from('{"a":1}')), 'json');
    assert.equal(chooseView(Buffer.from(' [1,2] ')), 'json');
    assert.equal(chooseView(Buffer.from('{not json')), 'text');
    assert.equal(chooseView(Buffer.from('21.5')), 'text');
    assert.equal(chooseView(Buffer.from([0x00, 0xff, 0x10])), 'hex');
    assert.equal(asText(Buffer.from([0xc3, 0x28])), undefined, 'invalid UTF-8 is not text');
  });

  it('dumps hex with offsets and printable ASCII', () => {
    const dump = hexDump(Buffer.from('ABCDEFGHIJKLMNOPQ\u0001'));
    const [first, second] = dump.split('\n');
    assert.equal(first, '00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP');
    assert.match(second, /^00000010 {2}51 01 {2}\s+Q\.$/);
  });

  it('round-trips base64 and matches Node for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const encoded = toBase64(bytes);
        assert.equal(encoded, Buffer.from(bytes).toString('base64'));
        assert.deepEqual([...fromBase64(encoded)], [...bytes]);
      }),
    );
    assert.throws(() => fromBase64('ab$d'), /Not base64/);
  });

  it('decodes integers of 8 to 64 bits and floats, in both byte orders', () => {
    const bytes = Buffer.alloc(8);
    bytes.writeFloatLE(21.5, 0);
    const float = decodeNumbers(bytes).find((n) => n.type === 'float32');
    assert.equal(float?.littleEndian, 21.5);
    const word = Buffer.from([0x01, 0x02]);
    const u16 = decodeNumbers(word).find((n) => n.type === 'uint16');
    assert.deepEqual(u16, { type: 'uint16', littleEndian: 0x0201, bigEndian: 0x0102 });
    assert.deepEqual(decodeNumbers(word).map((n) => n.type), ['int8', 'uint8', 'int16', 'uint16'], 'only what fits');
    const big = Buffer.alloc(8);
    big.writeBigInt64BE(-(2n ** 62n));
    assert.equal(decodeNumbers(big).find((n) => n.type === 'int64')?.bigEndian, (-(2n ** 62n)).toString());
    const double = Buffer.alloc(8);
    double.writeDoubleBE(Math.PI);
    assert.equal(decodeNumbers(double).find((n) => n.type === 'float64')?.bigEndian, Math.PI);
    assert.equal(decodeNumbers(Buffer.from([0xff, 0x7f]), 1).find((n) => n.type === 'int8')?.littleEndian, 127, 'from an offset');
  });
});

describe('Webview logic: diff', () => {
  it('compares JSON by structure: reordered keys are no change', () => {
    assert.deepEqual(jsonDiff({ a: 1, b: { c: 2 } }, { b: { c: 2 }, a: 1 }), []);
    assert.deepEqual(jsonDiff({ a: 1, b: { c: 2 }, gone: true, list: [1, 2] }, { a: 1, b: { c: 3 }, added: 'x', list: [1] }), [
      { kind: 'changed', path: 'b.c', before: 2, after: 3 },
      { kind: 'removed', path: 'gone', before: true },
      { kind: 'removed', path: 'list[1]', before: 2 },
      { kind: 'added', path: 'added', after: 'x' },
    ]);
    assert.deepEqual(jsonDiff({ 'a.b': 1 }, { 'a.b': 2 }), [{ kind: 'changed', path: '["a.b"]', before: 1, after: 2 }]);
  });

  it('compares text by line, and picks the right kind', () => {
    assert.deepEqual(lineDiff('a\nb\nc', 'a\nx\nc'), [
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
    ]);
    assert.equal(diffPayloads('{"a":1}', '{"a":2}').json, true);
    assert.equal(diffPayloads('on', 'off').json, false);
  });
});

describe('Webview logic: chart series', () => {
  it('finds numeric leaves with dotted keys and array indices', () => {
    const leaves = numericLeaves({ temp: 21.5, power: { watts: 1200 }, 'a.b': 3, voc: [0.1, 0.2], on: true, name: 'x' });
    assert.deepEqual([...leaves.entries()], [
      ['temp', 21.5],
      ['power.watts', 1200],
      ['["a.b"]', 3],
      ['voc[0]', 0.1],
      ['voc[1]', 0.2],
      ['on', 1],
    ]);
    assert.deepEqual(parsePath('power.watts'), ['power', 'watts']);
    assert.deepEqual(parsePath('voc[1]'), ['voc', 1]);
    assert.deepEqual(parsePath('["a.b"]'), ['a.b']);
    assert.equal(valueAt({ 'a.b': { c: [5, 6] } }, '["a.b"].c[1]'), 6);
  });

  it('builds one series per numeric field over time, and one for plain numbers', () => {
    const series = extractSeries([
      { text: '{"t":20,"x":{"y":1}}', receivedAt: 1 },
      { text: 'not json', receivedAt: 2 },
      { text: '{"t":21}', receivedAt: 3 },
      { text: undefined, receivedAt: 4 },
    ]);
    assert.deepEqual(series.get('t'), [
      { t: 1, v: 20 },
      { t: 3, v: 21 },
    ]);
    assert.deepEqual(series.get('x.y'), [{ t: 1, v: 1 }]);
    assert.deepEqual(extractSeries([{ text: ' 42.5 ', receivedAt: 9 }]).get('value'), [{ t: 9, v: 42.5 }]);
  });
});
