import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { LocalBroker } from '../../src/devtools/localBroker';
import { HostileBroker } from '../helpers/hostileBroker';
import { exactly, Workbench } from './workbench';

/** Whether something listens on 127.0.0.1:port (the local broker, had it started). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * A malicious folder opened in the real workbench with workspace trust on: its settings hold
 * every hostile value of issue 12 and connections that point at a stand-in "new host" (a
 * listener on 127.0.0.2 that records what each CONNECT carries), one of them taking the id of a
 * user profile. In Restricted Mode nothing connects to that host, the local broker and the
 * simulator do not start, and the folder's connections are listed, marked; the user's own
 * connection still connects. Once trusted, a password never follows an overridden profile to
 * that host unless the user agrees in the modal that names both brokers.
 */
describe('Restricted Mode: a malicious folder in the workbench (Chromium)', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let hostile: HostileBroker;
  let hostilePort: number;
  const password = `typed-for-my-broker-${Date.now()}`;
  let userBroker: LocalBroker;

  before(async () => {
    hostile = await HostileBroker.start('127.0.0.2');
    hostilePort = hostile.port;
    userBroker = new LocalBroker();
    await userBroker.start(0);
    const toHostile = { protocol: 'mqtt', host: '127.0.0.2', port: hostilePort, mqttVersion: 4 };
    workbench = await Workbench.open({
      restrictedMode: true,
      userSettings: {
        'mqttExplorer.connections': [
          { id: 'team-broker', name: 'Team broker', host: '127.0.0.1', port: userBroker.port, mqttVersion: 4 },
          { id: 'my-broker', name: 'My broker', host: '127.0.0.1', port: userBroker.port, mqttVersion: 4, subscriptions: [{ topic: 'mine/#', qos: 0 }] },
        ],
      },
      settings: {
        // Workbench.open adds localBroker.autoStart, its port and simulator.autoStart, all true.
        'mqttExplorer.simulator.messagesPerSecond': 1e9,
        'mqttExplorer.limits.totalMib': 'x',
        'mqttExplorer.reconnect.minDelaySeconds': 0,
        'mqttExplorer.defaultSubscriptions': ['$share/g/#'],
        'mqttExplorer.connections': [
          // The id of the user's "Team broker", another host.
          { id: 'team-broker', name: 'Team broker', ...toHostile },
          { id: 'folder-will', name: 'Folder broker with a will', ...toHostile, will: { topic: 'folder/will', payload: 'gone', qos: 1, retain: true } },
          { id: 'folder-tls', name: 'Folder TLS broker', ...toHostile, protocol: 'mqtts', tls: { verify: true, caFile: '/dev/zero', certFile: '/dev/zero', keyFile: '/dev/zero' } },
        ],
      },
    });
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
    await hostile?.stop();
    await userBroker?.stop();
  });

  const row = (name: string) => workbench.page.locator('.pane', { has: workbench.page.locator('.pane-header', { hasText: 'Connections' }) }).locator('.monaco-list-row', { hasText: name }).first();

  it('opens in Restricted Mode, with the folder\'s connections listed and marked', async () => {
    await workbench.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    // Listed once the extension has read the folder's settings file.
    for (const name of ['Team broker', 'Folder broker with a will', 'Folder TLS broker']) {
      await workbench.page.locator('.monaco-list-row', { hasText: new RegExp(`${name}\\s*Restricted Mode`) }).first().waitFor({ timeout: 60_000 });
    }
    assert.match((await row('My broker').textContent()) ?? '', /My broker\s*disconnected/, 'the user\'s own profile is not marked');
    // The folder's profile wins over the user's with the same id, marked: its tooltip shows the override's host.
    // The workbench shows a tooltip only for a pointer that arrives and rests; one that was already there,
    // or a hover cancelled by a re-render of the row, shows none (seen in CI), so the pointer leaves and comes back.
    const hover = workbench.page.locator('.monaco-hover', { hasText: 'Trust the folder to connect' }).first();
    for (let attempt = 1; ; attempt++) {
      await workbench.page.mouse.move(1000, 850);
      await row('Team broker').hover();
      try {
        await hover.waitFor({ timeout: 5_000 });
        break;
      } catch (error) {
        if (attempt === 4) throw error;
      }
    }
    assert.match((await hover.textContent()) ?? '', new RegExp(`mqtt://127\\.0\\.0\\.2:${hostilePort}`));
    await workbench.screenshot('restricted-mode-dark');
  });

  it('connecting a marked profile is refused where the user looks, with "Manage Workspace Trust"; the host hears nothing', async () => {
    await workbench.page.mouse.move(1000, 850);
    const center = workbench.page.locator('.notifications-center');
    for (const name of ['Team broker', 'Folder TLS broker']) {
      await row(name).hover();
      await row(name).locator('.action-label[aria-label="Connect"]').click();
      // This server build shows no toasts in headless Chromium: the notification is read in the center, where it also lands.
      await workbench.runCommand('Notifications: Show Notifications');
      const notification = center.locator('.notification-list-item', { hasText: `"${name}" comes from this folder's settings` });
      await notification.waitFor({ timeout: 15_000 });
      await notification.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).waitFor();
    }
    await workbench.screenshot('restricted-mode-refused-dark');
    await workbench.runCommand('Notifications: Hide Notifications');
    // The user's own connection connects as usual, so the extension is alive and any start would have happened by now.
    await row('My broker').hover();
    await row('My broker').locator('.action-label[aria-label="Connect"]').click();
    await workbench.page.locator('.monaco-list-row', { hasText: /My broker\s*connected/ }).first().waitFor({ timeout: 30_000 });
    assert.match((await row('Team broker').textContent()) ?? '', /Restricted Mode/);
    assert.equal(hostile.accepted, 0, 'nothing connected to the folder\'s host');
  });

  it('the local broker and the simulator did not start', async () => {
    assert.equal(await listening(workbench.brokerPort), false, `nothing listens on the folder's local broker port ${workbench.brokerPort}`);
    assert.equal(await workbench.page.locator('.monaco-list-row', { hasText: 'Local broker' }).count(), 0, 'no local broker row');
    // The user's broker has the explorer's one client, and no simulated device.
    assert.equal(userBroker.clientCount, 1);
    assert.equal(hostile.accepted, 0);
  });

  it('a .mqtt message file runs nothing: its CodeLens says to trust the folder, and offers no Publish', async () => {
    writeFileSync(join(workbench.workspaceFolder, 'restricted.mqtt'), '# @connection My broker\n\n### Lamp\nPUBLISH mine/lamp\n\non\n');
    await workbench.page.keyboard.press('Control+P');
    await workbench.pickQuickInput('restricted.mqtt');
    const editor = workbench.page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.codelens-decoration a', { hasText: 'Trust the folder to run' }).first().waitFor({ timeout: 30_000 });
    assert.equal(await editor.locator('.codelens-decoration a', { hasText: /Publish$/ }).count(), 0);
    await workbench.screenshot('restricted-mode-mqtt-file-dark');
    await workbench.runCommand('View: Close All Editors');
  });

  it('once the user trusts the folder, the marks go and its local broker starts; still nothing connects to its host unasked', async () => {
    await workbench.runCommand('Notifications: Show Notifications');
    await workbench.page.locator('.notifications-center .notification-list-item', { hasText: '"Team broker" comes from' }).locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).click();
    await workbench.page.locator('.workspace-trust-editor .monaco-button', { hasText: exactly('Trust') }).first().click();
    await workbench.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'detached', timeout: 30_000 });
    // The folder's own settings apply now: its local broker starts (with the simulator) on its port.
    await workbench.page.locator('.monaco-list-row', { hasText: new RegExp(`Local broker \\(127\\.0\\.0\\.1:${workbench.brokerPort}\\)\\s*connected`) }).first().waitFor({ timeout: 30_000 });
    assert.equal(await listening(workbench.brokerPort), true);
    for (const name of ['Team broker', 'Folder broker with a will', 'Folder TLS broker']) {
      await workbench.page.locator('.monaco-list-row', { hasText: new RegExp(`${name}\\s*disconnected`) }).first().waitFor({ timeout: 15_000 });
    }
    await workbench.runCommand('Notifications: Hide Notifications');
    await workbench.runCommand('View: Close All Editors');
    await workbench.page.locator('.workspace-trust-editor').waitFor({ state: 'detached', timeout: 10_000 });
    await workbench.screenshot('restricted-mode-trusted-dark');
    assert.equal(hostile.accepted, 0, 'trusting connects nothing by itself');
  });

  it('after trust, a password typed for the user\'s broker does not follow the folder\'s override of that connection to its host unless the user agrees', async () => {
    // The user types a password for their own, connected "My broker".
    await workbench.contextMenu(row('My broker'), 'Edit Connection');
    const form = await workbench.webviewFrame('form.connection-form');
    await form.locator('#username input').fill('me');
    await form.locator('#password input').fill(password);
    await form.locator('vscode-button', { hasText: 'Save and Connect' }).click();
    await workbench.page.locator('.tab', { hasText: /Connection: My broker/ }).waitFor({ state: 'detached', timeout: 20_000 });
    await workbench.page.locator('.monaco-list-row', { hasText: /My broker\s*connected/ }).first().waitFor({ timeout: 20_000 });

    // A pull brings a folder profile with its id and another host, while it is connected.
    const file = join(workbench.workspaceFolder, '.vscode', 'settings.json');
    const settings = JSON.parse(readFileSync(file, 'utf8')) as { 'mqttExplorer.connections': unknown[] };
    settings['mqttExplorer.connections'].push({ id: 'my-broker', name: 'My broker', host: '127.0.0.2', port: hostilePort, username: 'me', mqttVersion: 4 });
    writeFileSync(file, JSON.stringify(settings, null, 2));

    // The live connection follows the settings: before it sends anything there, a modal names both brokers.
    const dialog = workbench.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const text = (await dialog.textContent()) ?? '';
    assert.match(text, new RegExp(`typed for mqtt://127\\.0\\.0\\.1:${userBroker.port} as me\\. This connection now goes to mqtt://127\\.0\\.0\\.2:${hostilePort} as me`));
    await workbench.screenshot('secret-moved-dialog-dark');
    await workbench.answerDialog('Cancel');
    assert.deepEqual(hostile.connects, [], 'no password, no connection: the user cancelled');

    // Connect again, and agree: now it goes there, bound to the new broker.
    await row('My broker').hover();
    await row('My broker').locator('.action-label[aria-label="Connect"]').click();
    await workbench.answerDialog('Send the Password');
    await workbench.page.locator('.monaco-list-row', { hasText: /My broker\s*connected/ }).first().waitFor({ timeout: 20_000 });
    assert.deepEqual(hostile.connects, [{ username: 'me', password }]);
  });

  it('the marks in the light theme', async () => {
    // A second workbench, untrusted again, in Light Modern: the marks must read in both themes.
    const acceptedBefore = hostile.accepted;
    const light = await Workbench.open({ restrictedMode: true, theme: 'Default Light Modern', settings: { 'mqttExplorer.connections': [{ id: 'folder-only', name: 'Folder broker', host: '127.0.0.2', port: hostilePort, mqttVersion: 4 }] } });
    try {
      await light.page.getByRole('tab', { name: 'MQTT' }).click();
      await light.page.locator('.monaco-list-row', { hasText: /Folder broker\s*Restricted Mode/ }).first().waitFor({ timeout: 60_000 });
      await light.screenshot('restricted-mode-light');
      assert.equal(await listening(light.brokerPort), false);
      assert.equal(hostile.accepted, acceptedBefore, 'the untrusted folder connected nothing');
    } finally {
      await light.close();
    }
  });
});
