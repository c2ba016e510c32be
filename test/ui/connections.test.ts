import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { Mosquitto, TEST_USER } from '../helpers/mosquitto';
import { Workbench } from './workbench';

describe('The connection form in the workbench (Chromium)', function () {
  this.timeout(120_000);
  let workbench: Workbench;
  let form: Frame;

  before(async () => {
    workbench = await Workbench.open();
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: `Local broker (127.0.0.1:${workbench.brokerPort})` }).first().waitFor();
  });

  after(async () => {
    await workbench?.close();
  });

  const input = (id: string) => form.locator(`#${id} input`);

  it('"MQTT: Add Connection" opens the whole form', async () => {
    await workbench.runCommand('MQTT: Add Connection');
    form = await workbench.webviewFrame('form.connection-form');
    for (const heading of ['Broker', 'Authentication', 'Session', 'Last will', 'Subscriptions', 'Saved in']) {
      await form.locator('h2', { hasText: heading }).waitFor();
    }
    assert.match(await input('clientId').inputValue(), /^vscode-mqtt-[0-9a-f]{8}$/, 'a client id is generated');
  });

  it('a bad port is named next to the field, and nothing typed is lost', async () => {
    await input('name').fill('Form test broker');
    await input('host').fill('127.0.0.1');
    await input('port').fill('99999');
    await form.locator('[data-field="port"] .field-error', { hasText: /1 to 65535/ }).waitFor();
    await form.locator('vscode-button', { hasText: 'Save and Connect' }).click();
    await form.locator('.form-status.error', { hasText: /Not saved/ }).waitFor();
    assert.equal(await input('name').inputValue(), 'Form test broker');
    assert.equal(await input('port').inputValue(), '99999');
    await workbench.screenshot('connection-form-error-dark');
  });

  it('saved and connected: the form closes and the Connections view shows it connected', async () => {
    await input('port').fill(String(workbench.brokerPort));
    await form.locator('[data-field="port"] .field-error').waitFor({ state: 'hidden' });
    // The embedded broker (aedes) speaks MQTT 3.1.1.
    await form.locator('#mqttVersion').click();
    await form.locator('vscode-option', { hasText: '3.1.1' }).click();
    await input('username').fill('someone');
    await input('password').fill('form-secret-123');
    await form.locator('vscode-button', { hasText: 'Save and Connect' }).click();
    const row = workbench.page.locator('.monaco-list-row', { hasText: 'Form test broker' }).first();
    await row.waitFor({ timeout: 20_000 });
    await workbench.page.locator('.monaco-list-row', { hasText: /Form test broker.*connected/ }).first().waitFor({ timeout: 20_000 });
    // The form closes once saved and connected.
    await workbench.page.locator('.tab', { hasText: 'New MQTT Connection' }).waitFor({ state: 'detached', timeout: 10_000 });
    await workbench.screenshot('connections-view-dark');
  });

  it('a wrong password is named next to the button; corrected in the same form, it connects (mosquitto with a password file)', async () => {
    const mosquitto = await Mosquitto.create();
    try {
      await workbench.runCommand('MQTT: Add Connection');
      form = await workbench.webviewFrame('form.connection-form');
      await input('name').fill('Password test broker');
      await input('host').fill('127.0.0.1');
      await input('port').fill(String(mosquitto.ports.auth));
      await input('username').fill(TEST_USER.username);
      await input('password').fill('not the password');
      await form.locator('vscode-button', { hasText: 'Save and Connect' }).click();
      await form.locator('.form-status.error', { hasText: /Not authori[sz]ed.*Check the user name and password/ }).waitFor({ timeout: 20_000 });
      assert.equal(await input('username').inputValue(), TEST_USER.username, 'nothing typed is lost');
      await workbench.screenshot('connection-form-wrong-password-dark');

      await input('password').fill(TEST_USER.password);
      await form.locator('vscode-button', { hasText: 'Save and Connect' }).click();
      await workbench.page.locator('.monaco-list-row', { hasText: /Password test broker.*connected/ }).first().waitFor({ timeout: 20_000 });
      await workbench.page.locator('.tab', { hasText: /MQTT Connection/ }).waitFor({ state: 'detached', timeout: 10_000 });
    } finally {
      await mosquitto.dispose();
    }
  });
});
