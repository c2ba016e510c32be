import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import type { RequestsSnapshot } from '../../src/shared/requests';
import { Mosquitto } from '../helpers/mosquitto';
import { connectSubscribed } from '../helpers/engine';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

describe('Request/response tracing in the engine worker (a real worker thread, Debian mosquitto, MQTT 5)', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let engine: EngineClient;
  let requester: mqtt.MqttClient;
  let responder: mqtt.MqttClient;

  /** The engine's next pushed snapshot of `connectionId` that `predicate` accepts. */
  const nextSnapshot = (connectionId: string, predicate: (snapshot: RequestsSnapshot) => boolean, what: string) =>
    waitFor(
      (listener: (value: RequestsSnapshot) => void) => engine.onEvent((event) => (event.kind === 'requests' && event.connectionId === connectionId ? listener(event.snapshot) : undefined)),
      predicate,
      10_000,
      what,
    );

  before(async () => {
    broker = await Mosquitto.create();
    engine = new EngineClient(WORKER);
    const url = `mqtt://127.0.0.1:${broker.ports.plain}`;
    // Everything: requests and replies. And one that sees the requests only.
    await connectSubscribed(engine, 'all', { port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: '#', qos: 0 }] });
    await connectSubscribed(engine, 'services-only', { port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'svc/#', qos: 0 }] });
    await engine.request('setRequestTimeout', { timeoutMs: 800 });
    await engine.request('watchRequests', { visible: true });
    requester = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'requester' });
    responder = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'responder' });
    await requester.subscribeAsync('replies/requester', { qos: 1 });
    await responder.subscribeAsync('svc/echo', { qos: 1 });
    // The responder answers on the response topic with the request's correlation data, as MQTT 5 §4.10 says.
    responder.on('message', (_topic, payload, packet) => {
      const responseTopic = packet.properties?.responseTopic;
      if (!responseTopic) return;
      void responder.publishAsync(responseTopic, Buffer.concat([Buffer.from('echo:'), payload]), { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
    });
  });

  after(async () => {
    await requester?.endAsync();
    await responder?.endAsync();
    engine?.dispose();
    await broker?.dispose();
  });

  it('pairs requests of other clients with their replies (latency > 0), and times out an unanswered one', async () => {
    const answered = nextSnapshot('all', (s) => s.totals.answered >= 3 && s.totals.timedOut >= 1, 'three answered requests and one timed out');
    for (let i = 0; i < 3; i++) {
      await requester.publishAsync('svc/echo', `{"n":${i}}`, { qos: 1, properties: { responseTopic: 'replies/requester', correlationData: Buffer.from(`req-${i}`) } });
    }
    // Nobody serves this topic: it gets no reply.
    await requester.publishAsync('svc/nobody', 'hello?', { qos: 1, properties: { responseTopic: 'replies/requester', correlationData: Buffer.from('lost') } });
    const snapshot = await answered;
    const echo = snapshot.topics.find((t) => t.topic === 'svc/echo');
    assert.ok(echo, JSON.stringify(snapshot.topics.map((t) => t.topic)));
    assert.equal(echo.total, 3);
    assert.equal(echo.answered, 3);
    assert.ok(echo.latency && echo.latency.avgMs > 0 && echo.latency.maxMs >= echo.latency.p95Ms, JSON.stringify(echo.latency));
    for (const exchange of echo.recent) {
      assert.equal(exchange.state, 'answered');
      assert.ok((exchange.latencyMs ?? 0) > 0, `latency ${exchange.latencyMs}`);
      assert.equal(exchange.responseTopic, 'replies/requester');
      assert.match(exchange.replyPreview ?? '', /^echo:\{"n":\d\}$/);
    }
    assert.deepEqual(echo.recent.map((e) => e.correlation).sort(), ['"req-0"', '"req-1"', '"req-2"']);
    const nobody = snapshot.topics.find((t) => t.topic === 'svc/nobody');
    assert.equal(nobody?.timedOut, 1);
    assert.equal(nobody?.recent[0].state, 'timedOut');
    assert.equal(snapshot.timeoutMs, 800);
    assert.equal(snapshot.unseenResponseTopics.length, 0);
  });

  it('a burst of 500 requests reaches the host as at most one snapshot a second per connection', async () => {
    let events = 0;
    const counting = engine.onEvent((event) => {
      if (event.kind === 'requests' && event.connectionId === 'all') events++;
    });
    try {
      const before = (await engine.request('requests', { connectionId: 'all' }))?.totals.answered ?? 0;
      const started = Date.now();
      const done = nextSnapshot('all', (s) => s.totals.answered >= before + 500, 'the 500 replies');
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => requester.publishAsync('svc/echo', `{"burst":${i}}`, { qos: 0, properties: { responseTopic: 'replies/requester', correlationData: Buffer.from(`burst-${i}`) } })),
      );
      await done;
      const seconds = (Date.now() - started) / 1000;
      assert.ok(events <= Math.ceil(seconds) + 1, `${events} snapshots in ${seconds.toFixed(1)} s`);
    } finally {
      counting.dispose();
    }
  });

  it('a connection whose subscriptions miss the response topic says so', async () => {
    const snapshot = await engine.request('requests', { connectionId: 'services-only' });
    assert.ok(snapshot);
    assert.ok(snapshot.totals.requests >= 4);
    assert.equal(snapshot.totals.answered, 0);
    assert.equal(snapshot.totals.responseUnseen, snapshot.totals.requests);
    assert.deepEqual(snapshot.unseenResponseTopics, ['replies/requester']);
  });

  it('clears on request; a connection with no request has no snapshot', async () => {
    await engine.request('clearRequests', { connectionId: 'all' });
    const cleared = await engine.request('requests', { connectionId: 'all' });
    assert.equal(cleared?.totals.requests, 0);
    assert.equal(cleared?.topics.length, 0);
    assert.equal(await engine.request('requests', { connectionId: 'nonexistent' }), undefined);
    await assert.rejects(engine.request('setRequestTimeout', { timeoutMs: -1 }), /positive number/);
  });
});
