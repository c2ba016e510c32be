import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import mqtt from 'mqtt';
import { findFreePort, LocalBroker, LOCAL_BROKER_USERNAME, PortInUseError } from '../../src/devtools/localBroker';
import { DeviceSimulator } from '../../src/devtools/simulator';
import { connackCode } from '../helpers/mqttMessages';
import { waitFor } from '../helpers/waitFor';

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

  it('with credentials, accepts only the user with the password: CONNACK 5 without them, 4 with wrong ones', async () => {
    const broker = new LocalBroker();
    brokers.push(broker);
    const credentials = { username: LOCAL_BROKER_USERNAME, password: 'Zq3-generated_password42' };
    await broker.start(0, credentials);
    assert.equal(await connackCode(broker.url, {}), 5, 'no user name or password: not authorised');
    assert.equal(await connackCode(broker.url, { username: LOCAL_BROKER_USERNAME }), 4, 'the user name alone');
    assert.equal(await connackCode(broker.url, { username: LOCAL_BROKER_USERNAME, password: 'Zq3-generated_password4' }), 4, 'a password one character short');
    assert.equal(await connackCode(broker.url, { username: LOCAL_BROKER_USERNAME, password: 'Zq3-generated_password43' }), 4, 'a wrong password of the same length');
    assert.equal(await connackCode(broker.url, { username: 'admin', password: credentials.password }), 4, 'another user name with the password');
    assert.equal(await connackCode(broker.url, credentials), 0, 'the user and the password');
  });

  it('the simulator with the credentials publishes to a broker that requires them', async () => {
    const broker = new LocalBroker();
    brokers.push(broker);
    const credentials = { username: LOCAL_BROKER_USERNAME, password: 'another-password' };
    await broker.start(0, credentials);
    const observer = await mqtt.connectAsync(broker.url, { ...credentials, reconnectPeriod: 0 });
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, devices: 2, messagesPerSecond: 20, credentials });
    try {
      await observer.subscribeAsync('fleet/#');
      const telemetry = waitFor((listener: (topic: string) => void) => {
        const handler = (topic: string) => listener(topic);
        observer.on('message', handler);
        return { dispose: () => observer.off('message', handler) };
      }, (topic) => topic === simulator.plan.devices[0].telemetryTopic, 5000, 'the simulator\'s telemetry');
      await simulator.start();
      await telemetry;
    } finally {
      await simulator.stop();
      await observer.endAsync(true);
    }
    // Without them it is refused like any other client.
    const refused = new DeviceSimulator({ brokerUrl: broker.url, devices: 1, messagesPerSecond: 1 });
    try {
      await assert.rejects(refused.start(), (error: Error & { code?: unknown }) => error.code === 5);
    } finally {
      // Had it connected, its timer would keep the test process alive.
      await refused.stop();
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
