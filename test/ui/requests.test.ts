import mqtt from 'mqtt';
import { Mosquitto } from '../helpers/mosquitto';
import { exactly, Workbench } from './workbench';

/**
 * The Requests view in the real workbench: MQTT 5 requests of two other clients on mosquitto
 * (aedes has no MQTT 5), paired with their replies, one left unanswered; a click on an exchange
 * opens the request topic's panel. Screenshots in the dark and the light theme.
 */
describe('The Requests view in the workbench (Chromium, mosquitto, MQTT 5)', function () {
  this.timeout(150_000);
  let broker: Mosquitto;
  let workbench: Workbench;
  let requester: mqtt.MqttClient;
  let responder: mqtt.MqttClient;

  before(async () => {
    broker = await Mosquitto.create();
    workbench = await Workbench.open({
      settings: {
        'mqttExplorer.localBroker.autoStart': false,
        'mqttExplorer.simulator.autoStart': false,
        'mqttExplorer.requests.timeoutSeconds': 2,
        'mqttExplorer.connections': [{ id: 'bus', name: 'Service bus', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: '#', qos: 0 }] }],
      },
    });
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    const row = page.locator('.monaco-list-row', { hasText: 'Service bus' }).first();
    await row.waitFor({ timeout: 60_000 });
    await row.hover();
    await row.locator('.action-label[aria-label="Connect"]').click();
    await page.locator('.monaco-list-row', { hasText: 'Service bus' }).filter({ hasText: 'connected' }).first().waitFor({ timeout: 30_000 });
    // "connected" shows before the SUBACK: a request published before it would pass unseen. Its subscription row says when it is active.
    await row.click();
    const subscription = page.locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: exactly('#') }) });
    await subscription.filter({ hasText: 'QoS 0' }).filter({ hasNotText: 'pending' }).waitFor({ timeout: 30_000 });
    await row.click();
    const url = `mqtt://127.0.0.1:${broker.ports.plain}`;
    requester = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'shop-frontend' });
    responder = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'pricing-service' });
    await responder.subscribeAsync('pricing/quote', { qos: 1 });
    // A service that takes a few milliseconds to answer, as MQTT 5 asks: on the response topic, with the correlation data.
    responder.on('message', (_topic, payload, packet) => {
      const responseTopic = packet.properties?.responseTopic;
      if (!responseTopic) return;
      const item = (JSON.parse(payload.toString()) as { item: string }).item;
      setTimeout(() => void responder.publishAsync(responseTopic, JSON.stringify({ item, price: item.length * 1.25 }), { qos: 1, properties: { correlationData: packet.properties?.correlationData } }), 5 + item.length * 3);
    });
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await requester?.endAsync();
    await responder?.endAsync();
    await workbench?.close();
    await broker?.dispose();
  });

  it('pairs requests with their replies, marks the unanswered one, and a click opens the request topic', async () => {
    const { page } = workbench;
    // The view starts collapsed: open it, as a person clicks its header.
    const header = page.locator('.pane-header', { hasText: 'Requests' });
    await header.waitFor({ timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const pane = page.locator('.pane', { has: header });
    // No request yet: the welcome text says what the view needs.
    await pane.locator('.welcome-view-content', { hasText: 'No MQTT 5 requests seen yet.' }).waitFor({ timeout: 30_000 });
    await workbench.screenshot('requests-welcome');
    // The Topics view gives the Requests view room for the screenshot.
    const topicsHeader = page.locator('.pane-header', { hasText: 'Topics' });
    if ((await topicsHeader.getAttribute('aria-expanded')) === 'true') await topicsHeader.click();

    for (const [index, item] of ['bolt', 'washer', 'hex nut'].entries()) {
      await requester.publishAsync('pricing/quote', JSON.stringify({ item }), { qos: 1, properties: { responseTopic: 'shop/frontend/replies', correlationData: Buffer.from(`quote-${index + 1}`) } });
    }
    // Nobody serves stock checks: this one times out after 2 s.
    await requester.publishAsync('inventory/check', '{"item":"bolt"}', { qos: 1, properties: { responseTopic: 'shop/frontend/replies', correlationData: Buffer.from('stock-1') } });

    const quote = pane.locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: exactly('pricing/quote') }) });
    await quote.filter({ hasText: '3/3 answered · avg' }).waitFor({ timeout: 30_000 });
    const stock = pane.locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: exactly('inventory/check') }) });
    await stock.filter({ hasText: '0/1 answered · 1 unanswered' }).waitFor({ timeout: 30_000 });
    for (const row of [quote, stock]) {
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    }
    await pane.locator('.monaco-list-row[aria-level="3"]', { hasText: 'no reply after 2 s' }).waitFor({ timeout: 15_000 });
    const answered = pane.locator('.monaco-list-row[aria-level="3"]', { hasText: '"quote-3" → shop/frontend/replies' });
    await answered.waitFor({ timeout: 15_000 });
    // A wider sidebar, as a person drags its edge, so that the rows show whole.
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    if (sidebar) {
      await page.mouse.move(sidebar.x + sidebar.width + 2, 450);
      await page.mouse.down();
      await page.mouse.move(sidebar.x + 640, 450, { steps: 5 });
      await page.mouse.up();
    }
    // Away from the rows, so that no hover covers them.
    await page.mouse.move(1000, 850);
    await workbench.screenshot('requests-dark', { readme: true });
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    await page.mouse.move(1000, 850);
    await workbench.screenshot('requests-light', { readme: true });

    await answered.click();
    await workbench.webviewFrame('h1.topic', { text: 'pricing/quote', timeoutMs: 20_000 });
  });
});
