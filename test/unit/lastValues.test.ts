import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { LocalBroker } from '../../src/devtools/localBroker';
import type { EngineEvent, EngineRequests } from '../../src/shared/engineProtocol';
import { newProfile } from '../../src/shared/profile';
import { EngineCore } from '../../src/worker/engineCore';
import { waitUntil } from '../helpers/waitFor';

describe('lastValues: the last message of each topic of a subtree, whole, within caps (in-process engine, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let core: EngineCore;
  let publisher: mqtt.MqttClient;
  const connectionId = 'last-values';
  const events: EngineEvent[] = [];

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    core = new EngineCore((event) => events.push(event));
    publisher = await mqtt.connectAsync(broker.url);
    await core.handlers.connect({
      connectionId,
      profile: newProfile(connectionId, { host: '127.0.0.1', port: broker.port, mqttVersion: 4, subscriptions: [{ topic: '#', qos: 1 }] }),
      secrets: {},
      backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
    });
    await waitUntil(async () => events.some((event) => event.kind === 'subscriptions' && event.subscriptions.every((s) => s.status.state === 'active')), 5000, 'the subscription');
    // 100 KiB payloads: whole, not the tree's preview; the newest of each topic only.
    for (const [topic, payload] of [
      ['site/a', Buffer.alloc(100 * 1024, 0x61)],
      ['site/a', Buffer.from('newer a')],
      ['site/b/c', Buffer.from([0, 0xff])],
      ['site', Buffer.from('the level itself')],
      ['other', Buffer.from('outside')],
      ['site/whole', Buffer.alloc(100 * 1024, 0x77)],
    ] as const) {
      await publisher.publishAsync(topic, payload, { qos: 1, retain: topic === 'site/b/c' });
    }
    await waitUntil(async () => (core.handlers.stats({ connectionId }) as EngineRequests['stats']['result']).received === 6, 5000, 'six messages');
  });

  after(async () => {
    await publisher?.endAsync();
    await core?.dispose();
    await broker?.stop();
  });

  const lastValues = (params: Omit<EngineRequests['lastValues']['params'], 'connectionId'>) => core.handlers.lastValues({ connectionId, ...params }) as EngineRequests['lastValues']['result'];

  it('gives every topic\'s newest message whole, with its QoS and retain flag; a subtree by its node', async () => {
    const all = lastValues({ node: { root: true }, maxTopics: 100, maxBytes: 1e9 });
    assert.deepEqual(all.values.map((v) => v.topic).sort(), ['other', 'site', 'site/a', 'site/b/c', 'site/whole']);
    const whole = all.values.find((v) => v.topic === 'site/whole')!;
    assert.deepEqual([whole.payload.length, whole.truncated], [100 * 1024, false]);
    assert.equal(Buffer.from(all.values.find((v) => v.topic === 'site/a')!.payload).toString(), 'newer a');
    const binary = all.values.find((v) => v.topic === 'site/b/c')!;
    assert.deepEqual([...binary.payload], [0, 0xff]);
    // Published retained to a live subscriber: delivered not retained (MQTT 3.3.1.3), and kept as delivered.
    assert.deepEqual([binary.qos, binary.retain, binary.truncated, binary.size], [1, false, false, 2]);
    assert.deepEqual([all.leftOutTopics, all.leftOutBytes, all.noValue], [0, 0, 0]);
    const children = core.handlers.children({ connectionId, parent: { root: true }, sort: 'name', offset: 0, limit: 10 }) as EngineRequests['children']['result'];
    const site = children.children.find((c) => c.topic === 'site')!;
    const subtree = lastValues({ node: { id: site.id }, maxTopics: 100, maxBytes: 1e9 });
    assert.deepEqual(subtree.values.map((v) => v.topic).sort(), ['site', 'site/a', 'site/b/c', 'site/whole']);
  });

  it('counts what the topic and byte caps leave out', async () => {
    const two = lastValues({ node: { root: true }, maxTopics: 2, maxBytes: 1e9 });
    assert.equal(two.values.length, 2);
    assert.equal(two.leftOutTopics, 3);
    const small = lastValues({ node: { root: true }, maxTopics: 100, maxBytes: 10 });
    assert.equal(small.values.reduce((sum, v) => sum + v.payload.length, 0) <= 10, true);
    assert.equal(small.values.length + small.leftOutTopics, 5);
    assert.ok(small.leftOutBytes > 0);
  });

  it('a whole payload bigger than the tree keeps is marked truncated, with its real size', async () => {
    core.handlers.setLimits({ limits: { messagesPerTopic: 10, bytesPerTopic: 1024 * 1024, maxPayloadBytes: 1024, totalBudgetBytes: 64 * 1024 * 1024 } });
    await publisher.publishAsync('big', Buffer.alloc(5000, 0x62), { qos: 1 });
    await waitUntil(async () => lastValues({ node: { root: true }, maxTopics: 100, maxBytes: 1e9 }).values.some((v) => v.topic === 'big'), 5000, 'the big message');
    const big = lastValues({ node: { root: true }, maxTopics: 100, maxBytes: 1e9 }).values.find((v) => v.topic === 'big')!;
    assert.deepEqual([big.truncated, big.size, big.payload.length], [true, 5000, 1024]);
  });
});
