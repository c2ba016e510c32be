import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { headerLine, messageLine, type RecordedMessage } from '../../src/shared/recording/format';
import { Replay, rewriteTopic, type ReplayClock, type ReplayOptions, type ReplayProgress, type ReplayTarget } from '../../src/worker/recording/replay';
import type { MessageProperties } from '../../src/worker/topicTree';
import { formatDuration, parseTimeRange, playingTime, progressLine, replaySummary } from '../../src/shared/replayText';

/** Virtual time: a sleep moves the clock on at once, so timing is checked exactly and without waiting. */
class VirtualClock implements ReplayClock {
  t = 0;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (!signal.aborted) this.t += ms;
  }
}

interface Sent {
  at: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  properties?: MessageProperties;
}

/** Records what it is asked to publish, at the clock's time; `onPublish` may pause, cancel or refuse. */
class RecordingTarget implements ReplayTarget {
  readonly sent: Sent[] = [];
  notReadyReason: string | undefined;
  goneReason: string | undefined;
  /** Publishes from this one on never get their acknowledgement (a broker that went quiet). */
  hangFrom = Infinity;
  onPublish: ((index: number) => void) | undefined;
  refuse: ((topic: string) => string | undefined) | undefined;
  constructor(
    private readonly clock: VirtualClock,
    readonly mqttVersion: 4 | 5 = 5,
  ) {}
  notReady(): string | undefined {
    return this.notReadyReason;
  }
  gone(): string | undefined {
    return this.goneReason;
  }
  async publish(topic: string, payload: Uint8Array, options: { qos: 0 | 1 | 2; retain: boolean; properties?: MessageProperties }): Promise<unknown> {
    const refusal = this.refuse?.(topic);
    if (refusal) throw new Error(refusal);
    this.sent.push({ at: this.clock.now(), topic, payload: Buffer.from(payload), ...options });
    this.onPublish?.(this.sent.length);
    if (this.sent.length >= this.hangFrom) await new Promise(() => undefined);
    return undefined;
  }
}

const message = (time: number, topic: string, payload: string | Uint8Array, extra: Partial<RecordedMessage> = {}): RecordedMessage => ({
  time,
  topic,
  qos: 0,
  retain: false,
  payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
  ...extra,
});

describe('Replay of a recording (timing with an injected clock)', () => {
  let dir: string;
  let file: string;
  const messages = [
    message(1000, 'a/1', 'one', { retain: true, qos: 1 }),
    message(1500, 'a/2', 'two'),
    message(3500, 'b/1', new Uint8Array([0, 0xff, 0x80, 10])),
    message(3600, 'a/3', '{"n":3}', { qos: 2, properties: { contentType: 'application/json', correlationData: new Uint8Array([1, 2, 0xfe]), userProperties: { k: ['v1', 'v2'] } } }),
  ];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    file = join(dir, 'r.mqtt-recording.jsonl');
    writeFileSync(file, headerLine({ startedAt: 1000 }) + messages.map(messageLine).join(''));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function play(options: Partial<ReplayOptions>, setup?: (target: RecordingTarget, replay: Replay, clock: VirtualClock) => void, version: 4 | 5 = 5): Promise<{ target: RecordingTarget; final: ReplayProgress; reports: ReplayProgress[] }> {
    const clock = new VirtualClock();
    const target = new RecordingTarget(clock, version);
    const reports: ReplayProgress[] = [];
    const replay = new Replay({ path: file, timing: { kind: 'original' }, retain: 'keep', ...options }, target, (progress) => reports.push(progress), clock);
    setup?.(target, replay, clock);
    await replay.start();
    const final = await replay.done;
    return { target, final, reports };
  }

  it('original timing: each message at its recorded offset from the first', async () => {
    const { target, final } = await play({});
    assert.deepEqual(target.sent.map((s) => s.at), [0, 500, 2500, 2600]);
    assert.deepEqual(target.sent.map((s) => s.topic), ['a/1', 'a/2', 'b/1', 'a/3']);
    assert.equal(final.state, 'done');
    assert.equal(final.sent, 4);
    assert.equal(final.bytes, 3 + 3 + 4 + 7);
    assert.equal(final.position, 3600);
    assert.equal(final.passes, 1);
    // Bytes, QoS, retain and MQTT 5 properties as recorded.
    assert.deepEqual([...target.sent[2].payload], [0, 0xff, 0x80, 10]);
    assert.deepEqual(target.sent.map((s) => [s.qos, s.retain]), [[1, true], [0, false], [0, false], [2, false]]);
    assert.equal(target.sent[3].properties?.contentType, 'application/json');
    assert.deepEqual([...(target.sent[3].properties?.correlationData ?? [])], [1, 2, 0xfe]);
    assert.deepEqual(target.sent[3].properties?.userProperties, { k: ['v1', 'v2'] });
  });

  it('a speed factor divides the gaps; as fast as possible does not wait', async () => {
    assert.deepEqual((await play({ timing: { kind: 'speed', factor: 2 } })).target.sent.map((s) => s.at), [0, 250, 1250, 1300]);
    assert.deepEqual((await play({ timing: { kind: 'speed', factor: 0.1 } })).target.sent.map((s) => s.at), [0, 5000, 25000, 26000]);
    assert.deepEqual((await play({ timing: { kind: 'asap' } })).target.sent.map((s) => s.at), [0, 0, 0, 0]);
    await assert.rejects(play({ timing: { kind: 'speed', factor: 1000 } }), /speed factor must be from 0.1 to 100/);
  });

  it('loops: each pass starts right after the last message of the one before, until cancelled', async () => {
    const { target, final } = await play({ loop: true }, (t, replay) => (t.onPublish = (n) => (n === 6 ? replay.cancel() : undefined)));
    assert.deepEqual(target.sent.map((s) => s.at), [0, 500, 2500, 2600, 2600, 3100]);
    assert.equal(final.state, 'cancelled');
    assert.equal(final.passes, 1);
    assert.equal(final.sent, 6);
  });

  it('pause and resume: the time paused does not count; cancel stops at once', async () => {
    let paused: Promise<void> | undefined;
    const { target, final } = await play({}, (t, replay, clock) => {
      t.onPublish = (n) => {
        if (n !== 2) return;
        replay.pause();
        assert.equal(replay.state, 'paused');
        // 10 s pass while paused, then it resumes.
        paused = Promise.resolve().then(() => {
          clock.t += 10_000;
          replay.resume();
        });
      };
    });
    await paused;
    assert.deepEqual(target.sent.map((s) => s.at), [0, 500, 12_500, 12_600]);
    assert.equal(final.state, 'done');

    const cancelled = await play({}, (t, replay) => (t.onPublish = (n) => (n === 2 ? replay.cancel() : undefined)));
    assert.equal(cancelled.final.state, 'cancelled');
    assert.equal(cancelled.target.sent.length, 2);
    assert.equal(cancelled.final.sent, 2);
  });

  it('cancel while paused ends the replay', async () => {
    const { final, target } = await play({}, (t, replay) => {
      t.onPublish = (n) => {
        if (n !== 1) return;
        replay.pause();
        queueMicrotask(() => replay.cancel());
      };
    });
    assert.equal(final.state, 'cancelled');
    assert.equal(target.sent.length, 1);
  });

  it('a time range and topic filters select the messages; the timing starts at the first selected', async () => {
    const range = await play({ from: 1500, to: 3600 });
    assert.deepEqual(range.target.sent.map((s) => [s.topic, s.at]), [['a/2', 0], ['b/1', 2000]]);
    const filtered = await play({ topics: ['a/+'] });
    assert.deepEqual(filtered.target.sent.map((s) => [s.topic, s.at]), [['a/1', 0], ['a/2', 500], ['a/3', 2600]]);
    await assert.rejects(play({ topics: ['a/#/b'] }), /# is only allowed as the last level/);
    await assert.rejects(play({ from: 5, to: 5 }), /time range is empty/);
  });

  it('rewrites a leading prefix or adds one; strips retain flags', async () => {
    const replaced = await play({ timing: { kind: 'asap' }, prefix: { replace: 'a/', with: 'lab/x/' } });
    assert.deepEqual(replaced.target.sent.map((s) => s.topic), ['lab/x/1', 'lab/x/2', 'b/1', 'lab/x/3']);
    const added = await play({ timing: { kind: 'asap' }, prefix: { with: 'replay/' }, retain: 'strip' });
    assert.deepEqual(added.target.sent.map((s) => s.topic), ['replay/a/1', 'replay/a/2', 'replay/b/1', 'replay/a/3']);
    assert.ok(added.target.sent.every((s) => !s.retain));
    assert.equal(rewriteTopic('/x', { replace: '/', with: '' }), 'x');
    await assert.rejects(play({ prefix: { with: 'a/#' } }), /cannot contain \+, #/);
  });

  it('MQTT 5 properties are dropped (and counted) for a 3.1.1 target', async () => {
    const { target, final } = await play({ timing: { kind: 'asap' } }, undefined, 4);
    assert.equal(target.sent[3].properties, undefined);
    assert.equal(final.propertiesDropped, 1);
  });

  it('bad lines are skipped with their line numbers; $ topics are not published; refusals are counted and the replay goes on', async () => {
    const bad = join(dir, 'bad.mqtt-recording.jsonl');
    writeFileSync(bad, [headerLine({ startedAt: 0 }), 'not json\n', messageLine(message(10, '$SYS/broker/uptime', '5')), '{"time":1,"topic":"x","qos":7,"retain":false,"payload":""}\n', messageLine(message(20, 'ok/1', 'a')), messageLine(message(30, 'no/1', 'b'))].join(''));
    const { target, final } = await play({ path: bad, timing: { kind: 'asap' } }, (t) => (t.refuse = (topic) => (topic === 'no/1' ? 'The broker refused the message: Not authorized (0x87).' : undefined)));
    assert.deepEqual(target.sent.map((s) => s.topic), ['ok/1']);
    assert.equal(final.skipped, 2);
    assert.deepEqual(final.skippedLines.map((s) => s.line), [2, 4]);
    assert.match(final.skippedLines[1].reason, /"qos" must be 0, 1 or 2/);
    assert.equal(final.systemTopics, 1);
    assert.equal(final.refused, 1);
    assert.match(final.lastRefusal ?? '', /^no\/1: .*Not authorized/);
    assert.equal(final.state, 'done');
  });

  it('a connection that is not connected pauses the replay with why; on resume the held message goes first', async () => {
    let resumed: Promise<void> | undefined;
    const reports: ReplayProgress[] = [];
    const { target, final } = await play({ timing: { kind: 'asap' } }, (t, replay) => {
      t.onPublish = (n) => {
        if (n === 1) t.notReadyReason = 'Broker B is reconnecting.';
      };
      const original = replay.pause.bind(replay);
      replay.pause = (reason?: string) => {
        original(reason);
        reports.push(replay.snapshot());
        resumed = Promise.resolve().then(() => {
          t.notReadyReason = undefined;
          replay.resume();
        });
      };
    });
    await resumed;
    assert.equal(reports[0].state, 'paused');
    assert.match(reports[0].reason ?? '', /Broker B is reconnecting\. The replay is paused/);
    assert.equal(reports[0].sent, 1);
    assert.deepEqual(target.sent.map((s) => s.topic), ['a/1', 'a/2', 'b/1', 'a/3']);
    assert.equal(final.sent, 4);
  });

  it('cancel ends a replay at once even while a publish waits for an acknowledgement that does not come', async () => {
    const { final, target } = await play({ timing: { kind: 'asap' } }, (t, replay) => {
      t.hangFrom = 2;
      t.onPublish = (n) => (n === 2 ? setImmediate(() => replay.cancel()) : undefined);
    });
    assert.equal(final.state, 'cancelled');
    assert.equal(target.sent.length, 2);
    // The second was handed to the connection but never acknowledged: not counted as sent, counted apart.
    assert.equal(final.sent, 1);
    assert.equal(final.unacknowledged, 1);
  });

  it('a connection removed during the replay ends it as failed, saying so', async () => {
    const { final } = await play({ timing: { kind: 'asap' } }, (t) => (t.onPublish = (n) => (n === 2 ? (t.goneReason = 'Broker B was removed.') : undefined)));
    assert.equal(final.state, 'failed');
    assert.equal(final.reason, 'Broker B was removed.');
    assert.equal(final.sent, 2);
  });

  it('reads gzip-compressed recordings; a dry run counts without publishing; a file that is no recording is refused', async () => {
    const gz = join(dir, 'r.mqtt-recording.jsonl.gz');
    writeFileSync(gz, gzipSync(headerLine({ startedAt: 1000 }) + messages.map(messageLine).join('')));
    const gzipped = await play({ path: gz, timing: { kind: 'asap' } });
    assert.equal(gzipped.target.sent.length, 4);
    const dry = await play({ path: gz, dryRun: true, topics: ['a/#'] });
    assert.equal(dry.target.sent.length, 0);
    assert.deepEqual([dry.final.sent, dry.final.bytes, dry.final.firstTime, dry.final.lastTime], [3, 13, 1000, 3600]);
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, '{"a":1}\n');
    await assert.rejects(play({ path: other }), /is not a recording/);
    await assert.rejects(play({ path: join(dir, 'missing.jsonl') }), /ENOENT/);
  });

  it('bounded memory: a 64 MiB recording replays with the heap growing by less than the file (measured: about 20 MiB)', async function () {
    this.timeout(60_000);
    const big = join(dir, 'big.mqtt-recording.jsonl');
    const { openSync, writeSync, closeSync, statSync } = await import('node:fs');
    const fd = openSync(big, 'w');
    writeSync(fd, headerLine({ startedAt: 0 }));
    const payload = 'x'.repeat(1000);
    for (let chunk = 0; chunk < 64; chunk++) {
      let text = '';
      for (let i = 0; i < 1024; i++) text += messageLine(message(chunk * 1024 + i, `big/${i % 100}`, payload));
      writeSync(fd, text);
    }
    closeSync(fd);
    const size = statSync(big).size;
    assert.ok(size > 64 * 1024 * 1024, `${size} bytes`);
    const before = process.memoryUsage();
    let peak = 0;
    const sample = () => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers);
    };
    const clock = new VirtualClock();
    let count = 0;
    const target: ReplayTarget = {
      mqttVersion: 5,
      notReady: () => undefined,
      publish: async () => {
        if (++count % 2000 === 0) sample();
      },
    };
    const replay = new Replay({ path: big, timing: { kind: 'asap' }, retain: 'keep' }, target, () => undefined, clock);
    await replay.start();
    const final = await replay.done;
    assert.equal(final.sent, 64 * 1024);
    // Holding the file would take more than its size (JSON strings, payload copies); streaming leaves garbage of about 20 MiB between collections.
    assert.ok(peak < size * 0.75, `the heap grew by ${(peak / 1024 / 1024).toFixed(1)} MiB while replaying ${(size / 1024 / 1024).toFixed(0)} MiB`);
  });

  it('reports progress at most a few times a second, and every change of state', async () => {
    const many = join(dir, 'many.mqtt-recording.jsonl');
    const lines = [headerLine({ startedAt: 0 })];
    // 2,000 messages 10 ms apart: 20 s of recording.
    for (let i = 0; i < 2000; i++) lines.push(messageLine(message(i * 10, `t/${i % 7}`, `${i}`)));
    writeFileSync(many, lines.join(''));
    const { final, reports } = await play({ path: many });
    assert.equal(final.sent, 2000);
    // 20 s of virtual time at 4 a second, plus the start and the end.
    assert.ok(reports.length <= 20 * 4 + 3, `${reports.length} reports`);
    assert.equal(reports.at(-1)?.state, 'done');
    assert.ok(final.fileOffset && final.fileOffset === final.fileSize, `${final.fileOffset} of ${final.fileSize}`);
  });
});

describe('What the extension says of a replay (src/shared/replayText.ts)', () => {
  const base: ReplayProgress = { state: 'running', sent: 0, bytes: 0, passes: 0, skipped: 0, skippedLines: [], refused: 0, unacknowledged: 0, systemTopics: 0, propertiesDropped: 0 };
  it('durations, the progress line and the summary with everything not sent', () => {
    assert.deepEqual([formatDuration(250), formatDuration(12_340), formatDuration(185_000), formatDuration(3_725_000)], ['250 ms', '12 s', '3 min 05 s', '1 h 02 min']);
    assert.equal(playingTime(60_000, { kind: 'speed', factor: 4 }), 15_000);
    assert.equal(playingTime(60_000, { kind: 'asap' }), undefined);
    assert.equal(
      progressLine({ ...base, sent: 120, bytes: 2048, position: 45_000, refused: 2 }, { messages: 1234, firstTime: 0, lastTime: 723_000 }),
      '120 of 1,234 messages · 2.0 KiB · 45 s of 12 min 03 s played · 2 refused',
    );
    const summary = replaySummary({ ...base, state: 'done', sent: 10, bytes: 100, refused: 1, lastRefusal: 'x/y: Not authorized', skipped: 2, skippedLines: [{ line: 3, reason: 'not JSON' }], systemTopics: 4, propertiesDropped: 5 }, 'Broker B');
    assert.match(summary, /^Replay to Broker B finished\. 10 messages sent \(100 B\); 1 refused \(last: x\/y: Not authorized\); 2 lines skipped \(line 3: not JSON\); 4 on \$ topics not published .*; 5 without their MQTT 5 properties/);
    assert.match(replaySummary({ ...base, state: 'failed', reason: 'ENOENT' }, 'B'), /^Replay to B failed: ENOENT\. 0 messages sent/);
  });

  it('time ranges typed as offsets from the recording\'s start', () => {
    assert.deepEqual(parseTimeRange('60-300', 1000), { from: 61_000, to: 301_000 });
    assert.deepEqual(parseTimeRange(' 1:00 - 1:02:03.5 ', 0), { from: 60_000, to: 3_723_500 });
    assert.deepEqual(parseTimeRange('-2:30', 0), { to: 150_000 });
    assert.deepEqual(parseTimeRange('10-', 0), { from: 10_000 });
    assert.match(parseTimeRange('-', 0) as string, /A range such as/);
    assert.match(parseTimeRange('5-5', 0) as string, /must come before its end/);
    assert.match(parseTimeRange('abc-5', 0) as string, /"abc" is no time/);
  });
});
