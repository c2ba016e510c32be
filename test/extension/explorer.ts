import * as assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import type { ConnectionProfile } from '../../src/shared/profile';
import { waitFor } from '../helpers/waitFor';

export const EXTENSION_ID = 'mqtt-explorer-dev.mqtt-explorer';

/**
 * The activated extension's services. `activate` returns nothing (another extension gets no handle
 * on them): the suite takes them from the module VS Code loaded, found in Node's require cache,
 * whose testInternals() answers only in ExtensionMode.Test, the mode VS Code gives an extension
 * under development when it runs an extensionTestsPath (both launchers do).
 */
export async function explorer(): Promise<TestInternals> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  await extension.activate();
  const loaded = require.cache[realpathSync(join(extension.extensionPath, 'dist', 'extension.js'))];
  assert.ok(loaded, 'the extension module is in the require cache');
  const internals = (loaded.exports as { testInternals?: () => TestInternals | undefined }).testInternals?.();
  assert.ok(internals, 'testInternals() answers: the extension runs in ExtensionMode.Test');
  return internals;
}

/** Saves `profile` in the user's settings and waits until the registry lists it as a connection. */
export async function saveConnection(api: TestInternals, profile: ConnectionProfile): Promise<void> {
  const listed = waitFor(api.registry.onDidChange, () => api.registry.get(profile.id) !== undefined, 10_000, 'the profile as a connection');
  await api.profiles.save(profile, 'user');
  await listed;
}

/** Saves `profile` and connects it with "MQTT: Connect", as a person would; resolves once connected. */
export async function saveAndConnect(api: TestInternals, profile: ConnectionProfile): Promise<void> {
  await saveConnection(api, profile);
  const connected = waitFor(api.registry.onDidChange, () => api.registry.get(profile.id)?.state.kind === 'connected', 10_000, `connected to ${profile.host}:${profile.port}`);
  await vscode.commands.executeCommand('mqttExplorer.connect', { connectionId: profile.id });
  await connected;
}
