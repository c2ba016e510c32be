import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    assert.equal(imported, 1, 'the workspace profile, saved unchanged, is not written again');
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

describe('Import of connections that are already saved, in a real VS Code', () => {
  let api: TestInternals;
  let original: TestInternals['prompts']['quickPick'];
  const asked: { title: string; items: vscode.QuickPickItem[] }[] = [];
  /** The labels the next quick picks are answered with; undefined: Escape. */
  let answers: (string | undefined)[] = [];
  const passwordA = `a-${Date.now()}`;
  const passwordB = `b-${Date.now()}`;
  const a = newProfile('import-a', { name: 'Import A', host: '127.0.0.1', port: 11, username: 'alice' });
  const b = newProfile('import-b', { name: 'Import B', host: '127.0.0.1', port: 12, username: 'bob' });
  let file: vscode.Uri;

  before(async () => {
    api = await explorer();
    original = api.prompts.quickPick;
    // A test cannot click a quick pick: this answers them, and records what was offered.
    api.prompts.quickPick = <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined> => {
      asked.push({ title: options.title ?? '', items: [...items] });
      if (answers.length === 0) return Promise.reject(new Error(`unexpected question: ${options.title}`));
      const label = answers.shift();
      const item = items.find((candidate) => candidate.label === label);
      if (label !== undefined && !item) return Promise.reject(new Error(`no item "${label}" in ${options.title}`));
      return Promise.resolve(item);
    };
    await api.profiles.save(a, 'user', { password: passwordA });
    await api.profiles.save(b, 'user', { password: passwordB });
    // A moved to another host (its password must not follow), B only renamed, and one new profile.
    file = vscode.Uri.file(join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'conflicting-connections.json'));
    const profiles = [
      { ...a, host: '192.0.2.1' },
      { ...b, name: 'Import B renamed' },
      newProfile('import-n', { name: 'Import N', host: '127.0.0.1', port: 13 }),
    ];
    writeFileSync(file.fsPath, JSON.stringify({ mqttExplorerConnections: 1, profiles }));
  });

  beforeEach(() => {
    asked.length = 0;
  });

  after(async () => {
    api.prompts.quickPick = original;
    for (const { profile } of api.profiles.list()) if (profile.id.startsWith('import-') || profile.name.startsWith('Import ')) await api.profiles.remove(profile.id);
  });

  const importFile = () => vscode.commands.executeCommand<number>('mqttExplorer.importConnections', file);

  it('Escape on the question changes nothing', async () => {
    answers = [undefined];
    assert.equal(await importFile(), 0);
    assert.equal(asked.length, 1);
    assert.match(asked[0].title, /2 connections in the file are already saved/);
    assert.equal(api.profiles.get('import-a')?.profile.host, '127.0.0.1');
    assert.equal(api.profiles.get('import-n'), undefined);
  });

  it('"keep all" imports only what collides with nothing, and the saved ones keep their broker and password', async () => {
    answers = ['Keep all saved ones'];
    assert.equal(await importFile(), 1);
    assert.equal(api.profiles.get('import-n')?.profile.name, 'Import N');
    assert.equal(api.profiles.get('import-a')?.profile.host, '127.0.0.1');
    assert.equal(api.profiles.get('import-b')?.profile.name, 'Import B');
    assert.deepEqual(await api.profiles.getSecrets('import-a'), { password: passwordA });
  });

  it('one by one: a replaced profile that moves to another broker loses its password; "import as new" adds a copy without one', async () => {
    answers = ['Decide for each…', 'Replace it', 'Import as new'];
    assert.equal(await importFile(), 2);
    assert.deepEqual(
      asked.map((question) => question.title),
      [
        'Import: 2 connections in the file are already saved',
        'Import (1 of 2): "Import A" has the same id as the saved connection "Import A"',
        'Import (2 of 2): "Import B renamed" has the same id as the saved connection "Import B"',
      ],
    );
    const replaceA = asked[1].items.find((item) => item.label === 'Replace it');
    assert.match(replaceA?.detail ?? '', /goes to mqtt:\/\/192\.0\.2\.1:11 as alice instead of mqtt:\/\/127\.0\.0\.1:11 as alice: the stored password and passphrase are deleted/);
    assert.doesNotMatch(asked[2].items.find((item) => item.label === 'Replace it')?.detail ?? '', /deleted/, 'B keeps its broker');

    assert.equal(api.profiles.get('import-a')?.profile.host, '192.0.2.1');
    assert.deepEqual(await api.profiles.getSecrets('import-a'), {}, 'the password typed for 127.0.0.1 is not kept for 192.0.2.1');
    assert.equal(api.profiles.get('import-b')?.profile.name, 'Import B', 'B was kept: its copy was added');
    assert.deepEqual(await api.profiles.getSecrets('import-b'), { password: passwordB });
    const copies = api.profiles.list().filter(({ profile }) => profile.name === 'Import B renamed (imported)');
    assert.equal(copies.length, 1);
    assert.notEqual(copies[0].profile.id, 'import-b');
    assert.notEqual(copies[0].profile.clientId, b.clientId, 'two clients with one id would throw each other off the broker');
    assert.deepEqual(await api.profiles.getSecrets(copies[0].profile.id), {});
  });
});
