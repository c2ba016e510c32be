import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
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

  it('publishes retained statuses, JSON telemetry, a binary frame and a text line to a real broker', async () => {
    const broker = new LocalBroker();
    await broker.start(0);
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 6, messagesPerSecond: 20 });
    const observer = await mqtt.connectAsync(broker.url);
    try {
      await observer.subscribeAsync('fleet/#');
      const plan = simulator.plan;
      const seen = new Map<string, { payload: Buffer; retain: boolean }>();
      const telemetry = new Set(plan.devices.map((device) => device.telemetryTopic));
      const wanted = new Set([...telemetry, plan.binaryTopic, plan.textTopic, plan.deepTopic, plan.unicodeTopic]);
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
});
