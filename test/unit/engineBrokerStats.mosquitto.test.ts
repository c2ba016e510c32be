import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import type { BrokerStatsSnapshot } from '../../src/shared/brokerStats';
import { Mosquitto } from '../helpers/mosquitto';
import { connectSubscribed } from '../helpers/engine';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

describe('Broker statistics in the engine worker (a real worker thread, Debian mosquitto with sys_interval 1)', function () {
  this.timeout(40_000);
  let broker: Mosquitto;
  let engine: EngineClient;
  const clients: mqtt.MqttClient[] = [];

  /** The engine's next pushed figures of `connectionId` that `predicate` accepts. */
  const nextStats = (connectionId: string, predicate: (snapshot: BrokerStatsSnapshot) => boolean, what: string, timeoutMs = 10_000) =>
    waitFor(
      (listener: (value: BrokerStatsSnapshot) => void) => engine.onEvent((event) => (event.kind === 'brokerStats' && event.connectionId === connectionId ? listener(event.snapshot) : undefined)),
      predicate,
      timeoutMs,
      what,
    );

  before(async () => {
    broker = await Mosquitto.create({ extraConfig: ['sys_interval 1'] });
    engine = new EngineClient(WORKER);
  });

  after(async () => {
    for (const client of clients) await client.endAsync();
    engine?.dispose();
    await broker?.dispose();
  });

  it('sees clients connected and the message rate change when a client connects and publishes', async () => {
    await connectSubscribed(engine, 'sys', { port: broker.ports.plain, subscriptions: [{ topic: '#', qos: 0 }, { topic: '$SYS/#', qos: 0 }] });
    await engine.request('watchBrokerStats', { connectionIds: ['sys'] });
    // mosquitto's $SYS values are retained: the first ones are those of its previous update (no client then), the live ones follow.
    const first = await nextStats('sys', (s) => (s.figures.clients?.value ?? 0) >= 1 && s.figures.uptime !== undefined && s.figures.messagesOut?.source === 'counters', 'the first live figures');
    assert.equal(first.broker, 'mosquitto');
    assert.match(first.version ?? '', /^mosquitto version 2\./);
    assert.deepEqual(first.subscription, { state: 'active', filter: '$SYS/#' });
    assert.ok(first.sysSeen);
    assert.equal(first.rejected, 0);
    const clientsBefore = first.figures.clients?.value ?? 0;
    assert.ok(clientsBefore >= 1);

    // A second client connects and publishes 200 messages a second: clients and the rate in go up.
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { clientId: 'stats-publisher' });
    clients.push(publisher);
    let n = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 20; i++) publisher.publish('load/test', String(n++));
    }, 100);
    try {
      const busy = await nextStats('sys', (s) => (s.figures.clients?.value ?? 0) > clientsBefore && (s.figures.messagesIn?.value ?? 0) >= 100, 'more clients and ≥ 100 messages/s in');
      assert.equal(busy.figures.messagesIn?.source, 'counters');
      assert.ok((busy.figures.bytesIn?.value ?? 0) > 1000, `bytes in ${busy.figures.bytesIn?.value}`);
      const series = busy.series.find((one) => one.key === 'messagesIn');
      assert.ok(series && series.v.length >= 2, 'a series of the rate');
    } finally {
      clearInterval(timer);
    }
    // It stops: the rate falls again (mosquitto publishes a counter only when it changed).
    const quiet = await nextStats('sys', (s) => (s.figures.messagesIn?.value ?? Infinity) < 20, 'the rate in falls below 20/s');
    const snapshot = await engine.request('brokerStats', { connectionId: 'sys' });
    assert.ok(snapshot && snapshot.points >= quiet.points);
    assert.ok(snapshot.bytes > 0 && snapshot.bytes < 1024 * 1024, `series bytes ${snapshot.bytes}`);
  });

  it('says when the connection has no $SYS subscription (# does not match $SYS topics)', async () => {
    await connectSubscribed(engine, 'plain', { port: broker.ports.plain, subscriptions: [{ topic: '#', qos: 0 }] });
    const snapshot = await engine.request('brokerStats', { connectionId: 'plain' });
    assert.ok(snapshot);
    assert.deepEqual(snapshot.subscription, { state: 'absent' });
    assert.equal(snapshot.sysSeen, false);
    assert.ok(snapshot.connectedSince !== undefined);
    assert.equal(await engine.request('brokerStats', { connectionId: 'nobody' }), undefined);
  });
});
