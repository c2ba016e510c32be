import * as assert from 'node:assert/strict';
import { blockAt, blockLabel, MAX_BLOCKS, MAX_BODY_CHARS, MAX_DIAGNOSTICS, MAX_FILE_CHARS, MAX_LINES, parseMqttFile, type MqttFileDiagnostic, type MqttFileDocument, type Range } from '../../src/shared/mqttFiles';

/** The text a range covers (ranges here never span lines). */
function covered(text: string, range: Range): string {
  assert.equal(range.start.line, range.end.line, 'one-line range');
  return text.split(/\r\n|\r|\n/)[range.start.line].slice(range.start.character, range.end.character);
}

function only(document: MqttFileDocument, code?: string): MqttFileDiagnostic {
  const found = code ? document.diagnostics.filter((diagnostic) => diagnostic.code === code) : document.diagnostics;
  assert.equal(found.length, 1, `one diagnostic${code ? ` ${code}` : ''}: ${JSON.stringify(document.diagnostics, null, 1)}`);
  return found[0];
}

function clean(text: string): MqttFileDocument {
  const document = parseMqttFile(text);
  assert.deepEqual(document.diagnostics, [], 'no diagnostics');
  return document;
}

describe('.mqtt files: blocks and their parts', () => {
  it('reads a file header, named blocks of every kind, headers and bodies, with their lines', () => {
    const text = [
      '# Lamp tests (a comment)', // 0
      '// another comment', // 1
      '# @connection Local broker', // 2
      '@site = berlin', // 3
      '', // 4
      '### Turn the lamp on', // 5
      'PUBLISH fleet/{{site}}/lamp/set', // 6
      'QoS: 1', // 7
      'Retain: true', // 8
      '', // 9
      '{"on": true}', // 10
      '', // 11
      '###   Ask the thermostat  ', // 12
      'REQUEST fleet/t1/get', // 13
      '', // 14
      '### Status', // 15
      'SUBSCRIBE fleet/+/status', // 16
      '### Wait for it', // 17
      'EXPECT fleet/lamp/state', // 18
      'Within: 500', // 19
      '', // 20
      '{"on": true}', // 21
      '', // 22
    ].join('\n');
    const document = clean(text);
    assert.equal(document.connection?.text, 'Local broker');
    assert.equal(covered(text, document.connection!.range), 'Local broker');
    assert.deepEqual(document.variables.map(({ name, value }) => [name, value]), [['site', 'berlin']]);
    assert.equal(covered(text, document.variables[0].nameRange), 'site');
    assert.equal(covered(text, document.variables[0].valueRange), 'berlin');
    assert.deepEqual(
      document.blocks.map((block) => [block.name, block.kind, block.topic.text, block.separatorLine, block.range.start.line, block.range.end.line]),
      [
        ['Turn the lamp on', 'publish', 'fleet/{{site}}/lamp/set', 5, 5, 10],
        ['Ask the thermostat', 'request', 'fleet/t1/get', 12, 12, 13],
        ['Status', 'subscribe', 'fleet/+/status', 15, 15, 16],
        ['Wait for it', 'expect', 'fleet/lamp/state', 17, 17, 21],
      ],
    );
    const [lamp, , , expect] = document.blocks;
    assert.equal(covered(text, lamp.topic.range), 'fleet/{{site}}/lamp/set');
    assert.equal(covered(text, lamp.keywordRange), 'PUBLISH');
    assert.equal(covered(text, lamp.requestRange), 'PUBLISH fleet/{{site}}/lamp/set');
    assert.deepEqual(lamp.headers.map(({ name, value }) => [name, value]), [['QoS', '1'], ['Retain', 'true']]);
    assert.equal(covered(text, lamp.headers[1].valueRange), 'true');
    assert.deepEqual(lamp.body && { kind: lamp.body.kind, text: lamp.body.text, range: lamp.body.range }, { kind: 'text', text: '{"on": true}', range: { start: { line: 10, character: 0 }, end: { line: 10, character: 12 } } });
    assert.equal(lamp.range.end.character, 12, 'a block ends at the end of its last non-blank line');
    assert.equal(expect.body?.text, '{"on": true}');
    assert.equal(document.blocks[1].body, undefined, 'a blank line and nothing after it: no body');
    assert.equal(document.lineCount, 23);
    assert.ok(document.blocks.every((block, index) => block.index === index && !block.hasErrors));
  });

  it('takes a first block without ###, keywords in any case, and CRLF or CR line ends', () => {
    const document = clean('@a = 1\r\npublish x/y\r\nqos: 2\r\n\r\nline one\r\n\r\nline three\r\n');
    assert.equal(document.variables.length, 1, 'variables above the first request line are the file\'s');
    const [block] = document.blocks;
    assert.equal(block.kind, 'publish');
    assert.equal(block.separatorLine, undefined);
    assert.equal(block.name, undefined);
    assert.equal(block.range.start.line, 1);
    assert.deepEqual(block.headers.map(({ name, value }) => [name, value]), [['QoS', '2']], 'a header typed in any case gets its canonical name');
    assert.equal(block.body?.text, 'line one\n\nline three', 'blank lines inside a body are kept; CRLF becomes \\n');
    assert.equal(clean('###\rPUBLISH a\r\rtext').blocks[0].body?.text, 'text');
    assert.equal(blockLabel(block), 'PUBLISH x/y');
  });

  it('keeps body lines as typed: comments, ### only at the start of a line, leading spaces, trailing blank lines dropped', () => {
    const text = '### A\nPUBLISH t\n\n\n  # not a comment here\n// nor this\n  indented ### text\n\n\n### B\nPUBLISH u\n\nx';
    const document = clean(text);
    assert.equal(document.blocks[0].body?.text, '  # not a comment here\n// nor this\n  indented ### text');
    assert.equal(document.blocks[0].range.end.line, 6);
    assert.equal(document.blocks[1].body?.text, 'x');
  });

  it('### after spaces starts a block too, also inside a body', () => {
    const document = clean('PUBLISH a\n\nbody\n   ### Indented\nPUBLISH b\n');
    assert.deepEqual(document.blocks.map((block) => [block.name, block.body?.text]), [[undefined, 'body'], ['Indented', undefined]]);
  });

  it('reads block variables above the request line, comments between headers, and a block name after several #', () => {
    const text = '#### Named\n# comment\n@device = t1\n@topic = fleet/{{device}}\nPUBLISH {{topic}}\n// between\nContent-Type: application/json\n# between\nUser-Property: a=1\nUser-Property: b = 2 = 3\n';
    const document = clean(text);
    const [block] = document.blocks;
    assert.equal(block.name, 'Named');
    assert.deepEqual(block.variables.map(({ name, value }) => [name, value]), [['device', 't1'], ['topic', 'fleet/{{device}}']]);
    assert.deepEqual(block.headers.map(({ name, value }) => [name, value]), [['Content-Type', 'application/json'], ['User-Property', 'a=1'], ['User-Property', 'b = 2 = 3']]);
  });

  it('reads hex and base64 bodies line by line, and a file reference', () => {
    const text = '### Hex\nPUBLISH a\n\nhex: 01 02 0A\n  HEX:ff\n\n### B64\nPUBLISH b\n\nbase64: AP8K\nbase64: AAEC\n\n### File\nPUBLISH c\n\n<  ./payloads/frame.bin\n';
    const document = clean(text);
    const [hex, base64, file] = document.blocks;
    assert.deepEqual([hex.body?.kind, hex.body?.text], ['hex', '01 02 0A\nff']);
    assert.deepEqual(hex.body?.lines.map(({ line, character }) => [line, character]), [[3, 5], [4, 6]], 'where each line\'s data starts');
    assert.deepEqual([base64.body?.kind, base64.body?.text], ['base64', 'AP8K\nAAEC']);
    assert.deepEqual([file.body?.kind, file.body?.text], ['file', './payloads/frame.bin']);
    assert.equal(covered(text, { start: { line: file.body!.lines[0].line, character: file.body!.lines[0].character }, end: { line: file.body!.lines[0].line, character: file.body!.lines[0].character + 20 } }), './payloads/frame.bin');
    assert.equal(clean('PUBLISH x\n\n<?xml version="1.0"?>\n<a/>').blocks[0].body?.kind, 'text', 'XML is text: a file reference has a space after <');
  });

  it('takes each header in the kinds it belongs to', () => {
    clean(
      [
        '###',
        'PUBLISH a',
        'QoS: 2',
        'Retain: false',
        'Content-Type: text/plain',
        'Response-Topic: r/1',
        'Correlation-Data: abc',
        'Message-Expiry: 60',
        'Payload-Format: utf8',
        'User-Property: k=v',
        'Format: text',
        '###',
        'REQUEST a',
        'Correlation-Data: {{$uuid}}',
        'Timeout: 1000',
        'Payload-Format: bytes',
        'Format: base64',
        '',
        'AP8K',
        '###',
        'SUBSCRIBE a/#',
        'Count: 3',
        'Timeout: 100',
        'Retained: ignore',
        'Format: hex',
        '###',
        'EXPECT a/+',
        'Within: 10',
        'Timeout: 20',
        'Schema: ./schemas/a.json',
        'Correlation: xyz',
        'Retained: include',
        'Format: decoder',
        '',
        '{"a": [1, {"b": null}]}',
      ].join('\n'),
    );
  });

  it('finds the block at a line, and none outside any', () => {
    const document = clean('@x = 1\n\n### A\nPUBLISH a\n\nbody\n\n\n### B\nPUBLISH b\n');
    assert.equal(blockAt(document, 0), undefined);
    assert.equal(blockAt(document, 2)?.name, 'A');
    assert.equal(blockAt(document, 5)?.name, 'A');
    assert.equal(blockAt(document, 6), undefined, 'the blank lines after a block are nobody\'s');
    assert.equal(blockAt(document, 9)?.name, 'B');
    assert.equal(blockAt(document, 10), undefined);
  });
});

describe('.mqtt files: problems, where they are and what they say', () => {
  it('a wildcard in a PUBLISH or REQUEST topic, on the topic, saying what to use instead', () => {
    const text = '### x\nPUBLISH  fleet/+/set\n';
    const problem = only(parseMqttFile(text));
    assert.equal(problem.code, 'bad-topic');
    assert.equal(problem.severity, 'error');
    assert.equal(covered(text, problem.range), 'fleet/+/set');
    assert.match(problem.message, /cannot contain them\. To listen on a filter, use SUBSCRIBE or EXPECT\./);
    assert.equal(parseMqttFile(text).blocks[0].hasErrors, true);
    assert.equal(only(parseMqttFile('REQUEST a/#')).code, 'bad-topic');
  });

  it('filters: wildcards allowed in SUBSCRIBE and EXPECT, bad ones and shared subscriptions refused', () => {
    clean('SUBSCRIBE a/+/b/#\n###\nEXPECT +\n###\nEXPECT {{x}}/#');
    assert.match(only(parseMqttFile('SUBSCRIBE a/b#')).message, /must stand alone/);
    assert.match(only(parseMqttFile('EXPECT a/#/b')).message, /# is only allowed as the last level/);
    assert.match(only(parseMqttFile('EXPECT $share/g/a')).message, /Shared subscriptions/);
  });

  it('a topic with variables is checked with each variable standing for a plain level', () => {
    clean('PUBLISH {{a}}/{{b}}');
    const problem = only(parseMqttFile('PUBLISH {{a}}/#'));
    assert.equal(problem.code, 'bad-topic');
  });

  it('a missing topic, an unknown kind, a block with no request line', () => {
    const missing = only(parseMqttFile('### A\nPUBLISH\n'));
    assert.deepEqual([missing.code, missing.range.start.line], ['missing-topic', 1]);
    assert.match(missing.message, /PUBLISH needs a topic: PUBLISH devices\/lamp\/set/);
    const unknown = only(parseMqttFile('### A\nPOST /api\nQoS: 1\n'));
    assert.equal(unknown.code, 'unknown-kind');
    assert.match(unknown.message, /"POST" is not a kind of block: start the block with PUBLISH, REQUEST, SUBSCRIBE or EXPECT/);
    const none = only(parseMqttFile('### A\nQoS: 1\n'));
    assert.equal(none.code, 'missing-kind');
    assert.equal(parseMqttFile('### A\nQoS: 1\n').blocks.length, 0, 'a block without a kind is not kept');
    assert.equal(only(parseMqttFile('### Later\n# todo\n')).severity, 'warning', 'a named, empty block is a warning');
    clean('###\n\n###\n');
  });

  it('unknown, misplaced and duplicate headers, with a guess at what was meant', () => {
    const text = 'PUBLISH a\nRetian: true\nTimeout: 100\nQoS: 1\nqos: 2\nUser-Property: a=1\nUser-Property: a=2\n';
    const document = parseMqttFile(text);
    const [unknown, misplaced, duplicate] = document.diagnostics;
    assert.deepEqual([unknown.code, covered(text, unknown.range)], ['unknown-header', 'Retian']);
    assert.match(unknown.message, /Unknown header "Retian"\. Did you mean Retain\? PUBLISH takes: QoS, Retain/);
    assert.deepEqual([misplaced.code, covered(text, misplaced.range)], ['header-not-for-kind', 'Timeout']);
    assert.match(misplaced.message, /PUBLISH does not wait/);
    assert.deepEqual([duplicate.code, covered(text, duplicate.range)], ['duplicate-header', 'qos']);
    assert.match(duplicate.message, /QoS is already given on line 4/);
    assert.equal(document.diagnostics.length, 3, 'User-Property may repeat');
    assert.match(only(parseMqttFile('REQUEST a\nRetain: true')).message, /never retained/);
    assert.match(only(parseMqttFile('SUBSCRIBE a\nWithin: 5')).message, /Within is for EXPECT only/);
    assert.match(only(parseMqttFile('EXPECT a\nCount: 5')).message, /Count is for SUBSCRIBE only/);
    assert.match(only(parseMqttFile('REQUEST a\nCorrelation: x')).message, /finds its reply by its Correlation-Data/);
    assert.match(only(parseMqttFile('EXPECT a\nRetain: true')).message, /Retain is not a EXPECT header/);
  });

  it('bad header values, on the value', () => {
    const cases: [string, RegExp][] = [
      ['PUBLISH a\nQoS: 3', /^QoS is 0, 1 or 2, not "3"\.$/],
      ['PUBLISH a\nRetain: yes', /^Retain is true or false/],
      ['PUBLISH a\nMessage-Expiry: -1', /^Message-Expiry is a whole number of seconds/],
      ['PUBLISH a\nMessage-Expiry: 4294967296', /^Message-Expiry is a whole number/],
      ['PUBLISH a\nPayload-Format: text', /^Payload-Format is utf8/],
      ['PUBLISH a\nUser-Property: novalue', /^Write a user property as User-Property: name=value\.$/],
      ['PUBLISH a\nResponse-Topic: r/+', /^Response-Topic: Wildcards/],
      ['REQUEST a\nTimeout: 0', /^Timeout is a whole number of milliseconds, 1 to 3,600,000/],
      ['REQUEST a\nTimeout: 1.5', /^Timeout is a whole number/],
      ['EXPECT a\nWithin: 3600001', /^Within is a whole number/],
      ['SUBSCRIBE a\nCount: 10001', /^Count is a whole number of messages, 1 to 10,000/],
      ['SUBSCRIBE a\nRetained: maybe', /^Retained is include/],
      ['PUBLISH a\nFormat: yaml', /^Format is json, text, hex, base64 or decoder/],
      ['EXPECT a\nSchema: /etc/passwd', /^Schema: "\/etc\/passwd" is not relative/],
      ['EXPECT a\nSchema: C:\\schemas\\a.json', /is not relative/],
    ];
    for (const [text, message] of cases) {
      const problem = only(parseMqttFile(text));
      assert.equal(problem.code, 'bad-header-value', text);
      assert.match(problem.message, message, text);
      assert.equal(covered(text, problem.range), text.split('\n')[1].replace(/^[^:]*:\s*/, ''), text);
    }
    const empty = only(parseMqttFile('PUBLISH a\nContent-Type:'));
    assert.deepEqual([empty.message, empty.range.start.character, empty.range.end.character], ['Content-Type needs a value.', 0, 12], 'an empty value: the name is marked');
  });

  it('the body needs a blank line before it; a line that is not a header says so', () => {
    const text = 'PUBLISH a\nQoS: 1\n{"on": true}\n';
    const document = parseMqttFile(text);
    const problem = only(document);
    assert.deepEqual([problem.code, problem.range.start.line], ['missing-blank-line', 2]);
    assert.equal(document.blocks[0].body?.text, '{"on": true}', 'read as the body all the same, so nothing else goes wrong');
    assert.equal(only(parseMqttFile('PUBLISH a\nhex: 00')).code, 'missing-blank-line');
    assert.equal(only(parseMqttFile('PUBLISH a\n"quoted text"')).code, 'missing-blank-line');
    const notHeader = only(parseMqttFile('PUBLISH a\nthis is text'));
    assert.equal(notHeader.code, 'not-understood');
    assert.match(notHeader.message, /Not a header: write Name: value/);
  });

  it('a second request line in a block, a variable below the request line', () => {
    assert.match(only(parseMqttFile('PUBLISH a\nPUBLISH b\n')).message, /One message per block: start a new block with a ### line/);
    const misplaced = only(parseMqttFile('PUBLISH a\n@x = 1\n'));
    assert.equal(misplaced.code, 'misplaced-variable');
  });

  it('invalid JSON: an error with Format json (at the character), a warning when the body only looks like JSON', () => {
    const text = '### J\nPUBLISH a\nFormat: json\n\n{\n  "a": 1,\n  "b": }\n';
    const error = only(parseMqttFile(text));
    assert.equal(error.code, 'invalid-json');
    assert.equal(error.severity, 'error');
    assert.deepEqual(error.range.start, { line: 6, character: 7 });
    assert.match(error.message, /^The body is not valid JSON: unexpected character\. Fix it, or change Format\.$/);
    const warning = only(parseMqttFile('PUBLISH a\n\n[INFO] started'));
    assert.deepEqual([warning.code, warning.severity], ['json-like-text', 'warning']);
    assert.match(warning.message, /starts like JSON but is not valid JSON .* so it is sent as text\. .*Format: text/);
    assert.equal(parseMqttFile('PUBLISH a\n\n[INFO] started').blocks[0].hasErrors, false, 'a warning does not stop the block');
    clean('PUBLISH a\nFormat: text\n\n[INFO] started');
    clean('PUBLISH a\n\nplain text {not json}');
    assert.equal(only(parseMqttFile('PUBLISH a\nFormat: decoder\n\nnot json')).code, 'invalid-json', 'decoder bodies are JSON too');
    const noBody = only(parseMqttFile('REQUEST a\nFormat: json'));
    assert.deepEqual([noBody.code, noBody.range.start.line], ['invalid-json', 1]);
    assert.match(noBody.message, /^Format is json, but the block has no body/);
    clean('PUBLISH a\nFormat: hex');
  });

  it('JSON that ends too early: an empty range at the end of its last line, inside the file', () => {
    const problem = only(parseMqttFile('PUBLISH a\nFormat: json\n\n{"a": 1,\n "b": 2'));
    assert.match(problem.message, /it ends before the JSON is complete/);
    assert.deepEqual(problem.range, { start: { line: 4, character: 7 }, end: { line: 4, character: 7 } });
  });

  it('a JSON body with variables is checked with each variable as a value, and its error mapped past them', () => {
    clean('PUBLISH a\n\n{"id": {{id}}, "name": "{{name}}", "{{key}}": [{{a}}, {{b}}{{c}}]}');
    const text = 'PUBLISH a\n\n{"id": {{identifier}}, "x": ]}';
    const problem = only(parseMqttFile(text));
    assert.deepEqual(problem.range.start, { line: 2, character: 28 });
    assert.equal(text.split('\n')[2][28], ']');
  });

  it('hex and base64: bad digits, a line without the prefix, Format that contradicts the prefix', () => {
    assert.match(only(parseMqttFile('PUBLISH a\n\nhex: 0g')).message, /^Not hex/);
    assert.match(only(parseMqttFile('PUBLISH a\nFormat: hex\n\nabc')).message, /one digit is missing/);
    assert.match(only(parseMqttFile('PUBLISH a\n\nbase64: a$b=')).message, /^Not base64/);
    const mixed = only(parseMqttFile('PUBLISH a\n\nhex: 00\n01 02\n'));
    assert.deepEqual([mixed.code, mixed.range.start.line], ['bad-body-line', 3]);
    const conflict = parseMqttFile('PUBLISH a\nFormat: json\n\nhex: 00');
    assert.equal(only(conflict).code, 'format-conflict');
    assert.match(only(conflict).message, /The body is hex .* so Format cannot be json/);
    clean('PUBLISH a\nFormat: hex\n\nhex: 00');
  });

  it('file references: relative only, and alone in their body', () => {
    assert.match(only(parseMqttFile('PUBLISH a\n\n< /home/me/.ssh/id_rsa')).message, /is not relative/);
    assert.match(only(parseMqttFile('PUBLISH a\n\n< ~/secret')).message, /is not relative/);
    clean('PUBLISH a\n\n< {{dir}}/x');
    const alone = only(parseMqttFile('PUBLISH a\n\n< ./a.bin\nmore'));
    assert.deepEqual([alone.code, alone.range.start.line], ['bad-body-line', 3]);
  });

  it('bad variables and references', () => {
    const text = '@1x = a\n@ = b\n@novalue\n@$uuid = c\n@ok = {{ bad name }}\n### A\nPUBLISH t/{{$nope}}\nContent-Type: {{$randomInt 5 1}}\n\ntext {{$uuid extra}} {{}} {{$randomInt 1 x}}';
    const document = parseMqttFile(text);
    assert.deepEqual(
      document.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.range.start.line, covered(text, diagnostic.range)]),
      [
        ['bad-variable', 0, '@1x'],
        ['bad-variable', 1, '@'],
        ['bad-variable', 2, '@novalue'],
        ['bad-variable', 3, '@$uuid'],
        ['bad-reference', 4, '{{ bad name }}'],
        ['bad-reference', 6, '{{$nope}}'],
        ['bad-reference', 7, '{{$randomInt 5 1}}'],
        ['bad-reference', 9, '{{$uuid extra}}'],
        ['bad-reference', 9, '{{}}'],
        ['bad-reference', 9, '{{$randomInt 1 x}}'],
      ],
    );
    assert.match(document.diagnostics[3].message, /names starting with \$ are the built-ins/);
    assert.match(document.diagnostics[5].message, /Unknown built-in \{\{\$nope\}\}: use \{\{\$uuid\}\}/);
    assert.match(document.diagnostics[6].message, /min must be less than max/);
  });

  it('duplicate variables and block names are warnings; a misplaced or second @connection says so', () => {
    const document = parseMqttFile('# @connection A\n// @connection B\n@x = 1\n@x = 2\n### Same\nPUBLISH a\n# @connection C\n### Same\nPUBLISH b\n');
    assert.deepEqual(
      document.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.severity, diagnostic.range.start.line]),
      [
        ['duplicate-connection', 'error', 1],
        ['duplicate-variable', 'warning', 3],
        ['misplaced-connection', 'warning', 6],
        ['duplicate-block-name', 'warning', 7],
      ],
    );
    assert.equal(document.connection?.text, 'A');
    assert.match(only(parseMqttFile('# @connection\n')).message, /^Name the connection/);
  });

  it('REQUEST: a fixed Correlation-Data is a warning; EXPECT: a Timeout shorter than Within is a warning', () => {
    const fixed = only(parseMqttFile('REQUEST a\nCorrelation-Data: 42'));
    assert.deepEqual([fixed.code, fixed.severity], ['fixed-correlation', 'warning']);
    assert.match(fixed.message, /\{\{\$uuid\}\} gives each run its own/);
    assert.equal(only(parseMqttFile('REQUEST a\nCorrelation-Data:')).code, 'bad-header-value', 'an empty one is an error');
    clean('REQUEST a\nCorrelation-Data: run-{{$uuid}}');
    assert.equal(only(parseMqttFile('EXPECT a\nWithin: 500\nTimeout: 100')).code, 'timeout-before-within');
  });

  it('lines the file header does not take', () => {
    const text = '@a = 1\nQoS: 1\n';
    const problem = only(parseMqttFile(text));
    assert.equal(problem.code, 'not-understood');
    assert.equal(problem.block, undefined);
    assert.match(problem.message, /Above the first block a file holds @name = value variables/);
  });

  it('diagnostics carry the index of their block', () => {
    const document = parseMqttFile('### A\nPUBLISH a\n### B\nPUBLISH b/#\n### C\nPOST x\n### D\nPUBLISH d\nQoS: 9\n');
    assert.deepEqual(
      document.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.block]),
      [
        ['bad-topic', 1],
        ['unknown-kind', undefined],
        ['bad-header-value', 2],
      ],
    );
    assert.deepEqual(
      document.blocks.map((block) => [block.name, block.hasErrors]),
      [
        ['A', false],
        ['B', true],
        ['D', true],
      ],
    );
  });
});

describe('.mqtt files: caps', () => {
  it('a file over 5 MiB or with too many lines is not read, and says what to do', () => {
    const big = parseMqttFile(`PUBLISH a\n\n${'x'.repeat(MAX_FILE_CHARS)}`);
    assert.deepEqual([big.blocks.length, only(big).code], [0, 'file-too-large']);
    assert.match(only(big).message, /5\.0 MiB; a \.mqtt file is read up to 5 MiB\. Move large payloads into files of their own/);
    const lines = parseMqttFile('\n'.repeat(MAX_LINES));
    assert.equal(only(lines).code, 'too-many-lines');
    assert.equal(parseMqttFile('\n'.repeat(MAX_LINES - 1)).diagnostics.length, 0);
  });

  it('blocks past 10,000 are not read, with one diagnostic on the first left out', () => {
    const document = parseMqttFile('###\nPUBLISH a\n'.repeat(MAX_BLOCKS + 5));
    assert.equal(document.blocks.length, MAX_BLOCKS);
    const problem = only(document);
    assert.deepEqual([problem.code, problem.range.start.line], ['too-many-blocks', MAX_BLOCKS * 2]);
  });

  it('a body over 1 MiB is an error that points to file references', () => {
    const problem = only(parseMqttFile(`PUBLISH a\nFormat: text\n\n${'y'.repeat(MAX_BODY_CHARS)}`));
    assert.equal(problem.code, 'body-too-large');
    assert.match(problem.message, /write < \.\/that-file instead/);
  });

  it('at most 1,000 diagnostics, then one that counts the rest; hasErrors stays right past the cap', () => {
    const document = parseMqttFile(`${'###\nPUBLISH a/#\n'.repeat(MAX_DIAGNOSTICS + 10)}`);
    assert.equal(document.diagnostics.length, MAX_DIAGNOSTICS + 1);
    const last = document.diagnostics[MAX_DIAGNOSTICS];
    assert.equal(last.code, 'too-many-problems');
    assert.match(last.message, /^10 more problems are not listed/);
    assert.ok(document.blocks.every((block) => block.hasErrors));
  });
});
