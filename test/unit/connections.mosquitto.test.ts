import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { BrokerConnection, type ConnectionSecrets } from '../../src/worker/connection';
import { ConnectionPool } from '../../src/worker/connectionPool';
import { findFreePort } from '../../src/devtools/localBroker';
import { newProfile, type ConnectionProfile } from '../../src/shared/profile';
import { Mosquitto, TEST_USER } from '../helpers/mosquitto';
import { waitFor } from '../helpers/waitFor';
import { DecoderState } from '../../src/worker/decoding';
import { SchemaState } from '../../src/worker/schemaCheck';

const FAST_BACKOFF = { minDelayMs: 100, maxDelayMs: 800, stableAfterMs: 10_000 };

describe('Connections against Debian mosquitto', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  const open: BrokerConnection[] = [];

  before(async () => {
    broker = await Mosquitto.create();
  });
  after(async () => {
    await broker?.dispose();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.disconnect().catch(() => undefined)));
  });

  function connection(overrides: Partial<ConnectionProfile>, secrets: ConnectionSecrets = {}, backoff = FAST_BACKOFF): BrokerConnection {
    const created = new BrokerConnection(newProfile(`test-${open.length}`, { name: 'mosquitto', host: '127.0.0.1', port: broker.ports.plain, ...overrides }), {
      secrets: async () => secrets,
      backoff,
    });
    open.push(created);
    return created;
  }

  async function allSubscribed(target: BrokerConnection): Promise<void> {
    if (target.subscriptions.every((s) => s.status.state !== 'pending')) return;
    await waitFor(target.onDidChangeSubscriptions, () => target.subscriptions.every((s) => s.status.state !== 'pending'), 5000, 'the subscriptions to settle');
  }

  async function publishFromOutside(url: string, topic: string, payload: string, options: mqtt.IClientPublishOptions = {}, clientOptions: mqtt.IClientOptions = {}): Promise<void> {
    const client = await mqtt.connectAsync(url, clientOptions);
    await client.publishAsync(topic, payload, { qos: 1, ...options });
    await client.endAsync();
  }

  it('plain TCP, MQTT 3.1.1 and 5.0: connects, subscribes to # and $SYS/#, receives', async () => {
    for (const mqttVersion of [4, 5] as const) {
      const target = connection({ mqttVersion });
      await target.connect();
      await allSubscribed(target);
      assert.deepEqual(
        target.subscriptions.map((s) => [s.spec.topic, s.status.state]),
        [
          ['#', 'active'],
          ['$SYS/#', 'active'],
        ],
      );
      const arrived = waitFor(target.onDidUpdateTopic, (u) => u.node.topic === `plain/v${mqttVersion}`, 5000, 'the message');
      await publishFromOutside(`mqtt://127.0.0.1:${broker.ports.plain}`, `plain/v${mqttVersion}`, 'hello');
      assert.equal(Buffer.from((await arrived).node.last?.payload ?? []).toString(), 'hello');
      assert.ok([...target.topics.topics()].some((node) => node.topic.startsWith('$SYS/')), '$SYS topics arrive too');
    }
  });

  it('user name and password: the right ones connect, a wrong password says so', async () => {
    const ok = connection({ port: broker.ports.auth, username: TEST_USER.username }, { password: TEST_USER.password });
    await ok.connect();
    for (const mqttVersion of [4, 5] as const) {
      const wrong = connection({ port: broker.ports.auth, username: TEST_USER.username, mqttVersion }, { password: 'wrong' });
      await assert.rejects(wrong.connect(), /Bad user name or password|Not authorised/);
      assert.equal(wrong.state.kind, 'failed');
    }
  });

  it('MQTT 5 subscribe options reach the broker: no local keeps our own publishes away', async () => {
    const target = connection({ subscriptions: [] });
    await target.connect();
    await target.addSubscription({ topic: 'nolocal/#', qos: 1, noLocal: true });
    await target.publish('nolocal/mine', 'from us', { qos: 1 });
    const theirs = waitFor(target.onDidUpdateTopic, (u) => u.node.topic.startsWith('nolocal/'), 5000, 'a nolocal message');
    await publishFromOutside(`mqtt://127.0.0.1:${broker.ports.plain}`, 'nolocal/theirs', 'from them');
    assert.equal((await theirs).node.topic, 'nolocal/theirs', 'our own publish was not delivered back');
    assert.equal(target.topics.find('nolocal/mine'), undefined);
  });

  it('MQTT 5 user properties of a message are kept', async () => {
    const target = connection({ mqttVersion: 5 });
    await target.connect();
    await allSubscribed(target);
    const arrived = waitFor(target.onDidUpdateTopic, (u) => u.node.topic === 'props/x', 5000, 'the message with properties');
    await publishFromOutside(
      `mqtt://127.0.0.1:${broker.ports.plain}`,
      'props/x',
      '{}',
      { properties: { userProperties: { device: 'thermostat-7', 'unicode-ключ': 'значение' }, contentType: 'application/json', responseTopic: 'props/reply', correlationData: Buffer.from([1, 2, 3]) } },
      { protocolVersion: 5 },
    );
    const properties = (await arrived).node.last?.properties;
    assert.deepEqual(properties?.userProperties, { device: 'thermostat-7', 'unicode-ключ': 'значение' });
    assert.equal(properties?.contentType, 'application/json');
    assert.equal(properties?.responseTopic, 'props/reply');
    assert.deepEqual([...(properties?.correlationData ?? [])], [1, 2, 3]);
  });

  it('overlapping subscriptions and a run\'s lease: each message is kept once (MQTT 5 brokers send a copy per subscription), and the lease hears it once', async () => {
    for (const mqttVersion of [5, 4] as const) {
      const prefix = `dup${mqttVersion}`;
      const target = connection({ mqttVersion, subscriptions: [{ topic: '#', qos: 0 }, { topic: `${prefix}/#`, qos: 1 }] });
      await target.connect();
      await allSubscribed(target);
      const lease = await target.lease(`${prefix}/a`, 1);
      const heard: string[] = [];
      const listening = target.onDidReceiveMessage((message) => heard.push(message.topic));
      const end = waitFor(target.onDidUpdateTopic, (u) => u.node.topic === `${prefix}/end`, 5000, 'the last message');
      const url = `mqtt://127.0.0.1:${broker.ports.plain}`;
      for (const topic of [`${prefix}/a`, `${prefix}/a`, `${prefix}/b`, `${prefix}/end`]) await publishFromOutside(url, topic, 'x');
      await end;
      listening.dispose();
      assert.equal(target.topics.find(`${prefix}/a`)?.messageCount, 2, `MQTT ${mqttVersion}: each message once in the tree`);
      assert.equal(target.topics.find(`${prefix}/b`)?.messageCount, 1);
      assert.deepEqual(heard.filter((topic) => topic === `${prefix}/a`), [`${prefix}/a`, `${prefix}/a`], `MQTT ${mqttVersion}: the lease hears each once`);
      // mosquitto sends MQTT 5 clients a copy per matching subscription: those are what was left out.
      if (mqttVersion === 5) assert.ok(target.duplicateCopies >= 5, `copies left out: ${target.duplicateCopies}`);
      else assert.equal(target.duplicateCopies, 0);
      await lease.release();
    }
  });

  it('TLS with the CA connects; a wrong CA and a wrong name each get their own message; verify off accepts', async () => {
    const { certs } = broker;
    const good = connection({ protocol: 'mqtts', port: broker.ports.tls, host: 'localhost', tls: { verify: true, caFile: certs.caFile } });
    await good.connect();
    const wrongCa = connection({ protocol: 'mqtts', port: broker.ports.tls, host: 'localhost', tls: { verify: true, caFile: certs.otherCaFile } });
    await assert.rejects(wrongCa.connect(), /signed by an unknown authority/);
    const wrongName = connection({ protocol: 'mqtts', port: broker.ports.tls, host: '127.0.0.1', tls: { verify: true, caFile: certs.caFile, serverName: 'broker.example.com' } });
    await assert.rejects(wrongName.connect(), /does not match the name/);
    const unverified = connection({ protocol: 'mqtts', port: broker.ports.tls, host: 'localhost', tls: { verify: false, caFile: certs.otherCaFile } });
    await unverified.connect();
    assert.equal(unverified.state.kind, 'connected');
  });

  it('mutual TLS with an encrypted client key: the passphrase unlocks it, a wrong one says so', async () => {
    const { certs } = broker;
    const tls = { verify: true, caFile: certs.caFile, certFile: certs.clientCert, keyFile: certs.clientKey };
    const good = connection({ protocol: 'mqtts', port: broker.ports.mtls, host: 'localhost', tls }, { keyPassphrase: certs.clientKeyPassphrase });
    await good.connect();
    await allSubscribed(good);
    const wrong = connection({ protocol: 'mqtts', port: broker.ports.mtls, host: 'localhost', tls }, { keyPassphrase: 'not it' });
    await assert.rejects(wrong.connect(), /wrong key passphrase/);
    const noCert = connection({ protocol: 'mqtts', port: broker.ports.mtls, host: 'localhost', tls: { verify: true, caFile: certs.caFile } });
    await assert.rejects(noCert.connect());
    assert.equal(noCert.state.kind, 'failed');
  });

  it('websockets: connects over ws:// with a path and receives', async () => {
    const target = connection({ protocol: 'ws', port: broker.ports.ws, path: '/mqtt' });
    await target.connect();
    await allSubscribed(target);
    const arrived = waitFor(target.onDidUpdateTopic, (u) => u.node.topic === 'ws/hello', 5000, 'the message over websockets');
    await publishFromOutside(`mqtt://127.0.0.1:${broker.ports.plain}`, 'ws/hello', 'over ws');
    assert.equal(Buffer.from((await arrived).node.last?.payload ?? []).toString(), 'over ws');
  });

  it('a closed port and an unknown host each get their own message', async () => {
    const closed = connection({ port: await findFreePort() });
    await assert.rejects(closed.connect(), /Connection refused by 127\.0\.0\.1:\d+: no broker is listening/);
    const unknown = connection({ host: 'no-such-broker.invalid' });
    await assert.rejects(unknown.connect(), /Host name not found: no-such-broker\.invalid/);
  });

  it('broker killed and restarted: reconnects by itself, restores subscriptions, delivers QoS 1 sent while offline', async () => {
    // The first retry comes 1 to 2 s after the drop, so the restarted broker has a subscriber waiting.
    const target = connection({ subscriptions: [{ topic: 'restart/#', qos: 1 }, { topic: '$SYS/broker/version', qos: 0 }] }, {}, { minDelayMs: 2000, maxDelayMs: 2000, stableAfterMs: 10_000 });
    await target.connect();
    await allSubscribed(target);
    const states: string[] = [];
    target.onDidChangeState((state) => states.push(state.kind));

    const dropped = waitFor(target.onDidChangeState, (state) => state.kind === 'reconnecting', 5000, 'the reconnecting state');
    await broker.kill();
    const reconnecting = await dropped;
    assert.ok(reconnecting.kind === 'reconnecting' && reconnecting.nextTryAt > Date.now(), 'the state says when the next try is');

    // Published while the broker is down: kept by the client and sent once it is back.
    const sent = ['one', 'two', 'three'];
    const acknowledged = Promise.all(sent.map((payload) => target.publish('restart/offline', payload, { qos: 1 })));
    await broker.start();
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`);
    const received: string[] = [];
    const allThree = new Promise<void>((resolve) =>
      watcher.on('message', (topic, payload) => {
        if (topic === 'restart/offline') received.push(payload.toString());
        if (received.length === sent.length) resolve();
      }),
    );
    await watcher.subscribeAsync('restart/offline', { qos: 1 });

    await waitFor(target.onDidChangeState, (state) => state.kind === 'connected', 15_000, 'the reconnection');
    await acknowledged;
    await allThree;
    assert.deepEqual(received, sent, 'the offline QoS 1 messages arrive, in order, once each');
    await watcher.endAsync();

    // Subscriptions are restored: a message after the restart arrives, once, under the same node.
    await allSubscribed(target);
    assert.ok(target.subscriptions.every((s) => s.status.state === 'active'), 'subscriptions restored');
    const after = waitFor(target.onDidUpdateTopic, (u) => u.node.topic === 'restart/after', 5000, 'a message after the restart');
    await publishFromOutside(`mqtt://127.0.0.1:${broker.ports.plain}`, 'restart/after', 'x');
    await after;
    assert.equal(target.topics.find('restart/after')?.messageCount, 1);
    assert.deepEqual([...target.topics.root.children.keys()].sort(), ['$SYS', 'restart'], 'no topic appears twice');
    assert.deepEqual(states.slice(0, 1), ['reconnecting']);
    assert.equal(states.at(-1), 'connected');
  });

  it('a refusal of a CONNECT with credentials says to check them; a password corrected for the same profile is the one the next connect sends (the engine kept the first)', async () => {
    const pool = new ConnectionPool(
      { emit: () => undefined, onMessage: () => undefined, onForgotten: () => undefined, onCreated: () => undefined, onSparkplugChange: () => undefined },
      { decoders: new DecoderState(), schemas: new SchemaState() },
    );
    const profile = newProfile('corrected', { name: 'auth', host: '127.0.0.1', port: broker.ports.auth, username: TEST_USER.username, mqttVersion: 5 });
    try {
      await assert.rejects(pool.connect({ connectionId: 'corrected', profile, secrets: { password: 'wrong' }, backoff: FAST_BACKOFF }), /(Bad user name or password|Not authorised)\.? Check the user name and password\./);
      const model = await pool.connect({ connectionId: 'corrected', profile, secrets: { password: TEST_USER.password }, backoff: FAST_BACKOFF });
      assert.equal(model.connection.state.kind, 'connected');
    } finally {
      await pool.dispose();
    }
  });
});
