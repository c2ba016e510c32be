import * as assert from 'node:assert/strict';
import { parseJson } from '../../src/shared/json';
import { encodePayload } from '../../src/shared/publish';
import {
  DEFAULT_RESPONSE_TOPIC_PREFIX,
  DEFAULT_TIMEOUT_MS,
  expectedFromFile,
  matchExpectation,
  matchJson,
  parseMqttFile,
  previewJson,
  resolveBlock,
  toPublishDraft,
  type Clock,
  type Expectation,
  type MqttFileDiagnostic,
  type ResolveContext,
  type ResolvedBlock,
} from '../../src/shared/mqttFiles';

const clock: Clock = { now: () => 0, random: () => 0.5 };

function resolved(text: string, context: ResolveContext = {}): { block: ResolvedBlock; warnings: MqttFileDiagnostic[] } {
  const document = parseMqttFile(text);
  const result = resolveBlock(document, document.blocks[0], { clock, ...context });
  if (!result.ok) assert.fail(JSON.stringify(result.errors, null, 1));
  return result;
}

function refused(text: string, context: ResolveContext = {}): MqttFileDiagnostic[] {
  const document = parseMqttFile(text);
  const result = resolveBlock(document, document.blocks[0], { clock, ...context });
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('.mqtt blocks resolved: PUBLISH and REQUEST', () => {
  it('PUBLISH: defaults (QoS 0, not retained, text, empty payload), and as a draft for the publish path', () => {
    const { block } = resolved('PUBLISH a/b');
    assert.deepEqual(block, { kind: 'publish', topic: 'a/b', qos: 0, retain: false, format: 'text', payload: { text: '' }, properties: {} });
    assert.deepEqual(toPublishDraft(block as never), { topic: 'a/b', payload: '', format: 'text', qos: 0, retain: false });
  });

  it('PUBLISH: every header typed, MQTT 5 properties named as the publish path names them', () => {
    const { block } = resolved(
      '### Lamp\nPUBLISH a\nQoS: 2\nRetain: TRUE\nContent-Type: application/json\nResponse-Topic: r/1\nCorrelation-Data: c-1\nMessage-Expiry: 60\nPayload-Format: utf8\nUser-Property: a = 1\nUser-Property: b=x=y\n\n{"on": true}',
    );
    assert.deepEqual(block, {
      kind: 'publish',
      name: 'Lamp',
      topic: 'a',
      qos: 2,
      retain: true,
      format: 'json',
      payload: { text: '{"on": true}' },
      properties: { contentType: 'application/json', payloadFormatIndicator: true, messageExpiryInterval: 60, responseTopic: 'r/1', correlationData: 'c-1', userProperties: [['a', '1'], ['b', 'x=y']] },
    });
  });

  it('payloads: hex and base64 lines as their format, a file by its path, text that only looks like JSON as text', () => {
    const hex = resolved('PUBLISH a\n\nhex: 01 02\nhex: ff').block;
    assert.ok(hex.kind === 'publish');
    assert.deepEqual([hex.format, hex.payload], ['hex', { text: '01 02\nff' }]);
    const encoded = encodePayload((hex.payload as { text: string }).text, hex.format);
    assert.deepEqual('bytes' in encoded && [...encoded.bytes], [1, 2, 255]);
    const base64 = resolved('PUBLISH a\n\nbase64: AP8K').block;
    assert.ok(base64.kind === 'publish');
    assert.deepEqual([base64.format, base64.payload], ['base64', { text: 'AP8K' }]);
    const file = resolved('@dir = payloads\nPUBLISH a\n\n< ./{{dir}}/frame.bin').block;
    assert.ok(file.kind === 'publish');
    assert.deepEqual(file.payload, { file: './payloads/frame.bin' });
    assert.equal(toPublishDraft(file), undefined, 'a file is read by the caller first');
    const looks = resolved('PUBLISH a\n\n[{{level}}] started', { variables: { settings: { level: 'INFO' } } }).block;
    assert.ok(looks.kind === 'publish');
    assert.deepEqual([looks.format, looks.payload], ['text', { text: '[INFO] started' }]);
    const json = resolved('PUBLISH a\n\n[{{n}}]', { variables: { settings: { n: '1' } } }).block;
    assert.ok(json.kind === 'publish');
    assert.equal(json.format, 'json');
  });

  it('REQUEST: a fresh response topic and correlation data unless given, and the default timeout', () => {
    const { block } = resolved('REQUEST svc/get\n\n{}');
    assert.ok(block.kind === 'request');
    assert.equal(block.timeoutMs, DEFAULT_TIMEOUT_MS);
    assert.ok(block.properties.responseTopic.startsWith(DEFAULT_RESPONSE_TOPIC_PREFIX));
    assert.match(block.properties.responseTopic.slice(DEFAULT_RESPONSE_TOPIC_PREFIX.length), /^[0-9a-f-]{36}$/);
    assert.match(block.properties.correlationData, /^[0-9a-f-]{36}$/);
    let next = 0;
    const counting: Clock = { now: () => 0, random: () => (next++ % 97) / 97 };
    const document = parseMqttFile('REQUEST svc/get');
    const [first, second] = [0, 1].map(() => resolveBlock(document, document.blocks[0], { clock: counting }));
    assert.ok(first.ok && second.ok && first.block.kind === 'request' && second.block.kind === 'request');
    assert.notEqual(first.block.properties.correlationData, second.block.properties.correlationData, 'each run its own id');
    const given = resolved('REQUEST svc/get\nResponse-Topic: svc/reply\nCorrelation-Data: {{$uuid}}\nTimeout: 250').block;
    assert.ok(given.kind === 'request');
    assert.deepEqual([given.properties.responseTopic, given.timeoutMs], ['svc/reply', 250]);
    assert.deepEqual(toPublishDraft(given)?.properties?.responseTopic, 'svc/reply');
  });

  it('MQTT 3.1.1: a REQUEST is refused, PUBLISH properties are a warning', () => {
    const [error] = refused('REQUEST svc/get', { mqttVersion: 4 });
    assert.equal(error.code, 'needs-mqtt5');
    assert.match(error.message, /^A REQUEST needs an MQTT 5 connection.*PUBLISH the request and EXPECT the reply in the next block\.$/);
    const { warnings } = resolved('PUBLISH a\nContent-Type: text/plain', { mqttVersion: 4 });
    assert.deepEqual(warnings.map((warning) => warning.code), ['needs-mqtt5']);
    assert.deepEqual(resolved('PUBLISH a\nContent-Type: text/plain', { mqttVersion: 5 }).warnings, []);
    assert.deepEqual(resolved('PUBLISH a\nQoS: 1', { mqttVersion: 4 }).warnings, []);
  });
});

describe('.mqtt blocks resolved: checks once the variables are filled in', () => {
  const settings = { plus: 'a/+', qos: '7', json: '{"broken": ', hexdata: 'zz', abs: '/etc', empty: '' };

  it('a topic, a header value, a body and a path are checked again, at their place', () => {
    const cases: [string, string, RegExp][] = [
      ['PUBLISH {{plus}}', 'bad-topic', /^Once its variables are filled in, the topic is "a\/\+": Wildcards/],
      ['PUBLISH {{empty}}', 'bad-topic', /topic is "": A topic cannot be empty/],
      ['PUBLISH a\nQoS: {{qos}}', 'bad-header-value', /^Once its variables are filled in: QoS is 0, 1 or 2, not "7"\.$/],
      ['PUBLISH a\nFormat: json\n\n{{json}}', 'invalid-json', /^Once its variables are filled in, the body is not valid: Not valid JSON/],
      ['PUBLISH a\nFormat: hex\n\n{{hexdata}}', 'invalid-payload', /Not hex/],
      ['PUBLISH a\n\n< {{abs}}/passwd', 'bad-path', /"\/etc\/passwd" is not relative/],
      ['EXPECT a\nFormat: json\n\n{{json}}', 'invalid-json', /^Once its variables are filled in, the body is not valid JSON: it ends before the JSON is complete \(line 1, column 12\)\.$/],
      ['EXPECT a\nSchema: {{abs}}/s.json', 'bad-header-value', /Schema: "\/etc\/s\.json" is not relative/],
    ];
    for (const [text, code, message] of cases) {
      const errors = refused(text, { variables: { settings } });
      assert.deepEqual(
        errors.map((error) => error.code),
        [code],
        text,
      );
      assert.match(errors[0].message, message, text);
    }
  });

  it('a block with parse errors is refused with them', () => {
    const errors = refused('PUBLISH a/#\nQoS: 5');
    assert.deepEqual(
      errors.map((error) => error.code),
      ['bad-topic', 'bad-header-value'],
    );
  });

  it('a Format written with a variable that asks for JSON of a block without a body', () => {
    const [error] = refused('PUBLISH a\nFormat: {{f}}', { variables: { settings: { f: 'json' } } });
    assert.deepEqual([error.code, error.range.start.line], ['invalid-json', 1]);
  });

  it('an unknown Format written with a variable is found when the block runs', () => {
    const [error] = refused('PUBLISH a\nFormat: {{f}}', { variables: { settings: { f: 'yaml' } } });
    assert.match(error.message, /Format is json, text, hex, base64 or decoder, not "yaml"/);
  });
});

describe('.mqtt blocks resolved: SUBSCRIBE and EXPECT', () => {
  it('SUBSCRIBE: one message, retained ones included, the default timeout', () => {
    const { block } = resolved('SUBSCRIBE a/#');
    assert.deepEqual(block, { kind: 'subscribe', filter: 'a/#', qos: 0, timeoutMs: DEFAULT_TIMEOUT_MS, count: 1, format: undefined, expectation: { retained: 'include' } });
    const counted = resolved('SUBSCRIBE a/#\nCount: 5\nTimeout: 100\nRetained: ignore\nQoS: 1\nFormat: hex').block;
    assert.deepEqual(counted, { kind: 'subscribe', filter: 'a/#', qos: 1, timeoutMs: 100, count: 5, format: 'hex', expectation: { retained: 'ignore' } });
  });

  it('EXPECT: retained ones ignored, Within is also the wait unless Timeout says otherwise, conditions typed', () => {
    const { block } = resolved('### Lamp on\nEXPECT lamp/state\nWithin: 300\nSchema: ./schemas/state.json\nCorrelation: run-1\n\n{"on": true, "big": 12345678901234567890}');
    assert.ok(block.kind === 'expect');
    assert.deepEqual([block.name, block.timeoutMs, block.withinMs, block.expectation.retained, block.expectation.schema, block.expectation.correlation], ['Lamp on', 300, 300, 'ignore', './schemas/state.json', 'run-1']);
    assert.deepEqual(block.expectation.payload, { kind: 'json', json: parseJson('{"on": true, "big": 12345678901234567890}'), decoded: false });
    const longer = resolved('EXPECT a\nWithin: 300\nTimeout: 2000').block;
    assert.ok(longer.kind === 'expect');
    assert.deepEqual([longer.timeoutMs, longer.withinMs, longer.expectation.payload], [2000, 300, undefined]);
  });

  it('the expected payload in each form', () => {
    const payload = (text: string) => {
      const { block } = resolved(text);
      assert.ok(block.kind === 'expect' || block.kind === 'subscribe');
      return block.expectation.payload;
    };
    assert.deepEqual(payload('EXPECT a\n\nhex: 00 ff'), { kind: 'bytes', bytes: bytes(0, 255) });
    assert.deepEqual(payload('EXPECT a\n\nbase64: AP8K'), { kind: 'bytes', bytes: bytes(0, 255, 10) });
    assert.deepEqual(payload('EXPECT a\n\nhello\nworld'), { kind: 'text', text: 'hello\nworld' });
    assert.deepEqual(payload('EXPECT a\n\n[INFO] x'), { kind: 'text', text: '[INFO] x' }, 'looks like JSON, is not: compared as text');
    assert.deepEqual(payload('EXPECT a\nFormat: decoder\n\n{"t": 1}'), { kind: 'json', json: parseJson('{"t": 1}'), decoded: true });
    assert.deepEqual(payload('EXPECT a\nFormat: json\n\n< ./expected.json'), { kind: 'file', path: './expected.json', format: 'json' });
    assert.deepEqual(payload('SUBSCRIBE a\n\n< ./frame.bin'), { kind: 'file', path: './frame.bin', format: undefined });
  });

  it('MQTT 3.1.1: a Correlation condition is refused (nothing could match)', () => {
    assert.equal(refused('EXPECT a\nCorrelation: x', { mqttVersion: 4 })[0].code, 'needs-mqtt5');
  });

  it('a file\'s expected payload once read', () => {
    assert.deepEqual(expectedFromFile(utf8('{"a": 1}'), 'json'), { kind: 'json', json: parseJson('{"a": 1}'), decoded: false });
    assert.match((expectedFromFile(utf8('{'), 'json') as { error: string }).error, /^The file is not valid JSON/);
    assert.deepEqual(expectedFromFile(utf8('hé'), 'text'), { kind: 'text', text: 'hé' });
    assert.deepEqual(expectedFromFile(utf8('00 ff'), 'hex'), { kind: 'bytes', bytes: bytes(0, 255) });
    assert.deepEqual(expectedFromFile(bytes(1, 2), undefined), { kind: 'bytes', bytes: bytes(1, 2) });
  });
});

describe('.mqtt expectations: matching', () => {
  const json = (text: string) => parseJson(text);
  const match = (expected: string, actual: string) => matchJson(json(expected), json(actual));

  it('every key given must be there and equal; more keys are fine; nested objects match the same way', () => {
    assert.deepEqual(match('{"on": true}', '{"on": true, "level": 3}'), { ok: true });
    assert.deepEqual(match('{"a": {"b": 1}}', '{"a": {"b": 1, "c": 2}, "d": 4}'), { ok: true });
    assert.deepEqual(match('{}', '{"anything": 1}'), { ok: true });
    assert.deepEqual(match('{"on": true}', '{"level": 3}'), { ok: false, reason: 'At $: the key "on" is missing (expected true)' });
    assert.deepEqual(match('{"a": {"b": 1}}', '{"a": {"b": 2}}'), { ok: false, reason: 'At $.a.b: expected 1, got 2' });
    assert.deepEqual(match('{"a": {"b": 1}}', '{"a": [1]}'), { ok: false, reason: 'At $.a: expected an object, got an array [1]' });
    assert.deepEqual(match('{"odd key": {"x-y": 1}}', '{"odd key": {"x-y": "1"}}'), { ok: false, reason: 'At $["odd key"]["x-y"]: expected 1, got "1"' });
  });

  it('arrays match by position and must have the same length; objects inside match partially', () => {
    assert.deepEqual(match('[1, {"id": "a"}]', '[1, {"id": "a", "v": 2}]'), { ok: true });
    assert.deepEqual(match('[1, 2]', '[1, 2, 3]'), { ok: false, reason: 'At $: expected 2 items, got 3: [1,2,3]' });
    assert.deepEqual(match('[1, 2]', '[2, 1]'), { ok: false, reason: 'At $[0]: expected 1, got 2' });
    assert.deepEqual(match('{"list": [{"id": 1}, {"id": 2}]}', '{"list": [{"id": 1}, {"id": 3}]}'), { ok: false, reason: 'At $.list[1].id: expected 2, got 3' });
  });

  it('scalars: numbers by value (exact beyond 2^53), strings, booleans and null exactly', () => {
    assert.deepEqual(match('1', '1.0'), { ok: true });
    assert.deepEqual(match('100', '1e2'), { ok: true });
    assert.deepEqual(match('12345678901234567890', '12345678901234567890'), { ok: true });
    assert.equal(match('12345678901234567890', '12345678901234567891').ok, false, 'JSON.parse would call these equal');
    assert.equal(match('"1"', '1').ok, false);
    assert.equal(match('null', 'false').ok, false);
    assert.deepEqual(match('true', 'null'), { ok: false, reason: 'At $: expected true, got null' });
    assert.deepEqual(match('"on"', '"on"'), { ok: true });
    assert.equal(match('{"a": 1, "a": 2}', '{"a": 2}').ok, true, 'a key given twice: the last counts');
    assert.equal(match('{"a": 2}', '{"a": 1, "a": 2}').ok, true, 'in the message too');
  });

  it('a deeply nested message is compared without recursion, and previews stay short', () => {
    const deep = `${'['.repeat(400)}1${']'.repeat(400)}`;
    assert.deepEqual(match(deep, deep), { ok: true });
    const result = match('{"a": 1}', `{"a": ${'['.repeat(450)}${']'.repeat(450)}}`);
    assert.ok(!result.ok && result.reason.length < 200, 'the reason shows a cut preview');
    assert.ok(previewJson(json(`[${'"x",'.repeat(10_000)}"x"]`), 80).length <= 81);
  });

  it('a message against an expectation: retained, correlation, payload in each form', () => {
    const ignore: Expectation = { retained: 'ignore' };
    assert.deepEqual(matchExpectation(ignore, { payload: bytes() }), { ok: true }, 'no conditions: any message');
    assert.match((matchExpectation(ignore, { payload: bytes(), retained: true }) as { reason: string }).reason, /^A retained message sent on subscribing/);
    assert.deepEqual(matchExpectation({ retained: 'include' }, { payload: bytes(), retained: true }), { ok: true });
    const correlated: Expectation = { retained: 'include', correlation: 'run-1' };
    assert.deepEqual(matchExpectation(correlated, { payload: bytes(), correlationData: utf8('run-1') }), { ok: true });
    assert.deepEqual(matchExpectation(correlated, { payload: bytes(), correlationData: 'run-2' }), { ok: false, reason: 'The correlation data is "run-2", not "run-1".' });
    assert.deepEqual(matchExpectation(correlated, { payload: bytes() }), { ok: false, reason: 'The message carries no correlation data.' });
    const jsonExpectation: Expectation = { retained: 'include', payload: { kind: 'json', json: json('{"on": true}'), decoded: false } };
    assert.deepEqual(matchExpectation(jsonExpectation, { payload: utf8('{"on": true, "x": 1}') }), { ok: true });
    assert.match((matchExpectation(jsonExpectation, { payload: utf8('on') }) as { reason: string }).reason, /^The payload is not JSON \(unexpected character \(line 1, column 1\)\): "on"\.$/);
    const decoded: Expectation = { retained: 'include', payload: { kind: 'json', json: json('{"t": 1}'), decoded: true } };
    assert.deepEqual(matchExpectation(decoded, { payload: bytes(8, 1), decodedJson: '{"t": 1}' }), { ok: true });
    assert.match((matchExpectation(decoded, { payload: bytes(8, 1) }) as { reason: string }).reason, /was not decoded/);
    assert.deepEqual(matchExpectation({ retained: 'include', payload: { kind: 'text', text: 'hé' } }, { payload: utf8('hé') }), { ok: true });
    assert.deepEqual(matchExpectation({ retained: 'include', payload: { kind: 'text', text: 'a' } }, { payload: utf8('b') }), { ok: false, reason: 'Expected the text "a", got "b".' });
    assert.deepEqual(matchExpectation({ retained: 'include', payload: { kind: 'bytes', bytes: bytes(1, 2) } }, { payload: bytes(1, 2) }), { ok: true });
    assert.deepEqual(matchExpectation({ retained: 'include', payload: { kind: 'bytes', bytes: bytes(1, 2) } }, { payload: bytes(1) }), { ok: false, reason: 'Expected the bytes 01 02, got 01.' });
    assert.match((matchExpectation({ retained: 'include', payload: { kind: 'file', path: './x', format: undefined } }, { payload: bytes() }) as { reason: string }).reason, /was not read/);
  });
});
