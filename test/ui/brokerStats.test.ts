import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import mqtt from 'mqtt';
import { Mosquitto } from '../helpers/mosquitto';
import { Workbench } from './workbench';

/**
 * The Broker view in the real workbench, against Debian mosquitto publishing $SYS every second:
 * the tiles show live figures (the rate in changes while another client publishes), the charts
 * draw, and a connection without a $SYS subscription says so and can subscribe from the view.
 * Screenshots in the dark and the light theme.
 */
describe('The Broker view in the workbench (Chromium, mosquitto with sys_interval 1)', function () {
  this.timeout(170_000);
  let broker: Mosquitto;
  let workbench: Workbench;
  let publisher: mqtt.MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;

  const tile = (frame: Frame, figure: string) => frame.locator(`.broker-tile[data-figure="${figure}"] .broker-tile-value`);

  /** Waits until the tile's text satisfies `accept`, bounded. */
  async function tileText(frame: Frame, figure: string, accept: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = (await tile(frame, figure).textContent()) ?? '';
      if (accept(text)) return text;
      await frame.waitForTimeout(250);
    }
    throw new Error(`${what}: the ${figure} tile still says "${text}" after ${timeoutMs} ms`);
  }

  before(async () => {
    broker = await Mosquitto.create({ extraConfig: ['sys_interval 1'] });
    workbench = await Workbench.open({
      settings: {
        'mqttExplorer.localBroker.autoStart': false,
        'mqttExplorer.simulator.autoStart': false,
        'mqttExplorer.connections': [
          { id: 'lab', name: 'Lab broker', host: '127.0.0.1', port: broker.ports.plain, subscriptions: [{ topic: '#', qos: 0 }, { topic: '$SYS/#', qos: 0 }] },
          { id: 'quiet', name: 'No SYS', host: '127.0.0.1', port: broker.ports.plain, subscriptions: [{ topic: '#', qos: 0 }] },
        ],
      },
    });
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    for (const name of ['Lab broker', 'No SYS']) {
      const row = page.locator('.monaco-list-row', { hasText: name }).first();
      await row.waitFor({ timeout: 60_000 });
      await row.hover();
      await row.locator('.action-label[aria-label="Connect"]').click();
      await page.locator('.monaco-list-row', { hasText: name }).filter({ hasText: 'connected' }).first().waitFor({ timeout: 30_000 });
    }
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    clearInterval(timer);
    await publisher?.endAsync();
    await workbench?.close();
    await broker?.dispose();
  });

  it('shows mosquitto\u2019s live figures: clients, a message rate that changes while a client publishes, charts', async () => {
    const { page } = workbench;
    const row = page.locator('.monaco-list-row', { hasText: 'Lab broker' }).first();
    await workbench.contextMenu(row, 'Show Broker Statistics');
    const frame = await workbench.webviewFrame('h1.topic', { text: 'Broker: Lab broker', timeoutMs: 30_000 });
    await frame.locator('.broker-meta', { hasText: /Mosquitto · mosquitto version 2\./ }).waitFor({ timeout: 20_000 });
    // Two explorer connections, and nobody else yet.
    await tileText(frame, 'clients', (text) => text === '2', 'two clients connected');
    await tileText(frame, 'uptime', (text) => /^\d\d:\d\d:\d\d$/.test(text), 'an uptime');

    // Another client publishes 100 messages a second: one more client, and the rate in climbs.
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { clientId: 'line-sensor' });
    let n = 0;
    const started = Date.now();
    timer = setInterval(() => {
      // 100 a second, then 250 a second after 10 s: the charts show the change.
      const burst = Date.now() - started < 10_000 ? 10 : 25;
      for (let i = 0; i < burst; i++) publisher?.publish(`plant/line1/sensor${i % 10}`, JSON.stringify({ n: n++, temperature: 20 + Math.sin(n / 50) * 3 }));
    }, 100);
    await tileText(frame, 'clients', (text) => text === '3', 'three clients connected');
    const busy = await tileText(frame, 'messagesIn', (text) => Number.parseFloat(text.replace(/,/g, '')) >= 50, '≥ 50 messages/s received');
    // A live figure: the bytes received per second keep changing while messages flow.
    const first = await tileText(frame, 'bytesIn', (text) => text !== '\u2014', 'a bytes rate');
    await tileText(frame, 'bytesIn', (text) => text !== first, 'the bytes rate changes');
    await frame.locator('.broker-tile-note', { hasText: 'from its counters' }).first().waitFor({ timeout: 5000 });
    // The charts have drawn points (a canvas each).
    await frame.locator('.broker-chart canvas').nth(3).waitFor({ timeout: 20_000 });
    const points = Number(await frame.locator('.broker-chart').nth(1).getAttribute('data-points'));
    assert.ok(points >= 3, `messages chart points: ${points} (tile said ${busy})`);
    await frame.locator('.broker-extras th', { hasText: 'Heap' }).first().waitFor({ timeout: 10_000 });

    // A few seconds of history in the charts, then the pictures.
    await tileText(frame, 'messagesIn', (text) => Number.parseFloat(text.replace(/,/g, '')) >= 150, 'the faster rate (250/s) shows', 30_000);
    await frame.waitForTimeout(4000);
    await page.mouse.move(5, 850);
    await workbench.screenshot('broker-stats-dark', { readme: true });
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    await page.mouse.move(5, 850);
    // The charts are drawn again in the light theme's colours.
    await frame.waitForTimeout(1500);
    await workbench.screenshot('broker-stats-light', { readme: true });
    clearInterval(timer);
    timer = undefined;
    // It stops: the rate falls to 0 (mosquitto publishes a counter only when it changed).
    await tileText(frame, 'messagesIn', (text) => Number.parseFloat(text.replace(/,/g, '')) < 5, 'the rate falls once the publisher stops', 20_000);
  });

  it('says plainly when a connection has no $SYS subscription, and subscribes from the view', async () => {
    const row = workbench.page.locator('.monaco-list-row', { hasText: 'No SYS' }).first();
    await workbench.contextMenu(row, 'Show Broker Statistics');
    const frame = await workbench.webviewFrame('h1.topic', { text: 'Broker: No SYS', timeoutMs: 30_000 });
    const notice = frame.locator('.broker-notice.warning', { hasText: 'This connection has no subscription to $SYS/#' });
    await notice.waitFor({ timeout: 20_000 });
    await notice.locator('vscode-button', { hasText: 'Subscribe to $SYS/#' }).click();
    await tileText(frame, 'clients', (text) => /^\d+$/.test(text), 'figures after subscribing');
    await notice.waitFor({ state: 'detached', timeout: 10_000 });
  });
});
