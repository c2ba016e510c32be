import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Frame } from 'playwright-core';
import { planFleet } from '../../src/devtools/simulator';
import { nextMessage as nextMessageOn } from '../helpers/mqttMessages';
import { waitUntil } from '../helpers/waitFor';
import { exactly, Workbench } from './workbench';

describe('Publishing in the workbench (Chromium)', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let subscriber: mqtt.MqttClient;
  const fleet = planFleet(24);

  /** The next message the separate subscriber receives on `topic`. */
  const nextMessage = (topic: string) => nextMessageOn(subscriber, topic, 20_000);

  before(async () => {
    workbench = await Workbench.open();
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    await subscriber.subscribeAsync('ui/#', { qos: 2 });
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await subscriber?.endAsync();
    await workbench?.close();
  });

  it('"MQTT: Publish" by keyboard: a refused topic keeps what was typed, back goes back, JSON is checked, QoS picked', async () => {
    const { page } = workbench;
    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('input').first();
    await workbench.runCommand('MQTT: Publish');
    await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
    await input.fill('ui/palette/+');
    const typedRow = widget.locator('.quick-input-list .monaco-list-row').first();
    await typedRow.locator('.label-description', { hasText: 'Wildcards (+ and #) are for subscribing' }).waitFor();
    await page.keyboard.press('Enter');
    // Refused: still the topic step, the typed value kept, the reason on its row.
    await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
    assert.equal(await input.inputValue(), 'ui/palette/+');
    await workbench.screenshot('publish-refused-topic-dark');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('json');
    await typedRow.locator('.label-name', { hasText: exactly('ui/palette/json') }).waitFor();
    await page.keyboard.press('Enter');

    await widget.locator('.quick-input-title', { hasText: 'payload to ui/palette/json as Text' }).waitFor();
    // Back to the topic step, and forward again: the topic is still there.
    await widget.locator('.quick-input-titlebar .action-label[aria-label^="Back"]').click();
    await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
    assert.equal(await input.inputValue(), 'ui/palette/json');
    await page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'payload to ui/palette/json as Text' }).waitFor();
    await widget.locator('.quick-input-titlebar .action-label[aria-label^="As JSON"]').click();
    await widget.locator('.quick-input-title', { hasText: 'as JSON' }).waitFor();
    await input.fill('{"on": true, "level": ');
    await widget.locator('.quick-input-message', { hasText: 'Not valid JSON' }).waitFor();
    await page.keyboard.press('Enter'); // refused: still here
    await widget.locator('.quick-input-title', { hasText: 'as JSON' }).waitFor();
    await page.keyboard.type('3}');
    await widget.locator('.quick-input-message', { hasText: 'Not valid JSON' }).waitFor({ state: 'detached' }).catch(() => undefined);
    assert.doesNotMatch((await widget.locator('.quick-input-message').textContent()) ?? '', /Not valid JSON/);
    await page.keyboard.press('Enter');

    await widget.locator('.quick-input-title', { hasText: 'QoS and retain' }).waitFor();
    const arrived = nextMessage('ui/palette/json');
    await workbench.pickQuickInput('QoS 1', 'QoS 1');
    const { payload, packet } = await arrived;
    assert.equal(payload.toString(), '{"on": true, "level": 3}');
    assert.equal(packet.qos, 1);

    // The last values come back.
    await workbench.runCommand('MQTT: Publish');
    await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
    assert.equal(await input.inputValue(), 'ui/palette/json');
    await page.keyboard.press('Enter');
    await widget.locator('.quick-input-title', { hasText: 'payload to ui/palette/json as JSON' }).waitFor();
    assert.equal(await input.inputValue(), '{"on": true, "level": 3}');
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden' });
  });

  it('the Topics view\'s Publish button asks for a topic even while a row has the focus, and sends nothing to that row', async () => {
    const { page } = workbench;
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    const rowTopic = 'ui/focused/row';
    await subscriber.publishAsync(rowTopic, 'before', { qos: 1 });
    const row = await workbench.revealTopic(rowTopic);
    await row.click();
    const toRow: Buffer[] = [];
    const count = (topic: string, payload: Buffer) => topic === rowTopic && toRow.push(payload);
    subscriber.on('message', count);
    try {
      // VS Code hands the focused row to the title bar's actions: it used to be taken for
      // "publish an empty payload to this topic, now".
      const pane = workbench.topicsPane();
      await pane.hover();
      await pane.locator('.pane-header .action-label[aria-label="Publish"]').click();
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
      await widget.locator('input').first().fill('ui/focused/marker');
      await page.keyboard.press('Enter');
      await widget.locator('.quick-input-title', { hasText: 'payload to ui/focused/marker' }).waitFor();
      // (The format is the one used last, JSON after the test before: a JSON payload suits both.)
      await widget.locator('input').first().fill('{"marker": true}');
      await page.keyboard.press('Enter');
      await widget.locator('.quick-input-title', { hasText: 'QoS and retain' }).waitFor();
      const arrived = nextMessage('ui/focused/marker');
      await workbench.pickQuickInput('QoS 1', 'QoS 1');
      assert.equal((await arrived).payload.toString(), '{"marker": true}');
      // Both would have gone out through the same client, in order: nothing reached the row's topic.
      assert.deepEqual(toRow.map(String), []);
    } finally {
      subscriber.off('message', count);
    }
  });

  it('"Publish to This Topic" opens the panel\'s form with the topic and its last payload; Ctrl+Enter sends; the PUBCOMP shows', async () => {
    const { page } = workbench;
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    const row = await workbench.revealTopic(fleet.binaryTopic);
    // The tree re-renders under live updates: a click can miss the recycled row; then it is made again.
    let opened: Frame | undefined;
    for (let attempt = 0; attempt < 3 && !opened; attempt++) {
      await row.hover();
      await row.locator('.action-label[aria-label="Publish to This Topic"]').click();
      opened = await workbench.webviewFrame('h1.topic', { text: fleet.binaryTopic, timeoutMs: 15_000 }).catch(() => undefined);
    }
    const frame: Frame = opened ?? (await workbench.webviewFrame('h1.topic', { text: fleet.binaryTopic }));
    const topic = frame.locator('#publish-topic');
    await frame.locator('vscode-panels[activeid="tab-publish"]').waitFor();
    await waitUntil(async () => (await topic.inputValue().catch(() => '')) === fleet.binaryTopic, 10_000, 'the topic in the form');
    const payload = frame.locator('#publish-payload textarea');
    assert.match(await payload.inputValue(), /^([0-9a-f]{2} )+[0-9a-f]{2}$/, 'the binary frame, in hex');
    assert.equal(await frame.locator('#publish-format').evaluate((element) => (element as HTMLElement & { value: string }).value), 'hex');
    assert.equal(await frame.locator('.publish-v5').isHidden(), true, 'no MQTT 5 properties on a 3.1.1 connection');

    await topic.fill('ui/form/frame');
    await payload.fill('01 02 zz');
    await frame.locator('.publish-payload-field .field-error', { hasText: 'Not hex' }).waitFor();
    await payload.press('Control+Enter');
    await frame.locator('.publish-status.error', { hasText: 'Fix the marked fields first' }).waitFor();
    assert.equal(await payload.inputValue(), '01 02 zz', 'nothing typed is lost');
    await payload.fill('01 02 03');
    await frame.locator('.publish-payload-field .field-error', { hasText: 'Not hex' }).waitFor({ state: 'detached' }).catch(() => undefined);
    assert.equal(await frame.locator('.publish-payload-field .field-error').textContent(), '');
    await Workbench.setDropdown(frame, '#publish-qos', '2');
    const arrived = nextMessage('ui/form/frame');
    await payload.press('Control+Enter');
    await frame.locator('.publish-status', { hasText: exactly('PUBCOMP: Success.') }).waitFor();
    const { payload: bytes, packet } = await arrived;
    assert.deepEqual(bytes, Buffer.from([1, 2, 3]));
    assert.equal(packet.qos, 2);
    await workbench.screenshot('publish-form-dark', { readme: true });

    // A wildcard in the topic: refused next to the field, the values stay.
    await topic.fill('ui/form/#');
    await frame.locator('.publish-topic-field .field-error', { hasText: 'Wildcards' }).waitFor();
    await payload.press('Control+Enter');
    await frame.locator('.publish-status.error').waitFor();
    assert.equal(await topic.inputValue(), 'ui/form/#');
    assert.equal(await payload.inputValue(), '01 02 03');
    // The recent publish is offered again.
    await frame.locator('.publish-recent option', { hasText: 'ui/form/frame · Hex · 01 02 03' }).waitFor({ state: 'attached' });
    await page.keyboard.press('Escape');
  });

  it('"Publish Selection" (Ctrl+Alt+P) and "Publish File" send the editor\'s text and the file\'s bytes to the topic asked for', async () => {
    const { page } = workbench;
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    const readme = readFileSync(join(workbench.workspaceFolder, 'README.md'));
    await workbench.runCommand('Go to File...');
    await workbench.pickQuickInput('README.md');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines', { hasText: 'MQTT Explorer playground' }).waitFor();
    await editor.locator('.view-lines').click();
    // The first line only: Home, then Shift+End.
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('Shift+End');
    const widget = page.locator('.quick-input-widget');
    /** Answers the topic and QoS steps (the payload is given), and resolves with what the subscriber gets. */
    const answerTopicAndQos = async (topic: string, qos: string) => {
      await widget.locator('.quick-input-title', { hasText: 'MQTT: Publish — topic' }).waitFor();
      await widget.locator('input').first().fill(topic);
      await widget.locator('.quick-input-list .monaco-list-row .label-name', { hasText: exactly(topic) }).waitFor();
      await page.keyboard.press('Enter');
      await widget.locator('.quick-input-title', { hasText: 'QoS and retain' }).waitFor();
      const arrived = nextMessage(topic);
      await workbench.pickQuickInput(qos, qos);
      return arrived;
    };
    await page.keyboard.press('Control+Alt+P');
    assert.equal((await answerTopicAndQos('ui/editor/selection', 'QoS 1')).payload.toString(), '# MQTT Explorer playground');

    await workbench.runCommand('MQTT: Publish File');
    const { payload, packet } = await answerTopicAndQos('ui/editor/file', 'QoS 2');
    assert.deepEqual(payload, readme, 'the file byte for byte');
    assert.equal(packet.qos, 2);
  });
});
