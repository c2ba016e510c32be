import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PLAYGROUND_MQTT_FILE, PLAYGROUND_SCHEMA_FILE, playgroundMqttFile, playgroundSchema } from '../../tools/workbench/playground';
import { waitUntil } from '../helpers/waitFor';
import { Workbench } from './workbench';

/**
 * The playground's `thermostat.mqtt` in VS Code's Test Explorer, run against the simulator's
 * thermostat on the local broker: the check of the new setpoint passes, the one that fails on
 * purpose fails with expected and actual in the diff.
 */
describe('.mqtt files in the Test Explorer (Chromium)', function () {
  this.timeout(240_000);
  let workbench: Workbench;

  before(async () => {
    // VS Code's own option to open a failure's peek when the run ends (its default, never, leaves it to a click).
    workbench = await Workbench.open({ userSettings: { 'testing.automaticallyOpenPeekView': 'failureAnywhere' } });
    const folder = workbench.workspaceFolder;
    writeFileSync(join(folder, PLAYGROUND_MQTT_FILE), playgroundMqttFile(workbench.brokerPort));
    mkdirSync(join(folder, dirname(PLAYGROUND_SCHEMA_FILE)), { recursive: true });
    writeFileSync(join(folder, PLAYGROUND_SCHEMA_FILE), playgroundSchema());
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    // The simulator's thermostats publish once the local broker is up.
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
  });

  it('lists the file with its two checks, runs it: one passes, the deliberate failure shows its diff', async () => {
    const { page } = workbench;
    // The file open in the editor: a failure's peek opens there, with the diff.
    await page.keyboard.press('Control+P');
    await workbench.pickQuickInput(PLAYGROUND_MQTT_FILE);
    await page.locator('.editor-instance .view-line', { hasText: 'EXPECT {{thermostat}}/telemetry' }).first().waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: /^Testing/ }).click();
    const view = page.locator('.part.sidebar');
    const fileRow = view.locator('.monaco-list-row', { hasText: PLAYGROUND_MQTT_FILE }).first();
    await fileRow.waitFor({ timeout: 30_000 });
    if ((await fileRow.getAttribute('aria-expanded')) !== 'true') await fileRow.locator('.monaco-tl-twistie').click();
    const passRow = view.locator('.monaco-list-row', { hasText: 'The thermostat reports the new setpoint' }).first();
    const failRow = view.locator('.monaco-list-row', { hasText: 'Fails on purpose' }).first();
    await passRow.waitFor({ timeout: 15_000 });
    await failRow.waitFor({ timeout: 15_000 });
    // Only the checks are tests; the PUBLISH blocks are their steps.
    assert.equal(await view.locator('.monaco-list-row', { hasText: 'Set the setpoint' }).count(), 0);

    // The Testing side bar's own Run Tests (its only view's actions are in the side bar's title).
    await page.locator('.part.sidebar .title-actions .action-label[aria-label^="Run Tests"]').first().click();
    await passRow.locator('.codicon-testing-passed-icon').waitFor({ timeout: 60_000 });
    await failRow.locator('.codicon-testing-failed-icon').waitFor({ timeout: 60_000 });
    await fileRow.locator('.codicon-testing-failed-icon').waitFor({ timeout: 15_000 });

    // The peek in the editor, as the failure's gutter mark or the command opens it: the message, and expected against actual side by side.
    // The failure is written after its block (actual != expected).
    const inline = page.locator('.editor-instance .test-error-content-widget .inner').first();
    // Drawn after the line's text; the widget's box is empty to Playwright, so it is clicked where it is.
    await inline.waitFor({ state: 'attached', timeout: 15_000 });
    assert.match((await inline.textContent()) ?? '', /!= \{ "setpoint": 25 \}/);
    const peek = page.locator('.editor-instance .peekview-widget').first();
    await peek.waitFor({ timeout: 30_000 });
    await waitUntil(async () => /25/.test((await peek.textContent()) ?? '') && /21\.5/.test((await peek.textContent()) ?? ''), 20_000, 'expected 25 and the actual 21.5 in the peek');
    const text = (await peek.textContent()) ?? '';
    assert.match(text, /Expected/i);
    assert.match(text, /setpoint/);
    await workbench.screenshot('test-explorer-dark', { readme: true });
  });

  it('looks right in the light theme', async () => {
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await workbench.page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    await workbench.page.locator('.editor-instance .peekview-widget').first().waitFor({ timeout: 10_000 });
    await workbench.screenshot('test-explorer-light', { readme: true });
  });
});
