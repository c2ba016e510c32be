import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DevtoolsClient } from '../../src/devtools/devtoolsClient';
import { findFreePort, PortInUseError } from '../../src/devtools/ports';
import { LOCAL_BROKER_USERNAME } from '../../src/devtools/devtoolsProtocol';
import { nextMessage } from '../helpers/mqttMessages';
import { waitUntil } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'devtools', 'devtoolsWorker.js');

/** Binds `port` on loopback (or rejects): proof that nothing else holds it. */
function bind(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** TCP handles (sockets and listening servers) on the calling thread's event loop: a worker's are not counted. */
function tcpHandlesHere(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap' || name === 'TCPServerWrap').length;
}

describe('The devtools worker (local broker and simulator in a worker thread)', function () {
  this.timeout(20_000);
  let devtools: DevtoolsClient;
  const clients: mqtt.MqttClient[] = [];

  beforeEach(() => {
    devtools = new DevtoolsClient(WORKER);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
    await devtools.close(2000);
  });

  async function connect(port: number): Promise<mqtt.MqttClient> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    clients.push(client);
    return client;
  }

  it('starts a broker on port 0 that relays a message between two plain MQTT.js clients', async () => {
    const { port } = await devtools.request('startBroker', { port: 0 });
    assert.ok(port > 0);
    const subscriber = await connect(port);
    const publisher = await connect(port);
    await subscriber.subscribeAsync('relay/#');
    const received = new Promise<string>((resolve) => subscriber.once('message', (topic, payload) => resolve(`${topic}=${payload.toString()}`)));
    await publisher.publishAsync('relay/one', 'through the worker', { qos: 1 });
    assert.equal(await received, 'relay/one=through the worker');
    const status = await devtools.request('status', {});
    assert.deepEqual(status.broker, { running: true, port, clients: 2 });
  });

  it('answers a taken port with PortInUseError naming it, and then starts on another', async () => {
    const port = await findFreePort();
    const blocker = await bind(port);
    try {
      await assert.rejects(devtools.request('startBroker', { port }), (error: unknown) => error instanceof PortInUseError && error.port === port && error.message.includes(String(port)));
      assert.equal((await devtools.request('status', {})).broker.running, false);
      // The same thread starts on another port afterwards: the failed start left nothing behind.
      const other = await devtools.request('startBroker', { port: 0 });
      assert.notEqual(other.port, port);
    } finally {
      await close(blocker);
    }
  });

  it('runs the simulator: a real subscriber sees every planned telemetry topic, the Protobuf, CBOR and Sparkplug devices, and the retained statuses', async () => {
    const { port } = await devtools.request('startBroker', { port: 0 });
    const observer = await connect(port);
    await observer.subscribeAsync(['fleet/#', 'spBv1.0/#']);
    const seen = new Map<string, boolean>();
    observer.on('message', (topic, _payload, packet) => seen.set(topic, (seen.get(topic) ?? false) || packet.retain));
    const summary = await devtools.request('startSimulator', { brokerUrl: `mqtt://127.0.0.1:${port}`, devices: 6, messagesPerSecond: 20 });
    assert.equal(summary.plan.devices.length, 6);
    assert.equal(summary.messagesPerSecond, 120);
    const { group, node, devices } = summary.plan.sparkplug;
    const sparkplug = [`spBv1.0/${group}/NBIRTH/${node}`, ...devices.map((device) => `spBv1.0/${group}/DDATA/${node}/${device}`)];
    const wanted = [...summary.plan.devices.map((device) => device.telemetryTopic), summary.plan.binaryTopic, summary.plan.deepTopic, summary.plan.unicodeTopic, summary.plan.protobufTopic, summary.plan.cborTopic, ...sparkplug];
    await waitUntil(async () => wanted.every((topic) => seen.has(topic)), 10_000, `the fleet's topics (missing: ${wanted.filter((t) => !seen.has(t)).join(', ')})`);

    // A late subscriber gets the statuses as retained messages: the broker in the worker keeps them.
    const late = await connect(port);
    const retained = new Set<string>();
    late.on('message', (topic, _payload, packet) => {
      if (packet.retain) retained.add(topic);
    });
    await late.subscribeAsync('fleet/+/+/+/status');
    const statuses = summary.plan.devices.map((device) => device.statusTopic);
    await waitUntil(async () => statuses.every((topic) => retained.has(topic)), 10_000, 'the retained statuses');

    const status = await devtools.request('status', {});
    assert.equal(status.simulator.running, true);
    assert.ok(status.simulator.messagesSent > wanted.length);
    // Stopping the simulator ends the edge node's session with its death certificate.
    const death = nextMessage(observer, `spBv1.0/${group}/NDEATH/${node}`);
    await devtools.request('stopSimulator', {});
    await death;
    assert.equal((await devtools.request('status', {})).simulator.running, false);
  });

  it('with credentials, the broker refuses a client without them, and the simulator in the worker uses them', async () => {
    const credentials = { username: LOCAL_BROKER_USERNAME, password: 'sent-over-the-typed-protocol' };
    const { port } = await devtools.request('startBroker', { port: 0, credentials });
    const outsider = mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 }).then((client) => void clients.push(client));
    await assert.rejects(outsider, (error: Error & { code?: unknown }) => error.code === 5);
    const observer = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { ...credentials, reconnectPeriod: 0 });
    clients.push(observer);
    await observer.subscribeAsync(['fleet/#', 'spBv1.0/#']);
    let telemetry = 0;
    let births = 0;
    observer.on('message', (topic) => {
      telemetry += topic.endsWith('/telemetry') ? 1 : 0;
      births += topic.includes('/NBIRTH/') ? 1 : 0;
    });
    // The host does not send the password again: the worker gives the simulator its broker's (both of its clients).
    await devtools.request('startSimulator', { brokerUrl: `mqtt://127.0.0.1:${port}`, devices: 2, messagesPerSecond: 20 });
    await waitUntil(async () => telemetry > 0 && births > 0, 10_000, "telemetry and the Sparkplug edge node's NBIRTH from the simulator");
  });

  it('stopBroker closes the clients and frees the port; close() ends the thread', async () => {
    const { port } = await devtools.request('startBroker', { port: 0 });
    await devtools.request('startSimulator', { brokerUrl: `mqtt://127.0.0.1:${port}`, devices: 3, messagesPerSecond: 1 });
    const client = await connect(port);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await devtools.request('stopBroker', {});
    await closed;
    assert.deepEqual(await devtools.request('status', {}), { broker: { running: false, port: 0, clients: 0 }, simulator: { running: false, messagesSent: 0 } });
    await close(await bind(port));

    await devtools.close(2000);
    await assert.rejects(devtools.request('status', {}), /exited/);
  });

  it('keeps the broker and the simulator (10,000 messages/s) off the calling thread: no TCP handle appears here', async () => {
    const before = tcpHandlesHere();
    const { port } = await devtools.request('startBroker', { port: 0 });
    // 200 devices × 50 messages/s: the extension's settings allow up to 500 × 50.
    await devtools.request('startSimulator', { brokerUrl: `mqtt://127.0.0.1:${port}`, devices: 200, messagesPerSecond: 50 });
    const sentAtStart = (await devtools.request('status', {})).simulator.messagesSent;
    await waitUntil(async () => (await devtools.request('status', {})).simulator.messagesSent >= sentAtStart + 5000, 10_000, '5,000 simulated messages');
    assert.equal(tcpHandlesHere(), before, "the listening server, the simulator's client and the broker's side of it are all in the worker");

    // The control: the same count does see a client made on this thread.
    await connect(port);
    assert.ok(tcpHandlesHere() > before, 'a socket of this thread is counted');
  });
});
