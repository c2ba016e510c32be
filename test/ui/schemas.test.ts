import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { PLAYGROUND_SCHEMA_FILE, PLAYGROUND_SCHEMA_FILTER, playgroundSchema } from '../../tools/workbench/playground';
import { waitUntil } from '../helpers/waitFor';
import { Workbench } from './workbench';

/** A thermostat of our own under the bound filter: its message is not valid in three ways, and stays (retained). */
const PROBE_TOPIC = 'fleet/berlin/thermostat/ui-probe/telemetry';
const PROBE_PAYLOAD = JSON.stringify({ ts: '2026-01-01T00:00:00Z', seq: -1, rssi: -60, temperature: 31.5, setpoint: 21, humidity: 40, heating: 'yes' });

describe('JSON Schemas in the workbench (Chromium): the mark in the Topics view, the errors in the panel, the form\'s warning', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let client: mqtt.MqttClient;

  before(async () => {
    // The playground's setting; the schema file arrives after the extension started (it is watched).
    workbench = await Workbench.open({ settings: { 'mqttExplorer.schemas': [{ filter: PLAYGROUND_SCHEMA_FILTER, schema: PLAYGROUND_SCHEMA_FILE }] } });
    mkdirSync(join(workbench.workspaceFolder, 'schemas'), { recursive: true });
    writeFileSync(join(workbench.workspaceFolder, ...PLAYGROUND_SCHEMA_FILE.split('/')), playgroundSchema());
    await workbench.page.getByRole('tab', { name: 'MQTT' }).click();
    await workbench.page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 60_000 });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${workbench.brokerPort}`);
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await client?.endAsync();
    await workbench?.close();
  });

  it('marks a topic whose last message is not valid, and lists each error with its JSON path in the panel', async () => {
    await client.publishAsync(PROBE_TOPIC, PROBE_PAYLOAD, { qos: 1, retain: true });
    const row = await workbench.revealTopic(PROBE_TOPIC);
    // The schema may load after the message came: the row is checked when it is shown, and refreshed with the next report.
    await row.locator('.label-description', { hasText: '✗ not valid' }).waitFor({ timeout: 30_000 });
    assert.equal(await row.locator('.codicon-error').count(), 1, 'the error icon');
    // The decoration: the row's label in the error colour with a ✗, and VS Code's mark on its ancestors' rows.
    const decorated = async (locator: typeof row) => /monaco-decoration-itemColor-/.test((await locator.locator('.monaco-icon-label').first().getAttribute('class')) ?? '');
    await waitUntil(() => decorated(row), 10_000, 'the row decorated');
    const pane = workbench.topicsPane();
    for (const [level, name] of [[2, 'fleet'], [3, 'berlin'], [4, 'thermostat'], [5, 'ui-probe']] as const) {
      const ancestor = pane.locator(`.monaco-list-row[aria-level="${level}"]`, { has: workbench.page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) }).first();
      await waitUntil(() => decorated(ancestor), 10_000, `the ancestor ${name} marked`);
    }
    const frame = await workbench.openTopic(PROBE_TOPIC);
    const bar = frame.locator('#view-payload .schema-bar.schema-invalid');
    await bar.waitFor({ timeout: 20_000 });
    assert.equal(await bar.locator('.schema-verdict').textContent(), `✗ Not valid against ${PLAYGROUND_SCHEMA_FILE}: 3 errors`);
    const errors = await bar.locator('.schema-error').evaluateAll((items) => items.map((item) => `${item.querySelector('.schema-path')?.textContent} ${item.querySelector('.schema-message')?.textContent}`));
    assert.deepEqual(errors.sort(), ['/heating must be boolean', '/seq must be >= 0', '/temperature must be <= 22.5']);
    // The thermostats the simulator runs are marked too, whenever their last message is too warm.
    await workbench.screenshot('schema-invalid-dark', { readme: true });
  });

  it('warns under the payload about a draft the schema refuses, and still sends it', async () => {
    const frame = await workbench.webviewFrame('h1.topic', { text: PROBE_TOPIC });
    await frame.locator('vscode-panel-tab#tab-publish').click();
    await frame.locator('#publish-topic').fill(PROBE_TOPIC);
    await Workbench.setDropdown(frame, '#publish-format', 'json');
    await frame.locator('#publish-payload').evaluate((element, text) => {
      (element as HTMLElement & { value: string }).value = text;
      element.dispatchEvent(new Event('input'));
    }, JSON.stringify({ ...JSON.parse(PROBE_PAYLOAD), seq: 1, heating: true }));
    const warning = frame.locator('.publish-schema .schema-draft.schema-invalid');
    await warning.waitFor({ timeout: 10_000 });
    assert.match((await warning.textContent()) ?? '', /Not valid against schemas\/thermostat\.schema\.json \(Publish still sends it\)/);
    assert.deepEqual(await frame.locator('.publish-schema .schema-error .schema-path').allTextContents(), ['/temperature']);
    await workbench.screenshot('schema-publish-warning-dark', { readme: true });
    await frame.locator('.publish-form vscode-button', { hasText: 'Publish' }).click();
    await frame.locator('.publish-status', { hasText: 'sent although not valid against schemas/thermostat.schema.json' }).waitFor({ timeout: 10_000 });
  });

  it('looks right in the light theme', async () => {
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await workbench.page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    const frame = await workbench.webviewFrame('h1.topic', { text: PROBE_TOPIC });
    await frame.locator('vscode-panel-tab#tab-payload').click();
    // The message the form sent is the newest now: pick the probe's own (#0, retained and invalid).
    await frame.locator('.history-row[data-seq="0"]').click();
    await frame.locator('#view-payload .schema-bar.schema-invalid').waitFor({ timeout: 10_000 });
    await workbench.screenshot('schema-invalid-light', { readme: true });
  });
});
