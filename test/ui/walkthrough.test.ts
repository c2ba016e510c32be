import * as assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { planFleet } from '../../src/devtools/simulator';
import { Workbench } from './workbench';

const WALKTHROUGH_TITLE = 'Get Started with MQTT Explorer';
const STEPS = ['startLocal', 'openTopic', 'publish', 'addBroker'] as const;

/**
 * The Getting Started walkthrough in the real Welcome page: each step is done by its real action
 * (from the command palette, as a person may do it anywhere; the page's own buttons of later steps
 * are collapsed), and the page checks the step off on the event the extension reports.
 */
describe('The Getting Started walkthrough (Chromium)', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  const fleet = planFleet(24);

  before(async () => {
    // Nothing started by the workspace: the first step starts it.
    workbench = await Workbench.open({ settings: { 'mqttExplorer.localBroker.autoStart': false, 'mqttExplorer.simulator.autoStart': false } });
  });

  after(async () => {
    await workbench?.close();
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  /** A step's row in the walkthrough's page (its id is `<publisher>.<name>#gettingStarted#<step>`). */
  const step = (id: string): Locator => workbench.page.locator(`button.getting-started-step[data-step-id$="#gettingStarted#${id}"]`);

  async function openWalkthrough(): Promise<void> {
    await workbench.runCommand('Welcome: Open Walkthrough...');
    await workbench.pickQuickInput(WALKTHROUGH_TITLE);
    await workbench.page.locator('.gettingStartedContainer', { hasText: WALKTHROUGH_TITLE }).first().waitFor({ timeout: 30_000 });
  }

  async function checked(id: string): Promise<void> {
    await step(id).and(workbench.page.locator('[aria-checked="true"]')).waitFor({ timeout: 30_000 });
  }

  it('lists its four steps, none done yet', async () => {
    await openWalkthrough();
    for (const id of STEPS) await step(id).waitFor();
    assert.deepEqual(await Promise.all(STEPS.map((id) => step(id).getAttribute('aria-checked'))), ['false', 'false', 'false', 'false']);
    await workbench.page.locator('.getting-started-step h3', { hasText: 'Start the local broker and the simulator' }).waitFor();
    await workbench.screenshot('walkthrough-start-dark');
  });

  it('1: starting the simulator (with its broker) checks off the first step', async () => {
    await workbench.runCommand('MQTT: Start Device Simulator');
    await checked('startLocal');
  });

  it('2: opening a topic checks off the second', async () => {
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', fleet.textTopic);
    await workbench.webviewFrame('h1.topic', { text: fleet.textTopic });
    await openWalkthrough();
    await checked('openTopic');
  });

  it('3: a publish the broker answered checks off the third', async () => {
    const { page } = workbench;
    const widget = page.locator('.quick-input-widget');
    const input = page.locator('.quick-input-widget:not([inert]) input');
    await workbench.runCommand('MQTT: Publish');
    await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
    await input.fill('walkthrough/hello');
    await page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'payload to walkthrough/hello' }).waitFor();
    await input.fill('hello from the walkthrough');
    await page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'QoS and retain for walkthrough/hello' }).waitFor();
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden' });
    await checked('publish');
  });

  it('4: saving a connection of one’s own checks off the fourth: all four are done', async () => {
    await workbench.runCommand('MQTT: Add Connection');
    const form = await workbench.webviewFrame('form.connection-form');
    await form.locator('#name input').fill('Walkthrough broker');
    await form.locator('#host input').fill('127.0.0.1');
    await form.locator('#port input').fill(String(workbench.brokerPort));
    await form.locator('vscode-button', { hasText: /^\s*Save\s*$/ }).click();
    await workbench.page.locator('.tab', { hasText: 'New MQTT Connection' }).waitFor({ state: 'detached', timeout: 15_000 });
    await openWalkthrough();
    await checked('addBroker');
    assert.deepEqual(await Promise.all(STEPS.map((id) => step(id).getAttribute('aria-checked'))), ['true', 'true', 'true', 'true']);
    await workbench.screenshot('walkthrough-done-dark');
  });

  it('reads as well in a light theme', async () => {
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await workbench.page.locator('.monaco-workbench.vs').waitFor({ timeout: 10_000 });
    await openWalkthrough();
    await checked('addBroker');
    await workbench.screenshot('walkthrough-done-light');
  });
});
