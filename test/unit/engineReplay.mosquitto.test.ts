import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { EngineClient } from '../../src/host/engine/engineClient';
import { headerLine, messageLine, type RecordedMessage } from '../../src/shared/recording/format';
import type { ReplayProgress } from '../../src/worker/recording/replay';
import { newProfile } from '../../src/shared/profile';
import { Mosquitto } from '../helpers/mosquitto';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

interface Seen {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  contentType?: string;
  correlationData?: Buffer;
  userProperties?: unknown;
}

/**
 * A TCP relay between the engine and broker B that reads the MQTT packets going each way, in the
 * order it forwards them: what shows that a QoS 2 publish waited for its PUBCOMP before the next.
 */
class PacketRelay {
  readonly log: { dir: 'out' | 'in'; cmd: string; messageId?: number; qos?: number }[] = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}
  static async start(brokerPort: number): Promise<PacketRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const relay = new PacketRelay(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (client) => {
      const upstream = createConnection(brokerPort, '127.0.0.1');
      const outParser = mqttPacket.parser({ protocolVersion: 5 });
      const inParser = mqttPacket.parser({ protocolVersion: 5 });
      outParser.on('packet', (p) => relay.log.push({ dir: 'out', cmd: p.cmd, messageId: 'messageId' in p ? p.messageId : undefined, qos: p.cmd === 'publish' ? p.qos : undefined }));
      inParser.on('packet', (p) => relay.log.push({ dir: 'in', cmd: p.cmd, messageId: 'messageId' in p ? p.messageId : undefined }));
      client.on('data', (chunk) => {
        outParser.parse(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        inParser.parse(chunk);
        client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    return relay;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('Replay through the engine worker: recorded from one Debian mosquitto, replayed to another', function () {
  this.timeout(60_000);
  let brokerA: Mosquitto;
  let brokerB: Mosquitto;
  let relay: PacketRelay;
  let engine: EngineClient;
  let dir: string;
  let recording: string;
  /** What the recorder on A received, in its order: the file's messages. */
  let recorded: RecordedMessage[];
  let published: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; properties?: mqtt.IClientPublishOptions['properties'] }[];

  const replayDone = (replayId: string, timeoutMs = 30_000) =>
    waitFor(
      (listener: (value: ReplayProgress) => void) => engine.onEvent((event) => (event.kind === 'replay' && event.replayId === replayId ? listener(event.progress) : undefined)),
      (progress) => progress.state !== 'running' && progress.state !== 'paused',
      timeoutMs,
      `replay ${replayId} to end`,
    );

  before(async () => {
    [brokerA, brokerB] = await Promise.all([Mosquitto.create(), Mosquitto.create()]);
    relay = await PacketRelay.start(brokerB.ports.plain);
    dir = mkdtempSync(join(tmpdir(), 'replay-mosquitto-'));
    recording = join(dir, 'a.mqtt-recording.jsonl');
    // Every kind of payload: JSON, text, binary (not UTF-8), empty, a UTF-8 BOM; topics with a leading /, empty levels, Unicode.
    published = [];
    for (let i = 0; i < 60; i++) {
      const qos = (i % 3) as 0 | 1 | 2;
      const kinds = [Buffer.from(`{"n":${i},"t":21.5}`), Buffer.from(`text ${i} ✓`), Buffer.from([0, 0xff, 0xfe, i, 0x80, 0xc3]), Buffer.alloc(0), Buffer.from(`\ufeffbom ${i}`)];
      const topics = [`plant/line-${i}/temp`, `/devices/${i}`, `a//b/${i}`, `ünï/cödé/${i}`];
      const entry: (typeof published)[number] = { topic: topics[i % topics.length], payload: kinds[i % kinds.length], qos, retain: i % 7 === 0 && i % 5 !== 3 };
      if (i % 6 === 1) entry.properties = { contentType: 'application/x-test', correlationData: Buffer.from([i, 0, 0xff]), userProperties: { source: 'replay-test', n: [`${i}`, 'again'] } };
      published.push(entry);
    }

    // Records from broker A with a plain MQTT.js subscriber, into the recording format.
    const recorder = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerA.ports.plain}`, { protocolVersion: 5, clientId: 'recorder' });
    recorded = [];
    const lines: string[] = [headerLine({ startedAt: Date.now(), connection: 'A', broker: 'mqtt://127.0.0.1', filters: ['#'] })];
    const all = new Promise<void>((resolve) => {
      // PUBLISH packets as they arrive (MQTT.js emits a QoS 2 'message' only at PUBREL, after later QoS 0 ones): the broker's order.
      recorder.on('packetreceive', (packet) => {
        if (packet.cmd !== 'publish') return;
        const { topic, payload } = packet;
        const message: RecordedMessage = { time: Date.now(), topic, qos: packet.qos, retain: packet.retain, payload: new Uint8Array(Buffer.from(payload)) };
        const p = packet.properties;
        if (p && (p.contentType || p.correlationData || p.userProperties)) {
          message.properties = {};
          if (p.contentType) message.properties.contentType = p.contentType;
          if (p.correlationData) message.properties.correlationData = new Uint8Array(p.correlationData);
          if (p.userProperties) message.properties.userProperties = p.userProperties as Record<string, string | string[]>;
        }
        lines.push(messageLine(message));
        recorded.push(message);
        if (lines.length === published.length + 1) resolve();
      });
    });
    // Retain as published: the retain flag of a live message reaches the recorder as it was sent.
    await recorder.subscribeAsync('#', { qos: 2, rap: true });
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerA.ports.plain}`, { protocolVersion: 5, clientId: 'device' });
    for (const p of published) await publisher.publishAsync(p.topic, p.payload, { qos: p.qos, retain: p.retain, ...(p.properties ? { properties: p.properties } : {}) });
    await all;
    await publisher.endAsync();
    await recorder.endAsync();
    writeFileSync(recording, lines.join(''));

    engine = new EngineClient(WORKER);
    const connected = waitFor(
      (listener: (value: boolean) => void) => engine.onEvent((event) => (event.kind === 'state' && event.connectionId === 'b' ? listener(event.state.kind === 'connected') : undefined)),
      (ok) => ok,
      5000,
      'the engine connected to B',
    );
    await engine.request('connect', {
      connectionId: 'b',
      // Through the relay; subscribed to nothing, so that the engine itself is only a publisher here.
      profile: newProfile('b', { name: 'Broker B', host: '127.0.0.1', port: relay.port, mqttVersion: 5, subscriptions: [] }),
      secrets: {},
      backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
    });
    await connected;
  });

  after(async () => {
    engine?.dispose();
    await relay?.close();
    await brokerA?.dispose();
    await brokerB?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reference subscriber on B sees the same topics, payloads (byte for byte), QoS, retain flags, properties and order; QoS 1 and 2 publishes each wait for their acknowledgement', async () => {
    const reference = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerB.ports.plain}`, { protocolVersion: 5, clientId: 'reference' });
    const seen: Seen[] = [];
    const allSeen = new Promise<void>((resolve) => {
      reference.on('packetreceive', (packet) => {
        if (packet.cmd !== 'publish') return;
        const { topic, payload } = packet;
        seen.push({ topic, payload: Buffer.from(payload), qos: packet.qos, retain: packet.retain, contentType: packet.properties?.contentType, correlationData: packet.properties?.correlationData, userProperties: packet.properties?.userProperties });
        if (seen.length === published.length) resolve();
      });
    });
    await reference.subscribeAsync('#', { qos: 2, rap: true });
    relay.log.length = 0;
    const done = replayDone('r1');
    await engine.request('startReplay', { replayId: 'r1', connectionId: 'b', options: { path: recording, timing: { kind: 'asap' }, retain: 'keep' } });
    const final = await done;
    await allSeen;
    await reference.endAsync();
    assert.equal(final.state, 'done', final.reason);
    assert.deepEqual([final.sent, final.refused, final.skipped, final.propertiesDropped], [published.length, 0, 0, 0]);
    assert.equal(final.bytes, published.reduce((sum, p) => sum + p.payload.length, 0));
    // The recording holds every published message, byte for byte; the replay reproduces the recording in its order.
    const key = (topic: string, payload: Uint8Array) => `${topic} ${Buffer.from(payload).toString('hex')}`;
    assert.deepEqual(recorded.map((m) => key(m.topic, m.payload)).sort(), published.map((p) => key(p.topic, p.payload)).sort());
    assert.deepEqual(
      seen.map((s) => s.topic),
      recorded.map((m) => m.topic),
    );
    const inOrder = recorded.map((m) => published.find((p) => key(p.topic, p.payload) === key(m.topic, m.payload))!);
    for (const [index, p] of inOrder.entries()) {
      const s = seen[index];
      assert.ok(s.payload.equals(p.payload), `payload ${index}: ${s.payload.toString('hex')} != ${p.payload.toString('hex')}`);
      assert.equal(s.qos, p.qos, `qos ${index}`);
      assert.equal(s.retain, p.retain, `retain ${index}`);
      if (p.properties) {
        assert.equal(s.contentType, p.properties.contentType);
        assert.ok(s.correlationData?.equals(p.properties.correlationData as Buffer), `correlation data ${index}`);
        assert.deepEqual({ ...(s.userProperties as object) }, p.properties.userProperties);
      } else {
        assert.equal(s.contentType, undefined);
      }
    }
    // Each QoS 1 or 2 PUBLISH the engine sent was acknowledged (PUBACK; PUBREC…PUBCOMP) before its next PUBLISH left.
    const out = relay.log;
    const publishes = out.map((entry, index) => ({ entry, index })).filter(({ entry }) => entry.dir === 'out' && entry.cmd === 'publish');
    assert.equal(publishes.length, published.length);
    for (let k = 0; k + 1 < publishes.length; k++) {
      const { entry, index } = publishes[k];
      if (!entry.qos) continue;
      const ack = entry.qos === 1 ? 'puback' : 'pubcomp';
      const acked = out.findIndex((e, at) => at > index && e.dir === 'in' && e.cmd === ack && e.messageId === entry.messageId);
      assert.ok(acked > index && acked < publishes[k + 1].index, `publish ${k} (QoS ${entry.qos}, id ${entry.messageId}): its ${ack} at ${acked}, the next PUBLISH at ${publishes[k + 1].index}`);
    }
  });

  it('original timing in real time, a topic filter, a prefix, retain stripped; a paused replay resumes; the selection is counted by a dry run', async () => {
    const timed = join(dir, 'timed.mqtt-recording.jsonl');
    const start = 1_764_931_200_000;
    writeFileSync(timed, [headerLine({ startedAt: start }), ...[0, 300, 600, 650].map((offset, i) => messageLine({ time: start + offset, topic: i === 3 ? 'other/x' : `s/${i}`, qos: 1, retain: true, payload: Buffer.from(`${i}`) }))].join(''));
    const dry = replayDone('dry');
    await engine.request('startReplay', { replayId: 'dry', options: { path: timed, timing: { kind: 'original' }, retain: 'keep', topics: ['s/#'], dryRun: true } });
    const counted = await dry;
    assert.deepEqual([counted.state, counted.sent, counted.firstTime, counted.lastTime], ['done', 3, start, start + 600]);

    const reference = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerB.ports.plain}`, { protocolVersion: 5, clientId: 'reference-2' });
    const arrivals: { topic: string; at: number; retain: boolean }[] = [];
    const three = new Promise<void>((resolve) =>
      reference.on('message', (topic, _payload, packet) => {
        arrivals.push({ topic, at: performance.now(), retain: packet.retain });
        if (arrivals.length === 3) resolve();
      }),
    );
    await reference.subscribeAsync('lab/#', { qos: 1, rap: true });
    const done = replayDone('r2');
    const paused = waitFor(
      (listener: (value: ReplayProgress) => void) => engine.onEvent((event) => (event.kind === 'replay' && event.replayId === 'r2' ? listener(event.progress) : undefined)),
      (progress) => progress.state === 'paused',
      5000,
      'the pause',
    );
    await engine.request('startReplay', { replayId: 'r2', connectionId: 'b', options: { path: timed, timing: { kind: 'original' }, retain: 'strip', topics: ['s/#'], prefix: { replace: 's/', with: 'lab/' } } });
    await engine.request('pauseReplay', { replayId: 'r2' });
    const atPause = await paused;
    const pausedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await engine.request('resumeReplay', { replayId: 'r2' });
    const final = await done;
    await three;
    await reference.endAsync();
    assert.equal(final.state, 'done');
    assert.equal(final.sent, 3);
    assert.ok(atPause.sent <= 1, `sent before the pause: ${atPause.sent}`);
    assert.deepEqual(
      arrivals.map((a) => a.topic),
      ['lab/0', 'lab/1', 'lab/2'],
    );
    assert.ok(arrivals.every((a) => !a.retain));
    // 300 ms apart as recorded (timers are late, never early), and the pause's 400 ms do not count as played time.
    assert.ok(arrivals[1].at - pausedAt >= 400, `second ${arrivals[1].at - pausedAt} ms after the pause`);
    assert.ok(arrivals[1].at - arrivals[0].at >= 600, `first to second ${arrivals[1].at - arrivals[0].at} ms`);
    assert.ok(arrivals[2].at - arrivals[1].at >= 250, `gap ${arrivals[2].at - arrivals[1].at} ms`);
  });
});
