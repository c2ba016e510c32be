import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EngineClient } from '../../src/host/engine/engineClient';
import type { RecordingStatus } from '../../src/shared/engineProtocol';
import { readRecordingLines } from '../../src/shared/recording/reader';
import { Mosquitto } from '../helpers/mosquitto';
import { connectSubscribed } from '../helpers/engine';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

interface Seen {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** Messages by topic, in the order received: what a subscriber must agree on (MQTT orders per topic). */
function byTopic(messages: Seen[]): Map<string, Seen[]> {
  const map = new Map<string, Seen[]>();
  for (const message of messages) {
    const list = map.get(message.topic) ?? [];
    list.push(message);
    map.set(message.topic, list);
  }
  return map;
}

describe('Recording in the engine worker (a real worker thread, Debian mosquitto)', function () {
  this.timeout(180_000);
  let broker: Mosquitto;
  let engine: EngineClient;
  let dir: string;

  const recordingEvent = (id: string, predicate: (status: RecordingStatus) => boolean, timeoutMs: number, what: string) =>
    waitFor(
      (listener: (value: RecordingStatus) => void) => engine.onEvent((event) => (event.kind === 'recording' && event.status.id === id ? listener(event.status) : undefined)),
      predicate,
      timeoutMs,
      what,
    );

  before(async () => {
    broker = await Mosquitto.create();
    engine = new EngineClient(WORKER);
    dir = mkdtempSync(join(tmpdir(), 'mqtt-explorer-recording-'));
  });
  after(async () => {
    engine?.dispose();
    await broker?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records a 100,000-message flood byte for byte, as a reference MQTT.js subscriber received it (per topic, in order)', async () => {
    const url = `mqtt://127.0.0.1:${broker.ports.plain}`;
    const subscriptions = [
      { topic: 'flood/#', qos: 0 as const },
      { topic: '/flood/#', qos: 0 as const },
    ];
    await connectSubscribed(engine, 'flood', { port: broker.ports.plain, subscriptions });
    const reference = await mqtt.connectAsync(url, { clientId: 'reference-subscriber' });
    const referenceSeen: Seen[] = [];
    reference.on('message', (topic, payload, packet) => referenceSeen.push({ topic, payload: Buffer.from(payload), qos: packet.qos, retain: packet.retain }));
    await reference.subscribeAsync(subscriptions.map((s) => s.topic), { qos: 0 });

    const started = await engine.request('startRecording', { connectionId: 'flood', path: join(dir, 'flood'), scope: { kind: 'all' }, gzip: false, maxBytes: 0, maxMs: 0, rotate: false });
    assert.equal(started.file, join(dir, 'flood.mqtt-recording.jsonl'));
    const total = 100_000;
    const publisher = await mqtt.connectAsync(url, { clientId: 'flood-publisher' });
    for (let i = 0; i < total; i++) {
      // A leading `/`, an empty level, Unicode; binary (not UTF-8), JSON text, a BOM, empty payloads.
      const topic = i % 4 === 0 ? `/flood/dev-${i % 50}` : i % 4 === 1 ? `flood//x/${i % 20}` : `flood/a/${i % 200}/é`;
      const kind = i % 5;
      const payload =
        kind === 0 ? randomBytes(i % 64) : kind === 1 ? Buffer.from(`{"i":${i},"t":"ü€😀"}`) : kind === 2 ? Buffer.from(`\ufeffbom ${i}`) : kind === 3 ? Buffer.from([0xff, 0xfe, i & 0xff, 0x00, 0xc3]) : Buffer.alloc(0);
      publisher.publish(topic, payload, { qos: 0 });
      // Now and then the publisher waits for its socket: the flood stays a flood, but one the broker can queue.
      if (i % 2000 === 1999) await new Promise<void>((resolve) => publisher.publish('flood/sync', '', { qos: 1 }, () => resolve()));
    }
    await publisher.endAsync();
    const expected = total + total / 2000;
    const recorded = await recordingEvent(started.id, (s) => s.messages + s.dropped >= expected, 120_000, `${expected} messages recorded`);
    assert.equal(recorded.dropped, 0, 'nothing dropped');
    const final = await engine.request('stopRecording', { recordingId: started.id });
    assert.equal(final?.state, 'stopped');
    assert.equal(final?.messages, expected);
    if (referenceSeen.length < expected) await waitFor((listener: (n: number) => void) => {
      const onMessage = () => listener(referenceSeen.length);
      reference.on('message', onMessage);
      return { dispose: () => reference.off('message', onMessage) };
    }, (n) => n >= expected, 30_000, 'the reference subscriber');
    await reference.endAsync();
    const memory = await engine.request('memory', {});

    const recordedMessages: Seen[] = [];
    let headers = 0;
    for await (const line of readRecordingLines(final?.file ?? '')) {
      if (line.parsed.kind === 'header') headers++;
      else if (line.parsed.kind === 'message') {
        const m = line.parsed.message;
        recordedMessages.push({ topic: m.topic, payload: Buffer.from(m.payload), qos: m.qos, retain: m.retain });
      } else assert.fail(`line ${line.line}: ${line.parsed.error}`);
    }
    assert.equal(headers, 1);
    assert.equal(recordedMessages.length, referenceSeen.length);
    const want = byTopic(referenceSeen);
    const got = byTopic(recordedMessages);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    assert.ok(want.has('/flood/dev-0') && want.has('flood//x/1'));
    for (const [topic, list] of want) {
      const mine = got.get(topic) ?? [];
      assert.equal(mine.length, list.length, topic);
      for (let i = 0; i < list.length; i++) {
        if (!mine[i].payload.equals(list[i].payload) || mine[i].qos !== list[i].qos || mine[i].retain !== list[i].retain) {
          assert.fail(`${topic} message ${i}: recorded ${mine[i].payload.toString('hex')} (qos ${mine[i].qos}), reference ${list[i].payload.toString('hex')} (qos ${list[i].qos})`);
        }
      }
    }
    console.log(`      flood: ${recordedMessages.length.toLocaleString('en-US')} messages, ${(final?.bytes ?? 0).toLocaleString('en-US')} bytes recorded; worker heap ${((memory.heapUsed + memory.arrayBuffers) / 1048576).toFixed(1)} MiB, rss ${(memory.rss / 1048576).toFixed(1)} MiB`);
    await engine.request('remove', { connectionId: 'flood' });
  });

  it('a full disk stops that recording with a clear message; the connection, its tree and another recording go on', async function () {
    const small = join(tmpdir(), `mqtt-explorer-recording-full-${process.pid}`);
    mkdirSync(small, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small], { stdio: 'pipe' });
    } catch {
      rmSync(small, { recursive: true, force: true });
      this.skip();
    }
    try {
      const url = `mqtt://127.0.0.1:${broker.ports.plain}`;
      await connectSubscribed(engine, 'full', { port: broker.ports.plain, subscriptions: [{ topic: 'full/#', qos: 0 }] });
      const full = await engine.request('startRecording', { connectionId: 'full', path: join(small, 'full'), scope: { kind: 'all' }, gzip: false, maxBytes: 0, maxMs: 0, rotate: false });
      const other = await engine.request('startRecording', { connectionId: 'full', path: join(dir, 'beside'), scope: { kind: 'subtree', topic: 'full' }, gzip: true, maxBytes: 0, maxMs: 0, rotate: false });
      const failed = recordingEvent(full.id, (s) => s.state === 'failed', 30_000, 'the recording on the full disk to fail');
      const publisher = await mqtt.connectAsync(url, { clientId: 'full-publisher' });
      const payload = Buffer.alloc(2000, 'd');
      for (let i = 0; i < 500; i++) await publisher.publishAsync(`full/${i % 10}`, payload, { qos: 1 });
      const status = await failed;
      assert.match(status.error ?? '', /^Recording to .*full\.mqtt-recording\.jsonl stopped: the disk is full \(ENOSPC\)\. [\d,]+ messages were written before/);
      // The connection still takes messages, its tree keeps them, the other recording records them.
      await publisher.publishAsync('full/after', 'still here', { qos: 1 });
      const stillThere = await waitFor(
        (listener: (n: number) => void) => {
          const timer = setInterval(() => void engine.request('node', { connectionId: 'full', topic: 'full/after', history: 1 }).then((node) => listener(node?.snapshot.messageCount ?? 0)), 50);
          return { dispose: () => clearInterval(timer) };
        },
        (count) => count === 1,
        10_000,
        'full/after in the tree',
      );
      assert.equal(stillThere, 1);
      await publisher.endAsync();
      const beside = await engine.request('stopRecording', { recordingId: other.id });
      assert.equal(beside?.state, 'stopped');
      assert.equal(beside?.messages, 501);
      const list = await engine.request('recordings', {});
      assert.equal(list.find((s) => s.id === full.id)?.state, 'failed');
      await engine.request('remove', { connectionId: 'full' });
    } finally {
      try {
        execFileSync('umount', [small], { stdio: 'pipe' });
      } catch {
        // not mounted
      }
      rmSync(small, { recursive: true, force: true });
    }
  });
});
