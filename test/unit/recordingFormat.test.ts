import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { headerLine, messageLine, parseLine, RECORDING_FORMAT, type RecordedMessage } from '../../src/shared/recording/format';
import { readRecordingLines, type RecordingLine } from '../../src/shared/recording/reader';

function roundTrip(message: RecordedMessage): RecordedMessage {
  const line = messageLine(message);
  assert.ok(line.endsWith('\n'));
  assert.equal(line.indexOf('\n'), line.length - 1, 'one line, whatever the payload holds');
  const parsed = parseLine(line.slice(0, -1));
  assert.equal(parsed.kind, 'message', JSON.stringify(parsed));
  return (parsed as { message: RecordedMessage }).message;
}

async function lines(path: string, options?: Parameters<typeof readRecordingLines>[1]): Promise<RecordingLine[]> {
  const result: RecordingLine[] = [];
  for await (const line of readRecordingLines(path, options)) result.push(line);
  return result;
}

describe('Recording format: one JSON object per line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'recording-format-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps any payload byte for byte: text as text (a BOM included), anything else as base64', () => {
    const text = roundTrip({ time: 1, topic: '/leading/slash', qos: 1, retain: true, payload: Buffer.from('\uFEFF{"a":"ü\\n"}\n') });
    assert.deepEqual(Buffer.from(text.payload), Buffer.from('\uFEFF{"a":"ü\\n"}\n'));
    assert.match(messageLine({ time: 1, topic: 't', qos: 0, retain: false, payload: Buffer.from('hi') }), /"payload":"hi"/);
    const binary = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x0a]);
    const line = messageLine({ time: 2, topic: 'b', qos: 0, retain: false, payload: binary });
    assert.match(line, /"payloadEncoding":"base64"/);
    assert.deepEqual(Buffer.from(roundTrip({ time: 2, topic: 'b', qos: 0, retain: false, payload: binary }).payload), binary);
  });

  it('round-trips any message (property test)', () => {
    const properties = fc.record(
      {
        contentType: fc.string(),
        responseTopic: fc.string(),
        correlationData: fc.uint8Array({ maxLength: 40 }),
        messageExpiryInterval: fc.integer({ min: 0, max: 0xffffffff }),
        payloadFormatIndicator: fc.boolean(),
        userProperties: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 2, maxLength: 3 }))),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.record({
          time: fc.integer({ min: 0, max: 2 ** 45 }),
          topic: fc.string({ unit: 'binary' }),
          qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
          retain: fc.boolean(),
          payload: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'binary' }).map((s) => new Uint8Array(Buffer.from(s)))),
          properties: fc.option(properties, { nil: undefined }),
        }),
        (message) => {
          const back = roundTrip(message);
          assert.deepEqual(Buffer.from(back.payload), Buffer.from(message.payload));
          // Written again, the message read back gives the same line: every field came back.
          assert.equal(messageLine(back), messageLine(message));
          assert.equal(back.properties === undefined, message.properties === undefined || Object.keys(message.properties).length === 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a header, and says what is wrong with a line that is not a message', () => {
    const header = parseLine(headerLine({ startedAt: 5, connection: 'Local', broker: 'mqtt://localhost:1883', filters: ['#'] }).trim());
    assert.deepEqual(header, { kind: 'header', header: { format: RECORDING_FORMAT, version: 1, startedAt: 5, connection: 'Local', broker: 'mqtt://localhost:1883', filters: ['#'] } });
    const errors: [string, RegExp][] = [
      ['{', /not JSON/],
      ['[1]', /not a JSON object/],
      ['{"time":1,"topic":"a","qos":3,"retain":false,"payload":""}', /"qos"/],
      ['{"time":-1,"topic":"a","qos":0,"retain":false,"payload":""}', /"time"/],
      ['{"time":1,"topic":"a","qos":0,"retain":false,"payload":"%%","payloadEncoding":"base64"}', /not base64/],
      ['{"time":1,"topic":"a","qos":0,"retain":false,"payload":"","properties":{"userProperties":{"a":1}}}', /userProperties\.a/],
      ['{"format":"other","version":1,"startedAt":1}', /"format"/],
      ['{"format":"mqtt-explorer-recording","version":99,"startedAt":1}', /newer/],
    ];
    for (const [line, error] of errors) {
      const parsed = parseLine(line);
      assert.equal(parsed.kind, 'error', line);
      assert.match((parsed as { error: string }).error, error, line);
    }
    const proto = parseLine('{"time":1,"topic":"a","qos":0,"retain":false,"payload":"","properties":{"userProperties":{"__proto__":["x","y"]}}}');
    assert.equal(proto.kind, 'message');
    const user = (proto as { message: RecordedMessage }).message.properties?.userProperties ?? {};
    assert.equal(Object.getPrototypeOf(user), Object.prototype, 'a "__proto__" name does not change the prototype');
    assert.deepEqual(Object.getOwnPropertyDescriptor(user, '__proto__')?.value, ['x', 'y']);
  });

  it('streams a file: offsets and line numbers, CRLF, blank lines, a line past the bound skipped and counted, gzip, a start offset', async () => {
    const a = messageLine({ time: 1, topic: 'a', qos: 0, retain: false, payload: Buffer.from('one') });
    const long = messageLine({ time: 2, topic: 'b', qos: 0, retain: false, payload: Buffer.alloc(5000, 0x61) });
    const c = messageLine({ time: 3, topic: 'c', qos: 2, retain: true, payload: Buffer.from('three') });
    const text = headerLine({ startedAt: 0 }) + a.replace('\n', '\r\n') + '\n' + long + c;
    const path = join(dir, 'plain.mqtt-recording.jsonl');
    writeFileSync(path, text);
    const read = await lines(path, { maxLineBytes: 1000 });
    assert.deepEqual(
      read.map((line) => [line.line, line.parsed.kind]),
      [
        [1, 'header'],
        [2, 'message'],
        [4, 'error'],
        [5, 'message'],
      ],
    );
    assert.match((read[2].parsed as { error: string }).error, /longer than 1000 bytes/);
    assert.equal(read[2].bytes, long.length - 1);
    assert.equal(read[3].offset, Buffer.byteLength(text) - c.length);
    const fromC = await lines(path, { start: read[3].offset, startLine: 5 });
    assert.equal(fromC.length, 1);
    assert.equal((fromC[0].parsed as { message: RecordedMessage }).message.topic, 'c');

    const gz = join(dir, 'packed.mqtt-recording.jsonl.gz');
    writeFileSync(gz, gzipSync(text));
    assert.deepEqual(
      (await lines(gz, { maxLineBytes: 1000 })).map((line) => line.parsed.kind),
      ['header', 'message', 'error', 'message'],
    );
    await assert.rejects(lines(gz, { start: 10 }), /gzip/);

    const noNewline = join(dir, 'cut.jsonl');
    writeFileSync(noNewline, a + c.trimEnd());
    assert.deepEqual(
      (await lines(noNewline)).map((line) => line.parsed.kind),
      ['message', 'message'],
    );
  });

  it('stops when aborted, without reading the rest', async () => {
    const path = join(dir, 'many.jsonl');
    const one = messageLine({ time: 1, topic: 'x', qos: 0, retain: false, payload: Buffer.alloc(100, 0x62) });
    writeFileSync(path, one.repeat(20_000));
    const controller = new AbortController();
    let count = 0;
    for await (const line of readRecordingLines(path, { signal: controller.signal })) {
      assert.equal(line.parsed.kind, 'message');
      if (++count === 10) controller.abort();
    }
    assert.ok(count >= 10 && count < 20_000, `read ${count} lines`);
  });
});
