import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  completionContext,
  findConnection,
  headerNameSuggestions,
  headerValueSuggestions,
  keywordSuggestions,
  markdownText,
  outcomeText,
  schemaRefusal,
  referenceAt,
  topicHoverText,
  variableHoverText,
  variableOrigin,
  variableSuggestions,
} from '../../src/host/mqttFiles/assist';
import { confinedReader } from '../../src/runner/confinedFiles';
import type { NodeSnapshot } from '../../src/shared/engineProtocol';
import { parseMqttFile, type VariableSources } from '../../src/shared/mqttFiles';

/** The completion context at the `|` of `text` (the bar is taken out). */
function contextAt(text: string): ReturnType<typeof completionContext> {
  const lines = text.split('\n');
  const line = lines.findIndex((candidate) => candidate.includes('|'));
  const character = lines[line].indexOf('|');
  lines[line] = lines[line].replace('|', '');
  return completionContext((index) => lines[index], lines.length, line, character);
}

const FILE = ['@site = berlin', '@lamp = fleet/{{site}}/lamp', '', '### One', '@id = t1', 'PUBLISH {{lamp}}/set', 'QoS: 1', '', '{"on": true}', ''].join('\n');

describe('.mqtt editor: where the cursor is', () => {
  it('a word on its own line above a request line, in the file header or after ###: a kind', () => {
    assert.deepEqual(contextAt('PU|'), { kind: 'keyword', start: 0 });
    assert.deepEqual(contextAt('@a = 1\n### x\n  SUB|'), { kind: 'keyword', start: 2 });
    assert.deepEqual(contextAt('### x\n@id = 1\n|'), { kind: 'keyword', start: 0 });
  });

  it('after the kind: the topic, from its first character', () => {
    assert.deepEqual(contextAt('### x\nPUBLISH fleet/|'), { kind: 'topic', blockKind: 'publish', start: 8 });
    assert.deepEqual(contextAt('### x\nexpect  |'), { kind: 'topic', blockKind: 'expect', start: 8 });
    assert.equal(contextAt('### x\n@id = |'), undefined);
  });

  it('below the request line, before the blank line: header names of that kind, without those given (User-Property repeats)', () => {
    const context = contextAt('### x\nPUBLISH a\nQoS: 1\n# note\nUser-Property: a=b\nRe|\nContent-Type: text/plain\n\nbody');
    assert.deepEqual(context, { kind: 'header-name', blockKind: 'publish', start: 0, present: ['QoS', 'User-Property', 'Content-Type'] });
    const names = headerNameSuggestions('publish', ['QoS', 'User-Property', 'Content-Type']).map((item) => item.label);
    assert.deepEqual(names, ['Retain', 'Response-Topic', 'Correlation-Data', 'Message-Expiry', 'Payload-Format', 'User-Property', 'Format']);
    assert.deepEqual(
      headerNameSuggestions('expect', []).map((item) => item.label),
      ['QoS', 'Timeout', 'Within', 'Retained', 'Format', 'Schema', 'Correlation'],
    );
    assert.equal(headerNameSuggestions('subscribe', [])[0].insert, 'QoS: ');
  });

  it('after a header name and its colon: that header\'s values', () => {
    assert.deepEqual(contextAt('### x\nSUBSCRIBE a/#\nretained: |'), { kind: 'header-value', header: 'Retained', blockKind: 'subscribe', start: 10 });
    assert.deepEqual(
      headerValueSuggestions('QoS', 'publish').map((item) => item.label),
      ['0', '1', '2'],
    );
    assert.deepEqual(
      headerValueSuggestions('Retain', 'publish').map((item) => item.label),
      ['false', 'true'],
    );
    // Each kind's default first.
    assert.deepEqual(
      headerValueSuggestions('Retained', 'subscribe').map((item) => item.label),
      ['include', 'ignore'],
    );
    assert.deepEqual(
      headerValueSuggestions('Retained', 'expect').map((item) => item.label),
      ['ignore', 'include'],
    );
    assert.deepEqual(
      headerValueSuggestions('Format', 'publish').map((item) => item.label),
      ['json', 'text', 'hex', 'base64', 'decoder'],
    );
    assert.deepEqual(headerValueSuggestions('Schema', 'expect'), []);
  });

  it('in the body nothing but variables; {{ anywhere gives the variables', () => {
    assert.equal(contextAt('### x\nPUBLISH a\n\nQo|'), undefined);
    assert.equal(contextAt('### x\nPUBLISH a\n\n{"a": 1}\nPUBLISH|'), undefined);
    assert.deepEqual(contextAt('### x\nPUBLISH a\n\n{"id": "{{|"}'), { kind: 'variable', start: 10 });
    assert.deepEqual(contextAt('### x\nPUBLISH a/{{si|'), { kind: 'variable', start: 12 });
    assert.deepEqual(contextAt('### x\nPUBLISH a/{{$ra|'), { kind: 'variable', start: 12 });
    // A closed reference before the cursor is not reopened.
    assert.equal(contextAt('### x\nPUBLISH a\n\n{{a}} x|'), undefined);
  });

  it('# @connection: the connections; other comments and ### lines: nothing', () => {
    assert.deepEqual(contextAt('# @connection Lo|'), { kind: 'connection', start: 14 });
    assert.equal(contextAt('# a comment|'), undefined);
    assert.equal(contextAt('### name|'), undefined);
  });

  it('the kinds insert a snippet with a placeholder for the topic', () => {
    const kinds = keywordSuggestions();
    assert.deepEqual(
      kinds.map((item) => item.label),
      ['PUBLISH', 'REQUEST', 'SUBSCRIBE', 'EXPECT'],
    );
    assert.equal(kinds[0].insert, 'PUBLISH ${1:topic}');
    assert.ok(kinds.every((item) => item.snippet));
  });
});

describe('.mqtt editor: variables', () => {
  const document = parseMqttFile(FILE);
  const block = document.blocks[0];
  const sources: VariableSources = { environment: new Map([['host', 'localhost']]), environmentName: 'dev', shared: new Map([['site', 'lisbon'], ['timeout', '2000']]), settings: { token: 'x' } };

  it('offers each name once with its value and where it comes from, then the built-ins', () => {
    const suggestions = variableSuggestions(document, block, sources);
    const byLabel = new Map(suggestions.map((item) => [item.label, item]));
    assert.deepEqual(
      suggestions.map((item) => item.label),
      ['id', 'site', 'lamp', 'host', 'timeout', 'token', '$uuid', '$timestamp', '$isoTimestamp', '$randomInt'],
    );
    // The file's site beats $shared's.
    assert.equal(byLabel.get('site')?.detail, 'berlin · this file');
    assert.equal(byLabel.get('id')?.detail, 't1 · this block');
    assert.equal(byLabel.get('host')?.detail, 'localhost · the environment');
    assert.equal(byLabel.get('token')?.detail, 'x · settings (mqttExplorer.messageFiles.variables)');
    assert.equal(byLabel.get('site')?.insert, 'site}}');
    assert.equal(byLabel.get('$randomInt')?.insert, '$randomInt ${1:0} ${2:100}}}');
    assert.equal(byLabel.get('$randomInt')?.snippet, true);
    // In the file header a block's variables are not in scope.
    assert.ok(!variableSuggestions(document, undefined, sources).some((item) => item.label === 'id'));
  });

  it('origin follows the order of precedence: block, file, environment, $shared, settings', () => {
    assert.deepEqual(variableOrigin(document, block, sources, 'id'), { origin: 'block', value: 't1', line: 4 });
    assert.deepEqual(variableOrigin(document, block, sources, 'site'), { origin: 'file', value: 'berlin', line: 0 });
    assert.deepEqual(variableOrigin(document, block, sources, 'timeout'), { origin: 'shared', value: '2000' });
    assert.equal(variableOrigin(document, block, sources, 'nothing'), undefined);
  });

  it('a hover on {{lamp}} shows the value filled in, where it is defined and what is written', () => {
    const line = FILE.split('\n')[5];
    const reference = referenceAt(line, line.indexOf('lamp') + 1);
    assert.equal(reference?.kind, 'variable');
    const text = variableHoverText(document, block, sources, reference!);
    assert.match(text, /\*\*\{\{lamp\}\}\*\* = `fleet\/berlin\/lamp`/);
    assert.match(text, /From this file, line 2\./);
    assert.match(text, /Written as `fleet\/\{\{site\}\}\/lamp`/);
  });

  it('a hover on an unknown name says what the check says; on a built-in what it gives', () => {
    const unknown = referenceAt('PUBLISH {{lmap}}', 10)!;
    assert.match(variableHoverText(document, block, sources, unknown), /Unknown variable \{\{lmap\}\}.*Did you mean \{\{lamp\}\}\?/);
    const builtin = referenceAt('{{$uuid}}', 3)!;
    assert.match(variableHoverText(document, block, sources, builtin), /random UUID/);
    assert.equal(referenceAt('no reference', 3), undefined);
  });
});

describe('.mqtt editor: hovers on topics, results, connections', () => {
  const snapshot: NodeSnapshot = {
    id: 1,
    topic: 'fleet/lamp',
    name: 'lamp',
    messageCount: 3,
    totalMessages: 3,
    topicCount: 0,
    childCount: 0,
    retained: true,
    dropped: 0,
    lastActivity: 1000,
    valueDropped: false,
    last: { preview: '{"on":true}', size: 11, qos: 1, retain: true, receivedAt: 1000, truncated: false },
  };

  it('a topic with a value: the value in a code block, its count, age, QoS, size, retained', () => {
    const text = topicHoverText('fleet/lamp', 'Local broker', snapshot, 6000);
    assert.equal(text, '**fleet/lamp** on Local broker\n\n```\n{"on":true}\n```\n\n3 messages · last 5 s ago · QoS 1 · 11 B · retained');
    assert.match(topicHoverText('a', 'b', undefined, 0), /No message seen on this topic yet/);
  });

  it('a topic or name cannot bring its own Markdown (links, emphasis, HTML); a payload cannot end the code block', () => {
    const text = topicHoverText('[x](command:evil)/*b*/<img>', 'c_d', { ...snapshot, last: { ...snapshot.last!, preview: '```\n[x](command:evil)' } }, 6000);
    assert.ok(text.startsWith('**\\[x\\]\\(command:evil\\)/\\*b\\*/\\<img\\>** on c\\_d'));
    assert.equal(text.split('```').length, 3, 'one code block, opened and closed once');
    assert.equal(markdownText('a\nb'), 'a b');
  });

  it('the line after a block: published with QoS and acknowledgement time, or what went wrong', () => {
    assert.equal(outcomeText({ ok: true, kind: 'publish', qos: 1, result: { ack: 'puback', reasonCode: 0, reason: 'Success' }, ms: 12 }), '✓ published QoS 1 · acknowledged in 12 ms');
    assert.equal(outcomeText({ ok: true, kind: 'publish', qos: 2, result: { ack: 'pubcomp', reasonCode: 0x10, reason: 'No matching subscribers' }, ms: 3, bytes: 4 }), '✓ published QoS 2 · 4 B · acknowledged in 3 ms · No matching subscribers');
    assert.equal(outcomeText({ ok: true, kind: 'publish', qos: 0, result: { ack: 'none', reasonCode: 0, reason: 'Success' }, ms: 1 }), '✓ published QoS 0 · sent in 1 ms (QoS 0 is not acknowledged)');
    assert.equal(outcomeText({ ok: true, kind: 'publish', qos: 1, result: { ack: 'puback', reasonCode: 0x87, reason: 'Not authorized' }, ms: 5 }), '✗ refused by the broker: Not authorized (0x87) in 5 ms');
    // Sent although the topic's JSON Schema refused it: said after the result.
    const refusal = schemaRefusal('schemas/t.json', [{ path: '/temperature', message: 'must be <= 22.5' }, { path: '', message: "must have required property 'ts'" }], 3);
    assert.equal(refusal, 'schemas/t.json: /temperature: must be <= 22.5 (and 4 more)');
    assert.equal(schemaRefusal('s.json', [{ path: '', message: 'must be object' }], 0), 's.json: (root): must be object');
    assert.equal(
      outcomeText({ ok: true, kind: 'publish', qos: 1, result: { ack: 'puback', reasonCode: 0, reason: 'Success' }, ms: 12, notValid: refusal }),
      '✓ published QoS 1 · acknowledged in 12 ms · ⚠ sent although not valid against schemas/t.json: /temperature: must be <= 22.5 (and 4 more)',
    );
    assert.equal(outcomeText({ ok: false, message: 'Local broker is not connected.\nConnect it.' }), '✗ Local broker is not connected. Connect it.');
    assert.equal(outcomeText({ ok: true, text: 'reply in 8 ms' }), '✓ reply in 8 ms');
    assert.equal(outcomeText({ ok: false, message: 'x'.repeat(500) }).length, 202);
  });

  it('# @connection finds a connection by id, then by name, then by name in any case', () => {
    const connections = [
      { id: 'a1', name: 'Local broker' },
      { id: 'b2', name: 'a1' },
      { id: 'c3', name: 'Plant' },
    ];
    assert.equal(findConnection(connections, 'a1')?.id, 'a1');
    assert.equal(findConnection(connections, 'Local broker')?.id, 'a1');
    assert.equal(findConnection(connections, 'plant')?.id, 'c3');
    assert.equal(findConnection(connections, 'nope'), undefined);
  });
});

describe('Files a .mqtt file names (< path, Schema): inside the workspace folder only, through the bounded reader', () => {
  let root: string;
  let outside: string;

  before(() => {
    const base = mkdtempSync(join(tmpdir(), 'mqtt-body-'));
    root = join(base, 'workspace');
    outside = join(base, 'outside');
    mkdirSync(join(root, 'sub', 'payloads'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'sub', 'payloads', 'frame.bin'), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(root, 'top.bin'), Buffer.from('top'));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'sub', 'link.txt'));
    symlinkSync(outside, join(root, 'sub', 'dir-link'));
  });

  after(() => rmSync(join(root, '..'), { recursive: true, force: true }));


  const read = (path: string, maxBytes = 1024) => confinedReader(join(root, 'sub'), root)(path, maxBytes);

  it('reads a file next to the .mqtt file, or above it inside the folder, byte for byte', async () => {
    assert.deepEqual(Buffer.from(await read('./payloads/frame.bin')), Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(Buffer.from(await read('../top.bin')), Buffer.from('top'));
  });

  it('refuses absolute paths, .. out of the folder, symbolic links that lead out, folders, missing and too big files', async () => {
    await assert.rejects(read('/etc/passwd'), /is not relative/);
    await assert.rejects(read('../../outside/secret.txt'), /is outside .*: a message file reads only files in its own folder tree/);
    await assert.rejects(read('./link.txt'), /is a symbolic link to .*secret\.txt, outside/);
    await assert.rejects(read('./dir-link/secret.txt'), /is a symbolic link to .*secret\.txt, outside/);
    await assert.rejects(read('./payloads'), /"\.\/payloads" is not a regular file \(a folder\)/);
    await assert.rejects(read('./missing.bin'), /There is no file "\.\/missing\.bin"/);
    await assert.rejects(read('./payloads/frame.bin', 3), /"\.\/payloads\/frame\.bin" is 4 B; at most 3 B is read/);
  });

  it('a named pipe that nobody writes to is refused at once, not waited on (the open is non-blocking)', async function () {
    if (process.platform === 'win32') this.skip();
    execFileSync('mkfifo', [join(root, 'sub', 'pipe')]);
    await assert.rejects(read('./pipe'), /is not a regular file/);
  });
});
