import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import type { RecordingStatus } from '../../src/shared/engineProtocol';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import { readRecordingLines } from '../../src/shared/recording/reader';
import { Mosquitto } from '../helpers/mosquitto';
import { waitFor } from '../helpers/waitFor';
import { explorer, saveAndConnect } from './explorer';

const CONNECTION_ID = 'recordings-test-mosquitto';

async function topicsIn(file: string): Promise<string[]> {
  const topics: string[] = [];
  for await (const line of readRecordingLines(file)) if (line.parsed.kind === 'message') topics.push(line.parsed.message.topic);
  return topics;
}

describe('"MQTT: Start Recording" and "Stop Recording" in a real VS Code, against Debian mosquitto', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let broker: Mosquitto;
  let publisher: mqtt.MqttClient;
  let folder: string;

  const recordingEvent = (predicate: (status: RecordingStatus) => boolean, what: string) => waitFor(api.recordings.onDidChange, predicate, 15_000, what);

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
    folder = mkdtempSync(join(tmpdir(), 'mqtt-explorer-recordings-'));
    await saveAndConnect(api, newProfile(CONNECTION_ID, { name: 'Recording test', host: '127.0.0.1', port: broker.ports.plain, subscriptions: [{ topic: 'rec/#', qos: 0 }] }));
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`);
  });

  afterEach(async () => {
    // What a failed test left running.
    for (const status of api.recordings.list()) await vscode.commands.executeCommand('mqttExplorer.stopRecording', status.id);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mqttExplorer').update('recordings.folder', undefined, vscode.ConfigurationTarget.Global);
    await publisher?.endAsync();
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  it('a topic row records its subtree into the workspace\'s recordings/ folder; the status bar counts; Stop closes the file', async function () {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!workspace || !vscode.workspace.isTrusted) this.skip();
    const started = await vscode.commands.executeCommand<RecordingStatus | undefined>('mqttExplorer.startRecording', { connectionId: CONNECTION_ID, topic: 'rec/a' });
    assert.ok(started, 'a recording started');
    assert.equal(started.file.startsWith(join(workspace, 'recordings', 'Recording test-')), true, started.file);
    assert.match(started.file, /-rec_a\.mqtt-recording\.jsonl$/);
    assert.deepEqual(started.scope, { kind: 'subtree', topic: 'rec/a' });
    const counted = recordingEvent((status) => status.id === started.id && status.messages >= 20, '20 messages recorded');
    for (let i = 0; i < 20; i++) {
      await publisher.publishAsync(i % 2 ? 'rec/a' : `rec/a/${i}`, `m${i}`, { qos: 1 });
      await publisher.publishAsync('rec/b', 'not recorded', { qos: 1 });
    }
    await counted;
    const bar = api.recordings.statusBar;
    assert.match(bar.text ?? '', /^\$\(record\) 20 msgs · [\d.]+ (B|KiB)$/);
    assert.equal(bar.command, 'mqttExplorer.stopRecording');
    assert.ok(bar.tooltip?.includes(started.file), bar.tooltip);
    // One running: the status bar's command stops it without asking.
    const stopped = await vscode.commands.executeCommand<RecordingStatus[]>('mqttExplorer.stopRecording');
    assert.equal(stopped?.length, 1);
    assert.equal(stopped[0].state, 'stopped');
    assert.equal(api.recordings.statusBar.text, undefined, 'the status bar item is hidden');
    const topics = await topicsIn(started.file);
    assert.equal(topics.length, 20);
    assert.ok(topics.every((topic) => topic === 'rec/a' || topic.startsWith('rec/a/')));
    rmSync(join(workspace, 'recordings'), { recursive: true, force: true });
  });

  it('from the palette: the setting\'s folder, everything the connection receives; two at once, Stop asks which', async () => {
    await vscode.workspace.getConfiguration('mqttExplorer').update('recordings.folder', folder, vscode.ConfigurationTarget.Global);
    const original = api.prompts.quickPick;
    const asked: string[] = [];
    try {
      api.prompts.quickPick = <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined> => {
        asked.push(options.placeHolder ?? '');
        // "Record which connection?": this test's. "What to record?": everything. "Which recording?": the first listed.
        return Promise.resolve(items.find((item) => item.label === 'Everything it receives' || item.label === 'Recording test') ?? items[0]);
      };
      const all = await vscode.commands.executeCommand<RecordingStatus | undefined>('mqttExplorer.startRecording');
      assert.ok(all && all.file.startsWith(folder), all?.file);
      assert.deepEqual(all.scope, { kind: 'all' });
      const filtered = await vscode.commands.executeCommand<RecordingStatus | undefined>('mqttExplorer.startRecording', { connectionId: CONNECTION_ID, scope: { kind: 'filters', filters: ['rec/+/x'] } });
      assert.ok(filtered);
      const counted = recordingEvent((status) => status.id === filtered.id && status.messages >= 1, 'the filtered recording to count');
      const countedAll = recordingEvent((status) => status.id === all.id && status.messages >= 2, 'the whole recording to count both');
      await publisher.publishAsync('rec/q/x', 'one', { qos: 1 });
      await publisher.publishAsync('rec/q/y', 'two', { qos: 1 });
      await counted;
      await countedAll;
      assert.match(api.recordings.statusBar.text ?? '', /^\$\(record\) 2 recordings · 3 msgs · /);
      const first = await vscode.commands.executeCommand<RecordingStatus[]>('mqttExplorer.stopRecording');
      assert.equal(first?.length, 1);
      assert.ok(asked.includes('Which recording?'), asked.join(' | '));
      const second = await vscode.commands.executeCommand<RecordingStatus[]>('mqttExplorer.stopRecording');
      assert.equal(second?.length, 1);
      const files = new Map([...first, ...second].map((status) => [status.id, status.file]));
      assert.deepEqual(await topicsIn(files.get(all.id) ?? ''), ['rec/q/x', 'rec/q/y']);
      assert.deepEqual(await topicsIn(files.get(filtered.id) ?? ''), ['rec/q/x']);
      assert.ok(existsSync(files.get(all.id) ?? ''));
    } finally {
      api.prompts.quickPick = original;
    }
  });

  it('a path that cannot be written is refused with the reason, and nothing runs', async () => {
    const result = await vscode.commands.executeCommand<RecordingStatus | undefined>('mqttExplorer.startRecording', { connectionId: CONNECTION_ID, path: '/proc/no-such-place/x.mqtt-recording.jsonl' });
    assert.equal(result, undefined);
    assert.equal(api.recordings.list().length, 0);
  });
});
