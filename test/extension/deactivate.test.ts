import * as assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import { Mosquitto } from '../helpers/mosquitto';
import { explorer, EXTENSION_ID, saveAndConnect } from './explorer';
import { waitUntil } from '../helpers/waitFor';

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

    // The module VS Code loaded (through Node's require), not a second copy: its deactivate is the real one.
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const loaded = require.cache[realpathSync(join(extension.extensionPath, 'dist', 'extension.js'))];
    assert.ok(loaded, 'the extension module is in the require cache');
    await (loaded.exports as { deactivate(): Promise<void> }).deactivate();

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
