import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import type { SnapshotExportResult } from '../../src/host/snapshotExport';
import type { TopicElement } from '../../src/host/topicsView';
import { parseMqttFile, resolveBlock } from '../../src/shared/mqttFiles';
import { newProfile } from '../../src/shared/profile';
import { encodePayload } from '../../src/shared/publish';
import { headerLine, messageLine } from '../../src/shared/recording/format';
import type { ReplayProgress } from '../../src/worker/recording/replay';
import { Mosquitto } from '../helpers/mosquitto';
import { waitUntil } from '../helpers/waitFor';
import { explorer, saveAndConnect } from './explorer';

const SOURCE = 'replay-test-source';
const TARGET = 'replay-test-target';

describe('"MQTT: Export Snapshot…" and "MQTT: Replay Recording…" in a real VS Code, against two Debian mosquittos', function () {
  this.timeout(90_000);
  let api: TestInternals;
  let brokerA: Mosquitto;
  let brokerB: Mosquitto;
  let dir: string;
  let saved: TestInternals['fileQuestions'];
  /** What the questions were asked, in order: titles and modal messages. */
  let asked: string[];

  const retained: [string, Buffer][] = [
    ['snap/json', Buffer.from('{"id":12345678901234567890,"on":true}')],
    ['snap/text', Buffer.from('hello ✓')],
    ['snap/bin', Buffer.from([0, 0xff, 0x80, 0x0a])],
    ['snap/deep/er', Buffer.from('{{not a variable}}')],
    ['other/x', Buffer.from('outside the subtree')],
  ];

  before(async () => {
    api = await explorer();
    saved = { ...api.fileQuestions };
    [brokerA, brokerB] = await Promise.all([Mosquitto.create(), Mosquitto.create()]);
    dir = mkdtempSync(join(tmpdir(), 'replay-ext-'));
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerA.ports.plain}`);
    for (const [topic, payload] of retained) await publisher.publishAsync(topic, payload, { qos: 1, retain: true });
    await publisher.endAsync();
    await saveAndConnect(api, newProfile(SOURCE, { name: 'Replay source', host: '127.0.0.1', port: brokerA.ports.plain, mqttVersion: 5, subscriptions: [{ topic: '#', qos: 1 }] }));
    await saveAndConnect(api, newProfile(TARGET, { name: 'Replay target B', host: '127.0.0.1', port: brokerB.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'nothing/#', qos: 0 }] }));
    await waitUntil(async () => (await api.registry.engine.request('lastValues', { connectionId: SOURCE, node: { root: true }, maxTopics: 100, maxBytes: 1e6 })).values.length === retained.length, 10_000, 'the retained messages in the explorer');
  });

  beforeEach(() => {
    asked = [];
  });

  afterEach(() => Object.assign(api.fileQuestions, saved));

  after(async () => {
    await api?.profiles.remove(SOURCE);
    await api?.profiles.remove(TARGET);
    await brokerA?.dispose();
    await brokerB?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Answers the quick picks by their title: the item whose label starts with the answer (an array: several, for a multi-pick). */
  function answer(picks: Record<string, string | string[]>, save?: vscode.Uri, confirm?: string, inputs: Record<string, string> = {}): void {
    api.fileQuestions.quickPick = (<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined> => {
      const title = options.title ?? '';
      asked.push(title);
      const entry = Object.entries(picks).find(([prefix]) => title.startsWith(prefix));
      assert.ok(entry, `unexpected quick pick "${title}"`);
      const wanted = entry[1];
      if (Array.isArray(wanted)) return Promise.resolve(items.filter((item) => wanted.some((label) => item.label.startsWith(label))) as unknown as T);
      const item = items.find((candidate) => candidate.label.startsWith(wanted));
      assert.ok(item, `no item "${wanted}" in "${title}": ${items.map((candidate) => candidate.label).join(', ')}`);
      return Promise.resolve(item);
    }) as TestInternals['fileQuestions']['quickPick'];
    api.fileQuestions.saveFile = () => Promise.resolve(save);
    api.fileQuestions.confirm = (message, detail) => {
      asked.push(`${message} ${detail}`);
      return Promise.resolve(confirm);
    };
    api.fileQuestions.input = (options) => {
      const title = options.title ?? '';
      asked.push(title);
      const entry = Object.entries(inputs).find(([prefix]) => title.startsWith(prefix));
      assert.ok(entry, `unexpected input "${title}"`);
      return Promise.resolve(entry[1]);
    };
  }

  it('a connection row exports every topic as JSON: JSON as JSON (numbers exact), text, binary as { base64 }', async () => {
    const uri = vscode.Uri.file(join(dir, 'all.json'));
    answer({ 'Export the last values': 'JSON' }, uri);
    const connection = api.registry.get(SOURCE);
    const result = await vscode.commands.executeCommand<SnapshotExportResult | undefined>('mqttExplorer.exportSnapshot', connection);
    assert.equal(result?.counts.written, retained.length);
    const text = readFileSync(uri.fsPath, 'utf8');
    assert.match(text, /"id": 12345678901234567890/);
    const json = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['other/x', 'snap/bin', 'snap/deep/er', 'snap/json', 'snap/text']);
    assert.deepEqual(json['snap/bin'], { base64: 'AP+ACg==' });
    assert.equal(json['snap/text'], 'hello ✓');
    assert.equal(json['snap/deep/er'], '{{not a variable}}');
  });

  it('a topic row exports its subtree as a .mqtt file that the parser reads back to the same bytes, retained', async () => {
    const rows = (await api.topicsProvider.getChildren(api.registry.get(SOURCE))) as TopicElement[];
    const snap = rows.find((row) => row.kind === 'topic' && row.topic === 'snap');
    assert.ok(snap, `the "snap" row among ${rows.map((row) => row.topic).join(', ')}`);
    const uri = vscode.Uri.file(join(dir, 'snap.mqtt'));
    answer({ 'Export the last values': '.mqtt' }, uri);
    const result = await vscode.commands.executeCommand<SnapshotExportResult | undefined>('mqttExplorer.exportSnapshot', snap);
    assert.equal(result?.counts.written, 4);
    const document = parseMqttFile(readFileSync(uri.fsPath, 'utf8'));
    assert.deepEqual(document.diagnostics, []);
    const back = document.blocks.map((block) => {
      const resolved = resolveBlock(document, block, {});
      assert.ok(resolved.ok && resolved.block.kind === 'publish' && 'text' in resolved.block.payload);
      const encoded = encodePayload(resolved.block.payload.text, resolved.block.format);
      assert.ok('bytes' in encoded);
      return [resolved.block.topic, Buffer.from(encoded.bytes).toString('hex'), resolved.block.retain];
    });
    assert.deepEqual(
      back,
      retained
        .filter(([topic]) => topic.startsWith('snap/'))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([topic, payload]) => [topic, payload.toString('hex'), true]),
    );
  });

  it('replays a recording to broker B after a confirmation that names it, the count and the duration; a reference subscriber sees every message in order', async () => {
    const file = join(dir, 'fleet.mqtt-recording.jsonl');
    const start = 1_764_931_200_000;
    const messages = Array.from({ length: 30 }, (_, i) => ({ time: start + i * 100, topic: `fleet/dev-${i % 3}/state`, qos: (i % 3) as 0 | 1 | 2, retain: false, payload: i % 4 === 0 ? Buffer.from([i, 0xff, 0x00]) : Buffer.from(`{"n":${i}}`) }));
    writeFileSync(file, headerLine({ startedAt: start }) + messages.map(messageLine).join(''));
    const reference = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerB.ports.plain}`, { protocolVersion: 5 });
    const seen: { topic: string; payload: Buffer; qos: number }[] = [];
    reference.on('packetreceive', (packet) => {
      if (packet.cmd === 'publish') seen.push({ topic: packet.topic, payload: Buffer.from(packet.payload), qos: packet.qos });
    });
    await reference.subscribeAsync('lab/#', { qos: 2 });
    answer({ 'Replay to which connection?': 'Replay target B', 'Replay timing': 'Faster or slower', 'Replay options': ['Rewrite a topic prefix'] }, undefined, 'Replay', { 'Speed factor': '10', 'Topic prefix to replace': 'fleet/', 'Replace "fleet/" with': 'lab/' });
    const final = await vscode.commands.executeCommand<ReplayProgress | undefined>('mqttExplorer.replayRecording', vscode.Uri.file(file));
    assert.equal(final?.state, 'done', JSON.stringify(final));
    assert.equal(final.sent, 30);
    const confirmation = asked.find((question) => question.startsWith('Replay 30 messages'));
    assert.ok(confirmation, asked.join('\n'));
    assert.match(confirmation, /to "Replay target B" \(mqtt:\/\/127\.0\.0\.1:\d+\)\?/);
    assert.match(confirmation, /2\.9 s of recording, 10× speed: about 290 ms/);
    await waitUntil(async () => seen.length === 30, 10_000, 'the 30 messages at the reference subscriber');
    await reference.endAsync();
    assert.deepEqual(
      seen.map((s) => [s.topic, s.payload.toString('hex'), s.qos]),
      messages.map((m) => [m.topic.replace('fleet/', 'lab/'), m.payload.toString('hex'), m.qos]),
    );
    assert.equal(api.replays.current, undefined, 'no replay left running');
  });

  it('Pause Replay and Resume Replay (the status bar item\'s commands) hold and release a replay with original timing', async () => {
    const file = join(dir, 'slow.mqtt-recording.jsonl');
    const start = 1_764_931_200_000;
    writeFileSync(file, headerLine({ startedAt: start }) + Array.from({ length: 6 }, (_, i) => messageLine({ time: start + i * 200, topic: `slow/${i}`, qos: 1, retain: false, payload: Buffer.from(`${i}`) })).join(''));
    const reference = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerB.ports.plain}`, { protocolVersion: 5 });
    const seen: string[] = [];
    reference.on('message', (topic) => seen.push(topic));
    await reference.subscribeAsync('slow/#', { qos: 1 });
    answer({ 'Replay to which connection?': 'Replay target B', 'Replay timing': 'Original', 'Replay options': [] }, undefined, 'Replay');
    const finished = vscode.commands.executeCommand<ReplayProgress | undefined>('mqttExplorer.replayRecording', vscode.Uri.file(file));
    await waitUntil(async () => seen.length >= 1, 10_000, 'the first replayed message');
    await vscode.commands.executeCommand('mqttExplorer.pauseReplay');
    await waitUntil(async () => api.replays.current?.progress.state === 'paused', 5000, 'the replay paused');
    const atPause = seen.length;
    // Held: nothing more arrives for longer than the recording's gaps (a bounded wait for nothing).
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(seen.length, atPause, 'no message while paused');
    assert.ok(atPause < 6, `${atPause} arrived before the pause`);
    await vscode.commands.executeCommand('mqttExplorer.resumeReplay');
    const final = await finished;
    assert.equal(final?.state, 'done');
    assert.equal(final?.sent, 6);
    await waitUntil(async () => seen.length === 6, 5000, 'all six');
    assert.deepEqual(seen, ['slow/0', 'slow/1', 'slow/2', 'slow/3', 'slow/4', 'slow/5']);
    await reference.endAsync();
  });

  it('declining the confirmation publishes nothing', async () => {
    const file = join(dir, 'one.mqtt-recording.jsonl');
    writeFileSync(file, headerLine({ startedAt: 0 }) + messageLine({ time: 0, topic: 'never/sent', qos: 0, retain: false, payload: Buffer.from('x') }));
    answer({ 'Replay to which connection?': 'Replay target B', 'Replay timing': 'As fast', 'Replay options': [] }, undefined, undefined);
    const final = await vscode.commands.executeCommand<ReplayProgress | undefined>('mqttExplorer.replayRecording', vscode.Uri.file(file));
    assert.equal(final, undefined);
    assert.ok(asked.some((question) => question.startsWith('Replay 1 message to "Replay target B"')), asked.join('\n'));
  });
});
