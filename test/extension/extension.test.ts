import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import mqtt from 'mqtt';
import type { MqttExplorerApi } from '../../src/vscode/api';
import type { TopicsElement } from '../../src/vscode/topicsView';
import { waitFor } from '../helpers/waitFor';

const EXTENSION_ID = 'mqtt-explorer-dev.mqtt-explorer';

describe('MQTT Explorer in a real VS Code', () => {
  let api: MqttExplorerApi;

  before(async () => {
    const extension = vscode.extensions.getExtension<MqttExplorerApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    api = await extension.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
  });

  it('activates and registers every command it declares', async () => {
    const declared = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map(
      (command) => command.command,
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(declared.length >= 8);
    for (const command of declared) assert.ok(registered.has(command), `${command} is registered`);
    assert.ok(api.topicsProvider, 'the API exposes the Topics provider');
  });

  it('starts the local broker by its command and connects to it', async () => {
    const started = await vscode.commands.executeCommand<{ connectionId: string; port: number } | undefined>('mqttExplorer.startLocalBroker', { port: 0 });
    assert.ok(started, 'the command returns the connection');
    assert.ok(started.port > 0);
    const connection = api.registry.get(started.connectionId);
    assert.equal(connection?.state.kind, 'connected');
    assert.equal(api.localDevelopment.broker.running, true);
  });

  it('a message published to the broker appears in the Topics view data provider', async () => {
    const connection = api.registry.list().find((candidate) => candidate.state.kind === 'connected');
    assert.ok(connection);
    const topic = `test/ext-host/${Date.now()}/reading`;
    // Listen before publishing: the provider fires once the message has arrived and been coalesced.
    const fired = waitFor(
      api.topicsProvider.onDidFire,
      () => connection.topics.find(topic) !== undefined,
      10_000,
      `the Topics view to refresh with ${topic}`,
    );
    await vscode.commands.executeCommand('mqttExplorer.publish', { connectionId: connection.profile.id, topic, payload: '{"celsius":21.5}' });
    await fired;

    // Walk the provider exactly as the tree view does: connection root, then level by level.
    const provider = api.topicsProvider;
    const roots = provider.getChildren();
    const root = roots.find((element) => element === connection);
    assert.ok(root, 'the connection is a root of the Topics view');
    let element: TopicsElement = root;
    for (const level of topic.split('/')) {
      const child: TopicsElement | undefined = provider.getChildren(element).find((candidate) => provider.getTreeItem(candidate).label === level);
      assert.ok(child, `level "${level}" is shown under ${String(provider.getTreeItem(element).label)}`);
      element = child;
    }
    const item = provider.getTreeItem(element);
    assert.match(String(item.description), /celsius/);
    assert.equal(item.contextValue, 'mqttExplorer.topic');
    assert.equal(provider.getParent(element) !== undefined, true);
  });

  it('a second, external MQTT client sees what the command publishes', async () => {
    const connection = api.registry.list().find((candidate) => candidate.state.kind === 'connected');
    assert.ok(connection);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${api.localDevelopment.broker.port}`);
    try {
      await client.subscribeAsync('test/external/#');
      const received = new Promise<Buffer>((resolve) => client.once('message', (_topic, payload) => resolve(payload)));
      await vscode.commands.executeCommand('mqttExplorer.publish', { connectionId: connection.profile.id, topic: 'test/external/a', payload: 'hello ✓' });
      assert.equal((await received).toString('utf8'), 'hello ✓');
    } finally {
      await client.endAsync();
    }
  });

  it('opens the topic panel for a topic', async () => {
    const connection = api.registry.list().find((candidate) => candidate.state.kind === 'connected');
    assert.ok(connection);
    const panel = api.panels.show({ connectionId: connection.profile.id, topic: 'test/external/a' });
    assert.equal(panel.viewType, 'mqttExplorer.topic');
    assert.match(panel.webview.html, /Content-Security-Policy/);
    assert.match(panel.webview.html, /default-src 'none'/);
    panel.dispose();
  });
});
