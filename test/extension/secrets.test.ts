import * as assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { CONNECT_WITHOUT, SEND_ANYWAY, SEND_PASSWORD } from '../../src/host/secretGate';
import { newProfile } from '../../src/shared/profile';
import { HostileBroker } from '../helpers/hostileBroker';
import { waitFor } from '../helpers/waitFor';
import { explorer } from './explorer';

describe('A stored password goes only to the broker it was typed for (real VS Code)', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let original: TestInternals['prompts']['confirm'];
  /** The modal questions asked, and the buttons they are answered with (undefined: Cancel). */
  const asked: { message: string; buttons: string[] }[] = [];
  let answers: (string | undefined)[] = [];
  let onAsked: (() => void) | undefined;
  let typedFor: HostileBroker;
  let elsewhere: HostileBroker;
  const password = `bound-${Date.now()}-Qx3`;
  const id = 'secret-binding';

  before(async () => {
    api = await explorer();
    original = api.prompts.confirm;
    // VS Code refuses modal dialogs while it runs extension tests: this answers them, and records what was asked.
    api.prompts.confirm = (message, _detail, ...buttons) => {
      asked.push({ message, buttons });
      onAsked?.();
      if (answers.length === 0) return Promise.reject(new Error(`unexpected question: ${message}`));
      return Promise.resolve(answers.shift());
    };
    typedFor = await HostileBroker.start('127.0.0.1');
    // Another address of this machine stands in for the other host a workspace points the profile at.
    elsewhere = await HostileBroker.start('127.0.0.2');
  });

  beforeEach(() => {
    asked.length = 0;
    answers = [];
  });

  after(async () => {
    api.prompts.confirm = original;
    await api.registry.get(id)?.disconnect();
    await api.profiles.remove(id);
    await typedFor?.stop();
    await elsewhere?.stop();
  });

  const user = () => newProfile(id, { name: 'Bound', host: '127.0.0.1', port: typedFor.port, username: 'dev', mqttVersion: 4 });
  const moved = () => ({ ...user(), host: '127.0.0.2', port: elsewhere.port });
  const connection = () => {
    const found = api.registry.get(id);
    assert.ok(found, 'the profile is a connection');
    return found;
  };
  const listed = (host: string) => waitFor(api.registry.onDidChange, () => api.registry.get(id)?.profile.host === host, 10_000, `the profile to point at ${host}`);

  it('the broker it was typed for gets it without a question', async () => {
    const shown = listed('127.0.0.1');
    await api.profiles.save(user(), 'user', { password });
    await shown;
    await connection().connect();
    assert.equal(connection().state.kind, 'connected');
    assert.deepEqual(typedFor.connects, [{ username: 'dev', password }]);
    assert.equal(asked.length, 0);
  });

  it('a workspace that points the profile elsewhere: the live connection does not reconnect there with the password unless the user agrees', async () => {
    const question = new Promise<void>((resolve) => (onAsked = resolve));
    answers = [undefined];
    // The workspace's profile with the same id wins over the user's (what a shared repository's settings can do).
    await vscode.workspace.getConfiguration('mqttExplorer').update('connections', [moved()], vscode.ConfigurationTarget.Workspace);
    // The connection was live: the settings change reconnects it, and that connect asks first.
    await question;
    onAsked = undefined;
    assert.equal(asked.length, 1);
    assert.match(asked[0].message, new RegExp(`typed for mqtt://127\\.0\\.0\\.1:${typedFor.port} as dev\\. This connection now goes to mqtt://127\\.0\\.0\\.2:${elsewhere.port} as dev`));
    assert.deepEqual(asked[0].buttons, [CONNECT_WITHOUT(), SEND_PASSWORD()], 'the safe answer is the default');
    answers = [undefined];
    await assert.rejects(connection().connect(), /was not sent to mqtt:\/\/127\.0\.0\.2/);
    assert.equal(connection().state.kind, 'disconnected');
    assert.deepEqual(elsewhere.connects, [], 'nothing reached the other host');
  });

  it('"Connect Without It" connects with the user name only; the next connect asks again', async () => {
    answers = [CONNECT_WITHOUT()];
    await connection().connect();
    assert.equal(connection().state.kind, 'connected');
    assert.deepEqual(elsewhere.connects, [{ username: 'dev' }]);
    await connection().disconnect();
    answers = [undefined];
    await assert.rejects(connection().connect(), /Not connected/);
    assert.equal(asked.length, 2, 'asked again: the password is still bound to the first broker');
  });

  it('"Send the Password" sends it and binds it to the new broker: no question after', async () => {
    answers = [SEND_PASSWORD()];
    await connection().connect();
    assert.deepEqual(elsewhere.connects.at(-1), { username: 'dev', password });
    await connection().disconnect();
    await connection().connect();
    assert.deepEqual(elsewhere.connects.at(-1), { username: 'dev', password });
    assert.equal(asked.length, 1);
    await connection().disconnect();
    // Back to where it was typed for: that is another change of broker, asked about too.
    const back = listed('127.0.0.1');
    await vscode.workspace.getConfiguration('mqttExplorer').update('connections', undefined, vscode.ConfigurationTarget.Workspace);
    await back;
    answers = [undefined];
    await assert.rejects(connection().connect(), /Not connected/);
    assert.equal(asked.length, 2);
  });

  it('a password that would cross the network unencrypted is asked about once per profile and broker', async () => {
    // 192.0.2.0/24 is reserved for documentation: nothing is connected, only the gate is asked.
    const remote = { ...user(), host: '192.0.2.7', port: 1883 };
    await api.profiles.save(remote, 'user', { password });
    answers = [undefined];
    await assert.rejects(api.secretGate.secretsFor(remote), /not sent unencrypted to mqtt:\/\/192\.0\.2\.7:1883/);
    assert.match(asked[0].message, /would send its password unencrypted \(mqtt:\/\/\) to mqtt:\/\/192\.0\.2\.7:1883 as dev/);
    assert.deepEqual(asked[0].buttons, [SEND_ANYWAY()]);
    answers = [SEND_ANYWAY()];
    assert.deepEqual(await api.secretGate.secretsFor(remote), { password });
    assert.deepEqual(await api.secretGate.secretsFor(remote), { password }, 'asked once');
    assert.equal(asked.length, 2);
    const tls = { ...remote, protocol: 'mqtts' as const, port: 8883 };
    await api.profiles.save(tls, 'user', { password });
    assert.deepEqual(await api.secretGate.secretsFor(tls), { password }, 'over TLS nothing is asked');
    assert.equal(asked.length, 2);
  });

  it('a relative CA file is bound as the file it resolves to: another folder means another broker', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const profile = newProfile('secret-relative-ca', { protocol: 'mqtts', host: 'broker.example', port: 8883, tls: { verify: true, caFile: 'certs/ca.pem' } });
    assert.ok(api.profiles.bindingTarget(profile).includes(JSON.stringify(join(folder, 'certs/ca.pem')).slice(1, -1)), api.profiles.bindingTarget(profile));
    assert.notEqual(api.profiles.bindingTarget(profile), api.profiles.bindingTarget({ ...profile, tls: { verify: true, caFile: join(tmpdir(), 'certs/ca.pem') } }));
  });

  it('a settings profile cannot take the local broker connection\'s id (and with it the broker\'s password)', async () => {
    const warned = waitFor(api.settings.onDidWarn, (warning) => /belongs to the local broker's connection/.test(warning.message), 10_000, 'the warning about the id');
    await vscode.workspace.getConfiguration('mqttExplorer').update('connections', [{ id: 'local-broker', name: 'Not the local broker', host: '127.0.0.2', port: elsewhere.port }], vscode.ConfigurationTarget.Workspace);
    try {
      await warned;
      assert.equal(api.profiles.get('local-broker'), undefined);
      assert.notEqual(api.registry.get('local-broker')?.profile.host, '127.0.0.2');
      await assert.rejects(api.profiles.save(newProfile('local-broker', { host: '127.0.0.2' }), 'user'), /belongs to the local broker's connection/);
    } finally {
      await vscode.workspace.getConfiguration('mqttExplorer').update('connections', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
