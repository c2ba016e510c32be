import * as assert from 'node:assert/strict';
import { planFleet } from '../../src/devtools/simulator';
import { Workbench } from './workbench';

describe('MQTT Explorer in the workbench (Chromium)', function () {
  this.timeout(120_000);
  let workbench: Workbench;
  const fleet = planFleet(24);
  const telemetryTopic = fleet.devices[0].telemetryTopic;

  before(async () => {
    workbench = await Workbench.open();
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
  });

  it('opens the MQTT container from the activity bar, with its two views', async () => {
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    await page.locator('.pane-header', { hasText: 'Connections' }).waitFor();
    await page.locator('.pane-header', { hasText: 'Topics' }).waitFor();
    // The workspace settings auto-started the local broker, and the explorer is connected to it.
    const connection = page.locator('.monaco-list-row', { hasText: `Local broker (127.0.0.1:${workbench.brokerPort})` }).first();
    await connection.waitFor();
    await page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor();
  });

  it('shows the simulator topics in the Topics tree, with the last value as description', async () => {
    const row = await workbench.revealTopic(fleet.textTopic);
    assert.match((await row.textContent()) ?? '', /gateway booted|heartbeat/);
    assert.ok(await workbench.revealTopic(fleet.unicodeTopic), 'the unicode topic is in the tree');
  });

  it('opens the panel from a topic and its webview shows the last payload as text', async () => {
    const frame = await workbench.openTopic(fleet.textTopic);
    await frame.locator('pre.payload-text').waitFor();
    assert.match((await frame.locator('pre.payload-text').textContent()) ?? '', /gateway booted|heartbeat/);
    assert.match((await frame.locator('.details .kind').textContent()) ?? '', /Text \(auto\)/);
  });

  it('shows a binary payload as a hex dump', async () => {
    const frame = await workbench.openTopic(fleet.binaryTopic);
    await frame.locator('pre.payload-hex').waitFor();
    assert.match((await frame.locator('pre.payload-hex').textContent()) ?? '', /^00000000 {2}([0-9a-f]{2} )+/);
  });

  it('filters the tree by a substring of the topic, shows the filter, and clears it', async () => {
    const pane = workbench.topicsPane();
    // From the view's own toolbar while a row has the focus (the test before clicked one): VS Code
    // passes that row to the action, which the command once took for a filter and showed nothing.
    await pane.hover();
    await pane.locator('.pane-header .action-label[aria-label="Filter Topics…"]').click();
    await workbench.answerQuickPick('Filter topics', 'Topic contains…');
    await workbench.answerInputBox('Topic contains', 'gw-01');
    await pane.getByText('Filter: Topic contains "gw-01"').waitFor();
    await workbench.revealTopic(fleet.binaryTopic);
    const rows = (level: number) => pane.locator(`.monaco-list-row[aria-level="${level}"] .label-name`).allTextContents();
    assert.deepEqual(await rows(3), ['berlin'], 'only the site with a matching topic');
    assert.deepEqual(await rows(4), ['gateway']);
    await workbench.screenshot('topics-filtered-dark');
    await pane.hover();
    await pane.locator('.pane-header .action-label[aria-label="Clear Topic Filter"]').click();
    await pane.getByText('Filter: Topic contains').waitFor({ state: 'detached' });
    await workbench.revealTopic(fleet.deepTopic);
    assert.ok((await rows(3)).includes('lisbon'), 'everything is back');
  });

  it('shows JSON telemetry pretty-printed, and follows the theme from dark to light', async () => {
    const { page } = workbench;
    let frame = await workbench.openTopic(telemetryTopic);
    await frame.locator('.payload-json .json-key').first().waitFor();
    const keys = await frame.locator('.payload-json .json-key').allTextContents();
    assert.ok(keys.includes('"temperature"') && keys.includes('"seq"'), keys.join(' '));
    await workbench.screenshot('workbench-dark', { readme: true });

    const background = () => frame.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim());
    const dark = await background();
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    frame = await workbench.webviewFrame('h1.topic', { text: telemetryTopic });
    await frame.waitForFunction((before) => getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() !== before, dark, { timeout: 10_000 });
    await workbench.screenshot('workbench-light', { readme: true });
  });
});
