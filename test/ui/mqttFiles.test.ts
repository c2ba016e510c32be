import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Locator } from 'playwright-core';
import { nextMessage as nextMessageOn } from '../helpers/mqttMessages';
import { waitUntil } from '../helpers/waitFor';
import { Workbench } from './workbench';

/** What the editor shows on its lines, with the text decorations put after them (rendered as CSS ::after content). */
async function editorText(editor: Locator): Promise<string> {
  return editor.locator('.view-lines').evaluate((lines) => {
    const parts: string[] = [];
    for (const line of Array.from(lines.querySelectorAll('.view-line'))) {
      let text = line.textContent ?? '';
      for (const span of Array.from(line.querySelectorAll('span'))) {
        const after = getComputedStyle(span, '::after').content;
        if (after && after !== 'none' && after !== 'normal') text += ` ${after.replace(/^"|"$/g, '')}`;
      }
      parts.push(text);
    }
    return parts.join('\n').replace(/\u00a0/g, ' ');
  });
}

/**
 * A `.mqtt` file in the real workbench: CodeLens "Publish" sends a block's exact bytes (typed hex,
 * JSON with variables, a file next to it) to a subscriber the test runs, the result shows after
 * the block, and a wildcard typed into a PUBLISH topic is a problem at once.
 */
describe('.mqtt message files in the workbench (Chromium)', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let subscriber: mqtt.MqttClient;
  const frame = randomBytes(64);
  const nextMessage = (topic: string) => nextMessageOn(subscriber, topic, 20_000);

  before(async () => {
    workbench = await Workbench.open({ settings: { 'mqttExplorer.messageFiles.variables': { level: 3 } } });
    const folder = workbench.workspaceFolder;
    mkdirSync(join(folder, 'payloads'));
    writeFileSync(join(folder, 'payloads', 'frame.bin'), frame);
    writeFileSync(join(folder, 'mqtt.env.json'), JSON.stringify({ $shared: { base: 'ui/mqtt' } }, null, 2));
    writeFileSync(
      join(folder, 'messages.mqtt'),
      [
        '# Messages for the bench',
        `# @connection Local broker (127.0.0.1:${workbench.brokerPort})`,
        '@device = lamp-1',
        '',
        '### Raw frame',
        'PUBLISH {{base}}/frame',
        'QoS: 1',
        '',
        'hex: 00 01 7f 80 ff',
        'hex: 0d 0a',
        '',
        '### JSON reading',
        'PUBLISH {{base}}/{{device}}/json',
        'QoS: 2',
        '',
        '{"on": true, "level": {{level}}}',
        '',
        '### A frame from a file',
        'PUBLISH {{base}}/file',
        '',
        '< ./payloads/frame.bin',
        '',
      ].join('\n'),
    );
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
    await subscriber.subscribeAsync('ui/mqtt/#', { qos: 2 });
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await subscriber?.endAsync();
    await workbench?.close();
  });

  const editor = () => workbench.page.locator('.editor-instance .monaco-editor').first();
  const lens = (title: string) => editor().locator('.codelens-decoration a', { hasText: title });

  it('opens as an MQTT file with its connection and a Publish lens on each PUBLISH block', async () => {
    const { page } = workbench;
    await page.keyboard.press('Control+P');
    await workbench.pickQuickInput('messages.mqtt');
    await editor().locator('.view-line', { hasText: 'PUBLISH {{base}}/frame' }).waitFor({ timeout: 30_000 });
    await page.locator('.statusbar-item', { hasText: 'MQTT messages' }).first().waitFor({ timeout: 15_000 });
    await lens('Local broker').first().waitFor({ timeout: 30_000 });
    await waitUntil(async () => (await lens('Publish').count()) === 3, 30_000, 'three Publish lenses');
  });

  it('CodeLens "Publish" sends the exact bytes of typed hex, of JSON with its variables filled in, and of a file; the result shows after the block', async () => {
    let arrived = nextMessage('ui/mqtt/frame');
    await lens('Publish').nth(0).click();
    let message = await arrived;
    assert.deepEqual(message.payload, Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xff, 0x0d, 0x0a]));
    assert.equal(message.packet.qos, 1);
    await waitUntil(async () => /✓ published QoS 1 · 7 B · acknowledged in \d+ ms/.test(await editorText(editor())), 15_000, 'the result after the first block');

    arrived = nextMessage('ui/mqtt/lamp-1/json');
    await lens('Publish').nth(1).click();
    message = await arrived;
    // $shared of mqtt.env.json, the file's @device and the settings' level.
    assert.deepEqual(message.payload, Buffer.from('{"on": true, "level": 3}'));
    assert.equal(message.packet.qos, 2);

    arrived = nextMessage('ui/mqtt/file');
    await lens('Publish').nth(2).click();
    message = await arrived;
    assert.deepEqual(message.payload, frame);
    await waitUntil(async () => /✓ published QoS 0 · 64 B · sent in \d+ ms/.test(await editorText(editor())), 15_000, 'the result after the last block');
    const text = await editorText(editor());
    assert.match(text, /✓ published QoS 2 · 24 B · acknowledged in \d+ ms/);
    await workbench.screenshot('mqtt-file-published-dark');
  });

  it('a wildcard typed into a PUBLISH topic is a problem at once, in the Problems view and on hover', async () => {
    const { page } = workbench;
    await editor().locator('.view-line', { hasText: 'PUBLISH {{base}}/file' }).click();
    await page.keyboard.press('Control+End');
    // Escape before each Enter: a suggestion list opened by typing must not take the Enter.
    for (const line of ['', '### Wildcard by mistake', 'PUBLISH ui/mqtt/+/set']) {
      await page.keyboard.type(line);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
    }
    await page.keyboard.press('Escape');
    const squiggle = editor().locator('.squiggly-error').first();
    await squiggle.waitFor({ timeout: 15_000 });
    // The squiggle lies under the text's own layer: the pointer goes to it, as a person's does.
    await squiggle.hover({ force: true });
    const hover = page.locator('.monaco-hover', { hasText: /Wildcards/ }).first();
    await hover.waitFor({ timeout: 15_000 });
    await waitUntil(async () => !/Loading/.test((await hover.textContent()) ?? ''), 15_000, 'the hover to finish loading');
    // The block with the problem offers no Publish: it would not run.
    await lens('Fix the problems to run').first().waitFor({ timeout: 15_000 });
    await workbench.screenshot('mqtt-file-dark', { readme: true });
    await page.mouse.move(1000, 850);
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /Wildcards/ }).first();
    await problem.waitFor({ timeout: 15_000 });
    assert.match((await problem.textContent()) ?? '', /mqtt\(?bad-topic/);
    await page.keyboard.press('Control+Shift+M');
  });

  it('completes variables after {{ and hovers a variable with its value and origin', async () => {
    const { page } = workbench;
    await editor().locator('.view-line').first().click();
    await page.keyboard.press('Control+End');
    for (const line of ['', '### Typed']) {
      await page.keyboard.type(line);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
    }
    await page.keyboard.type('PUBLISH {{');
    const suggest = page.locator('.editor-widget.suggest-widget');
    await suggest.locator('.monaco-list-row', { hasText: 'device' }).first().waitFor({ timeout: 15_000 });
    await suggest.locator('.monaco-list-row', { hasText: '$uuid' }).first().waitFor({ timeout: 15_000 });
    await workbench.screenshot('mqtt-file-completion-dark');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Home');
    await editor().locator('.view-line', { hasText: 'PUBLISH {{base}}/{{device}}/json' }).locator('span', { hasText: /^device$/ }).first().hover();
    await page.locator('.monaco-hover', { hasText: 'lamp-1' }).first().waitFor({ timeout: 15_000 });
    assert.match((await page.locator('.monaco-hover').first().textContent()) ?? '', /From this file, line 3\./);
    // A topic: its last value as the explorer saw it (the frame published above, 7 bytes, delivered at its subscription's QoS 0).
    await page.mouse.move(1000, 850);
    // (Monaco draws neighbouring tokens of one colour as one span: "/frame".)
    await editor().locator('.view-line', { hasText: 'PUBLISH {{base}}/frame' }).locator('span[class^="mtk"]', { hasText: /^\/?frame$/ }).first().hover();
    const topicHover = page.locator('.monaco-hover', { hasText: 'ui/mqtt/frame' }).first();
    await topicHover.waitFor({ timeout: 15_000 });
    await waitUntil(async () => /00 01 7f 80 ff 0d 0a.*1 message · last .* · QoS 0 · 7 B/.test((await topicHover.textContent()) ?? ''), 15_000, 'the topic hover with the last value');
    assert.match((await topicHover.textContent()) ?? '', /on Local broker/);
  });

  it('looks right in the light theme', async () => {
    await workbench.page.keyboard.press('Escape');
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await workbench.page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    await workbench.page.keyboard.press('Control+Home');
    const squiggle = editor().locator('.squiggly-error').first();
    await squiggle.hover({ force: true });
    const hover = workbench.page.locator('.monaco-hover', { hasText: /Wildcards/ }).first();
    await hover.waitFor({ timeout: 15_000 });
    // Every hover provider has answered (a PUBLISH topic with a wildcard gets only the problem).
    await waitUntil(async () => !/Loading/.test((await hover.textContent()) ?? ''), 15_000, 'the hover to finish loading');
    await workbench.screenshot('mqtt-file-light', { readme: true });
  });
});
