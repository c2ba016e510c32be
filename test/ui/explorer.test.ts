import * as assert from 'node:assert/strict';
import { planFleet } from '../../src/engine/simulator';
import { exactly, Workbench } from './workbench';

describe('MQTT Explorer in the workbench (Chromium)', function () {
  this.timeout(120_000);
  let workbench: Workbench;
  const textTopic = planFleet(1).textTopic;

  before(async () => {
    workbench = await Workbench.open();
  });

  after(async () => {
    await workbench?.close();
  });

  it('opens the MQTT container from the activity bar, with its two views', async () => {
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    await page.locator('.pane-header', { hasText: 'Connections' }).waitFor();
    await page.locator('.pane-header', { hasText: 'Topics' }).waitFor();
    // The local broker was auto-started by the workspace settings and is connected.
    await page.locator('.monaco-list-row', { hasText: `Local broker (127.0.0.1:${workbench.brokerPort})` }).first().waitFor();
    await page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor();
  });

  it('shows the simulator topics in the Topics tree', async () => {
    const { page } = workbench;
    const topics = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Topics' }) });
    // Expand level by level, as a person clicks through the tree.
    const levels = textTopic.split('/');
    for (const level of levels.slice(0, -1)) {
      const row = topics.locator(`.monaco-list-row[aria-level]`, { has: page.locator('.label-name', { hasText: exactly(level) }) }).first();
      await row.waitFor({ timeout: 30_000 });
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    }
    const leaf = topics.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^log$/ }) }).first();
    await leaf.waitFor({ timeout: 30_000 });
    assert.match((await leaf.textContent()) ?? '', /gateway booted|heartbeat/, 'the last value shows as the description');
    await workbench.screenshot('topics-tree-dark');
  });

  it('opens the panel from the topic and its webview shows the last payload', async () => {
    const { page } = workbench;
    const topics = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Topics' }) });
    await topics.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^log$/ }) }).first().click();
    const frame = await workbench.webviewFrame('h1.topic');
    await frame.locator('pre.payload').waitFor();
    assert.equal(await frame.locator('h1.topic').textContent(), textTopic);
    assert.match((await frame.locator('pre.payload').textContent()) ?? '', /gateway booted|heartbeat/);
    assert.match((await frame.locator('.details').textContent()) ?? '', /TEXT/);
    await workbench.screenshot('topic-panel-dark');
  });

  it('the panel follows the theme: light after switching', async () => {
    const { page } = workbench;
    const frame = await workbench.webviewFrame('h1.topic');
    const background = () => frame.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim());
    const dark = await background();
    await workbench.runCommand('Preferences: Color Theme');
    await page.locator('.quick-input-widget input').fill('Light Modern');
    await workbench.pickQuickInput('Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    const lightFrame = await workbench.webviewFrame('h1.topic');
    await lightFrame.waitForFunction((before) => getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() !== before, dark, { timeout: 10_000 });
    await workbench.screenshot('topic-panel-light');
  });
});
