import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ConnectionRegistry, type EngineRecovery } from '../../src/host/engine/connectionRegistry';
import { EngineClient, type EngineRestart } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import { newProfile } from '../../src/shared/profile';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

/** The engine worker supervised by its client: a worker that exits or hangs is replaced, and connections come back. */
describe('Engine supervision (a real worker thread, a real broker)', function () {
  this.timeout(30_000);
  let broker: LocalBroker;
  let engine: EngineClient | undefined;
  let registry: ConnectionRegistry | undefined;

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
  });

  afterEach(() => {
    registry?.dispose();
    engine?.dispose();
    registry = undefined;
    engine = undefined;
  });

  after(async () => {
    await broker?.stop();
  });

  /** An engine with one connection to the broker, subscribed to `sup/#`, connected. */
  async function connected(options: { heartbeatMs?: number; unresponsiveMs?: number } = {}) {
    const client = new EngineClient(WORKER, { testHooks: true, ...options });
    engine = client;
    const made = new ConnectionRegistry(client, () => ({ secrets: async () => ({}), backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 }, refusal: () => undefined }));
    registry = made;
    const connection = made.upsert(newProfile('sup', { name: 'Supervised', host: '127.0.0.1', port: broker.port, mqttVersion: 4, subscriptions: [{ topic: 'sup/#', qos: 0 }] }));
    await connection.connect();
    await connection.addSubscription({ topic: 'extra/#', qos: 1 });
    return { client, registry: made, connection };
  }

  /** The engine receives what a broker client publishes on a topic its connection subscribed to. */
  async function receives(client: EngineClient, topic: string): Promise<void> {
    const publisher = await mqtt.connectAsync(broker.url);
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        await publisher.publishAsync(topic, 'x', { qos: 1 });
        if ((await client.request('node', { connectionId: 'sup', topic, history: 1 })) !== undefined) return;
        await waitFor(client.onEvent, (event) => event.kind === 'changes', 200, 'a report').catch(() => undefined);
      }
      assert.fail(`the engine never received ${topic}`);
    } finally {
      await publisher.endAsync();
    }
  }

  it('a worker that exits is replaced; what was asked of it fails with the reason; the connection and its live subscriptions come back', async () => {
    const { client, registry: made, connection } = await connected();
    await receives(client, 'sup/before');
    const restarted = waitFor<EngineRestart>(client.onDidRestart, () => true, 10_000, 'the restart');
    const recovered = waitFor<EngineRecovery>(made.onDidRecover, () => true, 20_000, 'the connection to come back');
    await assert.rejects(client.request('testHook', { action: 'exit' }), /The MQTT engine stopped: its thread exited with code 70/);
    const restart = await restarted;
    assert.match(restart.reason, /exited with code 70/);
    const recovery = await recovered;
    assert.deepEqual(recovery.reconnected, ['Supervised']);
    assert.deepEqual(recovery.failed, []);
    assert.equal(connection.state.kind, 'connected');
    console.log(`      restart after an exit: ${recovery.tookMs} ms from the exit to connected again`);
    assert.equal(await client.request('node', { connectionId: 'sup', topic: 'sup/before', history: 1 }), undefined, 'what was in memory is gone');
    await receives(client, 'sup/after');
    await receives(client, 'extra/after');
  });

  it('a worker that stops answering is noticed by its heartbeat, ended and replaced', async () => {
    const { client, registry: made } = await connected({ heartbeatMs: 200, unresponsiveMs: 3000 });
    const recovered = waitFor<EngineRecovery>(made.onDidRecover, () => true, 20_000, 'the connection to come back');
    const hung = client.request('testHook', { action: 'hang' });
    await assert.rejects(hung, /did not answer within 3 s/);
    const recovery = await recovered;
    assert.deepEqual(recovery.reconnected, ['Supervised']);
    console.log(`      restart after a hang: ${recovery.tookMs} ms from noticing to connected again`);
    await receives(client, 'sup/after-hang');
  });

  it('a worker that keeps failing is not started again and again: after five restarts in a minute it stays down, and says so', async () => {
    const client = new EngineClient(WORKER, { testHooks: true });
    engine = client;
    for (let restart = 1; restart <= 5; restart++) {
      const next = waitFor<EngineRestart>(client.onDidRestart, () => true, 10_000, `restart ${restart}`);
      await client.request('testHook', { action: 'exit' }).catch(() => undefined);
      await next;
      assert.equal(client.running, true);
    }
    const last = waitFor<EngineRestart>(client.onDidRestart, () => true, 10_000, 'the last failure');
    await client.request('testHook', { action: 'exit' }).catch(() => undefined);
    assert.match((await last).reason, /stopped 6 times within a minute and was not started again/);
    assert.equal(client.running, false);
    await assert.rejects(client.request('ping', {}), /was not started again/);
  });

  it('test hooks answer only when the extension runs its tests', async () => {
    const client = new EngineClient(WORKER);
    engine = client;
    await assert.rejects(client.request('testHook', { action: 'exit' }), /Test hooks are off/);
    assert.ok((await client.request('ping', {})).at > 0, 'the worker still runs');
  });
});
