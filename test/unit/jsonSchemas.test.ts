import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import { checkAgainstSchemaText, compileJsonSchema, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES } from '../../src/shared/jsonSchemaCheck';
import { MAX_SCHEMA_BINDINGS, readSchemaBindings, schemaBindingFor } from '../../src/shared/schemaBindings';
import { MAX_TRACKED_TOPICS, SchemaState, TopicSchemas } from '../../src/worker/schemaCheck';
import { TopicTree } from '../../src/worker/topicTree';
import { connectSubscribed, nextChanges } from '../helpers/engine';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

const THERMOSTAT = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['temperature'],
  properties: { temperature: { type: 'number', maximum: 22.5 }, id: { type: 'string', pattern: '^t-[0-9]+$' } },
  additionalProperties: false,
});
const DRAFT7 = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { on: { type: 'boolean' } }, required: ['on'], definitions: { x: { type: 'string' } } });

describe('JSON Schema bindings (mqttExplorer.schemas) are read as untrusted input', () => {
  it('keeps valid entries and names the index and field of every problem', () => {
    const read = readSchemaBindings([
      { filter: 'fleet/+/thermostat/+/telemetry', schema: 'schemas/thermostat.schema.json' },
      { filter: 'a/#/b', schema: 'x.json' },
      { filter: 'a', schema: '../outside.json' },
      { filter: 'a', schema: '/etc/passwd.json' },
      { filter: 'a', schema: 'schema.yaml' },
      { filter: 'a', schema: 'x.json', extra: 1 },
      'nope',
      { schema: 'x.json' },
    ]);
    assert.deepEqual(read.bindings, [{ filter: 'fleet/+/thermostat/+/telemetry', schema: 'schemas/thermostat.schema.json' }]);
    assert.deepEqual(
      read.errors.map((error) => error.split(':')[0]),
      ['mqttExplorer.schemas[1].filter', 'mqttExplorer.schemas[2].schema', 'mqttExplorer.schemas[3].schema', 'mqttExplorer.schemas[4].schema', 'mqttExplorer.schemas[5].extra', 'mqttExplorer.schemas[6]', 'mqttExplorer.schemas[7].filter'],
    );
    assert.match(readSchemaBindings({}).errors[0], /a list of bindings expected/);
    const many = readSchemaBindings(Array.from({ length: MAX_SCHEMA_BINDINGS + 5 }, () => ({ filter: '#', schema: 'a.json' })));
    assert.equal(many.bindings.length, MAX_SCHEMA_BINDINGS);
    assert.match(many.errors[0], /only the first 100 are used/);
  });

  it('the first binding whose filter matches checks a topic', () => {
    const bindings = readSchemaBindings([
      { filter: 'a/+/c', schema: 'one.json' },
      { filter: 'a/#', schema: 'two.json' },
    ]).bindings;
    assert.equal(schemaBindingFor('a/b/c', bindings)?.schema, 'one.json');
    assert.equal(schemaBindingFor('a/b/d', bindings)?.schema, 'two.json');
    assert.equal(schemaBindingFor('b', bindings), undefined);
  });
});

describe('JSON Schemas are compiled with ajv (draft 2020-12 and draft-07) within caps', () => {
  it('checks against a 2020-12 schema: every error with its JSON path', () => {
    const result = checkAgainstSchemaText(THERMOSTAT, { temperature: 30, id: 'x', extra: true }, 'schemas/t.json');
    assert.ok(result.ok);
    assert.equal(result.draft, '2020-12');
    assert.equal(result.verdict.valid, false);
    assert.ok(result.verdict.valid === false);
    assert.deepEqual(
      result.verdict.errors.map((error) => `${error.path} ${error.message}`),
      ['/ must NOT have additional properties: "extra"', '/temperature must be <= 22.5', '/id must match pattern "^t-[0-9]+$"'].map((text) => text.replace(/^\/ /, ' ')),
    );
    const valid = checkAgainstSchemaText(THERMOSTAT, { temperature: 21, id: 't-7' });
    assert.ok(valid.ok && valid.verdict.valid === true);
  });

  it('reads draft-07 (and a file without $schema) with the draft-07 class, and refuses other drafts with a reason', () => {
    const seven = compileJsonSchema(DRAFT7, 'seven.json');
    assert.ok(seven.ok && seven.schema.draft === 'draft-07');
    assert.deepEqual(seven.ok && seven.schema.check({}), { valid: false, errors: [{ path: '', message: "must have required property 'on'" }], more: 0 });
    const none = compileJsonSchema('{"type":"string"}', 'none.json');
    assert.ok(none.ok && none.schema.draft === 'draft-07');
    const four = compileJsonSchema('{"$schema":"http://json-schema.org/draft-04/schema#"}', 'four.json');
    assert.ok(!four.ok);
    assert.match(four.error, /^four\.json: \$schema .*draft-04.* is not a supported draft/);
  });

  it('refuses what is not a usable schema, with the reason', () => {
    const cases: [string, RegExp][] = [
      ['{', /^bad\.json: not JSON/],
      ['[1]', /a JSON Schema is an object/],
      ['{"type":"nonsense"}', /schema is invalid/],
      ['{"$ref":"https://example.com/remote.json"}', /can't resolve reference/],
      ['{"type":"string","pattern":"(a)\\\\1"}', /not supported \(patterns run on RE2/],
      [JSON.stringify({ properties: Object.fromEntries(Array.from({ length: MAX_SCHEMA_NODES + 1 }, (_, i) => [`p${i}`, {}])) }), /more than 20,000 objects and arrays/],
      ['{"not":'.repeat(MAX_SCHEMA_DEPTH + 1) + '{}' + '}'.repeat(MAX_SCHEMA_DEPTH + 1), /nested more than 64 levels/],
    ];
    for (const [text, expected] of cases) {
      const result = compileJsonSchema(text, 'bad.json');
      assert.ok(!result.ok, text.slice(0, 60));
      assert.match(result.error, expected);
    }
  });

  it('a pattern that would backtrack forever takes linear time (RE2)', () => {
    const compiled = compileJsonSchema('{"type":"string","pattern":"^(a+)+$"}', 'redos.json');
    assert.ok(compiled.ok);
    const started = performance.now();
    const verdict = compiled.schema.check(`${'a'.repeat(50_000)}!`);
    assert.equal(verdict.valid, false);
    assert.ok(performance.now() - started < 2000);
  });

  it('a recursive schema on a value nested 100,000 levels deep is not checked, and says why (no crash)', () => {
    const compiled = compileJsonSchema('{"type":"array","items":{"$ref":"#"}}', 'deep.json');
    assert.ok(compiled.ok);
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    const verdict = compiled.schema.check(deep);
    assert.ok('unchecked' in verdict);
    assert.match(verdict.unchecked, /nested too deeply/);
  });
});

describe('The engine counts checks per topic, bounded', () => {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('counts valid, invalid and unchecked messages, keeps the last first error, and starts over at a new load', () => {
    const state = new SchemaState();
    const loaded = state.set({ bindings: [{ filter: 't/#', schema: 's.json' }, { filter: 'u/#', schema: 'missing.json' }], files: { 's.json': THERMOSTAT, 'unbound.json': '{' } });
    assert.deepEqual(loaded, { errors: [], schemaErrors: [], loaded: [{ file: 's.json', draft: '2020-12' }] });
    const tree = new TopicTree();
    const schemas = new TopicSchemas(state);
    const receive = (topic: string, payload: Uint8Array) => {
      const update = tree.add(topic, { payload, qos: 0, retain: false, receivedAt: Date.now() });
      schemas.received(topic, payload, update.node);
      return update.node;
    };
    receive('t/1', encode({ temperature: 20 }));
    const node = receive('t/1', encode({ temperature: 25 }));
    assert.deepEqual(schemas.rowStatus(node, 't/1'), { schema: 's.json', filter: 't/#', checked: 2, invalid: 1, unchecked: 0, last: 'invalid', firstError: '/temperature: must be <= 22.5', errorCount: 1 });
    receive('t/1', new TextEncoder().encode('not json'));
    assert.match(schemas.rowStatus(node, 't/1')?.firstError ?? '', /^\(root\): is not JSON/);
    receive('t/1', new Uint8Array([0xff, 0xfe]));
    assert.match(schemas.rowStatus(node, 't/1')?.firstError ?? '', /not UTF-8/);
    receive('t/1', new Uint8Array(70 * 1024).fill(0x20));
    const big = schemas.rowStatus(node, 't/1');
    assert.equal(big?.last, 'unchecked');
    assert.match(big?.reason ?? '', /71,680 bytes, more than the 65,536 checked as messages arrive/);
    const other = receive('u/1', encode({}));
    assert.match(schemas.rowStatus(other, 'u/1')?.reason ?? '', /missing\.json: not loaded/);
    const unbound = receive('v/1', encode({}));
    assert.equal(schemas.rowStatus(unbound, 'v/1'), undefined);
    assert.deepEqual(schemas.stats, { checked: 4, invalid: 3, unchecked: 2, overBudget: 0, forgottenTopics: 0, marksDropped: 0 });
    // The marks for the Topics view's decoration: t/1 became not valid (and stopped being so with the 70 KiB payload, not checked).
    assert.deepEqual(schemas.takeMarks(), { reset: true, marks: [['t/1', false]] });
    assert.equal(schemas.takeMarks(), undefined);

    // A fixed schema: counts start over, and the last kept message is checked again when its row is shown.
    state.set({ bindings: [{ filter: 't/#', schema: 's.json' }], files: { 's.json': THERMOSTAT.replace('22.5', '40') } });
    receive('t/2', encode({ temperature: 25 }));
    assert.deepEqual(schemas.rowStatus(tree.find('t/2') as never, 't/2'), { schema: 's.json', filter: 't/#', checked: 1, invalid: 0, unchecked: 0, last: 'valid' });
    assert.equal(schemas.rowStatus(node, 't/1')?.last, 'unchecked'); // its last payload is the 70 KiB one
  });

  it('keeps counts for at most MAX_TRACKED_TOPICS topics, and counts those forgotten', () => {
    // A clock that stands still: the time budget (tested below) never leaves a check out on a loaded machine.
    const state = new SchemaState(() => undefined, () => 0);
    state.set({ bindings: [{ filter: '#', schema: 's.json' }], files: { 's.json': '{"type":"object"}' } });
    const tree = new TopicTree();
    const schemas = new TopicSchemas(state);
    const payload = encode({});
    for (let index = 0; index < MAX_TRACKED_TOPICS + 10; index++) {
      const update = tree.add(`t/${index}`, { payload, qos: 0, retain: false, receivedAt: 0 });
      schemas.received(`t/${index}`, payload, update.node);
    }
    assert.equal(schemas.stats?.forgottenTopics, 10);
    assert.equal(schemas.stats?.checked, MAX_TRACKED_TOPICS + 10);
  });

  it('spends at most its time budget a second, counts what it leaves out, and suspends a slow schema', () => {
    // A clock that moves `step` ms at each reading: every check "takes" one step.
    let clock = 0;
    let step = 60;
    const logged: string[] = [];
    const state = new SchemaState((line) => logged.push(line), () => (clock += step));
    state.set({ bindings: [{ filter: '#', schema: 's.json' }], files: { 's.json': '{"type":"object"}' } });
    const tree = new TopicTree();
    const schemas = new TopicSchemas(state);
    const payload = encode({});
    const receive = () => {
      const update = tree.add('a', { payload, qos: 0, retain: false, receivedAt: 0 });
      schemas.received('a', payload, update.node);
      return schemas.rowStatus(update.node, 'a');
    };
    const lasts = Array.from({ length: 6 }, () => receive()?.last);
    assert.deepEqual(lasts, ['valid', 'valid', 'valid', 'valid', 'unchecked', 'unchecked']);
    assert.match(receive()?.reason ?? '', /checking budget \(200 ms a second\) was spent/);
    assert.equal(schemas.stats?.overBudget, 3);
    clock += 1000; // the next second
    assert.equal(receive()?.last, 'valid');
    step = 300;
    clock += 1000;
    assert.equal(receive()?.last, 'valid'); // checked, but it took 300 ms
    assert.match(logged[0], /s\.json: suspended: checking one message took 300 ms, more than the 250 ms allowed/);
    const after = receive();
    assert.equal(after?.last, 'unchecked');
    assert.match(after?.reason ?? '', /the schema cannot be used: s\.json: suspended/);
  });
});

describe('The engine worker checks bound topics as messages arrive (a real worker thread, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let engine: EngineClient;
  let publisher: mqtt.MqttClient;
  const connectionId = 'schemas';

  async function publish(topic: string, payload: string): Promise<void> {
    const { received } = await engine.request('stats', { connectionId });
    const arrived = nextChanges(engine, (changes) => changes.connectionId === connectionId && changes.stats.received > received, 5000, `the message on ${topic}`);
    await publisher.publishAsync(topic, payload, { qos: 1 });
    await arrived;
  }

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    engine = new EngineClient(WORKER);
    publisher = await mqtt.connectAsync(broker.url);
    await connectSubscribed(engine, connectionId, { port: broker.port, subscriptions: [{ topic: '#', qos: 0 }] });
    await engine.request('watch', { connectionId, expanded: [{ root: true }], pinned: [] });
  });

  after(async () => {
    await publisher?.endAsync();
    engine?.dispose();
    await broker?.stop();
  });

  it('marks the row of an invalid message, checks the shown message and drafts, and clears the mark when the schema is fixed', async () => {
    const set = await engine.request('setSchemas', { bindings: [{ filter: 'fleet/+/telemetry', schema: 'schemas/t.json' }, { filter: 'x/#', schema: '../bad.json' }], files: { 'schemas/t.json': THERMOSTAT } });
    assert.deepEqual(set.loaded, [{ file: 'schemas/t.json', draft: '2020-12' }]);
    assert.match(set.errors[0], /^mqttExplorer\.schemas\[1\]\.schema/);
    await publish('fleet/a/telemetry', JSON.stringify({ temperature: 30 }));
    const fleet = (await engine.request('children', { connectionId, parent: { root: true }, sort: 'name', offset: 0, limit: 10 })).children[0];
    const a = (await engine.request('children', { connectionId, parent: { id: fleet.id }, sort: 'name', offset: 0, limit: 10 })).children[0];
    const row = (await engine.request('children', { connectionId, parent: { id: a.id }, sort: 'name', offset: 0, limit: 10 })).children[0];
    assert.equal(row.schema?.last, 'invalid');
    assert.equal(row.schema?.firstError, '/temperature: must be <= 22.5');
    const check = await engine.request('schemaCheck', { connectionId, topic: 'fleet/a/telemetry' });
    assert.deepEqual(check.verdict, { valid: false, errors: [{ path: '/temperature', message: 'must be <= 22.5' }], more: 0 });
    assert.equal(check.status?.invalid, 1);
    assert.deepEqual((await engine.request('checkDraft', { topic: 'fleet/b/telemetry', json: '{"temperature": 1}' })).verdict, { valid: true });
    assert.deepEqual(await engine.request('checkDraft', { topic: 'elsewhere', json: '{}' }), {});
    assert.equal((await engine.request('stats', { connectionId })).schemas?.invalid, 1);

    const fixed = await engine.request('setSchemas', { bindings: [{ filter: 'fleet/+/telemetry', schema: 'schemas/t.json' }], files: { 'schemas/t.json': THERMOSTAT.replace('22.5', '40') } });
    assert.deepEqual(fixed.errors, []);
    const again = (await engine.request('snapshot', { connectionId, node: { id: row.id } }))?.schema;
    assert.equal(again?.last, 'valid');
    assert.equal(again?.invalid, 0);
  });
});

describe('JSON Schemas: the setting as package.json declares it', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { items: object; maxItems?: number; scope?: string }> } };
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  };
  const declared = manifest.contributes.configuration.properties['mqttExplorer.schemas'];

  it(`a list of at most ${MAX_SCHEMA_BINDINGS}, in window scope, restricted in Restricted Mode`, () => {
    assert.equal(declared.maxItems, MAX_SCHEMA_BINDINGS);
    assert.equal(declared.scope, 'window');
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('mqttExplorer.schemas'));
  });

  it('the Settings editor flags the entries the extension refuses (for paths and fields)', () => {
    // The Settings editor validates with JSON Schema draft 7, as ajv does.
    const validEntry = new Ajv({ strict: false }).compile(declared.items);
    for (const entry of [{ filter: 'a/+', schema: 'schemas/a.json' }, { filter: '#', schema: 'a.json' }]) {
      assert.ok(validEntry(entry), JSON.stringify(entry));
      assert.deepEqual(readSchemaBindings([entry]).errors, []);
    }
    for (const entry of [{ filter: 'a' }, { schema: 'a.json' }, { filter: 'a', schema: '/abs.json' }, { filter: 'a', schema: 'a.yaml' }, { filter: 'a', schema: 'a.json', type: 'x' }, { filter: '', schema: 'a.json' }]) {
      assert.ok(!validEntry(entry), JSON.stringify(entry));
      assert.notDeepEqual(readSchemaBindings([entry]).errors, []);
    }
  });
});
