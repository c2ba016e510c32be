import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { toPublishProperties } from '../../src/worker/connection';
import { describeResult, encodePayload, parseDraft, parsePublishArgs, parseUserProperties, validateDraft, validatePayload, type PayloadFormat } from '../../src/shared/publish';

const bytesOf = (text: string, format: PayloadFormat) => {
  const encoded = encodePayload(text, format);
  if ('error' in encoded) throw new Error(encoded.error);
  if (!('bytes' in encoded)) throw new Error('encoded by the engine');
  return Buffer.from(encoded.bytes);
};

describe('Publishing: payload formats', () => {
  it('encodes text and JSON as typed (UTF-8), hex and base64 as the bytes they spell', () => {
    assert.deepEqual(bytesOf('héllo 🌡', 'text'), Buffer.from('héllo 🌡'));
    assert.deepEqual(bytesOf('{ "a" : 1 }', 'json'), Buffer.from('{ "a" : 1 }'), 'JSON is sent as typed, not reformatted');
    assert.deepEqual(bytesOf('00 ff 10 7F', 'hex'), Buffer.from([0x00, 0xff, 0x10, 0x7f]));
    assert.deepEqual(bytesOf('0x00,0xff:0a-0B', 'hex'), Buffer.from([0x00, 0xff, 0x0a, 0x0b]));
    assert.deepEqual(bytesOf('AP8K', 'base64'), Buffer.from([0x00, 0xff, 0x0a]));
    assert.deepEqual(bytesOf('', 'text'), Buffer.alloc(0));
  });

  it('says what is wrong with a payload in its format', () => {
    assert.match(validatePayload('{"a":', 'json') ?? '', /^Not valid JSON/);
    assert.match(validatePayload('', 'json') ?? '', /^Not valid JSON/);
    assert.match(validatePayload('0g', 'hex') ?? '', /^Not hex/);
    assert.match(validatePayload('abc', 'hex') ?? '', /one digit is missing/);
    assert.match(validatePayload('a$b=', 'base64') ?? '', /^Not base64/);
    assert.equal(validatePayload('anything at all', 'text'), undefined);
  });

  it('leaves a bound decoder\'s encoding to the engine, after checking the JSON', () => {
    assert.deepEqual(encodePayload('{"t": 1}', 'decoder'), { encodeJson: '{"t": 1}' });
    assert.match(validatePayload('{"t": ', 'decoder') ?? '', /^Not valid JSON/);
    assert.equal(parseDraft({ topic: 'a', payload: '{}', format: 'decoder' }) && 'ok', 'ok');
  });

  it('property: any bytes survive hex and base64 exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
        assert.deepEqual(bytesOf(hex, 'hex'), Buffer.from(bytes));
        assert.deepEqual(bytesOf(Buffer.from(bytes).toString('base64'), 'base64'), Buffer.from(bytes));
      }),
      { numRuns: 200 },
    );
  });
});

describe('Publishing: drafts, properties and arguments', () => {
  it('names each field\'s problem', () => {
    assert.deepEqual(validateDraft({ topic: 'a/+/b', payload: '{', format: 'json', qos: 1, retain: false, properties: { messageExpiryInterval: -1 } }), {
      topic: 'Wildcards (+ and #) are for subscribing; a publish topic cannot contain them.',
      payload: validatePayload('{', 'json'),
      properties: 'Message expiry is a whole number of seconds (0 to 4,294,967,295).',
    });
    assert.match(validateDraft({ topic: 't', payload: '', format: 'text', qos: 0, retain: false, properties: { responseTopic: 'r/#' } }).properties ?? '', /^Response topic: Wildcards/);
    assert.deepEqual(validateDraft({ topic: 'a//b', payload: '', format: 'text', qos: 2, retain: true }), {}, 'empty levels are legal in a topic name');
  });

  it('reads user properties one per line, keeping repeated names and "=" in values', () => {
    assert.deepEqual(parseUserProperties('a=1\n\nb = x=y\na=2'), { pairs: [['a', '1'], ['b', ' x=y'], ['a', '2']] });
    assert.match((parseUserProperties('novalue') as { error: string }).error, /^Line 1: /);
    const properties = toPublishProperties({ contentType: 'text/plain', correlationData: 'id-1', userProperties: [['a', '1'], ['b', '2'], ['a', '3']], messageExpiryInterval: 60, payloadFormatIndicator: true, responseTopic: 'r' });
    assert.deepEqual(properties.userProperties, { a: ['1', '3'], b: '2' });
    assert.deepEqual(properties.correlationData, Buffer.from('id-1'));
    assert.equal(properties.messageExpiryInterval, 60);
  });

  it('reads drafts and command arguments from untrusted data, refusing wrong types', () => {
    assert.deepEqual(parseDraft({ topic: 't', payload: 'p', format: 'hex', qos: 2, retain: true, properties: { userProperties: { k: 'v' }, contentType: '' } }), {
      topic: 't',
      payload: 'p',
      format: 'hex',
      qos: 2,
      retain: true,
      properties: { userProperties: [['k', 'v']] },
    });
    for (const bad of [null, 'x', { topic: 1 }, { topic: 't', qos: 3 }, { topic: 't', format: 'xml' }, { topic: 't', retain: 'yes' }, { topic: 't', properties: { userProperties: [['k', 1]] } }, { topic: 't', properties: { messageExpiryInterval: '5' } }]) {
      assert.equal(parseDraft(bad), false, JSON.stringify(bad));
    }
    assert.deepEqual(parsePublishArgs(undefined), {});
    assert.deepEqual(parsePublishArgs({ connectionId: 'c', topic: 't', payload: 'x' }), { connectionId: 'c', topic: 't', payload: 'x' }, 'absent fields stay absent, for the prompts to fill');
    assert.deepEqual(parsePublishArgs({ connectionId: 'c' }), { connectionId: 'c' });
    assert.equal(parsePublishArgs({ connectionId: 3 }), false);
    assert.equal(parsePublishArgs([]), false);
  });

  it('describes the broker\'s answer', () => {
    assert.equal(describeResult({ ack: 'none', reasonCode: 0, reason: 'Success' }), 'Sent (QoS 0: the broker does not acknowledge).');
    assert.equal(describeResult({ ack: 'puback', reasonCode: 0, reason: 'Success' }), 'PUBACK: Success.');
    assert.equal(describeResult({ ack: 'pubcomp', reasonCode: 0x10, reason: 'No matching subscribers' }), 'PUBCOMP: No matching subscribers (0x10).');
  });
});
