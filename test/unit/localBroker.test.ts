import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import mqtt from 'mqtt';
import { findFreePort, LocalBroker, PortInUseError } from '../../src/devtools/localBroker';

describe('LocalBroker (aedes on loopback)', () => {
  const brokers: LocalBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((broker) => broker.stop()));
  });

  it('starts on a free port, relays a message between two clients, and stops', async () => {
    const broker = new LocalBroker();
    brokers.push(broker);
    const port = await broker.start(0);
    assert.ok(port > 0);
    assert.equal(broker.url, `mqtt://127.0.0.1:${port}`);
    const subscriber = await mqtt.connectAsync(broker.url);
    const publisher = await mqtt.connectAsync(broker.url);
    try {
      await subscriber.subscribeAsync('relay/#');
      const received = new Promise<string>((resolve) => subscriber.once('message', (topic, payload) => resolve(`${topic}=${payload.toString()}`)));
      await publisher.publishAsync('relay/one', 'payload');
      assert.equal(await received, 'relay/one=payload');
    } finally {
      publisher.end(true);
      subscriber.end(true);
    }
  });

  it('reports a taken port as PortInUseError, naming the port', async () => {
    const blocker = createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const broker = new LocalBroker();
      brokers.push(broker);
      await assert.rejects(broker.start(port), (error: unknown) => error instanceof PortInUseError && error.port === port && /already in use/.test(error.message));
      assert.equal(broker.running, false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('stop() closes connected clients and frees the port', async () => {
    const broker = new LocalBroker();
    brokers.push(broker);
    const port = await broker.start(0);
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await broker.stop();
    await closed;
    client.end(true);
    // The port is free again: another broker can bind it.
    const again = new LocalBroker();
    brokers.push(again);
    assert.equal(await again.start(port), port);
  });
});
