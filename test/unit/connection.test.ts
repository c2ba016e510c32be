import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { BrokerConnection, type ConnectionProfile } from '../../src/worker/connection';
import { findFreePort, LocalBroker } from '../../src/devtools/localBroker';
import { newProfile } from '../../src/shared/profile';
import { waitFor } from '../helpers/waitFor';

function profile(port: number): ConnectionProfile {
  return newProfile('test', { name: 'Test broker', host: '127.0.0.1', port, mqttVersion: 4 });
}

describe('BrokerConnection against a real broker', () => {
  let broker: LocalBroker;
  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
  });
  after(() => broker.stop());

  it('connects, subscribes to # and builds the topic tree from what arrives', async () => {
    const connection = new BrokerConnection(profile(broker.port));
    const states: string[] = [];
    connection.onDidChangeState((state) => states.push(state.kind));
    await connection.connect();
    try {
      assert.deepEqual(states, ['connecting', 'connected']);
      await waitFor(connection.onDidChangeSubscriptions, () => connection.subscriptions.every((s) => s.status.state === 'active'), 5000, 'the default subscriptions');
      const arrived = waitFor(connection.onDidUpdateTopic, (update) => update.node.topic === 'plant/line-1/speed', 5000, 'the message');
      const publisher = await mqtt.connectAsync(broker.url);
      await publisher.publishAsync('plant/line-1/speed', '42', { qos: 1 });
      publisher.end(true);
      const update = await arrived;
      assert.equal(update.created?.topic, 'plant');
      assert.equal(Buffer.from(update.node.last?.payload ?? []).toString(), '42');
      assert.equal(connection.topics.find('plant')?.totalMessages, 1);
    } finally {
      await connection.disconnect();
    }
    assert.equal(connection.state.kind, 'disconnected');
  });

  it('publishes through the connection', async () => {
    const connection = new BrokerConnection(profile(broker.port));
    await connection.connect();
    try {
      const arrived = waitFor(connection.onDidUpdateTopic, (update) => update.node.topic === 'echo/me', 5000, 'its own message');
      await connection.publish('echo/me', new Uint8Array([0, 1, 2, 255]), { qos: 1 });
      assert.deepEqual([...((await arrived).node.last?.payload ?? [])], [0, 1, 2, 255]);
    } finally {
      await connection.disconnect();
    }
  });

  it('a closed port fails with a clear reason and a failed state', async () => {
    const connection = new BrokerConnection(profile(await findFreePort()));
    await assert.rejects(connection.connect(), /Connection refused/);
    assert.equal(connection.state.kind, 'failed');
    assert.match(connection.state.kind === 'failed' ? connection.state.reason : '', /no broker is listening/);
  });
});

describe('A subscription the broker refuses', () => {
  it('is reported with the reason, and the others stay active', async () => {
    // aedes with an authorisation hook that refuses secret/#: the broker answers SUBACK 0x80.
    const { Aedes } = await import('aedes');
    const { createServer } = await import('node:net');
    const aedes = await Aedes.createBroker({ authorizeSubscribe: (_client, subscription, callback) => callback(null, subscription.topic.startsWith('secret/') ? null : subscription) });
    const server = createServer((socket) => aedes.handle(socket));
    const port = await findFreePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const connection = new BrokerConnection(newProfile('acl', { host: '127.0.0.1', port, mqttVersion: 4, subscriptions: [] }));
    try {
      await connection.connect();
      await assert.rejects(connection.addSubscription({ topic: 'secret/#', qos: 0 }), /Subscription to secret\/# refused: Refused by the broker \(return code 0x80/);
      assert.equal(connection.subscriptions.find((s) => s.spec.topic === 'secret/#')?.status.state, 'refused');
      const allowed = await connection.addSubscription({ topic: 'allowed/#', qos: 1 });
      assert.deepEqual(allowed.status, { state: 'active', grantedQos: 1 });
      await connection.removeSubscription('allowed/#');
      assert.deepEqual(connection.subscriptions.map((s) => s.spec.topic), ['secret/#']);
    } finally {
      await connection.disconnect();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
