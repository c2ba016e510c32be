import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { BrokerConnection, type ConnectionProfile } from '../../src/engine/connection';
import { findFreePort, LocalBroker } from '../../src/engine/localBroker';
import { waitFor } from '../helpers/waitFor';

function profile(port: number): ConnectionProfile {
  return { id: 'test', name: 'Test broker', protocol: 'mqtt', host: '127.0.0.1', port };
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
    await assert.rejects(connection.connect({ reconnectPeriod: 0 }), /Connection refused/);
    assert.equal(connection.state.kind, 'failed');
    assert.match(connection.state.kind === 'failed' ? connection.state.reason : '', /nothing is listening/);
  });
});
