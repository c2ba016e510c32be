import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { newProfile, validateProfile } from '../../src/shared/profile';
import { checkSetting, SETTING_TYPES, settingsSchema, SettingsReader, SettingWarnings, type SettingKey, type SettingSchema, type SettingWarning } from '../../src/shared/settings';
import { DEFAULT_LIMITS } from '../../src/worker/topicTree';

/** The manifest as it ships (out/test/unit → the repository's root). */
const MANIFEST = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Record<string, unknown>> } };
};
const PROPERTIES = MANIFEST.contributes.configuration.properties;
const SCHEMAS = settingsSchema(MANIFEST);
const KEYS = Object.keys(SETTING_TYPES) as SettingKey[];
const NUMERIC = KEYS.filter((key) => SETTING_TYPES[key] === 'number' || SETTING_TYPES[key] === 'integer');

function schema(key: SettingKey): SettingSchema {
  const found = SCHEMAS.get(key);
  assert.ok(found, key);
  return found;
}

/** A reader over a plain object of settings, collecting its warnings. */
function readerOver(values: Partial<Record<SettingKey, unknown>>): { reader: SettingsReader; warnings: SettingWarning[] } {
  const warnings: SettingWarning[] = [];
  return { reader: new SettingsReader(SCHEMAS, (key) => values[key], new SettingWarnings((warning) => warnings.push(warning))), warnings };
}

describe('Settings: one schema, in package.json', () => {
  it('the code reads exactly the settings package.json declares, with the same types', () => {
    const declared = Object.keys(PROPERTIES)
      .map((id) => id.replace(/^mqttExplorer\./, ''))
      .filter((key) => key !== 'connections' && key !== 'decoders' && key !== 'schemas' && !key.startsWith('messageFiles.'))
      .sort();
    assert.deepEqual([...KEYS].sort(), declared);
    for (const key of KEYS) assert.equal(PROPERTIES[`mqttExplorer.${key}`].type, SETTING_TYPES[key], key);
  });

  it('every numeric setting has a minimum and a maximum, and its default lies between them', () => {
    for (const key of NUMERIC) {
      const { minimum, maximum, default: fallback } = schema(key);
      assert.ok(minimum !== undefined && maximum !== undefined, `${key} has bounds`);
      assert.ok(typeof fallback === 'number' && fallback >= minimum && fallback <= maximum, `${key}'s default is within them`);
    }
  });

  it('a reconnect can wait no less than a second; the simulator stays within what its 10 ticks a second can spread', () => {
    assert.equal(schema('reconnect.minDelaySeconds').minimum, 1);
    assert.ok((schema('simulator.messagesPerSecond').maximum ?? Infinity) <= 50);
    assert.ok((schema('simulator.devices').maximum ?? Infinity) <= 500);
  });

  it("the engine's built-in limits are the settings' defaults", () => {
    assert.equal(schema('limits.messagesPerTopic').default, DEFAULT_LIMITS.messagesPerTopic);
    assert.equal(schema('limits.kibPerTopic').default, DEFAULT_LIMITS.bytesPerTopic / 1024);
    assert.equal(schema('limits.maxPayloadKib').default, DEFAULT_LIMITS.maxPayloadBytes / 1024);
    assert.equal(schema('limits.totalMib').default, DEFAULT_LIMITS.totalBudgetBytes / 1024 / 1024);
  });

  it("a profile's numeric fields are checked with the bounds package.json declares for them", () => {
    const items = (PROPERTIES['mqttExplorer.connections'].items as { properties: Record<string, { type?: string; minimum?: number; maximum?: number }> }).properties;
    const fields = Object.entries(items).filter(([, field]) => field.minimum !== undefined && field.maximum !== undefined);
    assert.deepEqual(fields.map(([name]) => name).sort(), ['connectTimeout', 'keepalive', 'port', 'sessionExpiry']);
    for (const [name, field] of fields) {
      const step = field.type === 'integer' ? 1 : 0.001;
      const errors = (value: number) => Object.keys(validateProfile(newProfile('p', { mqttVersion: 5, [name]: value })));
      assert.deepEqual(errors(field.minimum ?? 0), [], `${name} = its minimum is accepted`);
      assert.deepEqual(errors(field.maximum ?? 0), [], `${name} = its maximum is accepted`);
      assert.deepEqual(errors((field.minimum ?? 0) - step), [name], `${name} below its minimum is refused`);
      assert.deepEqual(errors((field.maximum ?? 0) + step), [name], `${name} above its maximum is refused`);
    }
  });

  it('a manifest that lacks a setting the code reads, or types it otherwise, is refused', () => {
    const copy = structuredClone(MANIFEST);
    delete copy.contributes.configuration.properties['mqttExplorer.limits.totalMib'];
    assert.throws(() => settingsSchema(copy), /limits\.totalMib/);
    const retyped = structuredClone(MANIFEST);
    retyped.contributes.configuration.properties['mqttExplorer.simulator.autoStart'].type = 'string';
    assert.throws(() => settingsSchema(retyped), /simulator\.autoStart/);
  });
});

describe('Settings: hostile values', () => {
  it('the values of the issue: 1e9 messages a second, a string for a budget, no reconnect delay', () => {
    const { reader, warnings } = readerOver({ 'simulator.messagesPerSecond': 1e9, 'limits.totalMib': 'x', 'reconnect.minDelaySeconds': 0, 'localBroker.autoStart': 'yes' });
    assert.equal(reader.get('simulator.messagesPerSecond'), 50);
    assert.equal(reader.get('limits.totalMib'), 256);
    assert.equal(reader.get('reconnect.minDelaySeconds'), 1);
    assert.equal(reader.get('localBroker.autoStart'), false);
    assert.deepEqual(
      warnings.map((warning) => warning.message),
      [
        'Setting mqttExplorer.simulator.messagesPerSecond: 1000000000 is above the maximum, 50; using 50.',
        'Setting mqttExplorer.limits.totalMib: "x" is not a whole number; using the default, 256.',
        'Setting mqttExplorer.reconnect.minDelaySeconds: 0 is below the minimum, 1; using 1.',
        'Setting mqttExplorer.localBroker.autoStart: "yes" is not true or false; using the default, false.',
      ],
    );
  });

  it('unset or valid: the value, with no warning', () => {
    const { reader, warnings } = readerOver({ 'limits.totalMib': 512, 'simulator.autoStart': true, defaultSubscriptions: ['a/#'] });
    assert.equal(reader.get('limits.totalMib'), 512);
    assert.equal(reader.get('simulator.autoStart'), true);
    assert.deepEqual(reader.get('defaultSubscriptions'), ['a/#']);
    assert.equal(reader.get('limits.messagesPerTopic'), 1000);
    assert.deepEqual(reader.get('defaultSubscriptions'), ['a/#']);
    assert.deepEqual(warnings, []);
  });

  it('a fraction where a whole number is required is rounded; ±Infinity goes to the nearest bound; null and NaN to the default', () => {
    const devices = schema('simulator.devices');
    assert.deepEqual(checkSetting(devices, 10.6).value, 11);
    assert.equal(checkSetting(devices, Infinity).value, 500);
    assert.equal(checkSetting(devices, -Infinity).value, 1);
    assert.equal(checkSetting(devices, Number.NaN).value, 24);
    assert.equal(checkSetting(devices, null).value, 24);
    assert.equal(checkSetting(devices, { value: 3 }).value, 24);
    assert.match(checkSetting(devices, 1000.4).problem ?? '', /not a whole number and .* above the maximum, 500; using 500/);
  });

  it('a list of filters: a non-list falls back to the default, items that are no strings are dropped', () => {
    const subscriptions = schema('defaultSubscriptions');
    assert.deepEqual(checkSetting(subscriptions, '#').value, ['#', '$SYS/#']);
    const mixed = checkSetting(subscriptions, ['a/#', 7, null, 'b']);
    assert.deepEqual(mixed.value, ['a/#', 'b']);
    assert.equal(mixed.problem, '7, null are not a string; ignored.');
  });

  it('any value at all: a number setting gets a finite number within its bounds (whole where required), warned about unless it was valid', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC), fc.oneof(fc.anything(), fc.double(), fc.integer({ min: -1e6, max: 1e7 })), (key, value) => {
        const { minimum = -Infinity, maximum = Infinity, type } = schema(key);
        const { value: used, problem } = checkSetting(schema(key), value);
        assert.equal(typeof used, 'number');
        const number = used as number;
        assert.ok(Number.isFinite(number) && number >= minimum && number <= maximum);
        if (type === 'integer') assert.ok(Number.isInteger(number));
        const valid = value === undefined || (typeof value === 'number' && value >= minimum && value <= maximum && (type !== 'integer' || Number.isInteger(value)));
        assert.equal(problem === undefined, valid);
      }),
      { numRuns: 2000 },
    );
  });

  it('any value at all: a boolean setting gets a boolean, a list setting a list of strings', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        assert.equal(typeof checkSetting(schema('localBroker.autoStart'), value).value, 'boolean');
        const list = checkSetting(schema('defaultSubscriptions'), value).value;
        assert.ok(Array.isArray(list) && list.every((item) => typeof item === 'string'));
      }),
    );
  });

  it('warns once per setting and distinct bad value, not at every read', () => {
    const values: Partial<Record<SettingKey, unknown>> = { 'limits.totalMib': 'x' };
    const { reader, warnings } = readerOver(values);
    for (let i = 0; i < 5; i++) reader.get('limits.totalMib');
    assert.equal(warnings.length, 1);
    values['limits.totalMib'] = 1e12;
    reader.get('limits.totalMib');
    reader.get('limits.totalMib');
    values['limits.totalMib'] = 'x';
    reader.get('limits.totalMib');
    assert.deepEqual(
      warnings.map((warning) => [warning.setting, warning.value]),
      [
        ['mqttExplorer.limits.totalMib', '"x"'],
        ['mqttExplorer.limits.totalMib', '1000000000000'],
      ],
    );
  });

  it('a long value is cut in the message', () => {
    const { reader, warnings } = readerOver({ 'limits.totalMib': 'y'.repeat(10_000) });
    reader.get('limits.totalMib');
    assert.ok(warnings[0].message.length < 200);
  });
});
