import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partPath, Recorder, scopeError, type RecorderOptions, type RecorderStatus } from '../../src/worker/recording/recorder';
import { recordingPath } from '../../src/worker/recording/recordings';
import { readRecordingLines } from '../../src/shared/recording/reader';
import type { RecordedMessage, RecordingHeader } from '../../src/shared/recording/format';
import { waitUntil } from '../helpers/waitFor';

/** Every header and message of a file, read back with the format's own reader. */
async function readBack(path: string): Promise<{ headers: RecordingHeader[]; messages: RecordedMessage[]; errors: string[] }> {
  const headers: RecordingHeader[] = [];
  const messages: RecordedMessage[] = [];
  const errors: string[] = [];
  for await (const line of readRecordingLines(path)) {
    if (line.parsed.kind === 'header') headers.push(line.parsed.header);
    else if (line.parsed.kind === 'message') messages.push(line.parsed.message);
    else errors.push(`line ${line.line}: ${line.parsed.error}`);
  }
  return { headers, messages, errors };
}

function ended(recorder: Recorder): Promise<RecorderStatus> {
  return new Promise((resolve) => (recorder.onEnded = resolve));
}

describe('Recorder (src/worker/recording/recorder.ts): a connection\'s messages to a file', function () {
  this.timeout(20_000);
  let dir: string;
  const options = (name: string, more: Partial<RecorderOptions> = {}): RecorderOptions => ({
    path: join(dir, `${name}.mqtt-recording.jsonl${more.gzip ? '.gz' : ''}`),
    scope: { kind: 'all' },
    gzip: false,
    maxBytes: 0,
    maxMs: 0,
    rotate: false,
    connection: 'Test broker',
    broker: 'mqtt://127.0.0.1:1883',
    ...more,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-explorer-recorder-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a header and every message as received: text, binary, a leading /, MQTT 5 properties', async () => {
    const recorder = new Recorder(options('basic', { path: join(dir, 'new-folder', 'basic.mqtt-recording.jsonl') }));
    await recorder.start();
    const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x80]);
    recorder.offer('/leading/slash', new TextEncoder().encode('{"on":true}'), 1, false, 1000, undefined);
    recorder.offer('bin', binary, 0, true, 1001, { contentType: 'application/octet-stream', correlationData: new Uint8Array([1, 2]), userProperties: { a: ['1', '2'] } });
    recorder.offer('empty', new Uint8Array(0), 2, false, 1002, undefined);
    await recorder.stop();
    const status = recorder.status();
    assert.equal(status.state, 'stopped');
    assert.equal(status.messages, 3);
    assert.equal(status.dropped, 0);
    assert.equal(status.bytes, statSync(status.file).size);
    const { headers, messages, errors } = await readBack(status.file);
    assert.deepEqual(errors, []);
    assert.equal(headers.length, 1);
    assert.deepEqual(headers[0].filters, ['#']);
    assert.equal(headers[0].connection, 'Test broker');
    assert.equal(headers[0].part, undefined, 'no part without rotation');
    assert.deepEqual(messages.map((m) => [m.topic, m.qos, m.retain, m.time]), [['/leading/slash', 1, false, 1000], ['bin', 0, true, 1001], ['empty', 2, false, 1002]]);
    assert.deepEqual(new Uint8Array(messages[1].payload), binary);
    assert.equal(messages[1].properties?.contentType, 'application/octet-stream');
    assert.deepEqual(messages[1].properties?.userProperties, { a: ['1', '2'] });
    assert.deepEqual([...(messages[1].properties?.correlationData ?? [])], [1, 2]);
  });

  it('records a subtree (a/b and below, not a/bc) or filters', async () => {
    const subtree = new Recorder(options('subtree', { scope: { kind: 'subtree', topic: 'a/b' } }));
    const filters = new Recorder(options('filters', { scope: { kind: 'filters', filters: ['+/x', 'z/#'] } }));
    await subtree.start();
    await filters.start();
    for (const topic of ['a/b', 'a/b/c', 'a/bc', 'a', 'q/x', 'q/x/y', 'z', 'z/1', '$SYS/x']) {
      subtree.offer(topic, new Uint8Array([1]), 0, false, 1, undefined);
      filters.offer(topic, new Uint8Array([1]), 0, false, 1, undefined);
    }
    await subtree.stop();
    await filters.stop();
    const a = await readBack(subtree.status().file);
    assert.deepEqual(a.messages.map((m) => m.topic), ['a/b', 'a/b/c']);
    assert.deepEqual(a.headers[0].filters, ['a/b', 'a/b/#']);
    const b = await readBack(filters.status().file);
    assert.deepEqual(b.messages.map((m) => m.topic), ['q/x', 'z', 'z/1']);
    assert.equal(scopeError({ kind: 'filters', filters: ['a/#/b'] })?.includes('not a valid topic filter'), true);
    assert.equal(scopeError({ kind: 'subtree', topic: 'a/+' })?.includes('filter'), true);
  });

  it('rotates at the size cap into numbered parts, each with its own header and within the cap', async () => {
    const recorder = new Recorder(options('rotated', { maxBytes: 2000, rotate: true }));
    await recorder.start();
    for (let i = 0; i < 100; i++) recorder.offer(`t/${i}`, new TextEncoder().encode(`message ${i} ${'x'.repeat(40)}`), 0, false, 5000 + i, undefined);
    await recorder.stop();
    const status = recorder.status();
    assert.ok(status.files.length >= 3, `parts: ${status.files.length}`);
    assert.equal(status.files[0], join(dir, 'rotated.mqtt-recording.jsonl'));
    assert.equal(status.files[1], join(dir, 'rotated.part2.mqtt-recording.jsonl'));
    const all: string[] = [];
    for (const [index, file] of status.files.entries()) {
      assert.ok(statSync(file).size <= 2000, `${file}: ${statSync(file).size} bytes`);
      const { headers, messages, errors } = await readBack(file);
      assert.deepEqual(errors, []);
      assert.equal(headers.length, 1);
      assert.equal(headers[0].part, index + 1);
      all.push(...messages.map((m) => m.topic));
    }
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => `t/${i}`));
    assert.equal(status.messages, 100);
    assert.equal(status.bytes, status.files.reduce((sum, file) => sum + statSync(file).size, 0));
  });

  it('stops at the size cap without rotation, and says so', async () => {
    const recorder = new Recorder(options('capped', { maxBytes: 1000 }));
    const end = ended(recorder);
    await recorder.start();
    for (let i = 0; i < 100; i++) recorder.offer(`t/${i}`, new TextEncoder().encode('y'.repeat(50)), 0, false, 1, undefined);
    const status = await end;
    assert.equal(status.state, 'stopped');
    assert.equal(status.reason, 'size cap reached');
    assert.ok(statSync(status.file).size <= 1000);
    const { messages } = await readBack(status.file);
    assert.equal(messages.length, status.messages);
    assert.ok(status.messages > 0 && status.messages < 100, `${status.messages}`);
    await recorder.stop();
  });

  it('starts a new part when the duration cap passes, and stops at it without rotation', async () => {
    const rotating = new Recorder(options('timed', { maxMs: 150, rotate: true }));
    await rotating.start();
    rotating.offer('before', new Uint8Array([1]), 0, false, 1, undefined);
    await waitUntil(async () => rotating.status().part >= 2, 5000, 'the second part', 20);
    rotating.offer('after', new Uint8Array([2]), 0, false, 2, undefined);
    await rotating.stop();
    const files = rotating.status().files;
    assert.deepEqual((await readBack(files[0])).messages.map((m) => m.topic), ['before']);
    assert.ok(files.slice(1).some((file) => statSync(file).size > 0));
    const once = new Recorder(options('timed-once', { maxMs: 100 }));
    const end = ended(once);
    await once.start();
    const status = await end;
    assert.equal(status.reason, 'duration cap reached');
    assert.equal(status.files.length, 1);
  });

  it('gzip: the file is compressed and reads back with the reader', async () => {
    const recorder = new Recorder(options('zipped', { gzip: true }));
    await recorder.start();
    const payloads = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? new Uint8Array([i & 0xff, 0xff, 0xfe]) : new TextEncoder().encode(`{"i":${i},"text":"${'é'.repeat(i % 7)}"}`)));
    payloads.forEach((payload, i) => recorder.offer(`z/${i % 10}`, payload, 0, false, 10 + i, undefined));
    await recorder.stop();
    const status = recorder.status();
    assert.ok(status.file.endsWith('.mqtt-recording.jsonl.gz'));
    assert.equal(status.bytes, statSync(status.file).size);
    const { messages, errors } = await readBack(status.file);
    assert.deepEqual(errors, []);
    assert.equal(messages.length, 2000);
    messages.forEach((message, i) => assert.deepEqual(new Uint8Array(message.payload), payloads[i], `message ${i}`));
  });

  it('drops and counts what is over the buffer\'s bound, never waiting: the file has exactly the messages counted', async () => {
    const recorder = new Recorder(options('bounded', { bufferBytes: 20_000 }));
    await recorder.start();
    const total = 5000;
    // All offered in one turn: the drain loop gets no chance in between, as under a burst faster than the disk.
    for (let i = 0; i < total; i++) recorder.offer(`b/${i}`, new TextEncoder().encode('p'.repeat(100)), 0, false, 1, undefined);
    const during = recorder.status();
    assert.ok(during.dropped > 0, 'some were dropped');
    await recorder.stop();
    const status = recorder.status();
    assert.equal(status.messages + status.dropped, total);
    const { messages } = await readBack(status.file);
    assert.equal(messages.length, status.messages);
    // What was kept is the first ones, in order.
    assert.deepEqual(messages.map((m) => m.topic), Array.from({ length: status.messages }, (_, i) => `b/${i}`));
  });

  it('names parts and adds the ending', () => {
    assert.equal(partPath('/r/x.mqtt-recording.jsonl', 1), '/r/x.mqtt-recording.jsonl');
    assert.equal(partPath('/r/x.mqtt-recording.jsonl', 3), '/r/x.part3.mqtt-recording.jsonl');
    assert.equal(partPath('/r/x.mqtt-recording.jsonl.gz', 2), '/r/x.part2.mqtt-recording.jsonl.gz');
    assert.equal(recordingPath('/r/x', false), '/r/x.mqtt-recording.jsonl');
    assert.equal(recordingPath('/r/x', true), '/r/x.mqtt-recording.jsonl.gz');
    assert.equal(recordingPath('/r/x.mqtt-recording.jsonl', true), '/r/x.mqtt-recording.jsonl.gz');
  });

  it('refuses a path it cannot write, with the path and the reason', async () => {
    const blocker = join(dir, 'a-file');
    mkdirSync(join(dir, 'x'));
    await assert.rejects(new Recorder(options('x', { path: join(dir, 'x') })).start(), /Cannot record to .*x: it is a folder \(EISDIR\)/);
    execFileSync('touch', [blocker]);
    await assert.rejects(new Recorder(options('y', { path: join(blocker, 'y.mqtt-recording.jsonl') })).start(), /Cannot create the folder .*: a part of the path is a file, not a folder \(ENOTDIR\)/);
    // Node's recursive mkdir never returns here: the recorder makes folders level by level.
    await assert.rejects(new Recorder(options('z', { path: '/proc/no-such-place/deeper/z.mqtt-recording.jsonl' })).start(), /Cannot create the folder of \/proc\/no-such-place\/deeper\/z\.mqtt-recording\.jsonl: the folder does not exist \(ENOENT\)/);
  });

  it('a file-size limit (prlimit --fsize, SIGXFSZ ignored) stops the recording with EFBIG, the file, and the count', function () {
    const prlimit = spawnSync('prlimit', ['--version'], { stdio: 'ignore' });
    if (prlimit.error) this.skip();
    // The writer runs in a child process: the limit is the process's, and must not touch the test runner.
    const script = `
      process.on('SIGXFSZ', () => {});
      const { Recorder } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'worker', 'recording', 'recorder.js'))});
      const recorder = new Recorder({ path: ${JSON.stringify(join(dir, 'limited.mqtt-recording.jsonl'))}, scope: { kind: 'all' }, gzip: false, maxBytes: 0, maxMs: 0, rotate: false });
      recorder.onEnded = (status) => { console.log(JSON.stringify(status)); process.exit(0); };
      recorder.start().then(async () => {
        const payload = new Uint8Array(1000).fill(0x61);
        for (let turn = 0; turn < 200; turn++) {
          for (let i = 0; i < 10; i++) recorder.offer('limited/' + i, payload, 0, false, 1, undefined);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await recorder.stop();
        console.log(JSON.stringify(recorder.status()));
      });
    `;
    const child = spawnSync('prlimit', ['--fsize=65536', process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.status, 0, child.stderr);
    const status = JSON.parse(child.stdout.trim().split('\n')[0]) as RecorderStatus;
    assert.equal(status.state, 'failed');
    assert.match(status.error ?? '', /^Recording to .*limited\.mqtt-recording\.jsonl stopped: the file is larger than the system allows \(EFBIG\)\. [\d,]+ messages were written before/);
    assert.ok(statSync(status.file).size <= 65536);
  });

  describe('a full disk (a 256 KiB tmpfs)', function () {
    let small: string;
    before(function () {
      small = join(tmpdir(), `mqtt-explorer-full-${process.pid}`);
      mkdirSync(small, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small], { stdio: 'pipe' });
      } catch {
        rmSync(small, { recursive: true, force: true });
        // The file-size limit test below covers it where mounting is not allowed.
        this.skip();
      }
    });
    after(() => {
      if (!small) return;
      try {
        execFileSync('umount', [small], { stdio: 'pipe' });
      } catch {
        // not mounted
      }
      rmSync(small, { recursive: true, force: true });
    });

    it('stops the recording with a message naming the file, the reason and the count; another recording goes on', async () => {
      const full = new Recorder(options('full', { path: join(small, 'full.mqtt-recording.jsonl') }));
      const other = new Recorder(options('other'));
      const end = ended(full);
      await full.start();
      await other.start();
      const payload = new TextEncoder().encode('f'.repeat(1000));
      let offered = 0;
      // Offered in turns, as messages arrive: 1 MiB into 256 KiB.
      for (let turn = 0; turn < 100 && full.running; turn++) {
        for (let i = 0; i < 10; i++, offered++) {
          full.offer(`f/${offered}`, payload, 0, false, 1, undefined);
          other.offer(`f/${offered}`, payload, 0, false, 1, undefined);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const status = await end;
      assert.equal(status.state, 'failed');
      assert.match(status.error ?? '', new RegExp(`^Recording to ${small.replace(/[/.]/g, '\\$&')}/full\\.mqtt-recording\\.jsonl stopped: the disk is full \\(ENOSPC\\)\\. [\\d,]+ messages were written before`));
      assert.ok(status.messages > 0 && status.messages < offered, `${status.messages} of ${offered}`);
      // Further messages are ignored, nothing throws.
      full.offer('after', payload, 0, false, 1, undefined);
      await full.stop();
      assert.equal(full.status().state, 'failed');
      for (let i = 0; i < 10; i++) other.offer('other/after', payload, 0, false, 1, undefined);
      await other.stop();
      assert.equal(other.status().state, 'stopped');
      assert.equal((await readBack(other.status().file)).messages.length, offered + 10);
      assert.deepEqual(readdirSync(small), ['full.mqtt-recording.jsonl']);
    });
  });
});
