import * as assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import { Mosquitto } from '../helpers/mosquitto';
import { explorer, EXTENSION_ID, saveAndConnect } from './explorer';
import { waitFor, waitUntil } from '../helpers/waitFor';
import type { RecordingStatus } from '../../src/shared/engineProtocol';
import { readRecordingLines } from '../../src/shared/recording/reader';

const CONNECTION_ID = 'deactivate-test-will';

/**
 * The extension's own deactivate(), as VS Code calls it when the window closes: it stops the
 * extension, so index.ts runs this file after every other one.
 */
describe('Deactivation in a real VS Code: clean disconnects, no last will', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let broker: Mosquitto;
  let observer: mqtt.MqttClient;
  const arrived: string[] = [];
  const clientId = `deactivate-will-${Date.now()}`;

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
    observer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`);
    observer.on('message', (topic) => arrived.push(topic));
    await observer.subscribeAsync('wills/#', { qos: 1 });
    const profile = newProfile(CONNECTION_ID, {
      name: 'Deactivate test',
      host: '127.0.0.1',
      port: broker.ports.plain,
      clientId,
      mqttVersion: 5,
      subscriptions: [{ topic: 'none/#', qos: 0 }],
      will: { topic: 'wills/deactivate', payload: 'the extension went away', qos: 1, retain: false },
    });
    await saveAndConnect(api, profile);
  });

  after(async () => {
    await observer?.endAsync();
    await broker?.dispose();
  });

  it('deactivate() ends the connection with a DISCONNECT (no will) and stops the local broker and the simulator', async () => {
    const started = await vscode.commands.executeCommand<{ port: number } | undefined>('mqttExplorer.startLocalBroker', { port: 0 });
    assert.ok(started);
    assert.ok(await vscode.commands.executeCommand<{ devices: number } | undefined>('mqttExplorer.startSimulator'));
    assert.equal(api.localDevelopment.simulatorRunning, true);

    // ---- Recording (issue 15): a gzip recording running at deactivate is flushed and closed (a cut gzip stream does not read) ----
    const recordingsFolder = mkdtempSync(join(tmpdir(), 'mqtt-explorer-deactivate-recording-'));
    await vscode.workspace.getConfiguration('mqttExplorer').update('recordings.gzip', true, vscode.ConfigurationTarget.Global);
    const recording = await vscode.commands.executeCommand<RecordingStatus | undefined>('mqttExplorer.startRecording', { connectionId: CONNECTION_ID, path: join(recordingsFolder, 'at-deactivate') });
    assert.ok(recording, 'a recording started');
    assert.ok(recording.file.endsWith('.mqtt-recording.jsonl.gz'), recording.file);
    const counted = waitFor(api.recordings.onDidChange, (status) => status.id === recording.id && status.messages >= 5, 15_000, 'five messages recorded');
    for (let i = 0; i < 5; i++) await observer.publishAsync(`none/rec/${i}`, `m${i}`, { qos: 1 });
    await counted;

    // The module VS Code loaded (through Node's require), not a second copy: its deactivate is the real one.
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const loaded = require.cache[realpathSync(join(extension.extensionPath, 'dist', 'extension.js'))];
    assert.ok(loaded, 'the extension module is in the require cache');
    await (loaded.exports as { deactivate(): Promise<void> }).deactivate();

    const recorded: string[] = [];
    for await (const line of readRecordingLines(recording.file)) if (line.parsed.kind === 'message') recorded.push(line.parsed.message.topic);
    assert.deepEqual(recorded, ['none/rec/0', 'none/rec/1', 'none/rec/2', 'none/rec/3', 'none/rec/4'], 'the recording was flushed and closed');
    await vscode.workspace.getConfiguration('mqttExplorer').update('recordings.gzip', undefined, vscode.ConfigurationTarget.Global);
    rmSync(recordingsFolder, { recursive: true, force: true });

    const left = new RegExp(`Client ${clientId} (disconnected|closed its connection)`);
    await waitUntil(async () => left.test(broker.log), 10_000, 'mosquitto to log the end of the connection');
    assert.equal(left.exec(broker.log)?.[1], 'disconnected', 'mosquitto got a DISCONNECT');
    // mosquitto publishes a will while handling the end, so one would be queued before this marker.
    await observer.publishAsync('wills/marker', 'marker', { qos: 1 });
    await waitUntil(async () => arrived.includes('wills/marker'), 10_000, 'the marker to come back');
    assert.deepEqual(arrived, ['wills/marker'], 'no last will was published');

    assert.equal(api.localDevelopment.broker.running, false);
    assert.equal(api.localDevelopment.simulatorRunning, false);
    // The local broker's port is free again: its thread closed the listening socket.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(started.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});
