import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { headerLine, messageLine } from '../../src/shared/recording/format';
import { exactly, Workbench } from './workbench';

/**
 * A recording opened offline in the real workbench (issue 15): from the Explorer's context menu on a
 * `.mqtt-recording.jsonl` file, its topics show in the Topics view; the Recording Timeline's slider
 * (moved with the keyboard) and "MQTT: Show Recording At Time…" scrub its time range, and the tree
 * changes: a topic appears, a value changes; a topic's panel and chart work on it. Screenshots in
 * the dark and the light theme.
 */
describe('A recording opened offline in the workbench (Chromium)', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  // 12:00:00 local time on 5 December 2025: the times shown do not depend on the machine's zone.
  const t0 = new Date(2025, 11, 5, 12, 0, 0, 0).getTime();

  before(async () => {
    workbench = await Workbench.open({ settings: { 'mqttExplorer.localBroker.autoStart': false, 'mqttExplorer.simulator.autoStart': false } });
    const lines = [headerLine({ startedAt: t0, connection: 'Plant floor', broker: 'mqtt://plant.local:1883', filters: ['#'] })];
    const add = (offsetMs: number, topic: string, payload: string, retain = false) =>
      lines.push(messageLine({ time: t0 + offsetMs, topic, qos: 0, retain, payload: Buffer.from(payload) }));
    add(0, 'plant/valve', 'closed', true);
    add(0, 'plant/line-1/status', 'running', true);
    for (let second = 0; second <= 60; second++) {
      add(second * 1000 + 100, 'plant/boiler/temperature', JSON.stringify({ celsius: 60 + second / 2, pressure: Math.round((1.4 + 0.15 * Math.sin(second / 6)) * 100) / 100 }));
      add(second * 1000 + 200, 'plant/line-1/speed', String(100 + (second % 7) * 3));
    }
    add(30_000, 'plant/valve', 'open');
    add(45_000, 'plant/alarm', 'overheat');
    writeFileSync(join(workbench.workspaceFolder, 'plant.mqtt-recording.jsonl'), lines.join(''));
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
  });

  /** A topic row of the Topics view, found once the tree shows it, with `text` in it (its value). */
  const topicRow = (level: number, name: string): Locator =>
    workbench.topicsPane().locator(`.monaco-list-row[aria-level="${level}"]`, { has: workbench.page.locator('.label-name', { hasText: exactly(name) }) });

  let timeline: Frame;

  it('opens from the Explorer\'s context menu: its topics in the Topics view, as the recording ended', async () => {
    const { page } = workbench;
    // The extension first (its menus come with it): its views show once the extension host runs it.
    await page.getByRole('tab', { name: 'MQTT' }).click();
    await page.locator('.pane-header', { hasText: 'Connections' }).waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'Activating Extensions' }).waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByRole('tab', { name: /^Explorer/ }).click();
    const file = page.locator('.explorer-folders-view .monaco-list-row', { has: page.locator('.label-name', { hasText: exactly('plant.mqtt-recording.jsonl') }) });
    await file.waitFor({ timeout: 30_000 });
    await workbench.contextMenu(file, 'Open Recording…');
    await page.getByRole('tab', { name: 'MQTT' }).click();
    // The Connections view: the recording's row, with its range.
    await page.locator('.monaco-list-row', { hasText: 'plant' }).filter({ hasText: 'recording · at 12:01:00.200' }).first().waitFor({ timeout: 60_000 });
    await workbench.revealTopic('plant/alarm');
    await topicRow(3, 'valve').filter({ hasText: 'open' }).waitFor({ timeout: 15_000 });
    await topicRow(3, 'alarm').filter({ hasText: 'overheat' }).waitFor({ timeout: 15_000 });
    timeline = await workbench.webviewFrame('.timeline-slider');
    await timeline.locator('.timeline-at', { hasText: 'Showing 2025-12-05 12:01:00.200 · 126 of 126 messages' }).waitFor({ timeout: 15_000 });
  });

  it('the timeline\'s slider, moved with the keyboard, shows the tree as it was: a topic goes and comes, a value changes; a panel and its chart', async () => {
    const { page } = workbench;
    const slider = timeline.locator('.timeline-slider');
    await slider.focus();
    await slider.press('Home');
    await timeline.locator('.timeline-at', { hasText: 'Showing 2025-12-05 12:00:00.000 · 2 of 126 messages' }).waitFor({ timeout: 15_000 });
    await topicRow(3, 'valve').filter({ hasText: 'closed' }).waitFor({ timeout: 15_000 });
    await topicRow(3, 'alarm').waitFor({ state: 'detached', timeout: 15_000 });
    // Page Up twelve times: a twentieth of the range each, 12:00:36.010 (past the valve's opening, before the alarm).
    for (let step = 0; step < 12; step++) await slider.press('PageUp');
    await timeline.locator('.timeline-at', { hasText: /Showing 2025-12-05 12:00:36\.\d{3}/ }).waitFor({ timeout: 15_000 });
    await workbench.revealTopic('plant/valve');
    await topicRow(3, 'valve').filter({ hasText: 'open' }).waitFor({ timeout: 15_000 });
    await topicRow(3, 'alarm').waitFor({ state: 'detached', timeout: 5000 });
    await workbench.revealTopic('plant/boiler/temperature');
    await topicRow(4, 'temperature').filter({ hasText: '"celsius":78' }).waitFor({ timeout: 15_000 });
    // A topic's panel works on it as on a broker's: its history at the recorded times, the JSON value, the chart of its fields.
    const panel = await workbench.openTopic('plant/boiler/temperature');
    await panel.locator('.payload-json .json-key', { hasText: '"celsius"' }).first().waitFor({ timeout: 15_000 });
    await panel.locator('.history-row', { hasText: '12:00:36.100' }).first().waitFor({ timeout: 15_000 });
    await panel.locator('vscode-panel-tab#tab-chart').click();
    await panel.locator('#view-chart .chart-fields vscode-checkbox', { hasText: 'pressure' }).waitFor({ timeout: 15_000 });
    // A wider sidebar, as a person drags its edge, so that the rows and the slider show whole.
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    if (sidebar) {
      await page.mouse.move(sidebar.x + sidebar.width + 2, 450);
      await page.mouse.down();
      await page.mouse.move(sidebar.x + 560, 450, { steps: 5 });
      await page.mouse.up();
    }
    await page.mouse.move(1000, 850);
    await workbench.screenshot('recording-timeline-dark', { readme: true });
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    await page.mouse.move(1000, 850);
    await workbench.screenshot('recording-timeline-light', { readme: true });
  });

  it('"MQTT: Show Recording At Time…" takes an offset; End shows the last message again; Close removes it', async () => {
    await workbench.runCommand('MQTT: Show Recording At Time…');
    await workbench.answerInputBox('Show plant at', '+10s');
    await timeline.locator('.timeline-at', { hasText: 'Showing 2025-12-05 12:00:10.000' }).waitFor({ timeout: 15_000 });
    await workbench.revealTopic('plant/valve');
    await topicRow(3, 'valve').filter({ hasText: 'closed' }).waitFor({ timeout: 15_000 });
    await timeline.locator('vscode-button', { hasText: 'End' }).click();
    await timeline.locator('.timeline-at', { hasText: 'Showing 2025-12-05 12:01:00.200 · 126 of 126 messages' }).waitFor({ timeout: 15_000 });
    await topicRow(3, 'alarm').filter({ hasText: 'overheat' }).waitFor({ timeout: 15_000 });
    await timeline.locator('vscode-button', { hasText: 'Close' }).click();
    await workbench.topicsPane().locator('.monaco-list-row[aria-level="1"]', { hasText: 'plant' }).waitFor({ state: 'detached', timeout: 15_000 });
  });
});
