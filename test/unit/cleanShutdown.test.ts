import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import { newProfile } from '../../src/shared/profile';
import { Mosquitto } from '../helpers/mosquitto';
import { waitFor, waitUntil } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

/**
 * What the extension's deactivate() does to the engine (EngineClient.shutdown, then dispose), against
 * a broker that logs how each client left. A last will is published only when a client goes
 * without a DISCONNECT, so a will that arrives means the shutdown was not clean.
 */
describe('Clean shutdown of the engine worker against Debian mosquitto (last wills)', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let observer: mqtt.MqttClient;
  const arrived: string[] = [];
  const engines: EngineClient[] = [];

  before(async () => {
    broker = await Mosquitto.create();
    observer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { clientId: `will-observer-${process.pid}` });
    observer.on('message', (topic) => arrived.push(topic));
    await observer.subscribeAsync('wills/#', { qos: 1 });
  });

  after(async () => {
    for (const engine of engines) engine.dispose();
    await observer?.endAsync();
    await broker?.dispose();
  });

  /** A worker with one connection whose profile has a last will on `wills/<name>`, connected. */
  async function connectedEngine(name: string): Promise<{ engine: EngineClient; clientId: string }> {
    const engine = new EngineClient(WORKER);
    engines.push(engine);
    const clientId = `shutdown-${name}-${process.pid}`;
    const connected = waitFor(engine.onEvent, (event) => event.kind === 'state' && event.state.kind === 'connected', 10_000, `${name} to connect`);
    await engine.request('connect', {
      connectionId: name,
      profile: newProfile(name, { host: '127.0.0.1', port: broker.ports.plain, clientId, mqttVersion: 4, subscriptions: [], will: { topic: `wills/${name}`, payload: `${name} is gone`, qos: 1, retain: false } }),
      secrets: {},
      backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
    });
    await connected;
    return { engine, clientId };
  }

  /** How mosquitto saw the client leave: "disconnected" (a DISCONNECT) or "closed its connection" (the socket dropped). */
  async function howItLeft(clientId: string): Promise<string> {
    const pattern = new RegExp(`Client ${clientId} (disconnected|closed its connection)`);
    await waitUntil(async () => pattern.test(broker.log), 10_000, `mosquitto to log the end of ${clientId}`);
    return pattern.exec(broker.log)?.[1] ?? '';
  }

  /**
   * Publishes a marker after the broker has handled the client's end: mosquitto publishes a will
   * while handling it, so any will is queued to the observer before the marker. No guessed wait.
   */
  async function topicsBeforeMarker(): Promise<string[]> {
    const marker = `wills/marker-${arrived.length}-${Date.now()}`;
    await observer.publishAsync(marker, 'marker', { qos: 1 });
    await waitUntil(async () => arrived.includes(marker), 10_000, 'the marker to come back');
    return arrived.slice(0, arrived.indexOf(marker));
  }

  it('shutdown() then dispose(), as deactivate does: the broker gets a DISCONNECT and publishes no will', async () => {
    const { engine, clientId } = await connectedEngine('clean');
    assert.equal(await engine.shutdown(3000), true, 'the worker confirmed within the timeout');
    engine.dispose();
    assert.equal(await howItLeft(clientId), 'disconnected');
    assert.ok(!(await topicsBeforeMarker()).includes('wills/clean'), 'no will for the cleanly closed connection');
  });

  it('the control: dispose() alone (terminate) drops the socket, and the broker publishes the will', async () => {
    const { engine, clientId } = await connectedEngine('abrupt');
    const will = waitFor((listener: (topic: string) => void) => {
      const handler = (topic: string) => listener(topic);
      observer.on('message', handler);
      return { dispose: () => observer.off('message', handler) };
    }, (topic) => topic === 'wills/abrupt', 10_000, 'the will of the terminated connection');
    engine.dispose();
    assert.equal(await howItLeft(clientId), 'closed its connection');
    await will;
  });

  it('shutdown() of a worker that is gone resolves false at once instead of waiting', async () => {
    const { engine } = await connectedEngine('gone');
    engine.dispose();
    const started = Date.now();
    assert.equal(await engine.shutdown(3000), false);
    assert.ok(Date.now() - started < 3000, 'it did not wait for the timeout');
  });
});
