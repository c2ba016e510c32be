import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { encode as cborEncode } from 'cbor2';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import type { RunEvent } from '../../src/runner/types';
import { connectSubscribed } from '../helpers/engine';
import { waitUntil } from '../helpers/waitFor';
import { nextMessage } from '../helpers/mqttMessages';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

/**
 * `.mqtt` runs in the engine worker, on one of its connections (a real worker thread, a real
 * broker): the run's events reach the host, `Format: decoder` blocks use the engine's bindings,
 * the run's subscription is given back and the connection's own one stays.
 */
describe('The engine runs .mqtt files on its connections (a real worker thread, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let engine: EngineClient;
  let device: mqtt.MqttClient;
  const connectionId = 'runs';

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    engine = new EngineClient(WORKER);
    await connectSubscribed(engine, connectionId, { port: broker.port, subscriptions: [{ topic: 'other/#', qos: 0 }] });
    await engine.request('setDecoders', { bindings: [{ topic: 'lab/cbor/#', format: 'cbor' }], files: {} });
    // A device that answers a CBOR command with a CBOR state.
    device = await mqtt.connectAsync(broker.url);
    await device.subscribeAsync('lab/cbor/set', { qos: 1 });
    device.on('message', (_topic, payload) => {
      void device.publishAsync('lab/cbor/state', Buffer.from(cborEncode({ ack: true, echo: payload.length })), { qos: 1 });
    });
  });

  after(async () => {
    await device?.endAsync();
    engine?.dispose();
    await broker?.stop();
  });

  it('a flow with Format: decoder publishes what the binding encodes and compares the decoded reply; events reach the host', async () => {
    const events: RunEvent[] = [];
    const listener = engine.onEvent((event) => {
      if (event.kind === 'run' && event.runId === 'r1') events.push(event.event);
    });
    const observer = await mqtt.connectAsync(broker.url);
    await observer.subscribeAsync('lab/cbor/set', { qos: 1 });
    const sent = nextMessage(observer, 'lab/cbor/set');
    const text = ['### Command', 'PUBLISH lab/cbor/set', 'QoS: 1', 'Format: decoder', '', '{"on": true, "level": 3}', '', '### State', 'EXPECT lab/cbor/state', 'Format: decoder', 'Within: 3000', '', '{"ack": true}', ''].join('\n');
    const result = await engine.request('runFile', { connectionId, runId: 'r1', text, selection: {} }, { timeoutMs: 10_000 });
    listener.dispose();
    assert.deepEqual(
      result.blocks.map((block) => [block.status, block.message ?? '']),
      result.blocks.map((block) => ['passed', block.message ?? '']),
    );
    assert.deepEqual((await sent).payload, Buffer.from(cborEncode({ on: true, level: 3 })), 'the CBOR the binding makes');
    assert.deepEqual(
      events.map((event) => `${event.type} ${event.type === 'blockStarted' ? event.index : event.result.index}`),
      ['blockStarted 0', 'blockFinished 0', 'blockStarted 1', 'blockFinished 1'],
    );
    await observer.endAsync();
  });

  it('gives back what the run subscribed to, and keeps the connection\'s own subscription', async () => {
    const text = ['EXPECT other/x', 'Timeout: 300', '', '{"never": true}', '', '### ', 'EXPECT lab/quiet', 'Timeout: 300', ''].join('\n');
    const result = await engine.request('runFile', { connectionId, runId: 'r2', text, selection: {} }, { timeoutMs: 10_000 });
    assert.equal(result.blocks[0].status, 'failed');
    // After the run, a message on the run's filter no longer reaches the connection; one on its own filter does.
    const publisher = await mqtt.connectAsync(broker.url);
    // In this order: once other/x is in, lab/quiet would be in before it, had it been delivered.
    await publisher.publishAsync('lab/quiet', 'gone', { qos: 1 });
    await publisher.publishAsync('other/x', 'kept', { qos: 1 });
    await publisher.endAsync();
    const has = async (topic: string) => (await engine.request('snapshot', { connectionId, node: { topic } })) !== undefined;
    await waitUntil(() => has('other/x'), 5000, 'other/x on the connection');
    assert.equal(await has('lab/quiet'), false, 'the run\'s subscription was released');
  });

  it('refuses a run on an unknown connection', async () => {
    await assert.rejects(engine.request('runFile', { connectionId: 'nope', runId: 'r3', text: 'EXPECT a/b\n', selection: {} }), /nope/);
  });
});
