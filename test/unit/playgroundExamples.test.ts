import * as assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import { planFleet, telemetryFor } from '../../src/devtools/simulator';
import { parseMqttFile, resolveBlock } from '../../src/shared/mqttFiles';
import { topicMatchesFilter } from '../../src/shared/topicRules';
import { PLAYGROUND_SCHEMA_FILTER, playgroundMqttFile, playgroundSchema } from '../../tools/workbench/playground';

// The main job's first impression: the example file must read without a problem, and the schema must
// fit the simulator's thermostats, marking some of their messages and passing others.
describe('The playground\'s example .mqtt file and telemetry schema', () => {
  it('the .mqtt file has no problem, names the local broker\'s connection, and every block resolves against the simulator\'s topics', () => {
    const document = parseMqttFile(playgroundMqttFile(1884));
    assert.deepEqual(document.diagnostics.map((d) => d.message), []);
    assert.equal(document.connection?.text, 'Local broker (127.0.0.1:1884)');
    assert.deepEqual(document.blocks.map((block) => block.kind), ['publish', 'expect', 'publish', 'expect']);
    const thermostat = planFleet(12).devices[0];
    for (const block of document.blocks) {
      const result = resolveBlock(document, block, { mqttVersion: 4 });
      assert.ok(result.ok, `block ${block.index} resolves: ${result.ok ? '' : result.errors.map((e) => e.message).join('; ')}`);
      assert.deepEqual(result.warnings, []);
      const expected = block.kind === 'publish' ? thermostat.commandTopic : thermostat.telemetryTopic;
      const topic = result.block.kind === 'publish' ? result.block.topic : result.block.kind === 'expect' ? result.block.filter : undefined;
      assert.equal(topic, expected);
    }
  });

  it('the schema is draft 2020-12, bound to every thermostat, and marks the warm messages only', () => {
    const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(playgroundSchema()) as object);
    const devices = planFleet(12).devices;
    const thermostats = devices.filter((device) => topicMatchesFilter(PLAYGROUND_SCHEMA_FILTER, device.telemetryTopic));
    assert.deepEqual(thermostats.map((device) => device.kind), devices.filter((device) => device.kind === 'thermostat').map(() => 'thermostat'));
    let valid = 0;
    let invalid = 0;
    for (let seq = 0; seq < 200; seq++) {
      const message = telemetryFor(thermostats[0], 0, seq, Date.UTC(2026, 0, 1));
      if (validate(message)) valid++;
      else {
        invalid++;
        assert.deepEqual(validate.errors?.map((error) => error.instancePath), ['/temperature']);
      }
    }
    assert.ok(valid > 100 && invalid > 10, `mostly valid, some marked: ${valid} valid, ${invalid} invalid`);
  });
});
