import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { LOCAL_CONNECTION_ID } from '../../src/host/localDevelopment';
import { LOCAL_BROKER_USERNAME } from '../../src/devtools/devtoolsProtocol';
import { connackCode } from '../helpers/mqttMessages';
import { waitFor, waitUntil } from '../helpers/waitFor';
import { explorer } from './explorer';

const SETTING = 'localBroker.requireAuthentication';
const config = () => vscode.workspace.getConfiguration('mqttExplorer');

/** Writes the user setting and waits (bounded) until the extension host's configuration has it. */
async function setUser(value: boolean | undefined): Promise<void> {
  const applied = () => config().inspect(SETTING)?.globalValue === value;
  const changed = applied() ? undefined : waitFor(vscode.workspace.onDidChangeConfiguration, applied, 10_000, `${SETTING} to be ${String(value)}`);
  await config().update(SETTING, value, vscode.ConfigurationTarget.Global);
  await changed;
}

async function startBroker(): Promise<number> {
  const started = await vscode.commands.executeCommand<{ connectionId: string; port: number } | undefined>('mqttExplorer.startLocalBroker', { port: 0 });
  assert.ok(started, 'the local broker started and its connection connected');
  return started.port;
}

describe('The local broker with authentication, in a real VS Code', function () {
  this.timeout(60_000);
  let api: TestInternals;

  before(async () => {
    api = await explorer();
    // Another suite may have left it running without authentication: the setting applies at a start.
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
    await setUser(true);
  });

  after(async () => {
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
    await setUser(undefined);
  });

  it('a folder cannot turn it off: the setting is not written to workspace settings', async () => {
    await assert.rejects(Promise.resolve(config().update(SETTING, false, vscode.ConfigurationTarget.Workspace)));
    assert.equal(config().inspect(SETTING)?.workspaceValue, undefined);
    assert.equal(api.settings.get(SETTING), true);
  });

  it('a folder cannot turn it off with a nested object either', async () => {
    const file = join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json');
    const before = readFileSync(file, 'utf8');
    const changed = waitFor(vscode.workspace.onDidChangeConfiguration, (event) => event.affectsConfiguration('mqttExplorer'), 10_000, 'the workspace settings file to be read again');
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(before) as object), 'mqttExplorer.localBroker': { requireAuthentication: false } }, null, 2));
    try {
      await changed;
      // VS Code 1.139 leaves the nested value out too; the extension reads only the user's value of
      // a machine-scoped setting whatever a version of VS Code makes of the folder's file.
      assert.equal(api.settings.get(SETTING), true);
    } finally {
      const restored = waitFor(vscode.workspace.onDidChangeConfiguration, (event) => event.affectsConfiguration('mqttExplorer'), 10_000, 'the workspace settings restored');
      writeFileSync(file, before);
      await restored;
    }
  });

  it('the Local broker connection and the simulator get in; a client without the password is refused', async () => {
    const port = await startBroker();
    const connection = api.registry.get(LOCAL_CONNECTION_ID);
    assert.equal(connection?.state.kind, 'connected');
    assert.equal(connection.profile.username, LOCAL_BROKER_USERNAME);
    const credentials = api.localDevelopment.requiredCredentials;
    assert.ok(credentials, 'the running broker requires credentials');
    assert.equal(credentials.username, LOCAL_BROKER_USERNAME);
    assert.match(credentials.password, /^[A-Za-z0-9_-]{24}$/, 'a generated password: 24 characters of base64url');

    assert.equal(await connackCode(`mqtt://127.0.0.1:${port}`), 5, 'no user name or password: not authorised');
    assert.equal(await connackCode(`mqtt://127.0.0.1:${port}`, { username: LOCAL_BROKER_USERNAME, password: 'guess' }), 4, 'a wrong password');
    assert.equal(await connackCode(`mqtt://127.0.0.1:${port}`, credentials), 0, 'the stored password');

    // The simulator (in the broker's worker thread) connects with the password too: its topics reach the connection.
    const received = async () => (await api.registry.engine.request('stats', { connectionId: LOCAL_CONNECTION_ID })).received;
    const before = await received();
    const summary = await api.localDevelopment.startSimulator();
    try {
      assert.ok(summary);
      // The engine's own count (its change reports wait for a visible view).
      await waitUntil(async () => (await received()) > before + summary.plan.devices.length, 10_000, "the simulator's messages");
    } finally {
      await api.localDevelopment.stopSimulator();
    }
  });

  it('keeps the stored password across a restart of the broker', async () => {
    const required = () => api.localDevelopment.requiredCredentials;
    const first = required()?.password;
    assert.ok(first);
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
    assert.equal(required(), undefined, 'nothing is held while the broker is stopped');
    const port = await startBroker();
    assert.equal(required()?.password, first, 'the same password, from SecretStorage');
    assert.equal(api.registry.get(LOCAL_CONNECTION_ID)?.state.kind, 'connected');
    assert.equal(await connackCode(`mqtt://127.0.0.1:${port}`), 5);
    assert.equal(await connackCode(`mqtt://127.0.0.1:${port}`, { username: LOCAL_BROKER_USERNAME, password: first }), 0);
  });

  it('when the broker\'s thread dies, its connection goes with it: nothing keeps sending the password to the freed port', async () => {
    assert.equal(api.registry.get(LOCAL_CONNECTION_ID)?.state.kind, 'connected');
    const gone = waitFor(api.registry.onDidChange, () => api.registry.get(LOCAL_CONNECTION_ID) === undefined, 10_000, 'the local connection to go');
    // A crash of the devtools thread, as the process would see it (no hook exists for it: the test reaches the thread).
    const devtools = (api.localDevelopment as unknown as { devtools?: { worker: { terminate(): Promise<number> } } }).devtools;
    assert.ok(devtools, 'the broker runs in its thread');
    await devtools.worker.terminate();
    await gone;
    assert.equal(api.localDevelopment.requiredCredentials, undefined);
  });
});
