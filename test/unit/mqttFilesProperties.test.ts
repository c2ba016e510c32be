import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkVariables,
  documentContent,
  formatDocument,
  headersFor,
  MAX_FILE_CHARS,
  parseEnvironmentFile,
  parseMqttFile,
  resolveBlock,
  type BlockContent,
  type BlockKind,
  type DocumentContent,
  type HeaderName,
  type MqttFileDocument,
} from '../../src/shared/mqttFiles';

const CLOCK = { now: () => 1_700_000_000_000, random: () => 0.42 };
/** MQTT_FILES_FUZZ=20 runs every property 20 times as often (a longer hunt than the suite's). */
const SCALE = Math.max(1, Number(process.env.MQTT_FILES_FUZZ) || 1);
const runs = (count: number) => ({ numRuns: count * SCALE });

/** What must hold for any text: positions inside the file, blocks in order, no bug reports. */
function checkInvariants(text: string, document: MqttFileDocument): void {
  const lines = text.split(/\r\n|\r|\n/);
  const inside = (position: { line: number; character: number }) => position.line >= 0 && position.line < lines.length && position.character >= 0 && position.character <= lines[position.line].length;
  for (const diagnostic of document.diagnostics) {
    assert.notEqual(diagnostic.code, 'internal-error', diagnostic.message);
    assert.ok(text.length > MAX_FILE_CHARS || (inside(diagnostic.range.start) && inside(diagnostic.range.end)), `diagnostic inside the file: ${JSON.stringify(diagnostic)}`);
    assert.ok(diagnostic.block === undefined || document.blocks[diagnostic.block] !== undefined);
    assert.ok(diagnostic.message.length > 0);
  }
  let previousEnd = -1;
  for (const [index, block] of document.blocks.entries()) {
    assert.equal(block.index, index);
    assert.ok(block.range.start.line > previousEnd, 'blocks do not overlap');
    assert.ok(block.range.start.line <= block.range.end.line);
    assert.ok(inside(block.range.start) && inside(block.range.end) && inside(block.topic.range.start) && inside(block.topic.range.end));
    previousEnd = block.range.end.line;
    const errors = document.diagnostics.some((diagnostic) => diagnostic.block === index && diagnostic.severity === 'error');
    if (errors) assert.ok(block.hasErrors, 'an error marks its block');
    const result = resolveBlock(document, block, { clock: CLOCK, variables: { settings: { x: '1' } } });
    if (!result.ok) for (const error of result.errors) assert.notEqual(error.code, 'internal-error', error.message);
  }
  for (const problem of checkVariables(document, {})) assert.notEqual(problem.code, 'internal-error', problem.message);
}

/** Printed back and parsed again, a document has the same content, and printing that again gives the same text. */
function checkRoundTrip(document: MqttFileDocument): void {
  const content = documentContent(document);
  const printed = formatDocument(content);
  const again = parseMqttFile(printed);
  assert.deepEqual(documentContent(again), content, `printed:\n${printed}`);
  assert.equal(formatDocument(documentContent(again)), printed);
}

// Fragments that mean something to the parser, so random text reaches its corners.
const TOKENS = [
  '###', '### name', '#', '//', '# @connection c', '@', '@v = ', '=', 'PUBLISH ', 'REQUEST ', 'SUBSCRIBE ', 'EXPECT ', 'publish ', 'POST ',
  'QoS: ', 'Retain: ', 'Format: ', 'Timeout: ', 'Within: ', 'Count: ', 'User-Property: ', 'Correlation-Data: ', 'Response-Topic: ', 'Schema: ', 'Retained: ',
  'json', 'hex', 'text', 'true', '0', '1', '2', '500', 'hex: ', 'base64: ', '< ', './f.bin', '/abs', '{{', '}}', '{{x}}', '{{$uuid}}', '{{$randomInt 1 9}}',
  '{{$nope}}', '{', '}', '[', ']', '"', ':', ',', '+', '#', '/', 'a', 'b/c', ' ', '\t', '\n', '\n', '\n', '\r\n', '\r', '\u0000', '\uFEFF', 'é', '😀',
];
const tokenText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }).map((parts) => parts.join(''));
// Whole lines of a few fragments each, so that random text also forms request lines, headers and bodies.
const LINE_STARTS = ['###', '### n', 'PUBLISH a', 'REQUEST a', 'SUBSCRIBE a/#', 'EXPECT a/+', '', '', '@v = 1', '# c', 'QoS: 1', 'Format: json', '{', '"', '[', '<', 'hex:', 'base64:', 'x'];
const lineText = fc
  .array(fc.tuple(fc.constantFrom(...LINE_STARTS), fc.array(fc.constantFrom(...TOKENS.filter((token) => !/[\r\n]/.test(token))), { maxLength: 5 })), { maxLength: 30 })
  .map((lines) => lines.map(([start, rest]) => start + rest.join('')).join('\n'));

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _-]{0,20}$/).map((text) => text.trim()).filter((text) => text !== '');
const level = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const publishTopic = fc.array(fc.oneof(level, fc.constant('{{x}}')), { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
const filter = fc.tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 3 }), fc.boolean()).map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'));
const variable = fc.record({ name: fc.stringMatching(/^v_[a-z0-9_]{0,5}$/), value: fc.oneof(fc.constant(''), level, fc.constant('{{$uuid}}')) });

const HEADER_VALUES: Record<HeaderName, fc.Arbitrary<string>> = {
  QoS: fc.constantFrom('0', '1', '2'),
  Retain: fc.constantFrom('true', 'false'),
  'Content-Type': fc.constantFrom('application/json', 'text/plain'),
  'Response-Topic': level.map((text) => `replies/${text}`),
  'Correlation-Data': fc.constantFrom('{{$uuid}}', 'run-{{$uuid}}'),
  'Message-Expiry': fc.integer({ min: 0, max: 0xffffffff }).map(String),
  'Payload-Format': fc.constantFrom('utf8', 'bytes'),
  'User-Property': fc.tuple(level, level).map(([key, value]) => `${key}=${value}`),
  Timeout: fc.integer({ min: 1000, max: 60_000 }).map(String),
  Within: fc.integer({ min: 1, max: 1000 }).map(String),
  Count: fc.integer({ min: 1, max: 10_000 }).map(String),
  Retained: fc.constantFrom('include', 'ignore'),
  Format: fc.constant('text'),
  Schema: level.map((text) => `./schemas/${text}.json`),
  Correlation: level,
};

const body = fc.oneof(
  fc.constant(undefined),
  fc.record({ kind: fc.constant('text' as const), text: fc.constantFrom('{"on": true}', 'plain text', '[1, 2, {"a": "{{x}}"}]', 'line one\n\nline three', '  # kept\n// kept') }),
  fc.record({ kind: fc.constant('hex' as const), text: fc.array(fc.constantFrom('00 ff', '0a', 'DEADBEEF'), { minLength: 1, maxLength: 3 }).map((lines) => lines.join('\n')) }),
  fc.record({ kind: fc.constant('base64' as const), text: fc.constantFrom('AP8K', 'AAEC\nAP8K') }),
  fc.record({ kind: fc.constant('file' as const), text: fc.constantFrom('./payloads/frame.bin', 'data/{{x}}.json') }),
);

const block: fc.Arbitrary<BlockContent> = fc.constantFrom<BlockKind>('publish', 'request', 'subscribe', 'expect').chain((kind) =>
  fc
    .record({
      name: fc.option(name, { nil: undefined }),
      topic: kind === 'publish' || kind === 'request' ? publishTopic : filter,
      variables: fc.array(variable, { maxLength: 2 }),
      headers: fc.subarray(headersFor(kind).filter((header) => header !== 'Format' && !(kind === 'expect' && header === 'Timeout'))),
      body,
    })
    .chain(({ headers, ...rest }) =>
      fc.tuple(...headers.map((header) => HEADER_VALUES[header])).map((values) => ({ ...rest, kind, headers: headers.map((header, index) => ({ name: header, value: values[index] })) })),
    )
    .map(({ name: blockName, body: blockBody, ...rest }) => ({ ...rest, ...(blockName === undefined ? {} : { name: blockName }), ...(blockBody === undefined ? {} : { body: blockBody }) })),
);

const documentArbitrary: fc.Arbitrary<DocumentContent> = fc
  .record({ connection: fc.option(name, { nil: undefined }), variables: fc.array(variable, { maxLength: 3 }), blocks: fc.array(block, { minLength: 1, maxLength: 6 }) })
  .map(({ connection, ...rest }) => {
    // Unique block names: a duplicate is a (deliberate) warning.
    const seen = new Set<string>();
    const blocks = rest.blocks.map((item) => {
      if (item.name === undefined || !seen.has(item.name)) {
        if (item.name !== undefined) seen.add(item.name);
        return item;
      }
      const unnamed = { ...item };
      delete unnamed.name;
      return unnamed;
    });
    return { ...rest, blocks, ...(connection === undefined ? {} : { connection }) };
  });

/** Random edits of a text: insert a fragment, delete a span, duplicate or swap lines. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
);

type Edit = { kind: string; at: number; token?: string; length?: number; other?: number };

function mutate(text: string, edits: readonly Edit[]): string {
  let current = text;
  for (const edit of edits) {
    const at = current.length ? edit.at % (current.length + 1) : 0;
    if (edit.kind === 'insert') current = current.slice(0, at) + edit.token + current.slice(at);
    else if (edit.kind === 'delete') current = current.slice(0, at) + current.slice(at + edit.length!);
    else {
      const lines = current.split('\n');
      const index = edit.at % lines.length;
      if (edit.kind === 'duplicate') lines.splice(index, 0, lines[index]);
      else {
        const other = edit.other! % lines.length;
        [lines[index], lines[other]] = [lines[other], lines[index]];
      }
      current = lines.join('\n');
    }
  }
  return current;
}

function timed<T>(what: string, limitMs: number, run: () => T): T {
  const started = performance.now();
  const result = run();
  const elapsed = performance.now() - started;
  assert.ok(elapsed < limitMs, `${what}: ${elapsed.toFixed(0)} ms, over ${limitMs} ms`);
  return result;
}

describe('.mqtt files: properties', () => {
  it('fuzz: any text parses without throwing, quickly, with every position inside the file', () => {
    fc.assert(
      fc.property(fc.oneof(tokenText, lineText, lineText, fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ maxLength: 400 })), (text) => {
        const document = timed('one random text', 1000, () => parseMqttFile(text));
        checkInvariants(text, document);
      }),
      runs(1500),
    );
  });

  it('fuzz: random edits of valid files parse without throwing, and still print back to the same blocks', () => {
    fc.assert(
      fc.property(documentArbitrary, fc.array(mutation, { minLength: 1, maxLength: 8 }), (content, edits) => {
        const text = mutate(formatDocument(content), edits);
        const document = timed('one edited file', 1000, () => parseMqttFile(text));
        checkInvariants(text, document);
        checkRoundTrip(document);
      }),
      runs(1000),
    );
  });

  it('round trip: any random text parsed, printed and parsed again has the same content', () => {
    fc.assert(
      fc.property(fc.oneof(tokenText, lineText), (text) => checkRoundTrip(parseMqttFile(text))),
      runs(1500),
    );
  });

  it('valid files: printed from any content, parsed without errors to that same content', () => {
    fc.assert(
      fc.property(documentArbitrary, (content) => {
        const text = formatDocument(content);
        const document = parseMqttFile(text);
        assert.deepEqual(
          document.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'),
          [],
          text,
        );
        const parsed = documentContent(document);
        // fast-check's records have no prototype; compare plain data.
        const expected = JSON.parse(JSON.stringify({ ...content, blocks: content.blocks.map((item) => ({ variables: [], headers: [], ...item })) })) as DocumentContent;
        assert.deepEqual(parsed, expected);
        for (const item of document.blocks) {
          const result = resolveBlock(document, item, { clock: CLOCK, variables: { settings: { x: 'v' } } });
          assert.ok(result.ok, `${text}\n${JSON.stringify(!result.ok && result.errors)}`);
        }
      }),
      runs(500),
    );
  });

  it('environment files: random text never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.constantFrom('{', '}', '[', ']', '"$shared"', '"dev"', ':', ',', '"a"', '1', 'true', 'null', '//c\n', ' '), { maxLength: 80 }).map((parts) => parts.join(''))), (text) => {
        parseEnvironmentFile(text);
      }),
      runs(1000),
    );
  });
});

describe('.mqtt files: linear time on hostile input', () => {
  // Each is close to the 5 MiB cap. A quadratic step would take minutes here; linear ones take well under a second.
  const size = MAX_FILE_CHARS - 64;
  const cases: [string, () => string][] = [
    ['a body of {{', () => `PUBLISH a\nFormat: text\n\n${'{{'.repeat(size / 2 - 16)}`],
    ['a body of }}', () => `PUBLISH a\nFormat: text\n\n${'}}'.repeat(size / 2 - 16)}`],
    ['a body of malformed references', () => `PUBLISH a\nFormat: text\n\n${'{{a b}}'.repeat(size / 7 - 16)}`],
    ['a body of {{x', () => `PUBLISH a\nFormat: text\n\n${'{{x'.repeat(size / 3 - 16)}`],
    ['one long header name without a colon', () => `PUBLISH a\n${'A'.repeat(size - 16)}`],
    ['one long variable line without =', () => `@${' '.repeat(size - 8)}x`],
    ['one long topic', () => `PUBLISH ${'a/'.repeat(size / 2 - 8)}`],
    ['one long topic of variables', () => `PUBLISH ${'{{x}}'.repeat(size / 5 - 8)}`],
    ['a JSON body of [', () => `PUBLISH a\nFormat: json\n\n${'['.repeat(size - 32)}`],
    ['many empty lines', () => '\n'.repeat(240_000)],
    ['10,000 blocks with headers', () => '### b\nPUBLISH a/b\nQoS: 1\nUser-Property: k=v\n\n{"x": 1}\n'.repeat(10_000)],
    ['the block cap', () => '###\nPUBLISH a\n'.repeat(120_000)],
    ['errors everywhere', () => 'PUBLISH a/#\nQoS: 9\n'.repeat(120_000)],
  ];
  for (const [what, make] of cases) {
    it(what, function () {
      this.timeout(60_000);
      const text = make();
      assert.ok(text.length <= MAX_FILE_CHARS);
      const document = timed(what, 5000, () => parseMqttFile(text));
      assert.ok(document.diagnostics.length <= 1001, 'diagnostics stay capped');
      for (const item of document.blocks.slice(0, 50)) resolveBlock(document, item, { clock: CLOCK, variables: { settings: { x: 'y' } } });
      timed(`${what}: checking variables`, 5000, () => checkVariables(document, { settings: { x: 'y' } }));
    });
  }

  it('filling in 100,000 references to one variable is linear too', function () {
    this.timeout(60_000);
    const document = parseMqttFile(`@v = ${'x'.repeat(8)}\nPUBLISH a\nFormat: text\n\n${'{{v}}'.repeat(100_000)}`);
    const result = timed('resolve', 5000, () => resolveBlock(document, document.blocks[0], { clock: CLOCK }));
    assert.ok(result.ok && result.block.kind === 'publish' && 'text' in result.block.payload && result.block.payload.text.length === 800_000);
  });
});
