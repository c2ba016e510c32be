import * as assert from 'node:assert/strict';
import { oneLine, payloadAsText } from '../../src/shared/format';
import { defaultPanelState, parseEditorMessage, parseEditorState, parsePanelMessage, parsePanelState, parseWebviewMessage } from '../../src/shared/webviewProtocol';
import { validatePublishTopic } from '../../src/shared/topicRules';

describe('Webview protocol validation', () => {
  it('accepts exactly the known messages, rebuilt from the fields it knows', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'event', name: 'ready', data: { protocolVersion: 1, extra: 1 } }), { type: 'event', name: 'ready', data: { protocolVersion: 1 } });
    assert.deepEqual(parseWebviewMessage({ type: 'request', id: 7, name: 'copyPayload', params: { seq: 3, extra: 1 }, extra: '<script>' }), {
      type: 'request',
      id: 7,
      name: 'copyPayload',
      params: { seq: 3 },
    });
    const panelRequests: [string, Record<string, unknown>][] = [
      ['rows', { from: 0, count: 500 }],
      ['message', { seq: 12, whole: true }],
      ['series', { paths: ['a', 'list[0]', '["a.b"]'] }],
      ['savePayload', { seq: 0 }],
      ['openPayload', { seq: 1 }],
      ['exportHistory', { format: 'csv' }],
      ['setFollow', { follow: false }],
      ['publish', { draft: { topic: 't' } }],
      ['recentPublishes', {}],
      ['knownTopics', {}],
      ['copyPayload', { seq: 2, decoded: true }],
      ['openPayload', { seq: 2, decoded: true }],
      ['decoded', { seq: 4 }],
      ['decodePreview', { seq: 4, decoder: { format: 'protobuf', type: 'a.B', schema: 'p/a.proto' } }],
      ['decodePreview', { seq: 4, decoder: { format: 'cbor' } }],
      ['decoderChoices', {}],
      ['saveBinding', { filter: 'fleet/+/x', decoder: { format: 'avro', schema: 's.avsc' }, target: 'user' }],
      ['checkEncoding', { topic: 't', payload: '{"a":1}' }],
    ];
    assert.deepEqual(parseWebviewMessage({ type: 'request', id: 2, name: 'rows', params: { from: 0, count: 1 }, generation: 4 }), { type: 'request', id: 2, name: 'rows', params: { from: 0, count: 1 }, generation: 4 });
    assert.equal(parseWebviewMessage({ type: 'request', id: 2, name: 'rows', params: { from: 0, count: 1 }, generation: 'x' }), undefined);
    assert.deepEqual(parseWebviewMessage({ type: 'request', id: 3, name: 'knownTopics' }), { type: 'request', id: 3, name: 'knownTopics', params: {} }, 'absent params are empty ones');
    for (const [name, params] of panelRequests) {
      const request = { type: 'request', id: 1, name, params };
      assert.deepEqual(parseWebviewMessage(request), request, name);
      assert.deepEqual(parsePanelMessage(request), request, name);
      assert.equal(parseEditorMessage(request), undefined, `${name} is not the form's`);
    }
    const pick = { type: 'request', id: 8, name: 'pickFile', params: { field: 'caFile' } };
    assert.deepEqual(parseEditorMessage(pick), pick);
    assert.equal(parsePanelMessage(pick), undefined, 'the panel does not pick files');
    const save = { type: 'request', id: 9, name: 'saveProfile', params: { profile: { host: 'h' }, target: 'workspace', connect: true, password: null } };
    assert.deepEqual(parseEditorMessage(save), save);
    assert.equal(parsePanelMessage(save), undefined, 'the panel does not save profiles');
    for (const parse of [parsePanelMessage, parseEditorMessage]) assert.deepEqual(parse({ type: 'event', name: 'ready', data: { protocolVersion: 1 } }), { type: 'event', name: 'ready', data: { protocolVersion: 1 } });
  });

  it('refuses anything else', () => {
    for (const bad of [
      null,
      'ready',
      [],
      { type: 'ready', protocolVersion: 1 },
      { type: 'event', name: 'ready' },
      { type: 'event', name: 'ready', data: { protocolVersion: '1' } },
      { type: 'event', name: 'panelTopic', data: {} },
      { type: 'reply', id: 1, ok: true, result: {} },
      { type: 'request', id: -1, name: 'copyPayload', params: { seq: 1 } },
      { type: 'request', id: 1.5, name: 'copyPayload', params: { seq: 1 } },
      { type: 'request', id: 1, request: 'copyPayload', params: { seq: 1 } },
      { type: 'request', id: 1, name: 'copyPayload', params: {} },
      { type: 'request', id: 1, name: 'rows', params: { from: 0, count: 501 } },
      { type: 'request', id: 1, name: 'rows', params: { from: -1, count: 5 } },
      { type: 'request', id: 1, name: 'message', params: { seq: '1', whole: false } },
      { type: 'request', id: 1, name: 'series', params: { paths: Array.from({ length: 13 }, () => 'a') } },
      { type: 'request', id: 1, name: 'series', params: { paths: [{ toString: 1 }] } },
      { type: 'request', id: 1, name: 'exportHistory', params: { format: 'xlsx' } },
      { type: 'request', id: 1, name: 'setFollow', params: { follow: 'yes' } },
      { type: 'request', id: 1, name: 'deleteEverything' },
      { type: 'request', id: 1, name: 'constructor', params: {} },
      { type: 'request', id: 1, name: '__proto__', params: {} },
      { type: 'exec' },
      { type: 'request', id: 2, name: 'pickFile', params: { field: '/etc/passwd' } },
      { type: 'request', id: 3, name: 'saveProfile', params: { profile: {}, target: 'global', connect: true } },
      { type: 'request', id: 4, name: 'saveProfile', params: { profile: {}, target: 'user', connect: true, password: 42 } },
      { type: 'request', id: 5, name: 'copyPayload', params: { seq: 1, decoded: 'yes' } },
      { type: 'request', id: 5, name: 'decoded', params: { seq: -1 } },
      { type: 'request', id: 5, name: 'decodePreview', params: { seq: 1, decoder: { format: 'json' } } },
      { type: 'request', id: 5, name: 'decodePreview', params: { seq: 1, decoder: { format: 'protobuf', type: 7 } } },
      { type: 'request', id: 5, name: 'decodePreview', params: { seq: 1, decoder: { format: 'protobuf', type: 'x'.repeat(1025) } } },
      { type: 'request', id: 5, name: 'saveBinding', params: { filter: 'a', decoder: { format: 'cbor' }, target: 'folder' } },
      { type: 'request', id: 5, name: 'saveBinding', params: { filter: 3, decoder: { format: 'cbor' }, target: 'user' } },
      { type: 'request', id: 5, name: 'checkEncoding', params: { topic: 't', payload: 'x'.repeat(256 * 1024 + 1) } },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
      assert.equal(parsePanelMessage(bad), undefined, JSON.stringify(bad));
      assert.equal(parseEditorMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  it('restores panel state of a known version, carries version 1 over, and keeps only valid fields', () => {
    const stored = { version: 2, connectionId: 'c', topic: 't', follow: true, tab: 'chart', view: 'hex', chartPaths: ['a', 3, 'b'] };
    assert.deepEqual(parsePanelState(stored), { version: 2, connectionId: 'c', topic: 't', follow: true, tab: 'chart', view: 'hex', chartPaths: ['a', 'b'] });
    assert.deepEqual(parsePanelState({ version: 1, connectionId: 'c', topic: 't' }), defaultPanelState('c', 't'));
    assert.deepEqual(parsePanelState({ ...stored, tab: 'shell', view: '<img>' }), { ...stored, tab: 'payload', view: 'auto', chartPaths: ['a', 'b'] });
    assert.equal(parsePanelState({ version: 0, connectionId: 'c', topic: 't' }), undefined);
    assert.equal(parsePanelState({ version: 3, connectionId: 'c', topic: 't' }), undefined);
    assert.equal(parsePanelState({ version: 2, topic: 't' }), undefined);
  });

  it('restores the connection form without typed secrets, even from state an earlier version stored, and says which to retype', () => {
    const old = { version: 1, profileId: 'p', draft: { host: 'h', password: 'hunter2', keyPassphrase: '', verify: true, junk: { x: 1 } } };
    assert.deepEqual(parseEditorState(old), { version: 1, profileId: 'p', draft: { host: 'h', verify: true }, retype: ['password'] });
    assert.deepEqual(parseEditorState({ version: 1, profileId: 'p', draft: { host: 'h' }, retype: ['keyPassphrase', 'password', 'evil'] }), {
      version: 1,
      profileId: 'p',
      draft: { host: 'h' },
      retype: ['password', 'keyPassphrase'],
    });
    assert.deepEqual(parseEditorState({ version: 1, profileId: 'p', draft: {} }), { version: 1, profileId: 'p', draft: {} });
    assert.equal(parseEditorState({ version: 2, profileId: 'p', draft: {} }), undefined);
  });
});

describe('Payload formatting', () => {
  it('shows text as text and binary as hex, on one line', () => {
    assert.equal(payloadAsText(Buffer.from('héllo')), 'héllo');
    assert.equal(payloadAsText(Buffer.from([0xff, 0xfe])), undefined);
    assert.equal(payloadAsText(Buffer.from([0xef, 0xbb, 0xbf, 0x41])), '\ufeffA', 'a byte-order mark is kept');
    assert.equal(payloadAsText(Buffer.from([0x01, 0x41])), undefined, 'control characters mean binary');
    assert.equal(oneLine(Buffer.from('{\n  "a": 1\n}')), '{ "a": 1 }');
    assert.equal(oneLine(Buffer.from([0, 1, 2])), '0x 00 01 02');
    assert.equal(oneLine(new Uint8Array()), '(empty)');
    assert.equal(oneLine(Buffer.from('x'.repeat(200)), 10), `${'x'.repeat(9)}…`);
  });
});

describe('Publish topic rules', () => {
  it('refuses wildcards and empty topics, accepts odd but legal ones', () => {
    assert.match(validatePublishTopic('a/+/b') ?? '', /Wildcards/);
    assert.match(validatePublishTopic('a/#') ?? '', /Wildcards/);
    assert.match(validatePublishTopic('') ?? '', /empty/);
    for (const ok of ['a//b', '/a', 'a/', 'fleet/キッチン/🌡', '$SYS/x']) assert.equal(validatePublishTopic(ok), undefined, ok);
  });
});
