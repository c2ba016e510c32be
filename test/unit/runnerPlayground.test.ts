import * as assert from 'node:assert/strict';
import { LocalBroker } from '../../src/devtools/localBroker';
import { DeviceSimulator } from '../../src/devtools/simulator';
import { parseMqttFile } from '../../src/shared/mqttFiles';
import { runFile } from '../../src/runner';
import { MqttClientPort } from '../../src/runner/mqttClientPort';
import { playgroundMqttFile } from '../../tools/workbench/playground';

// The main job's first impression, run headless: the playground's thermostat.mqtt against the
// embedded broker (aedes, MQTT 3.1.1) and the device simulator: three blocks pass, the last fails on
// purpose with its diff.
describe('The runner on the playground\'s thermostat.mqtt, against the local broker and the simulator', function () {
  this.timeout(30_000);
  const broker = new LocalBroker();
  let simulator: DeviceSimulator;
  let port: MqttClientPort;

  before(async () => {
    await broker.start(0);
    simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 12, messagesPerSecond: 20 });
    await simulator.start();
    port = await MqttClientPort.connect({ url: broker.url, mqttVersion: 4 });
  });
  after(async () => {
    await port?.close();
    await simulator?.stop();
    await broker.stop();
  });

  it('passes the setpoint checks and fails the deliberate one, with expected and actual', async () => {
    const document = parseMqttFile(playgroundMqttFile(broker.port));
    const result = await runFile(document, { port, readFile: () => Promise.reject(new Error('no files here')) });
    assert.deepEqual(
      result.blocks.map((block) => [block.label, block.status]),
      [
        ['Set the setpoint to 23', 'passed'],
        ['The thermostat reports the new setpoint', 'passed'],
        ['Set it back to 21.5', 'passed'],
        ['Fails on purpose: the thermostat does not report 25', 'failed'],
      ],
      JSON.stringify(result.blocks.map((block) => block.message)),
    );
    const failure = result.blocks[3];
    assert.match(failure.message!, /The closest, on fleet\/berlin\/thermostat\/thermostat-001\/telemetry: At \$\.setpoint: expected 25, got 21\.5$/);
    assert.equal(failure.expected, '{\n  "setpoint": 25\n}');
    assert.match(failure.actual!, /"setpoint": 21\.5/);
    assert.equal(result.passed, false);
  });
});
