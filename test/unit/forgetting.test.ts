import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import { DEFAULT_LIMITS } from '../../src/worker/topicTree';
import { connectSubscribed, nextChanges } from '../helpers/engine';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');
const TOPICS = 10_000;

describe('Forgetting topics when even the last values do not fit (a real worker thread, a real broker)', function () {
  this.timeout(60_000);
  let broker: LocalBroker;
  let engine: EngineClient;
  let publisher: mqtt.MqttClient;

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    engine = new EngineClient(WORKER);
    publisher = await mqtt.connectAsync(broker.url);
  });

  after(async () => {
    await publisher?.endAsync();
    await engine?.dispose();
    await broker?.stop();
  });

  it('the level the forgotten topics were under is listed again, the count is reported and logged, the newest topics stay', async () => {
    const connectionId = 'forget';
    // 2 MiB in all: the pool gets half, room for a few thousand of these topics, not ten thousand.
    await engine.request('setLimits', { limits: { ...DEFAULT_LIMITS, totalBudgetBytes: 2 * 1024 * 1024 } });
    await connectSubscribed(engine, connectionId, { name: 'Forgetful', port: broker.port, subscriptions: [{ topic: 'fleet/#', qos: 0 }] });
    await engine.request('visible', { visible: true });
    // Older topics on a level of their own: the flood creates nothing there, so only forgetting can change it.
    // The level has a value of its own, so it stays (a node that received a message) when its topics go.
    const payload = Buffer.alloc(100, 7);
    await publisher.publishAsync('fleet/old', payload, { qos: 1 });
    for (let i = 0; i < 200; i++) publisher.publish(`fleet/old/device-${i}`, payload, { qos: 0 });
    await publisher.publishAsync('fleet/old/device-200', payload, { qos: 1 });
    for (let stats = await engine.request('stats', { connectionId }), deadline = Date.now() + 10_000; stats.received < 202; stats = await engine.request('stats', { connectionId })) {
      assert.ok(Date.now() < deadline, `${stats.received} of 202 older messages after 10 s`);
    }
    // As the Topics view does: the connection, `fleet` and `fleet/old` expanded, a page of old's rows listed.
    const root = await engine.request('children', { connectionId, parent: { root: true }, sort: 'name', offset: 0, limit: 100 });
    const fleet = root.children.find((child) => child.name === 'fleet');
    assert.ok(fleet);
    const old = (await engine.request('children', { connectionId, parent: { id: fleet.id }, sort: 'name', offset: 0, limit: 100 })).children.find((child) => child.name === 'old');
    assert.ok(old);
    await engine.request('watch', { connectionId, expanded: [{ root: true }, { id: fleet.id }, { id: old.id }], pinned: [] });
    await engine.request('children', { connectionId, parent: { id: old.id }, sort: 'name', offset: 0, limit: 100 });

    const logged = waitFor(
      (listener: (value: string) => void) => engine.onEvent((event) => (event.kind === 'log' ? listener(event.line) : undefined)),
      (line) => line.includes('topics forgotten so far (memory budget)'),
      30_000,
      'the log line',
    );
    const relisted = nextChanges(engine, (changes) => changes.stats.forgotten > 0 && changes.relist.some((ref) => 'id' in ref && ref.id === old.id), 30_000, 'fleet/old listed again after its topics were forgotten');
    for (let i = 0; i < TOPICS; i++) publisher.publish(`fleet/new/device-${i}`, payload, { qos: 0 });
    await publisher.publishAsync('fleet/new/device-last', payload, { qos: 1 });
    const line = await logged;
    assert.match(line, /^Forgetful: [\d,]+ topics forgotten so far \(memory budget\)/);
    await relisted;
    // Each request is answered after the messages the worker had by then: asked until all are in, bounded.
    const deadline = Date.now() + 30_000;
    let stats = await engine.request('stats', { connectionId });
    while (stats.received < TOPICS + 203) {
      assert.ok(Date.now() < deadline, `${stats.received} of ${TOPICS + 203} messages after 30 s`);
      stats = await engine.request('stats', { connectionId });
    }
    assert.equal(stats.kept + stats.dropped, stats.received, 'nothing lost silently: every message is kept or counted as dropped');
    assert.ok(stats.forgotten > TOPICS / 4, `${stats.forgotten} topics forgotten`);
    const kept = await engine.request('topicList', { connectionId, limit: 20_000 });
    assert.equal(kept.length, TOPICS + 203 - stats.forgotten, 'the tree lists exactly the topics kept');
    const listing = await engine.request('children', { connectionId, parent: { topic: 'fleet/new' }, sort: 'name', offset: 0, limit: 20_000 });
    assert.ok(listing.children.some((child) => child.name === 'device-last' && child.last), 'the newest topic keeps its value');
    assert.ok(!kept.some((entry) => entry.topic === 'fleet/old/device-0'), 'the least recently active topic is gone');
  });
});
