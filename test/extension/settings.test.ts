import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { SETTING_TYPES, type SettingKey, type SettingWarning } from '../../src/shared/settings';
import { waitFor } from '../helpers/waitFor';
import { explorer } from './explorer';

/**
 * A hostile workspace's value for every setting the extension reads, and what the extension uses
 * instead. `user`: a setting a folder cannot write at all (machine scope) gets its value in the user settings.
 */
const HOSTILE: Record<SettingKey, { value: unknown; used: unknown; user?: true }> = {
  'localBroker.port': { value: 70_000, used: 65_535 },
  'localBroker.autoStart': { value: 'yes', used: false },
  'localBroker.requireAuthentication': { value: 'yes', used: false, user: true },
  'simulator.autoStart': { value: 1, used: false },
  'simulator.devices': { value: 0.4, used: 1 },
  'simulator.messagesPerSecond': { value: 1e9, used: 50 },
  defaultSubscriptions: { value: '#', used: ['#', '$SYS/#'] },
  'reconnect.minDelaySeconds': { value: 0, used: 1 },
  'reconnect.maxDelaySeconds': { value: -5, used: 1 },
  'limits.messagesPerTopic': { value: 'lots', used: 1000 },
  'limits.kibPerTopic': { value: 2.5, used: 3 },
  'limits.maxPayloadKib': { value: 1e12, used: 262_144 },
  'limits.totalMib': { value: 'x', used: 256 },
  'requests.timeoutSeconds': { value: 1e9, used: 3600 },
  // ---- Recording (issue 15) ----
  'recordings.folder': { value: 42, used: '' },
  'recordings.gzip': { value: 'yes', used: false },
  'recordings.maxMegabytes': { value: -1, used: 0 },
  'recordings.maxMinutes': { value: 1e12, used: 525_600 },
  'recordings.rotate': { value: 'no', used: true },
};

const config = () => vscode.workspace.getConfiguration('mqttExplorer');

/** Writes a workspace (or user) setting and waits (bounded) until the extension host's configuration has it. */
async function setWorkspace(key: string, value: unknown, user = false): Promise<void> {
  const applied = () => isDeepStrictEqual(user ? config().inspect(key)?.globalValue : config().inspect(key)?.workspaceValue, value);
  const changed = applied() ? undefined : waitFor(vscode.workspace.onDidChangeConfiguration, applied, 10_000, `${key} to be ${JSON.stringify(value)}`);
  await config().update(key, value, user ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace);
  await changed;
}

describe('Settings from a hostile workspace in a real VS Code', function () {
  this.timeout(60_000);
  let api: TestInternals;
  const warnings: SettingWarning[] = [];
  let listener: { dispose(): void } | undefined;

  before(async () => {
    api = await explorer();
    listener = api.settings.onDidWarn((warning) => warnings.push(warning));
  });

  after(async () => {
    listener?.dispose();
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
    for (const [key, { user }] of [...Object.entries(HOSTILE), ['connections', {}] as const]) await setWorkspace(key, undefined, user === true);
  });

  it('every setting at a hostile value: the bound or the default is used, with one warning naming the setting', async () => {
    assert.deepEqual(Object.keys(HOSTILE).sort(), Object.keys(SETTING_TYPES).sort(), 'every setting the extension reads is tried');
    for (const [key, { value, user }] of Object.entries(HOSTILE)) await setWorkspace(key, value, user === true);
    // Read as the extension does, several times (the limits are also read at each change above).
    for (let read = 0; read < 3; read++) {
      for (const [key, { used }] of Object.entries(HOSTILE)) assert.deepEqual(api.settings.get(key as SettingKey), used, key);
    }
    for (const key of Object.keys(HOSTILE)) {
      const about = warnings.filter((warning) => warning.setting === `mqttExplorer.${key}`);
      assert.equal(about.length, 1, `one warning for mqttExplorer.${key}: ${JSON.stringify(about)}`);
      assert.match(about[0].message, new RegExp(`^Setting mqttExplorer\\.${key.replace('.', '\\.')}: `));
    }
  });

  it('the simulator asked for 1e9 messages a second runs at the schema maximum', async () => {
    const started = await vscode.commands.executeCommand<{ port: number } | undefined>('mqttExplorer.startLocalBroker', { port: 0 });
    assert.ok(started);
    const summary = await api.localDevelopment.startSimulator();
    try {
      assert.ok(summary);
      assert.equal(summary.plan.devices.length, 1);
      assert.equal(summary.messagesPerSecond, 50);
    } finally {
      await api.localDevelopment.stopSimulator();
    }
  });

  it('shared and invalid filters in the default subscriptions and in a profile are refused with a warning; the others apply', async () => {
    warnings.length = 0;
    await setWorkspace('defaultSubscriptions', ['$share/production/#', 'plant/#', 'a/#/b']);
    const listed = waitFor(api.registry.onDidChange, () => api.registry.get('hostile-shared') !== undefined && api.registry.get('hostile-default') !== undefined, 10_000, 'the profiles as connections');
    await setWorkspace('connections', [
      { id: 'hostile-default', name: 'Uses the defaults', host: '127.0.0.1', port: 1 },
      { id: 'hostile-shared', name: 'Lists its own', host: '127.0.0.1', port: 1, subscriptions: ['$share/production/orders/#', { topic: 'orders/#', qos: 1 }, '$queue/jobs'] },
    ]);
    await listed;
    assert.deepEqual(
      api.registry.get('hostile-default')?.profile.subscriptions.map((spec) => spec.topic),
      ['plant/#'],
    );
    assert.deepEqual(api.profiles.get('hostile-shared')?.profile.subscriptions, [{ topic: 'orders/#', qos: 1 }]);
    assert.deepEqual(
      warnings.map((warning) => [warning.setting, warning.value]),
      [
        ['mqttExplorer.defaultSubscriptions', '"$share/production/#"'],
        ['mqttExplorer.defaultSubscriptions', '"a/#/b"'],
        ['mqttExplorer.connections', '["hostile-shared","$share/production/orders/#"]'],
        ['mqttExplorer.connections', '["hostile-shared","$queue/jobs"]'],
      ],
    );
    assert.match(warnings[0].message, /Shared subscriptions/);
  });
});
