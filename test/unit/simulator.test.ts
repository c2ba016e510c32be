import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { waitUntil } from '../helpers/waitFor';
import { LocalBroker } from '../../src/devtools/localBroker';
import { binaryFrame, DeviceSimulator, planFleet } from '../../src/devtools/simulator';
import { payloadAsText } from '../../src/shared/format';

describe('Device simulator', () => {
  it('plans a fleet with distinct topics and the special payload topics', () => {
    const plan = planFleet(24);
    assert.equal(plan.devices.length, 24);
    const topics = plan.devices.flatMap((device) => [device.telemetryTopic, device.statusTopic]);
    assert.equal(new Set(topics).size, 48, 'no two devices share a topic');
    assert.ok(plan.deepTopic.split('/').length >= 8, 'the deep topic is deep');
    assert.match(plan.unicodeTopic, /[^\x00-\x7f]/, 'the unicode topic has non-ASCII levels');
    assert.equal(payloadAsText(binaryFrame(3)), undefined, 'the binary frame is not text');
  });

  it('publishes retained statuses, JSON telemetry, a binary frame, a text line, Protobuf, CBOR and Sparkplug B to a real broker', async () => {
    const broker = new LocalBroker();
    await broker.start(0);
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 6, messagesPerSecond: 20 });
    const observer = await mqtt.connectAsync(broker.url);
    try {
      await observer.subscribeAsync(['fleet/#', 'spBv1.0/#']);
      const plan = simulator.plan;
      const seen = new Map<string, { payload: Buffer; retain: boolean }>();
      const telemetry = new Set(plan.devices.map((device) => device.telemetryTopic));
      const { group, node, devices } = plan.sparkplug;
      const sparkplug = [`spBv1.0/${group}/NBIRTH/${node}`, ...devices.flatMap((device) => [`spBv1.0/${group}/DBIRTH/${node}/${device}`, `spBv1.0/${group}/DDATA/${node}/${device}`])];
      const wanted = new Set([...telemetry, plan.binaryTopic, plan.textTopic, plan.deepTopic, plan.unicodeTopic, plan.protobufTopic, plan.cborTopic, ...sparkplug]);
      const allSeen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not seen within 10 s: ${[...wanted].filter((t) => !seen.has(t)).join(', ')}`)), 10_000);
        observer.on('message', (topic, payload, packet) => {
          if (!seen.has(topic)) seen.set(topic, { payload, retain: packet.retain });
          if ([...wanted].every((t) => seen.has(t))) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await simulator.start();
      await allSeen;
      for (const topic of telemetry) {
        const data = JSON.parse(seen.get(topic)?.payload.toString() ?? '') as Record<string, unknown>;
        assert.equal(typeof data.seq, 'number');
        assert.equal(typeof data.ts, 'string');
      }
      assert.equal(payloadAsText(seen.get(plan.binaryTopic)?.payload ?? Buffer.alloc(0)), undefined);
      assert.match(seen.get(plan.textTopic)?.payload.toString() ?? '', /gateway/);
      // Binary: the Protobuf, CBOR and Sparkplug payloads are not text (simulatorDevices.test.ts decodes them).
      for (const topic of [plan.protobufTopic, plan.cborTopic, ...sparkplug]) assert.equal(payloadAsText(seen.get(topic)?.payload ?? Buffer.from('x')), undefined, topic);

      // A client that arrives later gets the statuses as retained messages.
      const late = await mqtt.connectAsync(broker.url);
      const retained = new Set<string>();
      const statuses = new Set(plan.devices.map((device) => device.statusTopic));
      const allRetained = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('retained statuses not delivered')), 10_000);
        late.on('message', (topic, _payload, packet) => {
          if (packet.retain && statuses.has(topic)) retained.add(topic);
          if (retained.size === statuses.size) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await late.subscribeAsync('fleet/+/+/+/status');
      await allRetained;
      late.end(true);
      assert.ok(simulator.messagesSent > plan.devices.length);
    } finally {
      await simulator.stop();
      observer.end(true);
      await broker.stop();
    }
    assert.equal(simulator.running, false);
  });

  it('a thermostat takes a setpoint command and reports it at once; other devices and bad commands change nothing', async () => {
    const broker = new LocalBroker();
    await broker.start(0);
    // One message a minute per device: the telemetry that carries the new setpoint is the command's answer, not the schedule.
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 6, messagesPerSecond: 1 / 60 });
    const observer = await mqtt.connectAsync(broker.url);
    try {
      await simulator.start();
      const thermostat = simulator.plan.devices.find((device) => device.kind === 'thermostat')!;
      assert.equal(thermostat.commandTopic, thermostat.telemetryTopic.replace(/telemetry$/, 'set'));
      assert.equal(simulator.plan.devices.find((device) => device.kind === 'power-meter')!.commandTopic, undefined);
      await observer.subscribeAsync(thermostat.telemetryTopic);
      const setpoints: unknown[] = [];
      observer.on('message', (_topic, payload) => setpoints.push((JSON.parse(payload.toString()) as { setpoint: unknown }).setpoint));
      // Refused first (not JSON, out of range, not a number), then one that is taken: only the last is reported.
      for (const bad of ['warm', '{"setpoint": 99}', '{"setpoint": "22"}']) await observer.publishAsync(thermostat.commandTopic!, bad, { qos: 1 });
      await observer.publishAsync(thermostat.commandTopic!, '{"setpoint": 23.5}', { qos: 1 });
      await waitUntil(async () => setpoints.includes(23.5), 5000, `the thermostat reports setpoint 23.5 (saw ${JSON.stringify(setpoints)})`);
      assert.deepEqual(setpoints.filter((value) => value !== 21.5), [23.5], 'the refused commands changed nothing');
    } finally {
      await observer.endAsync();
      await simulator.stop();
      await broker.stop();
    }
  });

  it('stopped while it starts, it ends what it had started: no client of its own is left on the broker, at any point of the start', async () => {
    const broker = new LocalBroker();
    await broker.start(0);
    try {
      // The stop lands after 0, 1, … event-loop turns of the start: before the connection, during the
      // retained publishes, during the edge node's start, after it.
      for (const turns of [0, 1, 5, 20, 60]) {
        const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 2, messagesPerSecond: 1 });
        const starting = simulator.start();
        for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
        await simulator.stop();
        await starting.catch(() => undefined);
        assert.equal(simulator.running, false, `stopped after ${turns} turns`);
        await waitUntil(async () => broker.clientCount === 0, 5000, `no simulator client left after a stop ${turns} turns into the start (${broker.clientCount} connected)`);
      }
    } finally {
      await broker.stop();
    }
  });

  it('keeps the configured telemetry rate: the Protobuf, CBOR and Sparkplug devices add one message a second each or so', async () => {
    const broker = new LocalBroker();
    await broker.start(0);
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 4, messagesPerSecond: 5 });
    const observer = await mqtt.connectAsync(broker.url);
    try {
      await observer.subscribeAsync(['fleet/#', 'spBv1.0/#']);
      const counts = { telemetry: 0, frames: 0, protobuf: 0, cbor: 0, sparkplugData: 0 };
      const { plan } = simulator;
      observer.on('message', (topic) => {
        if (topic.endsWith('/telemetry') && topic !== plan.protobufTopic && topic !== plan.cborTopic) counts.telemetry++;
        else if (topic === plan.binaryTopic) counts.frames++;
        else if (topic === plan.protobufTopic) counts.protobuf++;
        else if (topic === plan.cborTopic) counts.cbor++;
        else if (/^spBv1\.0\/[^/]+\/[ND]DATA\//.test(topic)) counts.sparkplugData++;
      });
      await simulator.start();
      // The counts when the 60th telemetry message arrives: 30 ticks of the main client, three seconds.
      const at = await new Promise<typeof counts>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not 60 telemetry messages within 10 s: ${JSON.stringify(counts)}`)), 10_000);
        observer.on('message', () => {
          if (counts.telemetry !== 60) return;
          clearTimeout(timer);
          resolve({ ...counts });
        });
      });
      // 20 telemetry messages every ten ticks (the gateway's frame marks them), and one Protobuf and one
      // CBOR reading, from the same client (so in order with the telemetry).
      assert.deepEqual({ frames: at.frames, protobuf: at.protobuf, cbor: at.cbor }, { frames: 3, protobuf: 3, cbor: 3 });
      // The edge node has a client and a timer of its own: NDATA and two DDATA a second at most, only what changed.
      assert.ok(at.sparkplugData >= 2 && at.sparkplugData <= 12, `Sparkplug DATA: ${at.sparkplugData} in about 3 s`);
    } finally {
      await simulator.stop();
      observer.end(true);
      await broker.stop();
    }
  });
});
