import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { HostileBroker } from '../helpers/hostileBroker';
import { Mosquitto } from '../helpers/mosquitto';
import { waitUntil } from '../helpers/waitFor';
import { exactly, Workbench } from './workbench';

/** What a broker can send that a careless explorer trips on: any topic MQTT allows, any payload. */
interface HostileCase {
  what: string;
  /** Sent by a peer posing as a broker: mosquitto and aedes drop a client that publishes it (deeper than 200 levels). */
  viaPeer?: boolean;
  topic: string;
  payload: string | Buffer;
  /** Open the topic's panel too: its payload must show (as text, with a note where it cannot be JSON). */
  panel?: RegExp;
}

function tenMegabytesOfJson(): string {
  const item = JSON.stringify({ id: 0, name: 'sensor reading with a longish name', values: [1.5, 2.25, 3.125], ok: true });
  const count = Math.ceil((10 * 1024 * 1024) / (item.length + 1));
  return `[${Array.from({ length: count }, () => item).join(',')}]`;
}

const CASES: HostileCase[] = [
  { what: 'a lone "/"', topic: '/', payload: 'slash' },
  { what: '"//"', topic: '//', payload: 'two slashes' },
  { what: 'an empty level inside', topic: 'hostile//b', payload: 'v' },
  { what: 'a trailing "/"', topic: 'hostile/', payload: 'v' },
  { what: 'a 20,000-level topic', topic: Array.from({ length: 20_000 }, () => 'l').join('/'), payload: 'deep', viaPeer: true },
  { what: 'a 60,000-character level', topic: `hostile/${'x'.repeat(60_000)}`, payload: 'long' },
  { what: 'prototype names', topic: '__proto__/constructor/toString', payload: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}', panel: /polluted/ },
  { what: 'unicode of every kind', topic: 'hostile/🌡/עברית/e\u0301/\u202eevil', payload: 'ünïcödé 🌡' },
  { what: 'script in the topic and payload', topic: 'hostile/<img src=x onerror=alert(1)>/<script>', payload: '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">', panel: /__pwned/ },
  { what: 'invalid UTF-8', topic: 'hostile/bytes/invalid-utf8', payload: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0x28]), panel: /ff fe c3 28/ },
  { what: 'NUL bytes', topic: 'hostile/bytes/nul', payload: Buffer.from('a\u0000b\u0000\u0000c') },
  { what: '10 MB of JSON', topic: 'hostile/json/ten-mb', payload: tenMegabytesOfJson(), panel: /sensor reading/ },
  { what: '1e400', topic: 'hostile/json/huge-number', payload: '{"v":1e400,"w":-1e400}', panel: /1e400/ },
  { what: '64-bit integers', topic: 'hostile/json/int64', payload: '{"id":18446744073709551615,"min":-9223372036854775808}', panel: /18446744073709551615/ },
  { what: 'duplicate keys', topic: 'hostile/json/duplicate', payload: '{"a":1,"a":2}' },
  { what: '100,000 levels of [', topic: 'hostile/json/deep-array', payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, panel: /\[\[\[\[/ },
  { what: '100,000 levels of {', topic: 'hostile/json/deep-object', payload: `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, panel: /\{"a":\{"a":/ },
];

/**
 * Hostile input through a real broker (mosquitto, MQTT 5) into the real workbench. After each one,
 * the extension host still answers a command and the Topics view still shows new messages.
 */
describe('Hostile topics and payloads through mosquitto: VS Code keeps answering', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  let peer: HostileBroker;
  let workbench: Workbench;
  let publisher: mqtt.MqttClient;
  let markers = 0;

  before(async () => {
    broker = await Mosquitto.create();
    peer = await HostileBroker.start();
    workbench = await Workbench.open({
      settings: {
        'mqttExplorer.localBroker.autoStart': false,
        'mqttExplorer.simulator.autoStart': false,
        'mqttExplorer.connections': [
          { id: 'hostile', name: 'Hostile broker', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: '#', qos: 0 }] },
          { id: 'peer', name: 'Hostile peer', host: '127.0.0.1', port: peer.port, mqttVersion: 5, subscriptions: [{ topic: '#', qos: 0 }] },
        ],
      },
    });
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    for (const name of ['Hostile broker', 'Hostile peer']) {
      const row = page.locator('.monaco-list-row', { hasText: name }).first();
      await row.waitFor({ timeout: 60_000 });
      await row.hover();
      await row.locator('.action-label[aria-label="Connect"]').click();
      await page.locator('.monaco-list-row', { hasText: name }).filter({ hasText: 'connected' }).first().waitFor({ timeout: 30_000 });
    }
    await waitUntil(async () => peer.subscribers > 0, 10_000, 'the explorer to subscribe to the hostile peer');
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { protocolVersion: 5 });
    // "connected" shows before the SUBACK: publish markers until the Topics view shows one.
    await publishMarker('ready');
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await publisher?.endAsync();
    await workbench?.close();
    await broker?.dispose();
    await peer?.stop();
  });

  /** Publishes a marker and waits (bounded) until its row in the Topics view shows it. */
  async function publishMarker(label: string): Promise<void> {
    const text = `marker ${++markers} after ${label}`;
    const pane = workbench.topicsPane();
    const row = pane.locator('.monaco-list-row[aria-level="2"]', { has: workbench.page.locator('.label-name', { hasText: exactly('hostile-marker') }) });
    await waitUntil(
      async () => {
        await publisher.publishAsync('hostile-marker', text, { qos: 1 });
        return (await row.first().textContent({ timeout: 1000 }).catch(() => ''))?.includes(text) ?? false;
      },
      30_000,
      `the Topics view to show "${text}"`,
      500,
    );
  }

  for (const hostile of CASES) {
    it(`${hostile.what}: the tree keeps updating and the extension host answers`, async () => {
      if (hostile.viaPeer) peer.publish(hostile.topic, hostile.payload);
      else await publisher.publishAsync(hostile.topic, hostile.payload, { qos: 1 });
      await publishMarker(hostile.what);
      await workbench.assertHostAnswers('hostile-marker');
      // Kept answering by itself: the engine was not restarted behind the scenes.
      assert.equal(await workbench.page.getByText('The MQTT engine stopped').count(), 0, 'no engine restart');
      if (hostile.panel) {
        const frame = await workbench.openTopic(hostile.topic);
        await waitUntil(async () => hostile.panel?.test((await frame.locator('body').textContent()) ?? '') ?? true, 30_000, `the panel to show the payload of ${hostile.what}`);
        assert.equal(await frame.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined, 'no script ran in the panel');
        if (hostile.topic.endsWith('deep-array')) await workbench.screenshot('hostile-deep-json');
        await publishMarker(`the panel of ${hostile.what}`);
      }
    });
  }
});
