import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import mqtt from 'mqtt';
import * as protobuf from 'protobufjs';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { MAX_DECODER_BINDINGS } from '../../src/shared/decoderBindings';
import type { DecodedMessage } from '../../src/shared/engineProtocol';
import { formatJson } from '../../src/shared/json';
import { waitFor, waitUntil } from '../helpers/waitFor';
import { explorerWithLocalBroker } from './localBroker';

const TOPIC = 'decoders-test/reading';
const BINDING = { topic: TOPIC, format: 'protobuf', type: 'dectest.Reading' } as const;
const proto = (field: string) => `syntax = "proto3";
package dectest;

message Reading {
  string id = 1;
  double ${field} = 2;
}
`;
/** Line 6 (1-based) lacks its semicolon: protobufjs names line 7, where the next token is. */
const BROKEN = 'syntax = "proto3";\npackage dectest;\n\nmessage Reading {\n  string id = 1;\n  double celsius = 2\n}\n';
const PAYLOAD = protobuf.parse(proto('celsius'), { keepCase: true }).root.lookupType('dectest.Reading').encode({ id: 'probe-1', celsius: 21.5 }).finish();

const config = () => vscode.workspace.getConfiguration('mqttExplorer');

/** Writes the folder's value of mqttExplorer.decoders and waits (bounded) until the extension host's configuration has it. */
async function setDecoders(value: unknown): Promise<void> {
  const applied = () => isDeepStrictEqual(config().inspect('decoders')?.workspaceValue, value);
  const changed = applied() ? undefined : waitFor(vscode.workspace.onDidChangeConfiguration, applied, 10_000, `mqttExplorer.decoders to be ${String(JSON.stringify(value)).slice(0, 80)}`);
  await config().update('decoders', value, vscode.ConfigurationTarget.Workspace);
  await changed;
}

/** Our diagnostics on a file. */
const problemsOn = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'MQTT Explorer');

/** Waits (bounded) until our diagnostics on `uri` satisfy `check`. */
async function problemsUntil(uri: vscode.Uri, check: (diagnostics: vscode.Diagnostic[]) => boolean, what: string): Promise<vscode.Diagnostic[]> {
  if (!check(problemsOn(uri))) await waitFor(vscode.languages.onDidChangeDiagnostics, () => check(problemsOn(uri)), 15_000, what);
  return problemsOn(uri);
}

/**
 * Decoders in a real VS Code: a Protobuf binding in the folder's settings and a .proto file in the
 * folder reach the engine, which decodes a message published to the local broker; the file and the
 * setting are followed as they change, their problems are diagnostics that clear when fixed, and
 * an engine restart gets the set again.
 */
describe('Decoders in a real VS Code', function () {
  this.timeout(90_000);
  let api: TestInternals;
  let port: number;
  let connectionId: string;
  let protoUri: vscode.Uri;
  let settingsUri: vscode.Uri;
  let folder: vscode.Uri;

  before(async () => {
    ({ api, port, connectionId } = await explorerWithLocalBroker());
    const workspace = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspace, 'the test host opens a folder');
    folder = vscode.Uri.joinPath(workspace.uri, 'decoders-test');
    protoUri = vscode.Uri.joinPath(folder, 'sensors.proto');
    settingsUri = vscode.Uri.joinPath(workspace.uri, '.vscode', 'settings.json');
  });

  after(async () => {
    await setDecoders(undefined);
    await vscode.workspace.fs.delete(folder, { recursive: true, useTrash: false }).then(undefined, () => undefined);
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
  });

  const write = (uri: vscode.Uri, text: string) => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const decode = (): Promise<DecodedMessage> => api.registry.engine.request('decode', { connectionId, topic: TOPIC });

  /** Waits (bounded) until the engine decodes the topic's newest message to an object with `field`, and returns that object. */
  async function decodedWith(field: string): Promise<Record<string, unknown>> {
    let last: DecodedMessage | undefined;
    let value: Record<string, unknown> | undefined;
    await waitUntil(
      async () => {
        last = await decode();
        if (!last.result?.ok) return false;
        value = JSON.parse(formatJson(last.result.value)) as Record<string, unknown>;
        return field in value;
      },
      15_000,
      `the engine to decode ${TOPIC} with a field ${field}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last answer: ${JSON.stringify(last)}`);
    });
    assert.ok(value);
    return value;
  }

  /** Publishes the reading, retained, so that a connection made again after a restart gets it too. */
  async function publishReading(): Promise<void> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    try {
      await client.publishAsync(TOPIC, Buffer.from(PAYLOAD), { qos: 1, retain: true });
    } finally {
      await client.endAsync();
    }
  }

  it('a binding in the folder\'s settings and a .proto in the folder: a published message is decoded', async () => {
    await write(protoUri, proto('celsius'));
    await setDecoders([BINDING]);
    if (!api.decoders.messageTypes.includes('dectest.Reading')) {
      await waitFor(api.decoders.onDidChange, () => api.decoders.messageTypes.includes('dectest.Reading'), 15_000, 'the .proto to be loaded');
    }
    await api.decoders.ready();
    assert.deepEqual(api.decoders.bindings, [BINDING]);
    assert.deepEqual(api.decoders.lastSet?.schemaErrors, []);
    assert.deepEqual(api.decoders.schemaFiles, ['decoders-test/sensors.proto'], 'named relative to the folder, with /');
    await publishReading();
    const value = await decodedWith('celsius');
    assert.deepEqual(value, { id: 'probe-1', celsius: 21.5 });
    const reply = await decode();
    assert.deepEqual(reply.binding, BINDING);
    assert.ok(reply.result?.ok);
    assert.match(reply.result.decodedBy, /dectest\.Reading/);
  });

  it('the .proto edited (a field renamed): the next decode has the new name, with no reload', async () => {
    await write(protoUri, proto('temperature'));
    const value = await decodedWith('temperature');
    assert.deepEqual(value, { id: 'probe-1', temperature: 21.5 });
  });

  it('"MQTT: Publish" with format "decoder" sends JSON encoded by the bound type: a subscriber gets the bytes protobufjs makes', async () => {
    const type = protobuf.parse(proto('temperature'), { keepCase: true }).root.lookupType('dectest.Reading');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    try {
      await client.subscribeAsync(TOPIC);
      const live: Buffer[] = [];
      client.on('message', (_topic, payload, packet) => !packet.retain && live.push(payload));
      const bytesOf = (json: string) => Buffer.from(type.encode(type.fromObject(JSON.parse(json))).finish());
      const json = '{"id": "probe-1", "temperature": 21.5}';
      const result = await vscode.commands.executeCommand<unknown>('mqttExplorer.publish', { connectionId, topic: TOPIC, payload: json, format: 'decoder', qos: 1 });
      assert.equal((result as { ack?: string } | undefined)?.ack, 'puback');
      await waitUntil(async () => live.length >= 1, 5000, 'the published message');
      assert.deepEqual(live[0], bytesOf(json));
      // A field the type does not have is refused before anything is sent (the command reports it and answers
      // nothing): the next message the subscriber gets is the one published after it.
      assert.equal(await vscode.commands.executeCommand<unknown>('mqttExplorer.publish', { connectionId, topic: TOPIC, payload: '{"humidity": 3}', format: 'decoder', qos: 1 }), undefined);
      const after = '{"id": "probe-2", "temperature": 21.5}';
      await vscode.commands.executeCommand<unknown>('mqttExplorer.publish', { connectionId, topic: TOPIC, payload: after, format: 'decoder', qos: 1 });
      await waitUntil(async () => live.length >= 2, 5000, 'the message published after the refused one');
      assert.deepEqual(live.slice(1), [bytesOf(after)], 'nothing was sent for the refused one');
    } finally {
      await client.endAsync();
    }
  });

  it('a broken .proto: a diagnostic on the file, on the line the engine names; cleared when fixed', async () => {
    await write(protoUri, BROKEN);
    const [problem, ...more] = await problemsUntil(protoUri, (diagnostics) => diagnostics.length > 0, 'a diagnostic on the broken .proto');
    assert.deepEqual(more, []);
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(problem.range.start.line, 6, `on line 7 (the "}" after the missing ";"): ${problem.message}`);
    assert.match(problem.message, /illegal token '}'/);
    assert.ok(!problem.message.includes('sensors.proto'), 'the file is not named again in its own diagnostic');
    assert.ok(!api.decoders.messageTypes.includes('dectest.Reading'), 'the broken file defines no type');
    await write(protoUri, proto('temperature'));
    await problemsUntil(protoUri, (diagnostics) => diagnostics.length === 0, 'the diagnostic to clear');
    await decodedWith('temperature');
  });

  it("a binding's problems: diagnostics on the settings file, on the entry and field; cleared when fixed", async () => {
    await setDecoders([BINDING, { topic: 'decoders-test/untyped', format: 'protobuf' }, { topic: 'decoders-test/missing', format: 'protobuf', type: 'dectest.Missing' }]);
    const problems = await problemsUntil(settingsUri, (diagnostics) => diagnostics.length === 2, 'two diagnostics on the settings file');
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(settingsUri));
    const lines = text.split('\n');
    const messages = problems.map((problem) => problem.message).sort();
    assert.match(messages[0], /^mqttExplorer\.decoders\[1\]\.type: a protobuf binding needs the message type/);
    assert.match(messages[1], /^mqttExplorer\.decoders\[2\]\.type: no message type dectest\.Missing among those the \.proto files define$/);
    const missing = problems.find((problem) => problem.message.startsWith('mqttExplorer.decoders[2]'));
    assert.ok(missing);
    const line = lines[missing.range.start.line];
    assert.equal(line.slice(missing.range.start.character, missing.range.end.character), '"type"', `the field's name is marked: ${line}`);
    assert.ok(lines.slice(missing.range.start.line - 3, missing.range.start.line + 1).join('\n').includes('dectest.Missing'), 'in the entry that names the type');
    // The valid binding still decodes.
    await decodedWith('temperature');
    await setDecoders([BINDING]);
    await problemsUntil(settingsUri, (diagnostics) => diagnostics.length === 0, 'the diagnostics on the settings file to clear');
  });

  it('addBinding writes to the front of the folder\'s list and the engine has it when it resolves; past the limit it refuses', async () => {
    const added = { topic: 'decoders-test/#', format: 'cbor' } as const;
    assert.ok(api.decoders.canWriteWorkspace);
    const { effective } = await api.decoders.addBinding(added, 'workspace');
    assert.equal(effective, true);
    assert.deepEqual(config().inspect('decoders')?.workspaceValue, [added, BINDING]);
    assert.deepEqual(api.decoders.bindings, [added, BINDING]);
    // The first match wins: the engine decodes the reading as CBOR now.
    assert.deepEqual((await decode()).binding, added);
    const full = Array.from({ length: MAX_DECODER_BINDINGS }, (_, index) => ({ topic: `decoders-test/many/${index}`, format: 'cbor' }));
    await setDecoders(full);
    await assert.rejects(api.decoders.addBinding(BINDING, 'workspace'), new RegExp(`already has ${MAX_DECODER_BINDINGS} bindings`));
    assert.equal((config().inspect('decoders')?.workspaceValue as unknown[]).length, MAX_DECODER_BINDINGS, 'nothing was written');
    await assert.rejects(api.decoders.addBinding({ topic: 'a/#/b', format: 'cbor' }, 'user'), /# is only allowed as the last level/);
    await setDecoders([BINDING]);
    await api.decoders.ready();
    assert.deepEqual(api.decoders.bindings, [BINDING]);
  });

  it('the engine restarts: the set is sent again and the message decodes as before', async () => {
    await decodedWith('temperature');
    const recovered = waitFor(api.registry.onDidRecover, () => true, 30_000, 'the engine to restart and reconnect');
    void api.registry.engine.request('testHook', { action: 'exit' }).catch(() => undefined);
    const recovery = await recovered;
    assert.deepEqual(recovery.failed, []);
    await api.decoders.ready();
    // The retained reading comes back with the connection; the fresh worker decodes it with the file as edited.
    const value = await decodedWith('temperature');
    assert.deepEqual(value, { id: 'probe-1', temperature: 21.5 });
    assert.deepEqual((await decode()).binding, BINDING);
  });
});
