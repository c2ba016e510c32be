import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import fc from 'fast-check';
import { bindingReferenceErrors, DECODERS_SETTING, locateBindingError, locateSchemaError, positionAt, withBindingFirst } from '../../src/shared/decoderFiles';
import { BINDING_FORMATS, MAX_DECODER_BINDINGS, readDecoderBindings } from '../../src/shared/decoderBindings';
import { DecoderState } from '../../src/worker/decoding';

/** The engine's own answer to a set of files (the same code the worker runs). */
function schemaErrors(files: Record<string, string>): { file: string; error: string }[] {
  return new DecoderState().set({ bindings: [], files }).schemaErrors;
}

/** The text a located problem covers. */
function covered(text: string, problem: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  const lines = text.split('\n');
  if (problem.start.line === problem.end.line) return lines[problem.start.line].slice(problem.start.character, problem.end.character);
  return [lines[problem.start.line].slice(problem.start.character), ...lines.slice(problem.start.line + 1, problem.end.line), lines[problem.end.line].slice(0, problem.end.character)].join('\n');
}

describe('Decoders on the host: where a problem is', () => {
  it("a .proto syntax error, as the engine reports it, is on the line it names, without the file's name", () => {
    const text = 'syntax = "proto3";\npackage broken;\nmessage Thing {\n  int32 x = 1\n}\n';
    const [reported] = schemaErrors({ 'protos/broken.proto': text });
    assert.ok(reported, 'the engine reports the file');
    assert.match(reported.error, /^protos\/broken\.proto line 5: /);
    const problem = locateSchemaError(reported.file, reported.error, text);
    assert.deepEqual(problem.start, { line: 4, character: 0 });
    assert.equal(covered(text, problem), '}');
    assert.equal(problem.message, reported.error.slice('protos/broken.proto line 5: '.length));
  });

  it('an import that is not there: the line of the import, from its first non-blank character', () => {
    const text = 'syntax = "proto3";\n\n   import "missing/units.proto";\nmessage A { int32 x = 1; }\n';
    const [reported] = schemaErrors({ 'a.proto': text });
    const problem = locateSchemaError(reported.file, reported.error, text);
    assert.equal(covered(text, problem), 'import "missing/units.proto";');
    assert.match(problem.message, /^imports "missing\/units\.proto"/);
  });

  it('an .avsc that is not JSON: a position or a line and column when the message names one, else the first line', () => {
    const text = '{\n  "type": "record",\n  "name": }';
    const [reported] = schemaErrors({ 'schemas/reading.avsc': text });
    assert.match(reported.error, /^Avro: schemas\/reading\.avsc is not JSON/);
    const problem = locateSchemaError(reported.file, reported.error, text);
    assert.equal(problem.message, reported.error, 'the message names the file itself: kept whole');
    // Whatever this Node's JSON.parse says, the problem is inside the text.
    assert.ok(problem.start.line <= 2);
    assert.deepEqual(locateSchemaError('s.avsc', 'Avro: s.avsc is not JSON: Unexpected token } in JSON at position 32', text).start, { line: 2, character: 10 });
    assert.deepEqual(locateSchemaError('s.avsc', "Avro: s.avsc is not JSON: Expected property name (line 3 column 11)", text).start, { line: 2, character: 10 });
    assert.deepEqual(locateSchemaError('s.avsc', 'Avro: s.avsc is not a valid schema: unknown type: x', text), { start: { line: 0, character: 0 }, end: { line: 0, character: 1 }, message: 'Avro: s.avsc is not a valid schema: unknown type: x' });
  });

  it("a file's name with regular expression characters, a line beyond the text, no text at all", () => {
    assert.equal(locateSchemaError('a+(b).proto', 'a+(b).proto line 2: bad', 'x\n  y \n').message, 'bad');
    assert.deepEqual(locateSchemaError('a.proto', 'a.proto line 99: bad', 'one\ntwo').start.line, 1);
    assert.deepEqual(locateSchemaError('a.proto', 'a.proto: too big', undefined), { start: { line: 0, character: 0 }, end: { line: 0, character: 0 }, message: 'too big' });
  });

  it('positions count lines and characters from 0, across \\r\\n too', () => {
    assert.deepEqual(positionAt('ab\ncd\r\nef', 0), { line: 0, character: 0 });
    assert.deepEqual(positionAt('ab\ncd\r\nef', 4), { line: 1, character: 1 });
    assert.deepEqual(positionAt('ab\ncd\r\nef', 7), { line: 2, character: 0 });
    assert.deepEqual(positionAt('ab', 99), { line: 0, character: 2 });
  });
});

describe('Decoders on the host: problems of the setting in its settings file', () => {
  const SETTINGS = `{
  // comments and trailing commas, as VS Code allows
  "editor.tabSize": 2,
  "mqttExplorer.decoders": [
    { "topic": "ok/#", "format": "cbor" },
    {
      "topic": "x",
      "format": "protobuf",
    },
    { "topic": "y", "format": "cbor", "colour": "red" },
  ],
}`;

  it('every error readDecoderBindings gives is placed: the field, the first line of an entry that lacks one, or the name', () => {
    const { errors } = readDecoderBindings([{ topic: 'ok/#', format: 'cbor' }, { topic: 'x', format: 'protobuf' }, { topic: 'y', format: 'cbor', colour: 'red' }]);
    assert.equal(errors.length, 2);
    const placed = errors.map((error) => locateBindingError(SETTINGS, error));
    assert.ok(placed[0] && placed[1]);
    assert.equal(covered(SETTINGS, placed[0]), '{', 'the entry without a type: its first line');
    assert.equal(placed[0].start.line, 5);
    assert.equal(covered(SETTINGS, placed[1]), '"colour"');
    assert.equal(placed[1].message, errors[1]);
    const whole = locateBindingError(SETTINGS, 'mqttExplorer.decoders: 250 bindings, only the first 200 are used');
    assert.ok(whole);
    assert.equal(covered(SETTINGS, whole), '"mqttExplorer.decoders"');
    const beyond = locateBindingError(SETTINGS, 'mqttExplorer.decoders[7].topic: a topic filter expected');
    assert.ok(beyond);
    assert.equal(covered(SETTINGS, beyond), '"mqttExplorer.decoders"', 'an index the file does not have: the name');
  });

  it('nested under "mqttExplorer", in a workspace file\'s "settings", the last of repeated keys; absent: undefined', () => {
    const nested = '{ "mqttExplorer": { "decoders": [ { "topic": 5 } ] } }';
    const problem = locateBindingError(nested, 'mqttExplorer.decoders[0].topic: a topic filter expected');
    assert.ok(problem);
    assert.equal(covered(nested, problem), '"topic"');
    const workspace = '{ "folders": [], "settings": { "mqttExplorer.decoders": [ {}, { "type": 1 } ] } }';
    const inWorkspace = locateBindingError(workspace, 'mqttExplorer.decoders[1].type: bad', { workspaceFile: true });
    assert.ok(inWorkspace);
    assert.equal(covered(workspace, inWorkspace), '"type"');
    assert.equal(locateBindingError(workspace, 'mqttExplorer.decoders[1].type: bad'), undefined, 'outside "settings" a workspace file holds no setting');
    const repeated = '{\n"mqttExplorer.decoders": [1],\n"mqttExplorer.decoders": [{ "a": 1 }]\n}';
    const last = locateBindingError(repeated, 'mqttExplorer.decoders[0].a: not a field');
    assert.ok(last);
    assert.equal(last.start.line, 2);
    assert.equal(locateBindingError('{ "other": 1 }', 'mqttExplorer.decoders: x'), undefined);
    assert.equal(locateBindingError('not json', 'mqttExplorer.decoders: x'), undefined);
  });

  it('a schema file or message type a binding names that the workspace does not have', () => {
    const value = [
      { topic: 'a', format: 'avro', schema: 'schemas/a.avsc' },
      { topic: 'b', format: 'avro', schema: 'schemas/missing.avsc' },
      { topic: 'c', format: 'protobuf', type: '.sensors.Reading' },
      { topic: 'd', format: 'protobuf', type: 'sensors.Missing' },
      { topic: 'e', format: 'protobuf', type: 'sensors.Reading', schema: 'gone.proto' },
      { topic: 'f', format: 'nonsense' },
    ];
    const loaded = { files: new Set(['schemas/a.avsc', 'sensors.proto']), messageTypes: new Set(['sensors.Reading']), filesRead: true };
    assert.deepEqual(bindingReferenceErrors(value, loaded), [
      "mqttExplorer.decoders[1].schema: no file schemas/missing.avsc among the workspace's .proto and .avsc files",
      'mqttExplorer.decoders[3].type: no message type sensors.Missing among those the .proto files define',
      "mqttExplorer.decoders[4].schema: no file gone.proto among the workspace's .proto and .avsc files",
    ]);
    const restricted = bindingReferenceErrors(value, { files: new Set(), messageTypes: new Set(), filesRead: false });
    assert.deepEqual(restricted, [
      'mqttExplorer.decoders[0].schema: schemas/a.avsc is not read: the folder\'s schema files are read only once it is trusted',
      'mqttExplorer.decoders[1].schema: schemas/missing.avsc is not read: the folder\'s schema files are read only once it is trusted',
      'mqttExplorer.decoders[4].schema: gone.proto is not read: the folder\'s schema files are read only once it is trusted',
    ]);
    for (const error of [...restricted, ...bindingReferenceErrors(value, loaded)]) assert.ok(locateBindingError(JSON.stringify({ 'mqttExplorer.decoders': value }), error), `${error} is placed`);
    assert.deepEqual(bindingReferenceErrors({ not: 'a list' }, loaded), []);
  });
});

describe('Decoders on the host: adding a binding to the setting', () => {
  const binding = { topic: 'sensors/#', format: 'protobuf', type: 'sensors.Reading' } as const;

  it('first in the list, replacing the entry for the same filter, keeping every other entry as it was', () => {
    assert.deepEqual(withBindingFirst(undefined, binding), [binding]);
    const current = [{ topic: 'cbor/#', format: 'cbor' }, { topic: 'sensors/#', format: 'msgpack' }, 'garbage kept'];
    assert.deepEqual(withBindingFirst(current, binding), [binding, { topic: 'cbor/#', format: 'cbor' }, 'garbage kept']);
    assert.deepEqual(current.length, 3, 'the current value is not changed');
  });

  it(`refuses an invalid binding, a value that is not a list, and a list that would pass ${MAX_DECODER_BINDINGS}`, () => {
    assert.throws(() => withBindingFirst([], { topic: 'a/#/b', format: 'cbor' }), /^Error: the binding\[0\]\.topic: # is only allowed as the last level/);
    assert.throws(() => withBindingFirst([], { topic: 'a', format: 'protobuf' }), /needs the message type/);
    assert.throws(() => withBindingFirst([], { ...binding, extra: 1 } as typeof binding), /the binding\[0\]\.extra: not a field of a binding/);
    assert.throws(() => withBindingFirst({ topic: 'a' }, binding), /mqttExplorer\.decoders is not a list of bindings/);
    const full = Array.from({ length: MAX_DECODER_BINDINGS }, (_, index) => ({ topic: `t/${index}`, format: 'cbor' }));
    assert.throws(() => withBindingFirst(full, binding), new RegExp(`already has ${MAX_DECODER_BINDINGS} bindings, the most that are used is ${MAX_DECODER_BINDINGS}`));
    // Replacing one for the same filter keeps the count: allowed.
    const replaced = withBindingFirst([...full.slice(1), { topic: 'sensors/#', format: 'cbor' }], binding);
    assert.equal(replaced.length, MAX_DECODER_BINDINGS);
    assert.deepEqual(replaced[0], binding);
  });
});

describe('Decoders: the setting as package.json declares it', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { items: object; maxItems?: number; scope?: string }> } };
  };
  const declared = manifest.contributes.configuration.properties[DECODERS_SETTING];
  // The Settings editor's JSON validation follows JSON Schema draft 7 (if/then included), as ajv does;
  // VS Code's own keywords (markdownDescription, defaultSnippets, …) are not validation.
  const validEntry = new Ajv({ strict: false, allErrors: true }).compile(declared.items);
  const accepted = (entry: unknown) => readDecoderBindings([entry]).errors.length === 0;
  const validFilter = (topic: unknown) => typeof topic === 'string' && readDecoderBindings([{ topic, format: 'cbor' }]).errors.length === 0;

  it(`a list of at most ${MAX_DECODER_BINDINGS}, in window scope (a folder's settings can share it)`, () => {
    assert.equal(declared.maxItems, MAX_DECODER_BINDINGS);
    assert.equal(declared.scope, 'window');
  });

  it('the schema flags an entry exactly when the extension refuses it, but for what a topic filter may hold', () => {
    // Mostly valid entries with up to two things changed, so both answers come up often.
    const topic = fc.constantFrom('sensors/+/reading', 'a/#', '#', '$SYS/x');
    const badTopic = fc.constantFrom<unknown>('', 'a/#/b', 'a+', 'x\u0000', 5);
    const type = fc.constantFrom('sensors.Reading', '.sensors.Reading', 'Reading', 'a_1.B2');
    const badType = fc.constantFrom<unknown>('a b', '1x', 'a..b', 'a.', '', `a${'b'.repeat(512)}`, 7);
    const path = (extension: string) => fc.array(fc.constantFrom('protos', 'a', 'x y', 'ü', '.hidden', '...'), { maxLength: 3 }).map((folders) => [...folders, `s${extension}`].join('/'));
    const badPath = fc.constantFrom<unknown>('../s.proto', 'a/../s.avsc', '/abs.proto', '~/s.avsc', 'C:/s.proto', 'a\\s.proto', 'a//s.avsc', 'a/', '', 's.json', 'x\u0000.proto', 'a/..', 'x\n.avsc', 5);
    type Change = (entry: Record<string, unknown>) => void;
    const set = (key: string) => (value: unknown): Change => (entry) => void (entry[key] = value);
    const change = fc.oneof(
      badTopic.map(set('topic')),
      badType.map(set('type')),
      type.map(set('type')),
      badPath.map(set('schema')),
      path('.proto').map(set('schema')),
      path('.avsc').map(set('schema')),
      fc.constantFrom('yaml', 'Protobuf').map(set('format')),
      fc.constantFrom('topic', 'format', 'type', 'schema').map((key): Change => (entry) => void delete entry[key]),
      fc.constant<Change>((entry) => void (entry.colour = 'red')),
    );
    const entry = fc
      .tuple(fc.constantFrom(...BINDING_FORMATS), topic, type, path('.proto'), path('.avsc'), fc.boolean(), fc.array(change, { maxLength: 2 }))
      .map(([format, topicFilter, typeName, proto, avsc, withSchema, changes]) => {
        const candidate: Record<string, unknown> = { topic: topicFilter, format };
        if (format === 'protobuf') candidate.type = typeName;
        if (format === 'protobuf' && withSchema) candidate.schema = proto;
        if (format === 'avro') candidate.schema = avsc;
        for (const apply of changes) apply(candidate);
        return candidate;
      });
    let both = 0;
    fc.assert(
      fc.property(entry, (candidate) => {
        const schemaSays = validEntry(candidate) && validFilter(candidate.topic);
        assert.equal(schemaSays, accepted(candidate), `${JSON.stringify(candidate)}: schema ${schemaSays}, extension ${accepted(candidate)} (${readDecoderBindings([candidate]).errors.join('; ')}; ${JSON.stringify(validEntry.errors)})`);
        if (schemaSays) both++;
      }),
      { numRuns: 3000 },
    );
    assert.ok(both > 300, `valid entries were tried too (${both})`);
  });
});
