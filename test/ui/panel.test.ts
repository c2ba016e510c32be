import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Frame } from 'playwright-core';
import { planFleet } from '../../src/devtools/simulator';
import { hexDump } from '../../src/shared/format';
import { waitUntil } from '../helpers/waitFor';
import { exactly, Workbench } from './workbench';

/** Messages published to one topic for the scrolling test. */
const LONG_HISTORY = 100_000;

describe('The message panel in the workbench (Chromium)', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let frame: Frame;
  const meter = planFleet(24).devices.find((device) => device.kind === 'power-meter');
  if (!meter) throw new Error('the fleet has a power meter');

  /** The seq numbers of the history rows in the page, top to bottom. */
  const rowSeqs = (target: Frame) =>
    target.$$eval('.history-layer .history-row[data-seq]', (rows) =>
      rows
        .filter((row) => !row.querySelector('.loading'))
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map((row) => Number((row as HTMLElement).dataset.seq)),
    );

  before(async () => {
    workbench = await Workbench.open({ settings: { 'mqttExplorer.limits.messagesPerTopic': LONG_HISTORY, 'mqttExplorer.limits.kibPerTopic': 65_536 } });
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
  });

  it('opens from the tree, and its history lists the simulator\'s messages, newest first', async () => {
    frame = await workbench.openTopic(meter.telemetryTopic);
    await frame.waitForFunction(() => document.querySelectorAll('.history-layer .history-row .preview').length >= 3, undefined, { timeout: 20_000 });
    const seqs = await rowSeqs(frame);
    assert.ok(seqs.length >= 3);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
    const first = frame.locator(`.history-row[data-seq="${seqs[0]}"]`);
    assert.match((await first.locator('.time').textContent()) ?? '', /^\d\d:\d\d:\d\d\.\d{3}$/);
    assert.match((await first.locator('.preview').textContent()) ?? '', /"watts":/);
    assert.equal(await first.locator('.qos').textContent(), '0');
  });

  it('shows JSON pretty-printed in the theme\'s colours, folding and unfolding', async () => {
    const power = frame.locator('.payload-json .json-node', { has: frame.locator(':scope > .json-head .json-key', { hasText: '"power"' }) });
    await power.waitFor();
    const isOpen = () => power.getAttribute('aria-expanded');
    assert.equal(await isOpen(), 'true');
    const keyColour = await frame.locator('.payload-json .json-key').first().evaluate((element) => getComputedStyle(element).color);
    const numberColour = await frame.locator('.payload-json .json-number').first().evaluate((element) => getComputedStyle(element).color);
    assert.notEqual(keyColour, numberColour, 'keys and numbers in different theme colours');
    // Pause following the newest message, so that the folded node stays the one on screen.
    await frame.locator('.history-row[data-seq]').nth(1).click();
    const pinned = power.first();
    await pinned.locator(':scope > .json-head').click();
    assert.equal(await pinned.getAttribute('aria-expanded'), 'false');
    assert.match((await pinned.locator(':scope > .json-head').textContent()) ?? '', /\{…\} 2 keys \}/);
    assert.equal(await pinned.locator('.json-key', { hasText: '"watts"' }).isVisible(), false, 'folded away');
    await pinned.locator(':scope > .json-head').click();
    assert.equal(await pinned.getAttribute('aria-expanded'), 'true');
    assert.equal(await pinned.locator('.json-key', { hasText: '"watts"' }).isVisible(), true);
  });

  it('shows what changed from the previous message, and from a picked one', async () => {
    await frame.locator('vscode-panel-tab#tab-diff').click();
    const table = frame.locator('#view-diff table.diff-table');
    await table.waitFor();
    const shown = Number(((await frame.locator('#view-payload .details .seq').textContent()) ?? '#').slice(1));
    assert.match((await frame.locator('#view-diff .diff-heading').textContent()) ?? '', new RegExp(`^#${shown - 1} .* → #${shown} `));
    const seqRow = table.locator('tr', { has: frame.locator('td.path', { hasText: /^seq$/ }) });
    const [before, after] = [Number(await seqRow.locator('td.before').textContent()), Number(await seqRow.locator('td.after').textContent())];
    assert.ok(after > before, `the simulator counts up: ${before} → ${after}`);
    // Shift+click picks another message to compare with.
    const older = await frame.locator(`.history-row[data-seq="${shown - 2}"]`).count() ? shown - 2 : shown + 1;
    await frame.locator(`.history-row[data-seq="${older}"]`).click({ modifiers: ['Shift'] });
    await frame.locator('#view-diff .diff-heading', { hasText: `#${older} ` }).waitFor();
    await workbench.screenshot('panel-diff-dark');
  });

  /** For each series in the chart's legend, its marker's colour and the colour of its field's checkbox swatch. */
  const legendAndSwatchColours = (target: Frame) =>
    target.evaluate(() =>
      Array.from(document.querySelectorAll('#view-chart .u-legend .u-series')).slice(1).map((row) => {
        const label = row.querySelector('.u-label')?.textContent ?? '';
        const path = label.replace(/ \((inner |outer )?(left|right) axis\)$/, '');
        const marker = row.querySelector('.u-marker');
        const box = Array.from(document.querySelectorAll('#view-chart .chart-fields vscode-checkbox')).find((one) => one.textContent === path);
        const swatch = box?.querySelector('.swatch');
        return { path, marker: marker ? getComputedStyle(marker).borderTopColor : 'none', swatch: swatch ? getComputedStyle(swatch).borderTopColor : 'none', checked: (box as { checked?: boolean } | undefined)?.checked };
      }),
    );

  it('charts several numeric fields over time, with dotted paths, in the checkboxes\' colours', async () => {
    await frame.locator('.history-row[data-seq]').first().click();
    await frame.locator('vscode-panel-tab#tab-chart').click();
    const canvas = frame.locator('#view-chart canvas.chart-canvas');
    await frame.waitForFunction(() => /power\.watts \((\d+) points/.test(document.querySelector('#view-chart canvas.chart-canvas')?.getAttribute('aria-label') ?? ''), undefined, { timeout: 10_000 });
    const fields = await frame.locator('#view-chart .chart-fields vscode-checkbox').allTextContents();
    assert.ok(fields.includes('power.watts') && fields.includes('power.voltage') && fields.includes('energyKwh'), fields.join(', '));
    const label = (await canvas.getAttribute('aria-label')) ?? '';
    assert.match(label, /seq \(\d+ points, [^)]*\), rssi \(\d+ points?, [^)]*\), power\.watts \(\d+ points, [^)]*\)/, 'three series by default');
    // Pick power.voltage too: four series.
    await frame.locator('#view-chart .chart-fields vscode-checkbox', { hasText: 'power.voltage' }).click();
    await frame.waitForFunction(() => (document.querySelector('#view-chart canvas.chart-canvas')?.getAttribute('aria-label') ?? '').includes('power.voltage'), undefined, { timeout: 10_000 });
    const painted = await canvas.evaluate((element) => {
      const canvasElement = element as HTMLCanvasElement;
      const data = canvasElement.getContext('2d')?.getImageData(0, 0, canvasElement.width, canvasElement.height).data ?? new Uint8ClampedArray();
      const colours = new Set<string>();
      let count = 0;
      for (let index = 0; index < data.length; index += 4) {
        if (data[index + 3] > 200) {
          count++;
          colours.add(`${data[index] >> 4},${data[index + 1] >> 4},${data[index + 2] >> 4}`);
        }
      }
      return { count, colours: colours.size };
    });
    assert.ok(painted.count > 1000, `painted pixels: ${painted.count}`);
    assert.ok(painted.colours >= 4, `distinct colours: ${painted.colours}`);
    // The legend is text, one entry per series, each marker the colour of its checkbox's swatch.
    await frame.locator('#view-chart .u-legend .u-series', { hasText: 'power.voltage' }).waitFor();
    const colours = await legendAndSwatchColours(frame);
    assert.deepEqual(colours.map((one) => one.path), ['seq', 'rssi', 'power.watts', 'power.voltage']);
    for (const one of colours) assert.ok(one.checked && one.marker === one.swatch && one.marker !== 'rgba(0, 0, 0, 0)', JSON.stringify(one));
    assert.equal(new Set(colours.map((one) => one.marker)).size, 4, 'four colours');
    await workbench.screenshot('panel-chart-dark');
  });

  it('gives series of different scales their own axes, reads the cursor out, zooms and resets, and follows the theme', async () => {
    const { page } = workbench;
    const topic = 'bench/chart';
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    try {
      for (let n = 0; n < 20; n++) {
        await client.publishAsync(topic, JSON.stringify({ ratio: n / 19, watts: 4750 - n * 250 }), { qos: 1 });
        // Not a wait for anything: the points get times 40 ms apart, so that the time axis has a range.
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    } finally {
      await client.endAsync();
    }
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', topic);
    let panel = await workbench.webviewFrame('h1.topic', { text: topic });
    await panel.locator('vscode-panel-tab#tab-chart').click();
    const canvas = panel.locator('#view-chart canvas.chart-canvas');
    await panel.waitForFunction(() => (document.querySelector('#view-chart canvas.chart-canvas')?.getAttribute('aria-label') ?? '').includes('watts (20 points'), undefined, { timeout: 10_000 });
    assert.equal(await canvas.getAttribute('aria-label'), 'Chart of ratio (20 points, 0 to 1, left axis), watts (20 points, 0 to 4750, right axis)');

    // Three axes in the page: time below the plot, ratio on its left, watts on its right.
    const sides = await panel.evaluate(() => {
      const plot = (document.querySelector('#view-chart .u-over') as HTMLElement).getBoundingClientRect();
      return Array.from(document.querySelectorAll('#view-chart .u-axis')).map((axis) => {
        const box = axis.getBoundingClientRect();
        return box.top >= plot.bottom - 1 ? 'below' : box.right <= plot.left + 1 ? 'left' : box.left >= plot.right - 1 ? 'right' : 'inside';
      });
    });
    assert.deepEqual(sides, ['below', 'left', 'right']);
    const legend = panel.locator('#view-chart .u-legend .u-series');
    assert.deepEqual(await legend.locator('.u-label').allTextContents(), ['Time', 'ratio (left axis)', 'watts (right axis)']);
    for (const one of await legendAndSwatchColours(panel)) assert.ok(one.checked && one.marker === one.swatch, JSON.stringify(one));

    // The cursor's read-out: the time under it and each series' value there.
    const over = panel.locator('#view-chart .u-over');
    const box = await over.boundingBox();
    if (!box) throw new Error('the plot has a box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const values = legend.locator('.u-value');
    await panel.waitForFunction(() => /^\d\d:\d\d:\d\d\.\d{3}$/.test(document.querySelector('#view-chart .u-legend .u-series .u-value')?.textContent ?? ''), undefined, { timeout: 5000 });
    const [, ratio, watts] = (await values.allTextContents()).map(Number);
    assert.ok(ratio > 0.2 && ratio < 0.8 && watts > 1000 && watts < 3750 && Math.abs(watts - (1 - ratio) * 4750) < 0.01, `ratio ${ratio}, watts ${watts}`);
    await workbench.screenshot('panel-chart-axes-dark');

    // Drag across the middle of the plot: it zooms in on that time range.
    const zoomText = panel.locator('#view-chart .chart-zoom');
    const reset = panel.locator('#view-chart vscode-button.chart-reset');
    assert.equal(await reset.getAttribute('disabled'), '', 'nothing to reset yet');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await zoomText.filter({ hasText: /^Zoomed to \d\d:\d\d:\d\d\.\d{3} – \d\d:\d\d:\d\d\.\d{3}/ }).waitFor({ timeout: 5000 });
    // The text gives the x range the plot draws.
    const zoomedText = await zoomText.textContent();
    assert.equal(await reset.getAttribute('disabled'), null);
    // Left edge of the zoomed plot (its axes may have taken other widths): the read-out is not the first point (ratio 0) any more.
    const zoomed = await over.boundingBox();
    if (!zoomed) throw new Error('the plot has a box');
    await page.mouse.move(zoomed.x + 2, zoomed.y + zoomed.height / 2);
    await panel.waitForFunction(() => Number(document.querySelectorAll('#view-chart .u-legend .u-series .u-value')[1]?.textContent) > 0, undefined, { timeout: 5000 });
    await workbench.screenshot('panel-chart-zoomed-dark');

    // A new message updates the chart in place: the same canvas, the zoom kept.
    await canvas.evaluate((element) => element.setAttribute('data-before-update', ''));
    const more = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    try {
      await more.publishAsync(topic, JSON.stringify({ ratio: 1.05, watts: 0 }), { qos: 1 });
    } finally {
      await more.endAsync();
    }
    await panel.waitForFunction(() => (document.querySelector('#view-chart canvas.chart-canvas')?.getAttribute('aria-label') ?? '').includes('watts (21 points'), undefined, { timeout: 10_000 });
    assert.equal(await panel.locator('#view-chart canvas[data-before-update]').count(), 1, 'not built again');
    assert.equal(await zoomText.textContent(), zoomedText, 'the zoom stays');
    // Reset from the keyboard.
    await reset.focus();
    assert.equal(await panel.evaluate(() => document.activeElement?.classList.contains('chart-reset')), true, 'the button takes the focus');
    await page.keyboard.press('Enter');
    await zoomText.filter({ hasText: /^Drag across the chart/ }).waitFor({ timeout: 5000 });
    assert.equal(await reset.getAttribute('disabled'), '');
    // All of it again: the plot's left edge is the first point.
    const all = await over.boundingBox();
    if (!all) throw new Error('the plot has a box');
    await page.mouse.move(all.x + all.width / 2, all.y + all.height / 2);
    await page.mouse.move(all.x + 1, all.y + all.height / 2);
    await panel.waitForFunction(() => document.querySelectorAll('#view-chart .u-legend .u-series .u-value')[1]?.textContent === '0', undefined, { timeout: 5000 });

    // Another theme: the chart is drawn again in its colours, still matching the checkboxes.
    for (const [theme, className, name] of [
      ['Light Modern', 'vs', 'panel-chart-light'],
      ['Dark Modern', 'vs-dark', undefined],
    ] as const) {
      await canvas.evaluate((element) => element.setAttribute('data-old-theme', ''));
      await workbench.runCommand('Preferences: Color Theme');
      await workbench.pickQuickInput(theme);
      await page.waitForFunction((name) => document.querySelector('.monaco-workbench')?.classList.contains(name) ?? false, className, { timeout: 10_000 });
      panel = await workbench.webviewFrame('h1.topic', { text: topic });
      await panel.locator('#view-chart canvas.chart-canvas:not([data-old-theme])').waitFor({ timeout: 10_000 });
      for (const one of await legendAndSwatchColours(panel)) assert.ok(one.checked && one.marker === one.swatch, `${theme}: ${JSON.stringify(one)}`);
      if (name) await workbench.screenshot(name);
    }
  });

  it('scrolls a history of 100,000 messages, rendering only the rows in view', async () => {
    const topic = 'bench/scroll';
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    try {
      // Bounded, to loopback; QoS 1 in batches so that the broker's queue never holds them all.
      for (let start = 0; start < LONG_HISTORY; start += 5000) {
        const batch: Promise<unknown>[] = [];
        for (let n = start; n < start + 5000; n++) batch.push(client.publishAsync(topic, JSON.stringify({ n, value: n % 97 }), { qos: 1 }));
        await Promise.all(batch);
      }
    } finally {
      await client.endAsync();
    }
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', topic);
    const panel = await workbench.webviewFrame('h1.topic', { text: topic });
    await panel.locator('.meta vscode-badge', { hasText: '100,000 messages' }).waitFor({ timeout: 60_000 });
    await workbench.screenshot('panel-long-history-dark');
    const timings: string[] = [];
    for (const fraction of [0.25, 0.5, 0.999, 0.1]) {
      const started = Date.now();
      const expectedTop = await panel.evaluate((at) => {
        const viewport = document.querySelector('.history-viewport') as HTMLElement;
        viewport.scrollTop = Math.round((viewport.scrollHeight - viewport.clientHeight) * at);
        return 100_000 - 1 - Math.floor(viewport.scrollTop / 22);
      }, fraction);
      await panel.waitForFunction(
        (seq) => {
          const row = document.querySelector(`.history-row[data-seq="${seq}"]`);
          return row !== null && row.querySelector('.loading') === null && (row.querySelector('.preview')?.textContent ?? '').includes(`"n":${seq}`);
        },
        expectedTop,
        { timeout: 10_000 },
      );
      timings.push(`${Math.round(fraction * 100)}%: ${Date.now() - started} ms`);
      const inPage = await panel.locator('.history-layer .history-row').count();
      assert.ok(inPage < 100, `${inPage} rows in the page for 100,000 messages`);
    }
    console.log(`      rows shown after a scroll to: ${timings.join(', ')}`);
    // The keyboard reaches the oldest message.
    await panel.locator('.history-viewport').focus();
    await workbench.page.keyboard.press('End');
    await panel.locator('#view-payload .details .seq', { hasText: /^#0$/ }).waitFor();
    await panel.locator('.history-row.selected[data-seq="0"]').waitFor();
  });

  /** Publishes one message from a client of its own, opens the topic's panel by "MQTT: Show Topic History", on its Payload tab. */
  async function publishAndOpen(topic: string, payload: string | Buffer): Promise<Frame> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    try {
      await client.publishAsync(topic, payload, { qos: 1 });
    } finally {
      await client.endAsync();
    }
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', topic);
    const panel = await workbench.webviewFrame('h1.topic', { text: topic });
    await panel.locator('vscode-panel-tab#tab-payload').click();
    return panel;
  }

  it('marks a payload cut for the panel, and loads it whole on request', async () => {
    const topic = 'bench/big';
    const text = 'x'.repeat(200 * 1024);
    const panel = await publishAndOpen(topic, text);
    await panel.locator('#view-payload .cut-mark', { hasText: /showing the first 64(\.0)? KiB/ }).waitFor();
    assert.equal((await panel.locator('pre.payload-text').textContent())?.length, 64 * 1024);
    await panel.locator('vscode-button', { hasText: 'Load whole payload' }).click();
    await panel.locator('#view-payload .cut-mark').waitFor({ state: 'detached' });
    assert.equal((await panel.locator('pre.payload-text').textContent())?.length, text.length);
    assert.match((await panel.locator('#view-payload .details').textContent()) ?? '', /200(\.0)? KiB/);
  });

  it('shows a binary payload byte for byte in the hex and base64 views (the bytes cross postMessage as a Uint8Array)', async () => {
    const topic = 'bench/binary';
    const bytes = Buffer.from(Array.from({ length: 700 }, (_, index) => (index * 37 + 11) % 256));
    const panel = await publishAndOpen(topic, bytes);
    // Binary: the automatic choice is hex, and every byte is there in order.
    await panel.locator('#view-payload .kind', { hasText: 'Hex (auto)' }).waitFor();
    assert.equal(await panel.locator('pre.payload-hex').textContent(), hexDump(bytes));
    await Workbench.setDropdown(panel, '#payload-view', 'base64');
    const base64 = bytes.toString('base64').match(/.{1,76}/g)?.join('\n');
    assert.equal(await panel.locator('pre.payload-base64').textContent(), base64);
    await Workbench.setDropdown(panel, '#payload-view', 'auto');
  });

  it('exports the history as CSV, and opens a payload in a read-only JSON editor', async () => {
    const { page } = workbench;
    frame = await workbench.openTopic(meter.telemetryTopic);
    await frame.locator('vscode-panel-tab#tab-payload').click();
    await Workbench.setDropdown(frame, '#export-format', 'csv');
    await frame.locator('vscode-button', { hasText: 'Export…' }).click();
    // The save dialog of the server build is a quick input holding the proposed path.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    // It shows the folder first, then the proposed name.
    let path = '';
    await waitUntil(async () => (path = await input.inputValue()).endsWith('.csv'), 10_000, 'the proposed file name');
    assert.ok(path.endsWith('_telemetry.csv'), path);
    await page.keyboard.press('Enter');
    const status = frame.locator('.toolbar .status', { hasText: /^Exported \d+ messages to / });
    await status.waitFor();
    const count = Number(/Exported (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
    const file = join(workbench.workspaceFolder, path.split('/').pop() ?? '');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'topic,seq,receivedAt,qos,retain,size,truncated,encoding,payload,properties,decodedBy,decoded');
    assert.equal(lines.length - 1, count, 'one line per exported message');
    assert.ok(count >= 3, `${count} messages`);
    assert.match(lines[1], new RegExp(`^${meter.telemetryTopic},\\d+,\\d{4}-\\d\\d-\\d\\dT[^,]+,0,false,\\d+,false,utf8,"\\{""ts""`));

    // Pick a message, so that the one shown stays while others arrive.
    await frame.locator('.history-row[data-seq]').nth(1).click();
    const shown = (await frame.locator('.history-row.selected').getAttribute('data-seq')) ?? '';
    await frame.locator('#view-payload .details .seq', { hasText: exactly(`#${shown}`) }).waitFor();
    await frame.locator('vscode-button', { hasText: 'Open in Editor' }).click();
    const tab = page.locator('.tabs-container .tab', { hasText: `telemetry #${shown}.json` });
    await tab.waitFor();
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines', { hasText: '"watts"' }).waitFor();
    await page.locator('.statusbar-item[id="status.editor.mode"]', { hasText: 'JSON' }).waitFor();
    const before = await editor.locator('.view-lines').textContent();
    await editor.locator('.view-lines').click();
    await page.keyboard.type('xyz');
    assert.equal(await editor.locator('.view-lines').textContent(), before, 'read-only: typing changes nothing');
    await workbench.screenshot('payload-editor-dark');
    await page.keyboard.press('Control+W');
    await tab.waitFor({ state: 'detached' });
  });

  it('comes back after a reload of the window, on the tab it showed', async () => {
    const { page } = workbench;
    frame = await workbench.openTopic(meter.telemetryTopic);
    await frame.locator('vscode-panel-tab#tab-diff').click();
    await frame.locator('#view-diff table.diff-table').waitFor();
    // As a person does: the command shuts the workbench down properly (its state saved), then loads it again.
    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    await workbench.runCommand('Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    frame = await workbench.webviewFrame('h1.topic', { text: meter.telemetryTopic, timeoutMs: 60_000 });
    await frame.locator('vscode-panels[activeid="tab-diff"]').waitFor();
    await frame.locator('#view-diff table.diff-table').waitFor({ timeout: 30_000 });
    await frame.locator('vscode-panel-tab#tab-payload').click();
  });

  it('follows the light and high-contrast themes', async () => {
    frame = await workbench.openTopic(meter.telemetryTopic);
    await frame.locator('vscode-panel-tab#tab-payload').click();
    await frame.locator('.payload-json .json-key').first().waitFor();
    await workbench.screenshot('panel-dark', { readme: true });
    const colours = () =>
      frame.evaluate(() => {
        const style = (selector: string) => getComputedStyle(document.querySelector(selector) as Element);
        return { number: style('.payload-json .json-number').color, text: style('body').color, block: style('.payload-json').backgroundColor };
      });
    const dark = await colours();
    assert.notEqual(dark.number, dark.text, 'numbers are coloured');
    for (const [theme, name, className] of [
      ['Light Modern', 'panel-light', 'vs'],
      ['Dark High Contrast', 'panel-high-contrast', 'hc-black'],
    ] as const) {
      await workbench.runCommand('Preferences: Color Theme');
      await workbench.pickQuickInput(theme);
      await workbench.page.waitForFunction((name) => document.querySelector('.monaco-workbench')?.classList.contains(name) ?? false, className, { timeout: 10_000 });
      frame = await workbench.webviewFrame('h1.topic', { text: meter.telemetryTopic });
      await frame.waitForFunction((kind) => document.body.classList.contains(kind === 'vs' ? 'vscode-light' : 'vscode-high-contrast'), className, { timeout: 10_000 });
      await frame.locator('.payload-json .json-key').first().waitFor();
      const now = await colours();
      assert.notEqual(now.number, now.text, `${theme}: numbers are coloured`);
      assert.notEqual(now.block, dark.block, `${theme}: the payload block takes the theme's background`);
      await workbench.screenshot(name, { readme: true });
    }
  });
});
