import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import { DeviceSimulator, planFleet } from '../../src/devtools/simulator';
import type { TestInternals } from '../../src/host/api';
import { schemaWarning } from '../../src/host/publishFlow';
import type { TopicElement, TopicsElement } from '../../src/host/topicsView';
import { newProfile } from '../../src/shared/profile';
import { PLAYGROUND_SCHEMA_FILTER, playgroundSchema } from '../../tools/workbench/playground';
import { Mosquitto } from '../helpers/mosquitto';
import { waitFor, waitUntil } from '../helpers/waitFor';
import { explorer, saveAndConnect } from './explorer';

const CONNECTION_ID = 'schemas-test-mosquitto';
const SCHEMA_PATH = 'schemas-test/thermostat.schema.json';
const DEVICES = 12;
const THERMOSTATS = planFleet(DEVICES).devices.filter((device) => device.kind === 'thermostat').length;

const config = () => vscode.workspace.getConfiguration('mqttExplorer');

async function setSchemas(value: unknown): Promise<void> {
  const applied = () => isDeepStrictEqual(config().inspect('schemas')?.workspaceValue, value);
  const changed = applied() ? undefined : waitFor(vscode.workspace.onDidChangeConfiguration, applied, 10_000, 'mqttExplorer.schemas to be written');
  await config().update('schemas', value, vscode.ConfigurationTarget.Workspace);
  await changed;
}

const isTopic = (element: TopicsElement): element is TopicElement => 'kind' in element && element.kind === 'topic';
const problemsOn = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'MQTT Explorer');

/**
 * JSON Schemas in a real VS Code against Debian's mosquitto: the playground's thermostat schema bound
 * in the folder's settings, the device simulator publishing to mosquitto; the Topics view marks a
 * thermostat whose last telemetry is too warm, the engine lists the error with its JSON path, and the
 * marks go once the schema file is fixed (saved, so the file watcher reloads it). A schema file that
 * does not compile gets a diagnostic that clears when fixed.
 */
describe('JSON Schemas per topic in a real VS Code, against mosquitto and the device simulator', function () {
  this.timeout(120_000);
  let api: TestInternals;
  let broker: Mosquitto;
  let simulator: DeviceSimulator;
  let schemaUri: vscode.Uri;
  let folder: vscode.Uri;

  const write = (uri: vscode.Uri, text: string) => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));

  before(async () => {
    api = await explorer();
    const workspace = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspace, 'the test host opens a folder');
    folder = vscode.Uri.joinPath(workspace.uri, 'schemas-test');
    schemaUri = vscode.Uri.joinPath(workspace.uri, ...SCHEMA_PATH.split('/'));
    await write(schemaUri, playgroundSchema());
    broker = await Mosquitto.create();
    const profile = newProfile(CONNECTION_ID, { name: 'Schemas test', host: '127.0.0.1', port: broker.ports.plain, subscriptions: [{ topic: 'fleet/#', qos: 0 }] });
    await saveAndConnect(api, profile);
    await setSchemas([{ filter: PLAYGROUND_SCHEMA_FILTER, schema: SCHEMA_PATH }]);
    await waitUntil(async () => (await api.schemas.ready(), api.schemas.lastSet?.loaded.some((one) => one.file === SCHEMA_PATH) ?? false), 15_000, 'the schema loaded');
    simulator = new DeviceSimulator({ brokerUrl: `mqtt://127.0.0.1:${broker.ports.plain}`, devices: DEVICES, messagesPerSecond: 5 });
    await simulator.start();
    await vscode.commands.executeCommand('mqttExplorer.topics.focus');
  });

  after(async () => {
    await simulator?.stop();
    await setSchemas(undefined);
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
    await vscode.workspace.fs.delete(folder, { recursive: true, useTrash: false }).then(undefined, () => undefined);
  });

  /** The rows of the thermostats' telemetry topics, as the Topics view lists them now (fresh snapshots, each level listed again). */
  async function telemetryRows(): Promise<TopicElement[]> {
    const provider = api.topicsProvider;
    const connection = (await provider.getChildren()).find((element) => !isTopic(element) && 'id' in element && element.id === CONNECTION_ID);
    assert.ok(connection, 'the connection has a root in the Topics view');
    const rows: TopicElement[] = [];
    // fleet / <site> / thermostat / <id> / telemetry
    let level: TopicsElement[] = [connection];
    for (const name of ['fleet', undefined, 'thermostat', undefined, 'telemetry']) {
      const next: TopicsElement[] = [];
      for (const parent of level) next.push(...(await provider.getChildren(parent)).filter(isTopic).filter((child) => name === undefined || child.snapshot.name === name));
      level = next;
    }
    for (const element of level) if (isTopic(element)) rows.push(element);
    return rows;
  }

  it('marks a thermostat whose last telemetry is not valid (icon, description, tooltip), and the engine lists the error with its JSON path', async () => {
    let marked: TopicElement | undefined;
    await waitUntil(
      async () => {
        marked = (await telemetryRows()).find((row) => row.snapshot.schema?.last === 'invalid');
        return marked !== undefined;
      },
      30_000,
      'a thermostat row marked not valid',
      250,
    );
    assert.ok(marked);
    const status = marked.snapshot.schema;
    assert.ok(status);
    assert.equal(status.schema, SCHEMA_PATH);
    assert.equal(status.filter, PLAYGROUND_SCHEMA_FILTER);
    assert.match(status.firstError ?? '', /^\/temperature: must be <= 22\.5$/);
    const item = api.topicsProvider.getTreeItem(marked);
    assert.match(String(item.description), /^(● )?✗ not valid {2}· /);
    // The decoration (which VS Code propagates to the ancestors' rows) is on the row's URI. The
    // simulator's next message may make a row valid again meanwhile: some row not valid now is decorated.
    assert.ok(item.resourceUri);
    await waitUntil(
      async () =>
        (await telemetryRows()).some((row) => {
          const uri = api.topicsProvider.getTreeItem(row).resourceUri;
          return row.snapshot.schema?.last === 'invalid' && uri !== undefined && api.schemaDecorations.provideFileDecoration(uri)?.badge === '✗';
        }),
      20_000,
      'a row not valid, and decorated',
      250,
    );
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error');
    const resolved = await api.topicsProvider.resolveTreeItem(item, marked);
    // appendText escapes: spaces come as &nbsp;.
    const tooltip = (resolved.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ');
    // The tooltip reads a fresh snapshot: a valid message may have come meanwhile; the count of those not valid stays.
    assert.match(tooltip, /Last message (not valid against schemas-test\/thermostat\.schema\.json: \/temperature: must be <= 22\.5|valid against schemas-test\/thermostat\.schema\.json)\./);
    assert.match(tooltip, /messages? checked since the schema loaded, [1-9][\d,]* not valid/);

    // What the panel asks for the shown message: each error with its path.
    const check = await api.registry.engine.request('schemaCheck', { connectionId: CONNECTION_ID, topic: marked.topic });
    assert.equal(check.binding?.schema, SCHEMA_PATH);
    if (check.verdict?.valid === false) assert.deepEqual(check.verdict.errors.map((error) => error.path), ['/temperature']);
    assert.ok((check.status?.invalid ?? 0) >= 1);
    const stats = await api.registry.engine.request('stats', { connectionId: CONNECTION_ID });
    assert.ok((stats.schemas?.invalid ?? 0) >= 1 && (stats.schemas?.checked ?? 0) > (stats.schemas?.invalid ?? 0), `counts: ${JSON.stringify(stats.schemas)}`);
  });

  it('a schema file that does not compile gets a diagnostic; fixing the schema clears it and every mark', async () => {
    await write(schemaUri, playgroundSchema().replace('"type": "object"', '"type": "objekt"'));
    const problems = await (async () => {
      if (!problemsOn(schemaUri).length) await waitFor(vscode.languages.onDidChangeDiagnostics, () => problemsOn(schemaUri).length > 0, 15_000, 'a diagnostic on the broken schema');
      return problemsOn(schemaUri);
    })();
    assert.match(problems[0].message, /schema is invalid/);
    // The rows say that they are not checked, with the reason.
    await waitUntil(async () => (await telemetryRows()).some((row) => row.snapshot.schema?.last === 'unchecked' && /cannot be used/.test(row.snapshot.schema.reason ?? '')), 20_000, 'rows not checked, with the reason', 250);

    // The fix: the comfort band widened, so every simulated temperature is valid.
    await write(schemaUri, playgroundSchema().replace('"maximum": 22.5', '"maximum": 40'));
    if (problemsOn(schemaUri).length) await waitFor(vscode.languages.onDidChangeDiagnostics, () => problemsOn(schemaUri).length === 0, 15_000, 'the diagnostic cleared');
    await waitUntil(
      async () => {
        const rows = await telemetryRows();
        return rows.length === THERMOSTATS && rows.every((row) => row.snapshot.schema?.last === 'valid' && row.snapshot.schema.invalid === 0);
      },
      30_000,
      'every thermostat row valid, no mark',
      250,
    );
    for (const row of await telemetryRows()) {
      const item = api.topicsProvider.getTreeItem(row);
      assert.doesNotMatch(String(item.description), /not valid/);
      assert.notEqual((item.iconPath as vscode.ThemeIcon).id, 'error');
      await waitUntil(async () => api.schemaDecorations.provideFileDecoration(item.resourceUri as vscode.Uri) === undefined, 10_000, 'no decoration left');
    }
    const stats = await api.registry.engine.request('stats', { connectionId: CONNECTION_ID });
    assert.equal(stats.schemas?.invalid, 0);
  });

  it('a publish draft is checked against the bound schema before sending (the palette\'s warning)', async () => {
    const topic = 'fleet/berlin/thermostat/t-test/telemetry';
    const invalid = await api.registry.engine.request('checkDraft', { topic, json: '{"temperature": "warm"}' });
    assert.equal(invalid.verdict?.valid, false);
    const warning = await schemaWarning(api.registry, topic, '{"temperature": "warm"}');
    assert.match(warning ?? '', /^Not valid against schemas-test\/thermostat\.schema\.json: \(root\): must have required property 'ts' \(and \d+ more\)\. Enter sends it anyway\.$/);
    assert.equal(await schemaWarning(api.registry, 'elsewhere', '{}'), undefined);
  });

  it("a .mqtt file's PUBLISH body that the bound schema refuses is a warning where it is typed, and goes when the body is fixed", async () => {
    const topic = 'fleet/berlin/thermostat/t-test/telemetry';
    const valid = '{"ts": "2026-12-05T10:00:00Z", "seq": 1, "rssi": -50, "temperature": 21, "setpoint": 21, "humidity": 40, "heating": false}';
    const document = await vscode.workspace.openTextDocument({ language: 'mqtt', content: `### Too warm\nPUBLISH ${topic}\n\n${valid.replace('"temperature": 21', '"temperature": 45')}\n\n### Fine\nPUBLISH ${topic}\n\n${valid}\n` });
    const schemaProblems = () => vscode.languages.getDiagnostics(document.uri).filter((diagnostic) => diagnostic.code === 'schema-violation');
    await waitUntil(async () => schemaProblems().length > 0, 15_000, 'the schema warning on the .mqtt file');
    const [problem] = schemaProblems();
    assert.equal(schemaProblems().length, 1, 'only the refused body');
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(problem.range.start.line, 3, 'on the body of the first block');
    // The maximum is the playground's 22.5, or 40 once the test before fixed the schema.
    assert.match(problem.message, /^Not valid against schemas-test\/thermostat\.schema\.json: \/temperature: must be <= (22\.5|40)\.$/);
    const editor = await vscode.window.showTextDocument(document);
    await editor.edit((edit) => edit.replace(new vscode.Range(3, 0, 3, document.lineAt(3).text.length), valid));
    await waitUntil(async () => schemaProblems().length === 0, 15_000, 'the warning to go once the body is valid');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
