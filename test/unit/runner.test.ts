import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parseMqttFile } from '../../src/shared/mqttFiles';
import { runFile, type Lease, type MqttPort, type RunEvent, type RunOptions } from '../../src/runner';
import { MqttClientPort } from '../../src/runner/mqttClientPort';
import { Mosquitto } from '../helpers/mosquitto';

type CountingPort = MqttPort & { active: Set<string>; subscribed: string[]; calls: string[]; onSubscribed?: () => void };

/** A real port whose leases are counted: what a run holds, and what it left behind; and the order of its calls. */
function countingPort(inner: MqttPort): CountingPort {
  const active = new Set<string>();
  const subscribed: string[] = [];
  let next = 0;
  const calls: string[] = [];
  const port: CountingPort = {
    mqttVersion: inner.mqttVersion,
    active,
    subscribed,
    calls,
    publish: (topic, payload, options) => {
      calls.push(`publish ${topic}`);
      return inner.publish(topic, payload, options);
    },
    onMessage: (listener) => inner.onMessage(listener),
    async subscribe(filter, options): Promise<Lease> {
      const lease = await inner.subscribe(filter, options);
      const id = `${filter}#${next++}`;
      active.add(id);
      subscribed.push(filter);
      calls.push(`subscribed ${filter}`);
      port.onSubscribed?.();
      return {
        release: async () => {
          if (active.has(id)) calls.push(`release ${filter}`);
          active.delete(id);
          await lease.release();
        },
      };
    },
  };
  return port;
}

describe('The .mqtt runner against mosquitto', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let dir: string;
  let url: string;
  const clients: MqttClient[] = [];
  const ports: MqttClientPort[] = [];
  let prefix = '';
  let counter = 0;

  before(async () => {
    broker = await Mosquitto.create();
    url = `mqtt://127.0.0.1:${broker.ports.plain}`;
    dir = mkdtempSync(join(tmpdir(), 'mqtt-runner-'));
  });
  after(async () => {
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    prefix = `runner/${process.pid}/${counter++}`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync().catch(() => undefined)));
    await Promise.all(ports.splice(0).map((port) => port.close()));
  });

  async function port(mqttVersion: 4 | 5 = 5) {
    const created = await MqttClientPort.connect({ url, mqttVersion });
    ports.push(created);
    return countingPort(created);
  }

  async function client(): Promise<MqttClient> {
    const created = await mqtt.connectAsync(url, { protocolVersion: 5 });
    clients.push(created);
    return created;
  }

  /** A device the test runs: answers each message on `topic` with `answer(payload)` on `replyTopic`, after `delayMs`. */
  async function device(topic: string, replyTopic: string, answer: (payload: Buffer) => string, delayMs = 0): Promise<void> {
    const responder = await client();
    responder.on('message', (received, payload) => {
      if (received !== topic) return;
      const reply = () => void responder.publishAsync(replyTopic, answer(payload), { qos: 1 });
      if (delayMs) setTimeout(reply, delayMs);
      else reply();
    });
    await responder.subscribeAsync(topic, { qos: 1 });
  }

  function readFile(relativePath: string, maxBytes: number): Promise<Uint8Array> {
    const bytes = readFileSync(join(dir, relativePath));
    if (bytes.length > maxBytes) return Promise.reject(new Error('too large'));
    return Promise.resolve(new Uint8Array(bytes));
  }

  function options(target: MqttPort, extra: Partial<RunOptions> = {}): RunOptions {
    return { port: target, readFile, variables: { settings: { p: prefix } }, ...extra };
  }

  it('PUBLISH then EXPECT: passes when the device answers, with the message shown', async () => {
    await device(`${prefix}/lamp/set`, `${prefix}/lamp/state`, (payload) => JSON.stringify({ ...JSON.parse(payload.toString()), level: 80 }));
    const target = await port();
    const events: RunEvent[] = [];
    const document = parseMqttFile(['### Turn on', 'PUBLISH {{p}}/lamp/set', 'QoS: 1', '', '{"on": true}', '', '### It reports', 'EXPECT {{p}}/lamp/state', 'Within: 3000', '', '{"on": true}', ''].join('\n'));
    const result = await runFile(document, options(target, { onEvent: (event) => events.push(event) }));
    assert.equal(result.passed, true, JSON.stringify(result.blocks.map((block) => block.message)));
    assert.deepEqual(result.blocks.map((block) => [block.label, block.status]), [['Turn on', 'passed'], ['It reports', 'passed']]);
    assert.equal(result.blocks[0].publish?.ack, 'puback');
    assert.equal(result.blocks[1].topic, `${prefix}/lamp/state`);
    assert.match(result.blocks[1].reply!.text, /"level": 80/);
    assert.deepEqual(events.map((event) => (event.type === 'blockStarted' ? `start ${event.index}` : `end ${event.result.index}`)), ['start 0', 'end 0', 'start 1', 'end 1']);
    // The EXPECT listened from the start of the PUBLISH: subscribed (SUBACK) before it published.
    assert.deepEqual(target.calls, [`subscribed ${prefix}/lamp/state`, `publish ${prefix}/lamp/set`, `release ${prefix}/lamp/state`]);
    assert.equal(target.active.size, 0);
    // Results cross threads as they are.
    assert.deepEqual(structuredClone(result), result);
  });

  it('EXPECT that fails: expected vs actual, the closest message named', async () => {
    await device(`${prefix}/lamp/set`, `${prefix}/lamp/state`, () => '{"on": false, "level": 0}');
    const target = await port();
    const document = parseMqttFile(['PUBLISH {{p}}/lamp/set', '', '{"on": true}', '', '### It reports', 'EXPECT {{p}}/lamp/state', 'Timeout: 1500', '', '{"on": true}'].join('\n'));
    const result = await runFile(document, options(target));
    assert.equal(result.passed, false);
    const failed = result.blocks[1];
    assert.equal(failed.status, 'failed');
    assert.match(failed.message!, /No matching message on .*lamp\/state .*The closest, on .*: At \$\.on: expected true, got false/);
    assert.equal(failed.expected, '{\n  "on": true\n}');
    assert.equal(failed.actual, '{\n  "on": false,\n  "level": 0\n}');
    assert.equal(target.active.size, 0);
  });

  it('EXPECT with no message at all says that none came', async () => {
    const target = await port();
    const result = await runFile(parseMqttFile(['EXPECT {{p}}/silent', 'Timeout: 300', '', 'ok'].join('\n')), options(target));
    assert.equal(result.blocks[0].status, 'failed');
    assert.match(result.blocks[0].message!, /^No message on runner\/.*\/silent in \d+ ms\.$/);
    assert.equal(result.blocks[0].actual, '(no message)');
    assert.equal(result.blocks[0].expected, 'ok');
  });

  it('Within: a matching message after it fails the check, with its arrival time', async () => {
    await device(`${prefix}/slow/set`, `${prefix}/slow/state`, () => '{"on": true}', 400);
    const target = await port();
    const document = parseMqttFile(['PUBLISH {{p}}/slow/set', '', 'go', '', '###', 'EXPECT {{p}}/slow/state', 'Within: 100', 'Timeout: 5000', '', '{"on": true}'].join('\n'));
    const result = await runFile(document, options(target));
    const late = result.blocks[1];
    assert.equal(late.status, 'failed');
    const match = /^A matching message arrived after (\d+) ms; Within is 100 ms\.$/.exec(late.message!);
    assert.ok(match, late.message);
    assert.ok(Number(match[1]) >= 400, late.message);
    assert.ok(late.reply);
  });

  it('REQUEST gets the reply of a responder, with its latency; the response topic is released', async () => {
    const responder = await client();
    let seen: { responseTopic?: string; correlation?: string } = {};
    responder.on('message', (_topic, payload, packet) => {
      const responseTopic = packet.properties?.responseTopic;
      const correlationData = packet.properties?.correlationData;
      seen = { responseTopic, correlation: correlationData?.toString() };
      if (!responseTopic) return;
      // A reply for somebody else first: it must not count.
      void responder.publishAsync(responseTopic, '{"setpoint": 0}', { qos: 1, properties: { correlationData: Buffer.from('other') } });
      void responder.publishAsync(responseTopic, JSON.stringify({ setpoint: 21.5, asked: JSON.parse(payload.toString()) }), { qos: 1, properties: { correlationData } });
    });
    await responder.subscribeAsync(`${prefix}/thermostat/get`, { qos: 1 });
    const target = await port();
    const document = parseMqttFile(['### Ask', 'REQUEST {{p}}/thermostat/get', 'QoS: 1', 'Timeout: 5000', '', '{"what": "setpoint"}'].join('\n'));
    const result = await runFile(document, options(target));
    const block = result.blocks[0];
    assert.equal(block.status, 'passed', block.message);
    assert.ok(typeof block.latencyMs === 'number' && block.latencyMs >= 0 && block.latencyMs < 5000);
    assert.equal(block.message, `Reply in ${block.latencyMs} ms.`);
    assert.match(block.reply!.text, /"setpoint": 21\.5/);
    assert.equal(new TextDecoder().decode(block.reply!.properties!.correlationData), seen.correlation);
    assert.match(seen.responseTopic!, /^mqtt-explorer\/replies\/[0-9a-f-]{36}$/);
    assert.deepEqual(target.subscribed, [seen.responseTopic]);
    assert.equal(target.active.size, 0);
  });

  it('a REQUEST without a reply fails and the blocks after it are skipped', async () => {
    const target = await port();
    const document = parseMqttFile(['### Ask', 'REQUEST {{p}}/nobody', 'Timeout: 300', '', 'hello', '', '### Then', 'PUBLISH {{p}}/after', '', 'x', '', '### And', 'EXPECT {{p}}/never', '', 'y'].join('\n'));
    const result = await runFile(document, options(target));
    assert.deepEqual(result.blocks.map((block) => block.status), ['failed', 'skipped', 'skipped']);
    assert.match(result.blocks[0].message!, /^No reply on mqtt-explorer\/replies\/.* in 300 ms\.$/);
    assert.equal(result.blocks[1].message, 'Not run: block 1 (Ask) failed.');
    assert.equal(result.passed, false);
    assert.equal(target.active.size, 0);
  });

  it('an abort ends the run at once and releases every subscription, granted or still pending', async () => {
    const document = parseMqttFile(['### Wait', 'EXPECT {{p}}/forever', 'Timeout: 60000', '', '', '### Later', 'PUBLISH {{p}}/later', '', 'x'].join('\n'));
    for (const when of ['subscribed', 'subscribing'] as const) {
      const target = await port();
      const controller = new AbortController();
      // Granted, then aborted while the EXPECT waits for its message.
      if (when === 'subscribed') target.onSubscribed = () => setTimeout(() => controller.abort(), 50);
      const started = Date.now();
      const result = await runFile(
        document,
        options(target, {
          signal: controller.signal,
          onEvent: (event) => {
            // Aborted while the SUBSCRIBE is on its way: the lease comes after the run gave up on it.
            if (when === 'subscribing' && event.type === 'blockStarted') controller.abort();
          },
        }),
      );
      assert.ok(Date.now() - started < 10_000, when);
      assert.equal(result.cancelled, true);
      assert.equal(result.passed, false);
      assert.deepEqual(result.blocks.map((block) => block.status), ['skipped', 'skipped']);
      assert.equal(result.blocks[0].message, 'Cancelled while it ran.');
      assert.equal(result.blocks[1].message, 'Not run: the run was cancelled.');
      assert.deepEqual(target.subscribed, [`${prefix}/forever`], when);
      assert.equal(target.active.size, 0, when);
    }
  });

  it('SUBSCRIBE shows retained and new messages up to Count; its body narrows them', async () => {
    const publisher = await client();
    await publisher.publishAsync(`${prefix}/r/a`, '{"kind": "sensor", "n": 1}', { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/r/b`, '{"kind": "other"}', { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/r/c`, '{"kind": "sensor", "n": 2}', { qos: 1, retain: true });
    const target = await port();
    const result = await runFile(parseMqttFile(['SUBSCRIBE {{p}}/r/+', 'Count: 2', 'Timeout: 3000', '', '{"kind": "sensor"}'].join('\n')), options(target));
    const block = result.blocks[0];
    assert.equal(block.status, 'passed');
    assert.deepEqual(block.received!.messages.map((message) => [message.topic, message.retain]), [[`${prefix}/r/a`, true], [`${prefix}/r/c`, true]]);
    assert.equal(block.message, `2 messages on ${prefix}/r/+.`);
    // An EXPECT ignores retained messages by default.
    const expect = await runFile(parseMqttFile(['EXPECT {{p}}/r/a', 'Timeout: 300', '', '{"n": 1}'].join('\n')), options(target));
    assert.equal(expect.blocks[0].status, 'failed');
    assert.match(expect.blocks[0].message!, /A retained message sent on subscribing/);
    for (const name of ['a', 'b', 'c']) await publisher.publishAsync(`${prefix}/r/${name}`, '', { qos: 1, retain: true });
  });

  it('Schema: a message that violates it fails with the JSON path; one that fits passes', async () => {
    writeFileSync(join(dir, 'state.schema.json'), JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['on'], properties: { on: { type: 'boolean' }, id: { type: 'string', pattern: '^l[0-9]+$' } } }));
    const publisher = await client();
    const target = await port();
    const document = parseMqttFile(['PUBLISH {{p}}/kick', '', 'x', '', '###', 'EXPECT {{p}}/state', 'Schema: ./state.schema.json', 'Timeout: 2000'].join('\n'));
    await device(`${prefix}/kick`, `${prefix}/state`, () => '{"on": "yes", "id": "l1"}');
    const bad = await runFile(document, options(target));
    assert.equal(bad.blocks[1].status, 'failed');
    assert.match(bad.blocks[1].message!, /does not satisfy the JSON Schema \.\/state\.schema\.json: at \$\.on: must be boolean/);
    assert.equal(bad.blocks[1].expected, '(valid against the JSON Schema ./state.schema.json)');
    publisher.removeAllListeners('message');
    await Promise.all(clients.splice(0).map((one) => one.endAsync()));
    await device(`${prefix}/kick`, `${prefix}/state`, () => '{"on": true, "id": "l7"}');
    const good = await runFile(document, options(target));
    assert.equal(good.blocks[1].status, 'passed', good.blocks[1].message);
    // A schema that is not one makes the block an error, not a failure.
    writeFileSync(join(dir, 'broken.schema.json'), '{"type": ');
    const broken = await runFile(parseMqttFile(['PUBLISH {{p}}/kick', '', 'x', '', '###', 'EXPECT {{p}}/state', 'Schema: ./broken.schema.json', 'Timeout: 2000'].join('\n')), options(target));
    assert.equal(broken.blocks[1].status, 'error');
    assert.match(broken.blocks[1].message!, /broken\.schema\.json: not JSON/);
  });

  it('a payload file is published byte for byte', async () => {
    const bytes = new Uint8Array([0, 1, 2, 0xff, 0x80, 10]);
    writeFileSync(join(dir, 'frame.bin'), bytes);
    const watcher = await client();
    const arrived = new Promise<Buffer>((resolve) => watcher.on('message', (_topic, payload) => resolve(payload)));
    await watcher.subscribeAsync(`${prefix}/frame`);
    const target = await port();
    const result = await runFile(parseMqttFile(['PUBLISH {{p}}/frame', '', '< ./frame.bin'].join('\n')), options(target));
    assert.equal(result.blocks[0].status, 'passed');
    assert.deepEqual(new Uint8Array(await arrived), bytes);
    const missing = await runFile(parseMqttFile(['PUBLISH {{p}}/frame', '', '< ./missing.bin'].join('\n')), options(target));
    assert.equal(missing.blocks[0].status, 'error');
    assert.match(missing.blocks[0].message!, /missing\.bin/);
  });

  it('on MQTT 3.1.1 a REQUEST is an error that says why; a block with unknown variables too', async () => {
    const target = await port(4);
    const result = await runFile(parseMqttFile(['REQUEST {{p}}/x', '', 'a'].join('\n')), options(target));
    assert.equal(result.blocks[0].status, 'error');
    assert.match(result.blocks[0].message!, /^Line 1: A REQUEST needs an MQTT 5 connection/);
    const unknown = await runFile(parseMqttFile(['PUBLISH {{nope}}/x', '', 'a'].join('\n')), options(target));
    assert.equal(unknown.blocks[0].status, 'error');
    assert.match(unknown.blocks[0].message!, /nope/);
  });

  it('a broker that does not answer a publish in time, or a connection that delivers nothing: errors, never a hang or a rejection', async () => {
    const target = await port();
    // The real port, with its publishes held back: as a broker that stopped answering.
    const silent: MqttPort = { ...target, publish: () => new Promise(() => undefined) };
    const document = parseMqttFile(['### Send', 'PUBLISH {{p}}/x', 'QoS: 1', '', 'a', '', '### Check', 'EXPECT {{p}}/y', '', 'b'].join('\n'));
    const stuck = await runFile(document, options(silent, { brokerTimeoutMs: 300 }));
    assert.deepEqual(stuck.blocks.map((block) => block.status), ['error', 'skipped']);
    assert.equal(stuck.blocks[0].message, `Publishing to ${prefix}/x: no answer from the broker in 300 ms.`);
    assert.equal(target.active.size, 0);
    const deaf: MqttPort = {
      ...target,
      onMessage: () => {
        throw new Error('the connection is closed');
      },
    };
    const closed = await runFile(document, options(deaf));
    assert.deepEqual(closed.blocks.map((block) => [block.status, block.message]), [
      ['error', 'The connection cannot deliver messages: the connection is closed'],
      ['skipped', 'Not run: the connection cannot deliver messages.'],
    ]);
  });

  it('only and upTo pick the blocks', async () => {
    const target = await port();
    const document = parseMqttFile(['### one', 'PUBLISH {{p}}/1', '', 'a', '', '### two', 'PUBLISH {{p}}/2', '', 'b', '', '### three', 'PUBLISH {{p}}/3', '', 'c'].join('\n'));
    assert.deepEqual((await runFile(document, options(target), { only: 1 })).blocks.map((block) => block.label), ['two']);
    assert.deepEqual((await runFile(document, options(target), { upTo: 1 })).blocks.map((block) => block.label), ['one', 'two']);
    assert.deepEqual((await runFile(document, options(target), { only: 7 })).blocks, []);
  });
});
