import * as assert from 'node:assert/strict';
import { planFleet } from '../../src/devtools/simulator';
import { setDisplayLanguage } from '../../tools/workbench/vscodeServer';
import { readRepoJson } from '../helpers/manifest';
import { exactly, Workbench } from './workbench';

/**
 * VS Code's display language set to German (argv.json and a language pack, as "Configure Display
 * Language" leaves them): the extension's manifest texts come from package.nls.de.json and the
 * extension host runs with vscode.env.language 'de'. The pack has no translations of VS Code's
 * own texts, so the workbench around the extension stays English: what shows in German is ours.
 */
describe('German display language in the workbench (Chromium)', function () {
  this.timeout(180_000);
  const english = readRepoJson<Record<string, string>>('package.nls.json');
  const german = readRepoJson<Record<string, string>>('package.nls.de.json');
  let workbench: Workbench;

  before(async () => {
    workbench = await Workbench.open({ prepareProfile: (profile) => setDisplayLanguage(profile, 'de') });
    await workbench.page.getByRole('tab', { name: german['viewsContainer.mqttExplorer.title'] }).click();
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
  });

  it('the MQTT views have their German names, and the Requests view its German welcome with the same links', async () => {
    for (const key of ['view.connections.name', 'view.topics.name', 'view.requests.name']) {
      await workbench.page.locator('.pane-header', { hasText: exactly(german[key]) }).first().waitFor({ timeout: 30_000 });
    }
    // The German differs from the English where the test looks, so English would fail it.
    assert.notEqual(german['view.connections.name'], english['view.connections.name']);
    assert.equal(await workbench.page.locator('.pane-header', { hasText: exactly(english['view.connections.name']) }).count(), 0);
    // Collapsed by default: open it; the broker's clients send no MQTT 5 requests, so it shows its welcome.
    await workbench.viewPane(german['view.requests.name']).locator('.pane-header').click();
    const welcome = workbench.viewPane(german['view.requests.name']).locator('.welcome-view-content');
    await welcome.waitFor({ timeout: 30_000 });
    const firstLine = german['viewsWelcome.requests.contents'].split('\n')[0];
    assert.match(await workbench.viewMessage(german['view.requests.name']), new RegExp(`^${firstLine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // Its link to the timeout setting is the same command as in English.
    assert.equal(await welcome.locator('a[href^="command:workbench.action.openSettings"]').count(), 1);
  });

  it('the command palette lists the commands by their German titles', async () => {
    const title = `${german['command.category']}: ${german['command.addConnection.title']}`;
    assert.notEqual(german['command.addConnection.title'], english['command.addConnection.title']);
    await workbench.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await workbench.page.keyboard.press('F1');
    const input = workbench.page.locator('.quick-input-widget:not([inert]) input');
    await input.fill(`>${title}`);
    await workbench.page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: exactly(title) }).first().waitFor({ timeout: 15_000 });
    await workbench.screenshot('localization-de-palette');
    await workbench.page.keyboard.press('Escape');
  });

  it('the extension host runs in German: the panel writes vscode.env.language into <html lang>', async () => {
    const meter = planFleet(24).devices.find((device) => device.kind === 'power-meter');
    if (!meter) throw new Error('the fleet has a power meter');
    // The simulator's topics show once the local broker and the simulator run (the workspace starts both).
    await workbench.topicsPane().locator('.monaco-list-row[aria-level="1"]').first().waitFor({ timeout: 60_000 });
    const frame = await workbench.openTopic(meter.telemetryTopic);
    assert.equal(await frame.evaluate(() => document.documentElement.lang), 'de');
    // The code's texts (l10n/bundle.l10n.de.json): l10n.t in the webview names the history list, and
    // vscode.l10n.t in the extension host describes the local broker's connection row.
    const bundle = readRepoJson<Record<string, string>>('l10n/bundle.l10n.de.json');
    assert.equal(await frame.locator('[role="listbox"]').first().getAttribute('aria-label'), bundle['Message history, newest first']);
    const connections = workbench.viewPane(german['view.connections.name']);
    await connections.locator('.monaco-list-row .label-description', { hasText: exactly(bundle['connected']) }).first().waitFor({ timeout: 30_000 });
    await workbench.screenshot('localization-de');
  });
});
