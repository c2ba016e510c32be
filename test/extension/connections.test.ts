import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import { explorer } from './explorer';
import { waitFor } from '../helpers/waitFor';


/** Every file below `dir` (the test profile: settings, state databases, logs, storage). */
function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) return name === 'extensions' ? [] : filesBelow(path);
    return stat.size < 50 * 1024 * 1024 ? [path] : [];
  });
}

describe('Connection profiles and secrets in a real VS Code', () => {
  let api: TestInternals;
  const password = `pw-${Date.now()}-Zq9!`;
  const passphrase = `pp-${Date.now()}-Kx7?`;

  before(async () => {
    api = await explorer();
  });

  after(async () => {
    for (const { profile } of api.profiles.list()) await api.profiles.remove(profile.id);
  });

  it('saves a profile with a password: settings hold the profile, SecretStorage the password', async () => {
    const userProfile = newProfile('secret-test-user', { name: 'Secret test (user)', host: '127.0.0.1', port: 1, username: 'alice', protocol: 'mqtts', tls: { verify: true, keyFile: '/tmp/key.pem' } });
    const workspaceProfile = newProfile('secret-test-ws', { name: 'Secret test (workspace)', host: '127.0.0.1', port: 2, username: 'bob' });
    const listed = waitFor(api.registry.onDidChange, () => api.registry.get('secret-test-ws') !== undefined, 10_000, 'the saved profiles to appear as connections');
    await api.profiles.save(userProfile, 'user', { password, keyPassphrase: passphrase });
    await api.profiles.save(workspaceProfile, 'workspace', { password });
    await listed;

    assert.deepEqual(await api.profiles.getSecrets('secret-test-user'), { password, keyPassphrase: passphrase });
    assert.deepEqual(await api.profiles.getSecrets('secret-test-ws'), { password });
    const inspected = vscode.workspace.getConfiguration('mqttExplorer').inspect('connections');
    const settingsText = JSON.stringify([inspected?.globalValue, inspected?.workspaceValue]);
    assert.match(settingsText, /Secret test \(user\)/);
    assert.match(settingsText, /Secret test \(workspace\)/);
    assert.doesNotMatch(settingsText, new RegExp(password.replace(/[!?]/g, '.')));
    assert.doesNotMatch(settingsText, new RegExp(passphrase.replace(/[!?]/g, '.')));

    const workspaceSettings = readFileSync(join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json'), 'utf8');
    assert.match(workspaceSettings, /Secret test \(workspace\)/);
    assert.ok(!workspaceSettings.includes(password), 'the workspace settings file has no password');
  });

  it('no file of the VS Code profile (settings, extension state, logs) contains the secrets', async function () {
    const root = process.env.MQTT_TEST_PROFILE_ROOT;
    if (!root) this.skip(); // Only the server launcher knows where its profile lives.
    // Connect once, so that the secrets are read and the connection is logged.
    await vscode.commands.executeCommand('mqttExplorer.connect', { connectionId: 'secret-test-user' });
    // Give VS Code's storage a flush point: state is written on change, settings on save.
    await vscode.commands.executeCommand('workbench.action.files.saveAll');
    const files = filesBelow(root);
    const withProfile = files.filter((file) => readFileSync(file).includes('Secret test (user)'));
    assert.ok(withProfile.length > 0, `the user settings file is below ${root} (found none with the profile)`);
    const leaking = files.filter((file) => {
      const bytes = readFileSync(file);
      return bytes.includes(password) || bytes.includes(passphrase);
    });
    assert.deepEqual(leaking, [], 'files that contain a secret');
  });

  it('exports profiles without secrets and imports them back', async () => {
    const file = vscode.Uri.file(join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'exported-connections.json'));
    await vscode.commands.executeCommand('mqttExplorer.exportConnections', file);
    const exported = readFileSync(file.fsPath, 'utf8');
    assert.match(exported, /Secret test \(user\)/);
    assert.ok(!exported.includes(password) && !exported.includes(passphrase), 'the export has no secrets');
    await api.profiles.remove('secret-test-user');
    assert.equal(api.profiles.get('secret-test-user'), undefined);
    const imported = await vscode.commands.executeCommand<number>('mqttExplorer.importConnections', file);
    assert.equal(imported, 2);
    assert.equal(api.profiles.get('secret-test-user')?.profile.name, 'Secret test (user)');
    assert.deepEqual(await api.profiles.getSecrets('secret-test-user'), {}, 'removing a profile removed its secrets; an import brings none');
  });

  it('a profile whose broker refuses the connection ends in a failed state with the reason', async () => {
    const connection = api.registry.get('secret-test-ws');
    assert.ok(connection);
    await vscode.commands.executeCommand('mqttExplorer.connect', { connectionId: 'secret-test-ws' });
    assert.equal(connection.state.kind, 'failed');
    assert.match(connection.state.kind === 'failed' ? connection.state.reason : '', /Connection refused by 127\.0\.0\.1:2/);
  });
});
