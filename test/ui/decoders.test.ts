import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as cborEncode } from 'cbor2';
import mqtt from 'mqtt';
import type { Frame } from 'playwright-core';
import * as protobuf from 'protobufjs';
import * as sparkplugPayload from 'sparkplug-payload';
import { waitUntil } from '../helpers/waitFor';
import { Workbench } from './workbench';

const tahu = sparkplugPayload.get('spBv1.0')!;
type TahuPayload = Parameters<typeof tahu.encodePayload>[0];

/** A .proto the test writes into the workspace, then edits. */
const LAB_PROTO = (temperatureName: string) => `syntax = "proto3";
package lab;

message Reading {
  string id = 1;
  double ${temperatureName} = 2;
  int64 counter = 3;
}
`;
const PROTO_TOPIC = 'lab/proto/sensor';
const CBOR_TOPIC = 'lab/cbor/sensor';
const SPARKPLUG_NODE = { group: 'Plant9', node: 'Edge9' };
const NDATA_TOPIC = `spBv1.0/${SPARKPLUG_NODE.group}/NDATA/${SPARKPLUG_NODE.node}`;
const NBIRTH_TOPIC = `spBv1.0/${SPARKPLUG_NODE.group}/NBIRTH/${SPARKPLUG_NODE.node}`;
/** The simulator's pump (src/devtools/sparkplugEdgeNode.ts): pressure in bar, flow in l/h. */
const PUMP_DATA_TOPIC = 'spBv1.0/Plant1/DDATA/Edge1/Pump1';

function readingType(temperatureName: string): protobuf.Type {
  return protobuf.parse(LAB_PROTO(temperatureName), { keepCase: true }).root.lookupType('lab.Reading');
}

describe('Decoders in the workbench (Chromium): Protobuf from the workspace, Decode As…, publishing encoded, Sparkplug B', function () {
  this.timeout(180_000);
  let workbench: Workbench;
  let client: mqtt.MqttClient;
  let protoFile: string;

  const decodedKeys = (frame: Frame) => frame.locator('#view-payload .payload-decoded .json-key').allTextContents();

  before(async () => {
    workbench = await Workbench.open({
      settings: { 'mqttExplorer.decoders': [{ topic: 'lab/proto/#', format: 'protobuf', type: 'lab.Reading', schema: 'protos/lab.proto' }] },
    });
    // The .proto arrives after the extension started: the workspace's files are watched.
    mkdirSync(join(workbench.workspaceFolder, 'protos'), { recursive: true });
    protoFile = join(workbench.workspaceFolder, 'protos', 'lab.proto');
    writeFileSync(protoFile, LAB_PROTO('celsius'));
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

  it('shows a Protobuf message decoded by the workspace\'s .proto, and again after the .proto is edited', async () => {
    const reading = readingType('celsius');
    await client.publishAsync(PROTO_TOPIC, Buffer.from(reading.encode(reading.fromObject({ id: 'lab-1', celsius: 21.5, counter: '9007199254740993' })).finish()), { retain: true, qos: 1 });
    const frame = await workbench.openTopic(PROTO_TOPIC);
    const by = frame.locator('#view-payload .decoder-bar .decoded-by');
    await by.filter({ hasText: 'Decoded by Protobuf lab.Reading' }).waitFor({ timeout: 20_000 });
    assert.match((await frame.locator('#view-payload .decoder-binding').textContent()) ?? '', /lab\/proto\/#/);
    await waitUntil(async () => (await decodedKeys(frame)).includes('"celsius"'), 10_000, 'the decoded field');
    // The history list shows the decoded value too, not the bytes.
    assert.match((await frame.locator('.history-row[data-seq="0"] .preview').textContent()) ?? '', /^\{ "id": "lab-1", "celsius": 21\.5,/);
    // 64-bit integers stay exact.
    assert.ok((await frame.locator('#view-payload .payload-decoded .json-number').allTextContents()).includes('9007199254740993'));
    // Raw is one click away, and back.
    await frame.locator('#view-payload .raw-toggle').click();
    await frame.locator('#view-payload .payload-hex').waitFor();
    assert.equal(await frame.locator('#view-payload .raw-toggle').getAttribute('aria-pressed'), 'true');
    await frame.locator('#view-payload .raw-toggle').click();
    await frame.locator('#view-payload .payload-decoded').waitFor();
    // The same field number under another name: the panel decodes with the edited file.
    writeFileSync(protoFile, LAB_PROTO('temperature'));
    await waitUntil(async () => (await decodedKeys(frame)).includes('"temperature"'), 20_000, 'the edited .proto to apply');
    assert.ok(!(await decodedKeys(frame)).includes('"celsius"'));
    await workbench.screenshot('decoded-protobuf-dark');
  });

  it('publishes JSON encoded by the bound .proto from the form: the bytes protobufjs makes, schema errors as typed', async () => {
    const frame = await workbench.webviewFrame('h1.topic', { text: PROTO_TOPIC });
    await frame.locator('vscode-panel-tab#tab-publish').click();
    const received = new Promise<Buffer>((resolve) => {
      client.on('message', (topic, payload, packet) => {
        if (topic === `${PROTO_TOPIC}/form` && !packet.retain) resolve(payload);
      });
    });
    await client.subscribeAsync(`${PROTO_TOPIC}/form`);
    await frame.locator('#publish-topic').fill(`${PROTO_TOPIC}/form`);
    await Workbench.setDropdown(frame, '#publish-format', 'decoder');
    const payload = frame.locator('#publish-payload');
    await payload.evaluate((element) => {
      (element as HTMLElement & { value: string }).value = '{"id": "form-1", "temperature": "warm"}';
      element.dispatchEvent(new Event('input'));
    });
    const fieldError = frame.locator('.publish-payload-field .field-error');
    await fieldError.filter({ hasText: /temperature/ }).waitFor({ timeout: 10_000 });
    assert.match((await frame.locator('.publish-decoder').textContent()) ?? '', /Encoded as Protobuf lab\.Reading/);
    const typed = '{"id": "form-1", "temperature": -3.25, "counter": "-42"}';
    await payload.evaluate((element, text) => {
      (element as HTMLElement & { value: string }).value = text;
      element.dispatchEvent(new Event('input'));
    }, typed);
    await waitUntil(async () => ((await fieldError.textContent()) ?? '') === '', 10_000, 'the error to clear');
    await frame.locator('.publish-form vscode-button', { hasText: 'Publish' }).click();
    const bytes = await received;
    const reading = readingType('temperature');
    assert.deepEqual(bytes, Buffer.from(reading.encode(reading.fromObject(JSON.parse(typed))).finish()));
    await frame.locator('.publish-status', { hasText: /Sent|PUBACK/ }).waitFor();
  });

  it('Decode As… previews a format on the shown message, then binds the topic in the workspace settings', async () => {
    await client.publishAsync(CBOR_TOPIC, Buffer.from(cborEncode({ level: 7, label: 'tank' })), { retain: true, qos: 1 });
    const frame = await workbench.openTopic(CBOR_TOPIC);
    await frame.locator('#view-payload .payload-hex').waitFor({ timeout: 20_000 });
    assert.equal(await frame.locator('#view-payload .decoder-bar').count(), 0, 'not bound yet');
    await frame.locator('#view-payload vscode-button', { hasText: 'Decode As…' }).click();
    const chooser = frame.locator('.decode-as');
    await chooser.waitFor();
    await frame.locator('#decode-as-format').selectOption('cbor');
    await chooser.locator('.decode-as-preview .json-key', { hasText: '"level"' }).waitFor({ timeout: 10_000 });
    await workbench.screenshot('decode-as-dark');
    await chooser.locator('vscode-button', { hasText: 'Save Binding' }).click();
    await frame.locator('#view-payload .decoder-bar .decoded-by', { hasText: /^Decoded by CBOR$/ }).waitFor({ timeout: 20_000 });
    // The list's rows were fetched as bytes before the binding: they are fetched again, decoded.
    await frame.locator('.history-row[data-seq="0"] .preview', { hasText: /^\{ "level": 7, "label": "tank" \}$/ }).waitFor({ timeout: 10_000 });
    const settings = JSON.parse(readFileSync(join(workbench.workspaceFolder, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual((settings['mqttExplorer.decoders'] as unknown[])[0], { topic: CBOR_TOPIC, format: 'cbor' });
  });

  it('names a Sparkplug B node\'s metrics after an alias-only NDATA, and flags a seq gap', async () => {
    await client.publishAsync(
      NBIRTH_TOPIC,
      Buffer.from(
        tahu.encodePayload({
          timestamp: Date.now(),
          seq: 0,
          metrics: [
            { name: 'bdSeq', type: 'Int64', value: 0 },
            { name: 'Pressure', alias: 1, type: 'Double', value: 2.5 },
            { name: 'Flow', alias: 2, type: 'Double', value: 4200 },
          ],
        } as TahuPayload),
      ),
      { qos: 1 },
    );
    const data = (seq: number, pressure: number, flow: number) =>
      Buffer.from(
        tahu.encodePayload({
          timestamp: Date.now(),
          seq,
          metrics: [
            { alias: 1, type: 'Double', value: pressure },
            { alias: 2, type: 'Double', value: flow },
          ],
        } as TahuPayload),
      );
    for (let seq = 1; seq <= 6; seq++) await client.publishAsync(NDATA_TOPIC, data(seq, 2 + seq / 10, 4000 + seq * 50), { qos: 1 });
    const frame = await workbench.openTopic(NDATA_TOPIC);
    await frame.locator('#view-payload .decoder-bar .decoded-by', { hasText: /^Decoded by Sparkplug B/ }).waitFor({ timeout: 20_000 });
    await waitUntil(async () => (await frame.locator('#view-payload .payload-decoded .json-string').allTextContents()).includes('"Pressure"'), 10_000, 'the metric names');
    assert.equal(await frame.locator('#view-payload .decode-note').count(), 0);
    await workbench.screenshot('decoded-sparkplug-dark');
    // seq 7 never comes: 8 is a gap, flagged in the panel and on the node's row.
    await client.publishAsync(NDATA_TOPIC, data(8, 2.9, 4450), { qos: 1 });
    await frame.locator('#view-payload .decode-note', { hasText: /seq/ }).waitFor({ timeout: 20_000 });
    await workbench.screenshot('decoded-sparkplug-gap-dark', { readme: true });
  });

  it('charts two Sparkplug B metrics by name, each on its own scale (the simulator\'s pump)', async () => {
    // The simulator's edge node has sent a pump's data by alias once a second since the workbench opened.
    const frame = await workbench.openTopic(PUMP_DATA_TOPIC);
    await frame.locator('vscode-panel-tab#tab-chart').click();
    const fields = frame.locator('#view-chart .chart-fields vscode-checkbox');
    await fields.filter({ hasText: 'metrics.Flow' }).waitFor({ timeout: 10_000 });
    // Exactly these two: one click per round on a box that is not as wanted, read afresh each round
    // (the list is rebuilt as the chart's fields change).
    const wanted = ['metrics.Pressure', 'metrics.Flow'];
    await waitUntil(
      async () => {
        const states = await fields.evaluateAll((boxes) => boxes.map((box) => [box.textContent?.trim() ?? '', (box as HTMLElement & { checked?: boolean }).checked === true] as const));
        const wrong = states.findIndex(([name, checked]) => checked !== wanted.includes(name));
        if (wrong < 0) return states.filter(([, checked]) => checked).length === wanted.length;
        await fields.nth(wrong).click({ timeout: 5000 });
        return false;
      },
      20_000,
      'only metrics.Pressure and metrics.Flow checked',
      300,
    );
    // Enough of the pump's history for a curve (it started with the workbench; bounded wait), and only the two drawn.
    await frame.waitForFunction(() => /^Chart of metrics\.Pressure \(\d\d+ points[^)]*left axis\), metrics\.Flow \(\d\d+ points[^)]*right axis\)$/.test(document.querySelector('#view-chart canvas.chart-canvas')?.getAttribute('aria-label') ?? ''), undefined, { timeout: 40_000 });
    assert.equal(await frame.locator('#view-chart .u-axis').count(), 3, 'time, and a y axis for each scale');
    await workbench.screenshot('chart-sparkplug-dark', { readme: true });
  });

  it('looks right in the light theme', async () => {
    const canvas = (await workbench.webviewFrame('h1.topic', { text: PUMP_DATA_TOPIC })).locator('#view-chart canvas.chart-canvas');
    await canvas.evaluate((element) => element.setAttribute('data-old-theme', ''));
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await workbench.page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    const frame = await workbench.webviewFrame('h1.topic', { text: PUMP_DATA_TOPIC });
    await frame.locator('#view-chart canvas.chart-canvas:not([data-old-theme])').waitFor({ timeout: 10_000 });
    await workbench.screenshot('chart-sparkplug-light', { readme: true });
    await frame.locator('vscode-panel-tab#tab-payload').click();
    await frame.locator('#view-payload .payload-decoded').waitFor();
    await workbench.screenshot('decoded-sparkplug-light', { readme: true });
  });
});
