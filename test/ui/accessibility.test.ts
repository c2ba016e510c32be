import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { planFleet } from '../../src/devtools/simulator';
import { headerLine, messageLine } from '../../src/shared/recording/format';
import { Mosquitto } from '../helpers/mosquitto';
import { describeViolations, runAxe, SERIOUS, type Violation } from './axe';
import { exactly, Workbench } from './workbench';

/** The themes audited: the label of each in "Preferences: Color Theme", and the class the workbench then has. */
const THEMES = [
  { label: 'Dark Modern', name: 'dark', workbenchClass: 'vs-dark' },
  { label: 'Light Modern', name: 'light', workbenchClass: 'vs' },
  { label: 'Dark High Contrast', name: 'hc-dark', workbenchClass: 'hc-black' },
  { label: 'Light High Contrast', name: 'hc-light', workbenchClass: 'hc-light' },
] as const;

/**
 * axe-core (WCAG 2 A/AA and best practices) over every webview of the extension, in the real
 * workbench, in the dark, light and both high-contrast themes: the topic panel (each of its tabs),
 * the connection form (with a field in error), the Broker view and the Recording Timeline. Every
 * violation is printed with its impact for the record; a serious or critical one fails the view's
 * test. Each view is shown once and audited in every theme (a theme change restyles a webview
 * without reloading it); screenshots go to test-results/screenshots/a11y-*.
 */
describe('Accessibility of the webviews (axe-core in the workbench, Chromium)', function () {
  this.timeout(240_000);
  let workbench: Workbench;
  /** mosquitto publishing $SYS every second: the Broker view with figures, charts and the extras table. */
  let broker: Mosquitto;
  const meter = planFleet(24).devices.find((device) => device.kind === 'power-meter');
  if (!meter) throw new Error('the fleet has a power meter');
  const t0 = new Date(2025, 11, 5, 12, 0, 0, 0).getTime();

  before(async () => {
    broker = await Mosquitto.create({ extraConfig: ['sys_interval 1'] });
    workbench = await Workbench.open({
      settings: { 'mqttExplorer.connections': [{ id: 'lab', name: 'Lab broker', host: '127.0.0.1', port: broker.ports.plain, subscriptions: [{ topic: '$SYS/#', qos: 0 }] }] },
    });
    const lines = [headerLine({ startedAt: t0, connection: 'Plant floor', broker: 'mqtt://plant.local:1883', filters: ['#'] })];
    for (let second = 0; second <= 20; second++) {
      lines.push(messageLine({ time: t0 + second * 1000, topic: 'plant/boiler/temperature', qos: 0, retain: false, payload: Buffer.from(String(60 + second)) }));
    }
    writeFileSync(join(workbench.workspaceFolder, 'plant.mqtt-recording.jsonl'), lines.join(''));
    await workbench.page.getByRole('tab', { name: 'MQTT', exact: true }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
    await broker?.dispose();
  });

  async function useTheme(theme: (typeof THEMES)[number]): Promise<void> {
    const { page } = workbench;
    if (await page.locator(`.monaco-workbench.${theme.workbenchClass}`).count()) return;
    // The palette can miss the key while a webview settles with the focus: ask again.
    for (let attempt = 0; ; attempt++) {
      try {
        await page.keyboard.press('Escape');
        await workbench.runCommand('Preferences: Color Theme');
        await workbench.pickQuickInput(theme.label);
        break;
      } catch (error) {
        if (attempt === 2) throw error;
      }
    }
    await page.waitForFunction((name) => document.querySelector('.monaco-workbench')?.classList.contains(name) ?? false, theme.workbenchClass, { timeout: 10_000 });
    // The webviews take the new theme's variables a moment later.
    await page.waitForTimeout(800);
  }

  /**
   * Audits `frame` (found again by `find` after each theme change) in every theme; returns the
   * serious and critical violations, after printing all of them.
   */
  async function auditInThemes(view: string, find: () => Promise<Frame>, prepare?: (frame: Frame) => Promise<void>): Promise<string[]> {
    const failures: string[] = [];
    for (const theme of THEMES) {
      await useTheme(theme);
      const frame = await find();
      await prepare?.(frame);
      await workbench.page.mouse.move(5, 850);
      const violations: Violation[] = await runAxe(frame);
      console.log(`      ${describeViolations(`${view} (${theme.name})`, violations).replace(/\n/g, '\n      ')}`);
      await workbench.screenshot(`a11y-${view.replace(/\W+/g, '-')}-${theme.name}`);
      for (let violation of violations.filter((one) => SERIOUS.includes(one.impact ?? null))) {
        // One known exception: an open JSON node (role treeitem) is named by its key and size, and its
        // visible text includes all its children's lines, which no name can contain. The name starts
        // with the key as shown, so a voice-control user can still say it (WCAG 2.5.3's concern); any
        // other element, or another rule on these nodes, still fails.
        const nodes = violation.id === 'label-content-name-mismatch' ? violation.nodes.filter((node) => !/^<div class="json-node" role="treeitem"[^>]*aria-expanded="true"/.test(node.html)) : violation.nodes;
        if (!nodes.length) continue;
        violation = { ...violation, nodes };
        const targets = violation.nodes.slice(0, 5).map((node) => node.target);
        const more = violation.nodes.length > 5 ? ` and ${violation.nodes.length - 5} more` : '';
        failures.push(`${theme.name}: [${violation.impact}] ${violation.id} on ${targets.join('; ')}${more}`);
      }
    }
    return failures;
  }

  it('the connection form, with a field in error, has no serious or critical violation', async () => {
    await workbench.runCommand('MQTT: Add Connection');
    let form = await workbench.webviewFrame('form.connection-form');
    await form.locator('#port input').fill('99999');
    await form.locator('[data-field="port"] .field-error', { hasText: /1 to 65535/ }).waitFor();
    const failures = await auditInThemes('connection form', async () => (form = await workbench.webviewFrame('form.connection-form')));
    // The error is tied to its field for a screen reader.
    assert.equal(await form.locator('#port').getAttribute('aria-invalid'), 'true');
    const described = await form.locator('#port').getAttribute('aria-describedby');
    assert.ok(described && (await form.locator(`[id="${described.split(' ')[0]}"]`).textContent())?.includes('65535'), `aria-describedby: ${described}`);
    assert.deepEqual(failures, []);
  });

  it('the connection form works from the keyboard alone: Tab goes through the fields in order to the buttons; a refused save puts the focus on the field to fix', async () => {
    const form = await workbench.webviewFrame('form.connection-form');
    await form.locator('#name input').focus();
    /** The id of the form control (or the text of the button) that has the focus. */
    const focused = () =>
      form.evaluate(() => {
        const active = document.activeElement as HTMLElement | null;
        if (!active) return '';
        return active.tagName === 'VSCODE-BUTTON' ? `button:${active.textContent?.trim() ?? ''}` : active.id;
      });
    const order: string[] = [];
    for (let presses = 0; presses < 60 && !order.includes('button:Save and Connect'); presses++) {
      await workbench.page.keyboard.press('Tab');
      const now = await focused();
      if (now && order[order.length - 1] !== now) order.push(now);
    }
    const expected = ['protocol', 'host', 'port', 'mqttVersion', 'clientId', 'username', 'password', 'keepalive', 'willTopic', 'subscriptions', 'target', 'button:Save and Connect'];
    const positions = expected.map((id) => order.indexOf(id));
    assert.ok(positions.every((position) => position >= 0), `every field is reached by Tab: ${order.join(', ')}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, `in the order of the page: ${order.join(', ')}`);
    // Space presses the focused button, as it does a native one; the port is still wrong.
    await workbench.page.keyboard.press('Space');
    await form.locator('.form-status.error', { hasText: /Not saved/ }).waitFor();
    await form.waitForFunction(() => document.activeElement?.id === 'port', undefined, { timeout: 5000 });
  });

  it('the topic panel, on each tab, has no serious or critical violation', async () => {
    // By the palette: the Topics view also lists the other connections' roots.
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', meter.telemetryTopic);
    const failures: string[] = [];
    for (const tab of ['payload', 'diff', 'chart', 'publish']) {
      const find = async () => {
        const frame = await workbench.webviewFrame('h1.topic', { text: meter.telemetryTopic });
        await frame.locator(`vscode-panel-tab#tab-${tab}`).click();
        await frame.locator(`vscode-panel-view#view-${tab}`).waitFor({ state: 'visible' });
        await frame.waitForTimeout(300);
        return frame;
      };
      failures.push(...(await auditInThemes(`topic panel ${tab} tab`, find)).map((failure) => `${tab} tab, ${failure}`));
    }
    assert.deepEqual(failures, [], `the panel's serious violations:\n${failures.join('\n')}`);
  });

  it('the Broker view has no serious or critical violation', async () => {
    const { page } = workbench;
    const row = page.locator('.monaco-list-row', { hasText: 'Lab broker' }).first();
    await row.hover();
    await row.locator('.action-label[aria-label="Connect"]').click();
    await page.locator('.monaco-list-row', { hasText: 'Lab broker' }).filter({ hasText: 'connected' }).first().waitFor({ timeout: 30_000 });
    await workbench.contextMenu(row, 'Show Broker Statistics');
    const view = await workbench.webviewFrame('h1.topic', { text: 'Broker: Lab broker', timeoutMs: 30_000 });
    // Figures, drawn charts and mosquitto's extras: everything the view has is audited.
    await view.locator('.broker-chart canvas').nth(3).waitFor({ timeout: 30_000 });
    await view.locator('.broker-extras th').first().waitFor({ timeout: 10_000 });
    assert.match((await view.locator('.broker-chart .visually-hidden').first().textContent()) ?? '', /^Clients: \d+ \(latest\), \d+ points$/, 'the chart\u2019s text alternative');
    const failures = await auditInThemes('broker view', () => workbench.webviewFrame('.broker-tiles', { timeoutMs: 30_000 }));
    assert.deepEqual(failures, []);
  });

  it('the Recording Timeline has no serious or critical violation', async () => {
    const { page } = workbench;
    await page.getByRole('tab', { name: /^Explorer/ }).click();
    const file = page.locator('.explorer-folders-view .monaco-list-row', { has: page.locator('.label-name', { hasText: exactly('plant.mqtt-recording.jsonl') }) });
    await file.waitFor({ timeout: 30_000 });
    await workbench.contextMenu(file, 'Open Recording…');
    await page.getByRole('tab', { name: 'MQTT', exact: true }).click();
    const timeline = await workbench.webviewFrame('.timeline-slider', { timeoutMs: 60_000 });
    await timeline.locator('.timeline-at', { hasText: /^Showing/ }).waitFor({ timeout: 30_000 });
    // The slider says the time it shows, not a number of milliseconds.
    assert.match((await timeline.locator('.timeline-slider').getAttribute('aria-valuetext')) ?? '', /12:00:20/);
    const failures = await auditInThemes('recording timeline', () => workbench.webviewFrame('.timeline-slider'));
    assert.deepEqual(failures, []);
  });
});
