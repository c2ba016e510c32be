import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Frame } from 'playwright-core';
import { planFleet } from '../../src/devtools/simulator';
import { REPO_ROOT } from '../../tools/workbench/testHost';
import { nextMessage } from '../helpers/mqttMessages';
import { waitUntil } from '../helpers/waitFor';
import { SCREENSHOT_DIR, Workbench } from './workbench';

const TOPIC = 'kbd/panel';
/** Messages on TOPIC before the panel opens. */
const FIRST = 5;
/** Messages of the burst the live region must sum up. */
const BURST = 60;

/** What has the keyboard in the panel: the element, whether the frame has the focus, and whether a focus ring shows. */
interface Focused {
  frameHasFocus: boolean;
  tag: string;
  id: string;
  className: string;
  role: string;
  label: string;
  /** A ring drawn by our CSS (an outline on the element, or on a JSON node's line); true for the toolkit's components, which draw theirs in their shadow root. */
  ring: boolean;
}

const focused = (frame: Frame): Promise<Focused> =>
  frame.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    const element = active ?? document.body;
    const outlined = (target: Element | null) => target !== null && getComputedStyle(target).outlineStyle !== 'none' && getComputedStyle(target).outlineWidth !== '0px';
    const ring = element.tagName.startsWith('VSCODE-') || outlined(element) || (element.classList.contains('json-node') && outlined(element.querySelector(':scope > .json-head')));
    return {
      frameHasFocus: document.hasFocus(),
      tag: element.tagName,
      id: element.id,
      className: typeof element.className === 'string' ? element.className : '',
      role: element.getAttribute('role') ?? '',
      label: element.getAttribute('aria-label') ?? '',
      ring,
    };
  });

describe('The message panel by keyboard only (Chromium)', function () {
  this.timeout(240_000);
  const meter = planFleet(24).devices.find((device) => device.kind === 'power-meter');
  if (!meter) throw new Error('the fleet has a power meter');
  let workbench: Workbench;
  let frame: Frame;
  let client: mqtt.MqttClient;

  /** The focus is in the panel, on an element of its own (never the page's body), and its ring shows. */
  async function assertFocus(what: string): Promise<Focused> {
    const now = await focused(frame);
    assert.ok(now.frameHasFocus, `${what}: the panel's frame has the focus (${JSON.stringify(now)})`);
    assert.notEqual(now.tag, 'BODY', `${what}: the focus is on an element`);
    assert.ok(now.ring, `${what}: the focus ring shows (${JSON.stringify(now)})`);
    return now;
  }

  /** Presses `key` until the focused element passes `done` (at most `limit` presses), checking the focus at each step. */
  async function pressUntil(key: string, done: (now: Focused) => boolean, what: string, limit = 20): Promise<Focused> {
    for (let step = 0; step < limit; step++) {
      await workbench.page.keyboard.press(key);
      const now = await assertFocus(`${what}, after ${key} #${step + 1}`);
      if (done(now)) return now;
    }
    throw new Error(`${what}: not reached with ${limit} presses of ${key}`);
  }

  const shownSeq = async () => Number(((await frame.locator('#view-payload .details .seq').textContent()) ?? '#').slice(1));

  before(async () => {
    workbench = await Workbench.open();
    // Setup, as the other UI tests do: the MQTT view starts the local broker and the simulator; then an
    // outside client can connect. From here on the test uses the keyboard only.
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    // The connection's subscription is live once the simulator's topics are known: no message of ours is missed.
    await workbench.assertHostAnswers(meter.telemetryTopic, 60_000);
    for (let n = 0; n < FIRST; n++) {
      await client.publishAsync(TOPIC, JSON.stringify({ n, nested: { a: n * 10, b: `text ${n}` } }), { qos: 1 });
      // Not a wait for anything: the points get times apart, so that the chart has a time range.
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await client?.endAsync();
    await workbench?.close();
  });

  it('opens from the command palette and walks the history with the arrow keys; Enter opens the payload', async () => {
    const { page } = workbench;
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', TOPIC);
    frame = await workbench.webviewFrame('h1.topic', { text: TOPIC });
    await frame.locator('.meta vscode-badge', { hasText: `${FIRST} messages` }).waitFor({ timeout: 20_000 });
    await frame.locator('.history-row .preview').nth(FIRST - 1).waitFor({ timeout: 20_000 });
    // The panel took the focus when it opened: Tab goes through its controls to the history.
    await waitUntil(() => frame.evaluate(() => document.hasFocus()), 10_000, 'the panel has the focus');
    const list = await pressUntil('Tab', (now) => now.role === 'listbox', 'to the history');
    assert.equal(list.label, 'Message history, newest first');
    const viewport = frame.locator('.history-viewport');
    const newest = FIRST - 1;
    // The list points at the row shown (the newest) and says where each option stands.
    assert.equal(await viewport.getAttribute('aria-activedescendant'), `message-${newest}`);
    const newestRow = frame.locator(`#message-${newest}`);
    assert.equal(await newestRow.getAttribute('role'), 'option');
    assert.equal(await newestRow.getAttribute('aria-selected'), 'true');
    assert.equal(await newestRow.getAttribute('aria-setsize'), String(FIRST));
    assert.equal(await newestRow.getAttribute('aria-posinset'), '1');
    assert.match((await newestRow.locator('.sr-only').textContent()) ?? '', new RegExp(`^Message #${newest}, \\d\\d:\\d\\d:\\d\\d\\.\\d{3}, QoS \\d, .*"n":${newest}`));

    await page.keyboard.press('ArrowDown');
    await frame.locator('.history-viewport[aria-activedescendant="message-3"]').waitFor();
    await frame.locator('#view-payload .details .seq', { hasText: /^#3$/ }).waitFor();
    await page.keyboard.press('ArrowDown');
    await frame.locator('#view-payload .details .seq', { hasText: /^#2$/ }).waitFor();
    await page.keyboard.press('ArrowUp');
    await frame.locator('#view-payload .details .seq', { hasText: /^#3$/ }).waitFor();
    await page.keyboard.press('End');
    await frame.locator('#view-payload .details .seq', { hasText: /^#0$/ }).waitFor();
    assert.equal(await frame.locator('#message-0').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Home');
    await frame.locator('.history-viewport[aria-activedescendant="message-4"]').waitFor();
    await page.keyboard.press('PageDown');
    await frame.locator('#view-payload .details .seq', { hasText: /^#0$/ }).waitFor();
    await page.keyboard.press('ArrowUp');
    await frame.locator('#view-payload .details .seq', { hasText: /^#1$/ }).waitFor();
    await assertFocus('in the history');

    // Enter: the message's payload, and the keyboard on its JSON tree.
    await page.keyboard.press('Enter');
    await frame.locator('vscode-panels[activeid="tab-payload"]').waitFor();
    await waitUntil(async () => (await focused(frame)).role === 'treeitem', 10_000, 'the focus on the JSON tree');
    assert.equal(await shownSeq(), 1);
    assert.equal(await frame.locator('#view-payload [role="tree"]').getAttribute('aria-label'), 'Payload as JSON');
  });

  it('walks, folds and unfolds the JSON tree with the arrow keys', async () => {
    const { page } = workbench;
    const root = await assertFocus('the JSON root');
    assert.equal(root.label, '{…} 2 keys');
    const nested = frame.locator('#view-payload .json-node[aria-label^=\'"nested"\']');
    assert.equal(await nested.getAttribute('aria-expanded'), 'true');
    assert.equal(await nested.getAttribute('aria-level'), '2');
    // Down: "n", then the "nested" node.
    const n = await pressUntil('ArrowDown', (now) => now.role === 'treeitem', 'to the first key', 1);
    assert.equal(n.className, 'json-line');
    assert.equal(await frame.evaluate(() => document.activeElement?.textContent), '"n": 1,');
    const node = await pressUntil('ArrowDown', (now) => now.label.startsWith('"nested"'), 'to "nested"', 1);
    assert.equal(node.label, '"nested": {…} 2 keys');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await nested.getAttribute('aria-expanded'), 'false', 'Left folds');
    assert.equal(await frame.locator('#view-payload .json-key', { hasText: '"a"' }).isVisible(), false);
    await page.keyboard.press('ArrowRight');
    assert.equal(await nested.getAttribute('aria-expanded'), 'true', 'Right unfolds');
    await page.keyboard.press('ArrowRight');
    assert.equal(await frame.evaluate(() => document.activeElement?.textContent), '"a": 10,', 'Right again goes into it');
    assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('aria-level')), '3');
    await page.keyboard.press('End');
    assert.equal(await frame.evaluate(() => document.activeElement?.textContent), '"b": "text 1"');
    await page.keyboard.press('ArrowLeft');
    assert.equal((await assertFocus('Left to the parent')).label, '"nested": {…} 2 keys');
    await page.keyboard.press('Enter');
    assert.equal(await nested.getAttribute('aria-expanded'), 'false', 'Enter folds');
    await page.keyboard.press('Enter');
    assert.equal(await nested.getAttribute('aria-expanded'), 'true', 'Enter unfolds');
    await page.keyboard.press('Home');
    assert.equal((await assertFocus('Home')).label, '{…} 2 keys');
    // One tab stop: the item last focused.
    assert.equal(await frame.locator('#view-payload [role="treeitem"][tabindex="0"]').count(), 1);
  });

  it('switches tabs with the arrow keys, and reads the diff in words', async () => {
    const { page } = workbench;
    const tab = await pressUntil('Shift+Tab', (now) => now.tag === 'VSCODE-PANEL-TAB', 'back to the tabs');
    assert.equal(tab.id, 'tab-payload');
    assert.equal(await frame.locator('#tab-payload').getAttribute('role'), 'tab');
    assert.equal(await frame.locator('#tab-payload').getAttribute('aria-selected'), 'true');
    assert.equal(await frame.locator('#view-payload').getAttribute('role'), 'tabpanel');
    assert.equal(await frame.locator('vscode-panels').evaluate((element) => element.shadowRoot?.querySelector('[role="tablist"]') !== null), true, 'a tablist');
    await page.keyboard.press('ArrowRight');
    await frame.locator('vscode-panels[activeid="tab-diff"]').waitFor();
    assert.equal((await assertFocus('the Diff tab')).id, 'tab-diff');
    assert.equal(await frame.locator('#tab-diff').getAttribute('aria-selected'), 'true');
    // Message #1 against #0: "n" and both nested fields changed, said in words, not by colour only.
    const table = frame.locator('#view-diff table.diff-table');
    await table.waitFor();
    assert.deepEqual(await table.locator('th').allTextContents(), ['Path', 'Change', 'Before', 'After']);
    assert.deepEqual(await table.locator('td.change').allTextContents(), ['changed', 'changed', 'changed']);
    assert.equal(await frame.locator('#view-diff .diff-summary').textContent(), '3 changes: 0 added, 0 removed, 3 changed');
    assert.equal(await table.locator('caption').textContent(), 'Changes from message #0 to message #1');
  });

  it('reaches the chart and reads its points out', async () => {
    const { page } = workbench;
    await page.keyboard.press('ArrowRight');
    await frame.locator('vscode-panels[activeid="tab-chart"]').waitFor();
    await frame.locator('#view-chart canvas.chart-canvas').waitFor({ timeout: 10_000 });
    const reader = await pressUntil('Tab', (now) => now.className === 'chart-reader', 'to the chart');
    assert.equal(reader.role, 'slider');
    const readerLocator = frame.locator('#view-chart .chart-reader');
    assert.equal(await readerLocator.getAttribute('aria-valuetext'), 'Left and Right read the chart point by point.');
    await page.keyboard.press('End');
    const last = new RegExp(`^Point ${FIRST} of ${FIRST}, \\d\\d:\\d\\d:\\d\\d\\.\\d{3}: n 4, nested\\.a 40`);
    await waitUntil(async () => last.test((await readerLocator.getAttribute('aria-valuetext')) ?? ''), 5000, 'the read-out of the last point');
    await page.keyboard.press('ArrowLeft');
    const text = (await readerLocator.getAttribute('aria-valuetext')) ?? '';
    assert.match(text, new RegExp(`^Point ${FIRST - 1} of ${FIRST}, \\d\\d:\\d\\d:\\d\\d\\.\\d{3}: n 3, nested\\.a 30`));
    assert.equal(await readerLocator.textContent(), text, 'the same text on screen');
    assert.equal(await readerLocator.getAttribute('aria-valuenow'), String(FIRST - 1));
    // The plot's cursor follows: the legend reads the same point.
    await waitUntil(async () => (await frame.locator('#view-chart .u-legend .u-series .u-value').nth(1).textContent()) === '3', 5000, 'the legend on the point');
    await page.keyboard.press('Home');
    assert.match((await readerLocator.getAttribute('aria-valuetext')) ?? '', /^Point 1 of 5, .*: n 0, nested\.a 0/);
    await assertFocus('on the chart');
  });

  it('fills and sends the publish form, its errors tied to the fields', async () => {
    const { page } = workbench;
    await pressUntil('Shift+Tab', (now) => now.tag === 'VSCODE-PANEL-TAB', 'back to the tabs');
    await page.keyboard.press('ArrowRight');
    await frame.locator('vscode-panels[activeid="tab-publish"]').waitFor();
    await pressUntil('Tab', (now) => now.id === 'publish-topic', 'to the topic field');
    const topic = frame.locator('#publish-topic');
    assert.equal(await frame.locator('label[for="publish-topic"]').textContent(), 'Topic');
    assert.equal(await topic.getAttribute('aria-keyshortcuts'), 'Control+Enter Meta+Enter');
    assert.equal(await frame.locator('#publish-shortcut').textContent(), 'Ctrl+Enter publishes');
    // An empty topic: marked invalid, the error is its description.
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    const error = frame.locator('#publish-topic-error');
    await waitUntil(async () => ((await error.textContent()) ?? '') !== '', 5000, 'the topic\'s error');
    assert.equal(await topic.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(((await topic.getAttribute('aria-describedby')) ?? '').split(' '), ['publish-topic-error', 'publish-shortcut']);
    assert.equal(await error.getAttribute('aria-live'), 'polite');
    await page.keyboard.type('kbd/sent');
    await waitUntil(async () => (await topic.getAttribute('aria-invalid')) === null, 5000, 'the topic valid again');
    // Tab to the payload (the toolkit's text area), type, and send with Ctrl+Enter.
    const payload = await pressUntil('Tab', (now) => now.id === 'publish-payload', 'to the payload');
    assert.equal(payload.tag, 'VSCODE-TEXT-AREA');
    await page.keyboard.type('{"sent": true}');
    const arrived = nextMessage(client, 'kbd/sent', 20_000);
    await client.subscribeAsync('kbd/sent');
    await page.keyboard.press('Control+Enter');
    const { payload: bytes } = await arrived;
    assert.equal(bytes.toString(), '{"sent": true}');
    await frame.locator('.publish-status[role="status"]', { hasText: /^Sent/ }).waitFor();
    await assertFocus('after sending');
  });

  it('sums a burst of messages up in one polite announcement, not one per message', async () => {
    const region = frame.locator('.arrivals');
    assert.equal(await region.getAttribute('aria-live'), 'polite');
    assert.equal(await region.getAttribute('role'), 'status');
    // Everything the region says from now on.
    await frame.evaluate(() => {
      const target = document.querySelector('.arrivals') as HTMLElement;
      const said: string[] = [];
      (window as unknown as { said: string[] }).said = said;
      new MutationObserver(() => {
        if (target.textContent) said.push(target.textContent);
      }).observe(target, { childList: true, characterData: true, subtree: true });
    });
    await Promise.all(Array.from({ length: BURST }, (_, n) => client.publishAsync(TOPIC, JSON.stringify({ n: FIRST + n, nested: { a: 0, b: '' } }), { qos: 1 })));
    const said = () => frame.evaluate(() => (window as unknown as { said: string[] }).said);
    const counted = (texts: string[]) => texts.reduce((sum, text) => sum + Number(/^([\d,]+) new messages? on kbd\/panel$/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN), 0);
    // The first arrival is said at once, the rest within the next interval (5 s) in one sentence.
    await waitUntil(async () => counted(await said()) === BURST, 15_000, `${BURST} messages announced`);
    const texts = await said();
    assert.ok(texts.length <= 3, `at most a few announcements: ${JSON.stringify(texts)}`);
    assert.match((await region.textContent()) ?? '', /^\d+ new messages? on kbd\/panel$/);
  });

  it('shows the focus in the high-contrast themes', async () => {
    const { page } = workbench;
    for (const [theme, className, name] of [
      ['Dark High Contrast', 'hc-black', 'panel-high-contrast-dark'],
      ['Light High Contrast', 'hc-light', 'panel-high-contrast-light'],
    ] as const) {
      await workbench.runCommand('Preferences: Color Theme');
      await workbench.pickQuickInput(theme);
      await page.waitForFunction((name) => document.querySelector('.monaco-workbench')?.classList.contains(name) ?? false, className, { timeout: 10_000 });
      frame = await workbench.webviewFrame('h1.topic', { text: TOPIC });
      const bodyClass = className === 'hc-black' ? 'vscode-high-contrast' : 'vscode-high-contrast-light';
      await frame.waitForFunction((kind) => document.body.classList.contains(kind), bodyClass, { timeout: 10_000 });
      // The keyboard back to the panel (the palette took it). Where Tab starts from after that is
      // Chromium's choice (its sequential focus starting point), so the history takes the focus by
      // script here: the walk by keyboard is the tests above; this one is the look in the theme.
      await workbench.runCommand('View: Focus Active Editor Group');
      await waitUntil(() => frame.evaluate(() => document.hasFocus()), 10_000, 'the panel has the focus back');
      await frame.locator('.history-viewport').focus();
      await assertFocus(`${theme}: the history`);
      // The newest message, so that the selected row is the one in view.
      await page.keyboard.press('Home');
      await frame.locator('.history-row.selected').waitFor();
      const outline = await frame.evaluate(() => {
        const row = document.querySelector('.history-row.selected') as HTMLElement;
        const style = getComputedStyle(row);
        return { style: style.outlineStyle, colour: style.outlineColor, border: getComputedStyle(document.body).getPropertyValue('--vscode-contrastActiveBorder').trim() };
      });
      assert.equal(outline.style, 'solid', `${theme}: the selected row is outlined`);
      assert.ok(outline.border !== '', `${theme}: the theme has a contrast border`);
      // The panel alone, small: the README shows it.
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.locator('iframe.webview.ready >> visible=true').first().screenshot({ path });
      if (process.env.UPDATE_README_SCREENSHOTS) copyFileSync(path, join(REPO_ROOT, 'docs', 'images', `${name}.png`));
    }
  });
});
