import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { Mosquitto } from '../helpers/mosquitto';
import { Workbench } from './workbench';

/** The server build's product.json urlProtocol: the scheme its links to extensions use (vscode:// on the desktop). */
const URL_PROTOCOL = 'code-oss';
const EXTENSION_ID = 'mqtt-explorer-dev.mqtt-explorer';

describe('A link to a broker opens the connection form filled in (Chromium)', function () {
  this.timeout(150_000);
  let workbench: Workbench;
  let mosquitto: Mosquitto;
  let form: Frame;

  before(async () => {
    mosquitto = await Mosquitto.create();
    // Nothing started by the workspace: the link alone activates the extension (onUri).
    workbench = await Workbench.open({ settings: { 'mqttExplorer.localBroker.autoStart': false, 'mqttExplorer.simulator.autoStart': false } });
  });

  after(async () => {
    await workbench?.close();
    await mosquitto?.dispose();
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  /** "Developer: Open URL", as a person pastes a link from a wiki; VS Code asks before an extension opens it. */
  async function openLink(link: string): Promise<void> {
    await workbench.runCommand('Developer: Open URL');
    const input = workbench.page.locator('.quick-input-widget:not([inert]) input');
    await input.waitFor({ state: 'visible' });
    await input.fill(link);
    await workbench.page.keyboard.press('Enter');
    const dialog = workbench.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    assert.match((await dialog.textContent()) ?? '', /Allow 'MQTT Explorer' extension to open this URI\?/);
    await workbench.answerDialog('Open');
  }

  const input = (id: string) => form.locator(`#${id} input`);

  /** This server build shows no toasts in headless Chromium: a notification is read in the center, where it also lands. */
  async function notification(text: RegExp): Promise<void> {
    await workbench.runCommand('Notifications: Show Notifications');
    await workbench.page.locator('.notifications-center .notification-list-item', { hasText: text }).first().waitFor({ timeout: 15_000 });
  }

  it('fills in the form from the link (the user name, an & in the name, the client id) and leaves the password out, saying so', async () => {
    const url = `mqtt://alice:link-secret-42@127.0.0.1:${mosquitto.ports.plain}`;
    await openLink(`${URL_PROTOCOL}://${EXTENSION_ID}/connect?url=${encodeURIComponent(url)}&name=Plant%20%26%20Lab&clientId=wiki-client-1`);
    form = await workbench.webviewFrame('form.connection-form');
    await workbench.page.locator('.tab', { hasText: 'New MQTT Connection' }).waitFor();
    // The host posts the profile once the form said it is ready.
    // (The fields are web components: their inputs are in shadow roots, which locators pierce.)
    for (let attempt = 0; attempt < 100 && (await input('name').inputValue()) !== 'Plant & Lab'; attempt++) await workbench.page.waitForTimeout(200);
    assert.equal(await input('name').inputValue(), 'Plant & Lab', 'an & encoded in the link is part of the name');
    assert.equal(await input('host').inputValue(), '127.0.0.1');
    assert.equal(await input('port').inputValue(), String(mosquitto.ports.plain));
    assert.equal(await input('username').inputValue(), 'alice');
    assert.equal(await input('clientId').inputValue(), 'wiki-client-1');
    assert.equal(await input('password').inputValue(), '', 'the password is not filled in');
    const frameText = await form.locator('body').evaluate((body) => body.innerHTML);
    assert.ok(!frameText.includes('link-secret-42'), 'the password is nowhere in the form');
    await notification(/the link contained a password\. It was not filled in and is not stored/);
    await workbench.screenshot('uri-handler-form-dark');
    await workbench.runCommand('Notifications: Clear All Notifications');
  });

  it('connects to nothing and saves nothing by itself', async () => {
    // Time for a connect that should not happen: the form would have connected within this.
    await workbench.page.waitForTimeout(3000);
    assert.doesNotMatch(mosquitto.log, /New connection from|New client connected/, 'the broker saw no client');
    await workbench.page.getByRole('tab', { name: 'MQTT', exact: true }).click();
    const connections = workbench.page.locator('.pane', { has: workbench.page.locator('.pane-header', { hasText: 'Connections' }) });
    await connections.locator('.welcome-view-content, .monaco-list').first().waitFor();
    assert.equal(await workbench.page.locator('.monaco-list-row', { hasText: 'Plant & Lab' }).count(), 0, 'no connection was saved');
  });

  it('a link to anything but mqtt://, mqtts://, ws:// or wss:// opens nothing and says why', async () => {
    await workbench.runCommand('View: Close All Editors');
    await workbench.page.locator('.tab', { hasText: 'New MQTT Connection' }).waitFor({ state: 'detached' });
    await openLink(`${URL_PROTOCOL}://${EXTENSION_ID}/connect?url=${encodeURIComponent('javascript:alert(1)')}`);
    await notification(/the link to a broker could not be opened\. “javascript:” is not a broker address/);
    assert.equal(await workbench.page.locator('.tab', { hasText: 'New MQTT Connection' }).count(), 0, 'no form opened');
    await workbench.screenshot('uri-handler-refused-dark');
  });
});
