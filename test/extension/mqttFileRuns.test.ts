import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import type { RunEvent } from '../../src/runner/types';
import { Mosquitto } from '../helpers/mosquitto';
import { explorer, saveConnection } from './explorer';

const CONNECTION_ID = 'mqtt-file-runs-mosquitto';
const NAME = 'Runs test';

describe('.mqtt files run in the engine on the file\'s connection, against Debian mosquitto (MQTT 5)', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let broker: Mosquitto;
  let responder: mqtt.MqttClient;

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
    const profile = newProfile(CONNECTION_ID, { name: NAME, host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'none/#', qos: 0 }] });
    await saveConnection(api, profile);
    // A responder as a device would be: answers each request on its response topic with its correlation data.
    responder = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { protocolVersion: 5 });
    await responder.subscribeAsync('devices/+/get', { qos: 1 });
    responder.on('message', (topic, payload, packet) => {
      const responseTopic = packet.properties?.responseTopic;
      if (!responseTopic) return;
      const device = topic.split('/')[1];
      void responder.publishAsync(responseTopic, JSON.stringify({ device, setpoint: 21.5, asked: JSON.parse(payload.toString()) }), { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
    });
    // The other half of the conversation for the EXPECT tests: a thermostat that reports what it is told.
    responder.on('message', (topic, payload) => {
      if (!topic.endsWith('/set')) return;
      const { setpoint } = JSON.parse(payload.toString()) as { setpoint: number };
      void responder.publishAsync(topic.replace(/\/set$/, '/state'), JSON.stringify({ setpoint, mode: 'heat' }), { qos: 1 });
    });
    await responder.subscribeAsync('thermostats/+/set', { qos: 1 });
  });

  after(async () => {
    await responder?.endAsync();
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
  });

  async function run(text: string) {
    const document = await vscode.workspace.openTextDocument({ language: 'mqtt', content: text });
    const connection = await api.mqttFileRuns.connectionFor(document);
    assert.ok(connection, 'the file names its connection');
    assert.equal(connection.id, CONNECTION_ID);
    const events: RunEvent[] = [];
    const result = await api.mqttFileRuns.run({ document, connection, selection: {}, onEvent: (event) => events.push(event) });
    return { result, events };
  }

  it('a REQUEST gets the reply of a responder the test runs, with the latency measured', async () => {
    const { result, events } = await run(`# @connection ${NAME}

### Ask the thermostat
REQUEST devices/kitchen/get
QoS: 1
Timeout: 5000

{"fields": ["setpoint"]}
`);
    assert.equal(result.passed, true, JSON.stringify(result.blocks));
    const [block] = result.blocks;
    assert.equal(block.status, 'passed');
    assert.equal(block.kind, 'request');
    assert.ok(block.latencyMs !== undefined && block.latencyMs > 0 && block.latencyMs < 5000, `latency ${block.latencyMs}`);
    assert.ok(block.reply, 'the reply is in the result');
    assert.match(block.reply.topic, /^mqtt-explorer\/replies\//);
    assert.deepEqual(JSON.parse(block.reply.text), { device: 'kitchen', setpoint: 21.5, asked: { fields: ['setpoint'] } });
    assert.deepEqual(
      events.map((event) => event.type),
      ['blockStarted', 'blockFinished'],
      'the host heard the block start and finish',
    );
  });

  it('an EXPECT that fails reports what it expected and what came instead; the blocks after it are skipped', async () => {
    const { result } = await run(`# @connection ${NAME}

### Set 23
PUBLISH thermostats/t1/set
QoS: 1

{"setpoint": 23}

### The thermostat reports 23
EXPECT thermostats/t1/state
Within: 3000

{"setpoint": 23}

### Set 21.5
PUBLISH thermostats/t1/set
QoS: 1

{"setpoint": 21.5}

### The thermostat reports 25 (it will not)
EXPECT thermostats/t1/state
Timeout: 1500

{"setpoint": 25}

### Never reached
PUBLISH thermostats/t1/set

{"setpoint": 20}
`);
    assert.equal(result.passed, false);
    assert.deepEqual(
      result.blocks.map((block) => block.status),
      ['passed', 'passed', 'passed', 'failed', 'skipped'],
    );
    const failed = result.blocks[3];
    assert.ok(failed.expected && failed.actual, `expected and actual: ${JSON.stringify(failed)}`);
    assert.deepEqual(JSON.parse(failed.expected), { setpoint: 25 });
    assert.deepEqual(JSON.parse(failed.actual), { setpoint: 21.5, mode: 'heat' });
    assert.match(failed.message ?? '', /setpoint/);
  });

  it('a cancelled run ends at once, long before its timeout', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'mqtt', content: `# @connection ${NAME}\n\n### Wait long\nEXPECT quiet/topic\nTimeout: 600000\n\n{"never": true}\n` });
    const connection = await api.mqttFileRuns.connectionFor(document);
    assert.ok(connection);
    const source = new vscode.CancellationTokenSource();
    let started!: () => void;
    const listening = new Promise<void>((resolve) => (started = resolve));
    const running = api.mqttFileRuns.run({ document, connection, selection: {}, token: source.token, onEvent: (event) => event.type === 'blockStarted' && started() });
    await listening;
    source.cancel();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([running, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the run did not end within 10 s of the cancel')), 10_000)))]);
    clearTimeout(timer);
    assert.equal(finished.cancelled, true);
    assert.equal(finished.passed, false);
  });
});
