import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { bindingFor, MAX_DECODER_BINDINGS, readDecoderBindings, SPARKPLUG_DEFAULT, type DecoderBinding } from '../../src/shared/decoderBindings';
import { topicMatchesFilter as topicMatches } from '../../src/shared/topicRules';

/** MQTT §4.7 written plainly (splitting both into levels): the oracle the engine's allocation-free matcher is checked against. */
function referenceMatch(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    if (filterLevels[i] === '#') return true;
    if (i >= topicLevels.length) return false;
    if (filterLevels[i] !== '+' && filterLevels[i] !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

describe('Decoders: bindings (mqttExplorer.decoders)', () => {
  it('reads valid bindings and refuses each bad entry, naming its index and field', () => {
    const { bindings, errors } = readDecoderBindings([
      { topic: 'sensors/+/reading', format: 'protobuf', type: 'sensors.Reading', schema: 'protos/sensors.proto' },
      { topic: 'cbor/#', format: 'cbor' },
      { topic: 'avro/#', format: 'avro', schema: 'schemas/reading.avsc' },
      { topic: 'x', format: 'yaml' },
      { topic: 'x', format: 'protobuf' },
      { topic: 'x', format: 'avro' },
      { topic: 'a/#/b', format: 'cbor' },
      { topic: 'a+', format: 'cbor' },
      { topic: 7, format: 'cbor' },
      { topic: 'x', format: 'cbor', type: 'A' },
      { topic: 'x', format: 'msgpack', schema: 'a.avsc' },
      { topic: 'x', format: 'avro', schema: '../outside.avsc' },
      { topic: 'x', format: 'avro', schema: '/etc/passwd.avsc' },
      { topic: 'x', format: 'avro', schema: 'a.proto' },
      { topic: 'x', format: 'protobuf', type: 'a b' },
      { topic: 'x', format: 'cbor', extra: true },
      'cbor',
      null,
      { topic: '', format: 'cbor' },
    ]);
    assert.deepEqual(bindings, [
      { topic: 'sensors/+/reading', format: 'protobuf', type: 'sensors.Reading', schema: 'protos/sensors.proto' },
      { topic: 'cbor/#', format: 'cbor' },
      { topic: 'avro/#', format: 'avro', schema: 'schemas/reading.avsc' },
    ]);
    const expected = [
      /^mqttExplorer\.decoders\[3\]\.format: one of protobuf, cbor, msgpack, avro, sparkplug expected, got "yaml"$/,
      /^mqttExplorer\.decoders\[4\]\.type: a protobuf binding needs the message type/,
      /^mqttExplorer\.decoders\[5\]\.schema: an avro binding needs its \.avsc file$/,
      /^mqttExplorer\.decoders\[6\]\.topic: # is only allowed as the last level\.$/,
      /^mqttExplorer\.decoders\[7\]\.topic: "a\+": \+ and # must stand alone in a level\.$/,
      /^mqttExplorer\.decoders\[8\]\.topic: a topic filter expected$/,
      /^mqttExplorer\.decoders\[9\]\.type: only a protobuf binding takes a message type$/,
      /^mqttExplorer\.decoders\[10\]\.schema: only protobuf and avro bindings take a schema file$/,
      /^mqttExplorer\.decoders\[11\]\.schema: cannot contain \., \.\. or empty folder names$/,
      /^mqttExplorer\.decoders\[12\]\.schema: must be relative to the workspace folder$/,
      /^mqttExplorer\.decoders\[13\]\.schema: must be a \.avsc file$/,
      /^mqttExplorer\.decoders\[14\]\.type: a message type's full name expected/,
      /^mqttExplorer\.decoders\[15\]\.extra: not a field of a binding/,
      /^mqttExplorer\.decoders\[16\]: an object expected, got string$/,
      /^mqttExplorer\.decoders\[17\]: an object expected, got null$/,
      /^mqttExplorer\.decoders\[18\]\.topic: A topic filter cannot be empty\.$/,
    ];
    assert.equal(errors.length, expected.length, errors.join('\n'));
    expected.forEach((pattern, index) => assert.match(errors[index], pattern));
    assert.deepEqual(readDecoderBindings({ topic: '#' }).errors, ['mqttExplorer.decoders: a list of bindings expected, got object']);
    assert.deepEqual(readDecoderBindings(undefined), { bindings: [], errors: [] });
    // The same path rules as mqttExplorer.schemas (one check): no "." part, no URL.
    assert.deepEqual(
      readDecoderBindings([
        { topic: 'a', format: 'avro', schema: './a.avsc' },
        { topic: 'b', format: 'protobuf', type: 'x.Y', schema: 'https://example.com/a.proto' },
      ]).errors,
      ['mqttExplorer.decoders[0].schema: cannot contain ., .. or empty folder names', 'mqttExplorer.decoders[1].schema: must be relative to the workspace folder'],
    );
  });

  it(`uses at most ${MAX_DECODER_BINDINGS} bindings and says so`, () => {
    const many = Array.from({ length: 250 }, (_, index) => ({ topic: `t/${index}`, format: 'cbor' }));
    const { bindings, errors } = readDecoderBindings(many);
    assert.equal(bindings.length, MAX_DECODER_BINDINGS);
    assert.deepEqual(errors, ['mqttExplorer.decoders: 250 bindings, only the first 200 are used']);
  });

  it('matches + and # as MQTT does, empty levels included', () => {
    const cases: [string, string, boolean][] = [
      ['a/+/c', 'a/b/c', true],
      ['a/+/c', 'a//c', true],
      ['a/+/c', 'a/b/d', false],
      ['a/+', 'a', false],
      ['a/+', 'a/', true],
      ['a/#', 'a', true],
      ['a/#', 'a/b/c', true],
      ['a/#', 'ab', false],
      ['#', 'a/b', true],
      ['#', '/a', true],
      ['+/a', '/a', true],
      ['+', '/a', false],
      ['/+', '/a', true],
      ['a//b', 'a//b', true],
      ['a//b', 'a/b', false],
      ['a/b', 'a/b/c', false],
      ['a/b/c', 'a/b', false],
      ['sport/tennis/#', 'sport/tennis', true],
    ];
    for (const [filter, topic, expected] of cases) assert.equal(topicMatches(filter, topic), expected, `${filter} against ${topic}`);
  });

  it('does not match $-topics with a leading wildcard ($SYS)', () => {
    assert.equal(topicMatches('#', '$SYS/broker/uptime'), false);
    assert.equal(topicMatches('+/broker/uptime', '$SYS/broker/uptime'), false);
    assert.equal(topicMatches('$SYS/#', '$SYS/broker/uptime'), true);
    assert.equal(topicMatches('$SYS/+/uptime', '$SYS/broker/uptime'), true);
    assert.equal(topicMatches('a/#', 'a/$b'), true);
  });

  it('agrees with a plain reading of MQTT §4.7 on any filter and topic (property)', () => {
    const level = fc.constantFrom('', 'a', 'b', '$x', 'ab');
    const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));
    fc.assert(fc.property(filter, topic, (f, t) => topicMatches(f, t) === referenceMatch(f, t)), { numRuns: 2000 });
  });

  it('chooses the first binding that matches, and Sparkplug B for spBv1.0/ when none does', () => {
    const bindings: DecoderBinding[] = [
      { topic: 'plant/line1/#', format: 'cbor' },
      { topic: 'plant/#', format: 'msgpack' },
      { topic: 'spBv1.0/group/NDATA/+', format: 'protobuf', type: 'x.Y' },
    ];
    assert.equal(bindingFor('plant/line1/temp', bindings)?.format, 'cbor');
    assert.equal(bindingFor('plant/line2/temp', bindings)?.format, 'msgpack');
    assert.equal(bindingFor('spBv1.0/group/NDATA/node', bindings)?.format, 'protobuf');
    assert.equal(bindingFor('spBv1.0/group/NBIRTH/node', bindings), SPARKPLUG_DEFAULT);
    assert.equal(bindingFor('spBv1.0', bindings), undefined);
    assert.equal(bindingFor('other', bindings), undefined);
  });

  it('matches a 20,000-level topic and a 64 KiB topic name without overflowing the stack', () => {
    const deep = Array.from({ length: 20_000 }, (_, index) => `l${index}`).join('/');
    assert.equal(topicMatches(deep, deep), true);
    assert.equal(topicMatches(Array(20_000).fill('+').join('/'), deep), true);
    assert.equal(topicMatches(`${Array(19_999).fill('+').join('/')}/#`, deep), true);
    assert.equal(topicMatches(Array(19_999).fill('+').join('/'), deep), false);
    const long = 'x'.repeat(64 * 1024);
    assert.equal(topicMatches(long, long), true);
    assert.equal(topicMatches(`${long.slice(1)}y`, long), false);
    assert.equal(topicMatches('+', long), true);
    assert.equal(bindingFor(long, [{ topic: '#', format: 'cbor' }])?.format, 'cbor');
  });
});
