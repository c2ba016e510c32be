import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import mqtt from 'mqtt';
import type { TestInternals } from '../../src/host/api';
import type { TopicsElement } from '../../src/host/topicsView';
import { waitFor } from '../helpers/waitFor';
import { explorer, EXTENSION_ID } from './explorer';


describe('MQTT Explorer in a real VS Code', () => {
  let api: TestInternals;

  before(async () => {
    api = await explorer();
  });

  after(async () => {
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
  });

  /** Opens the Topics view and waits until the engine knows it is visible. */
  async function showTopicsView(): Promise<void> {
    await vscode.commands.executeCommand('mqttExplorer.topics.focus');
    if (!api.topicsView.visible) await waitFor(api.topicsView.onDidChangeVisibility, (event) => event.visible, 5000, 'the Topics view to show');
    await api.topicsProvider.syncVisibility();
  }

  it('activates and registers every command it declares', async () => {
    const declared = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map(
      (command) => command.command,
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(declared.length >= 8);
    for (const command of declared) assert.ok(registered.has(command), `${command} is registered`);
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
    // Nothing is reported while the view is hidden: show it first.
    await showTopicsView();
    // Listen before publishing: the worker reports the change, coalesced, and the view refreshes.
    // A new top-level topic re-lists the connection's root level.
    const fired = waitFor(api.topicsProvider.onDidFire, (changed) => changed?.includes(connection) ?? false, 10_000, 'the Topics view to list the new topic');
    await vscode.commands.executeCommand('mqttExplorer.publish', { connectionId: connection.profile.id, topic, payload: '{"celsius":21.5}' });
    await fired;

    // Walk the provider exactly as the tree view does: connection root, then level by level.
    const provider = api.topicsProvider;
    const roots = await provider.getChildren();
    const root = roots.find((element) => element === connection);
    assert.ok(root, 'the connection is a root of the Topics view');
    let element: TopicsElement = root;
    for (const level of topic.split('/')) {
      const children: TopicsElement[] = await provider.getChildren(element);
      const child = children.find((candidate) => provider.getTreeItem(candidate).label === level);
      assert.ok(child, `level "${level}" is shown under ${String(provider.getTreeItem(element).label)}`);
      element = child;
    }
    const item = provider.getTreeItem(element);
    assert.match(String(item.description), /celsius/);
    assert.equal(item.contextValue, 'mqttExplorer.topic');
    assert.ok(provider.getParent(element), 'getParent works, so reveal works');
    // What a screen reader says: the row's kind, its whole topic, its value and counts in words.
    // "just received" for the first seconds after the message (the row's green mark).
    assert.match(String(item.accessibilityInformation?.label), new RegExp(`^Topic ${topic}, value \\{"celsius":21\\.5\\}, 1 message(, just received)?$`));
    assert.equal(item.accessibilityInformation?.role, 'treeitem');
    assert.match(String(provider.getTreeItem(root).accessibilityInformation?.label), new RegExp(`^Connection ${connection.profile.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const parent = provider.getParent(element);
    assert.ok(parent);
    assert.match(String(provider.getTreeItem(parent).accessibilityInformation?.label), /^Topic test\/ext-host\/\d+, 1 sub-topic$/);
  });

  it('refreshes only the rows that changed: not a sibling, not an ancestor, not below a collapsed node', async () => {
    const connection = api.registry.list().find((candidate) => candidate.state.kind === 'connected');
    assert.ok(connection);
    await showTopicsView();
    const provider = api.topicsProvider;
    const publish = (topic: string, payload: string) => vscode.commands.executeCommand('mqttExplorer.publish', { connectionId: connection.id, topic, payload });
    const shown = waitFor(provider.onDidFire, () => true, 10_000, 'a first refresh');
    await publish('only/a/x', '1');
    await publish('only/a/y/z', '1');
    await publish('only/b/y', '1');
    await shown;
    const find = async (parent: TopicsElement, name: string) => {
      const children = await provider.getChildren(parent);
      const child = children.find((candidate) => provider.getTreeItem(candidate).label === name);
      assert.ok(child, `${name} is listed`);
      return child;
    };
    // Expand "only" and "only/a" as a person would: a, b, x and y become rows; z stays hidden.
    const only = await find(connection, 'only');
    await api.topicsView.reveal(only, { expand: true });
    const a = await find(only, 'a');
    const b = await find(only, 'b');
    await api.topicsView.reveal(a, { expand: true });
    const x = await find(a, 'x');
    // reveal() resolves before the view reports the expansion: wait for it, then tell the worker now.
    for (const element of [only, a]) {
      if (!provider.isExpanded(element)) await waitFor(api.topicsView.onDidExpandElement, (event) => event.element === element, 5000, 'an expansion');
    }
    await provider.flushWatch();
    const fired = new Set<TopicsElement>();
    const listener = provider.onDidFire((changed) => changed?.forEach((element) => fired.add(element)));
    const refreshed = waitFor(provider.onDidFire, (changed) => changed?.includes(x) ?? false, 10_000, 'the row of only/a/x to refresh');
    await publish('only/a/x', '2');
    await publish('only/a/y/z', '2');
    await refreshed;
    // One more report interval, so that anything else the two messages caused has been fired too.
    await waitFor(api.registry.onDidChangeTopics, () => true, 2000, 'another report').catch(() => undefined);
    listener.dispose();
    const labels = [...fired].map((element) => String(provider.getTreeItem(element).label));
    assert.deepEqual(labels, ['x'], 'only the row whose own value changed: not its parent, its ancestors, its siblings, the connection or rows below a collapsed node');
    assert.ok(!fired.has(b) && !fired.has(a) && !fired.has(only) && !fired.has(connection));
  });

  it('node actions: copy the topic, delete the retained messages below a node, clear it from the view', async () => {
    const connection = api.registry.list().find((candidate) => candidate.state.kind === 'connected');
    assert.ok(connection);
    await showTopicsView();
    const provider = api.topicsProvider;
    for (const topic of ['kept/a/1', 'kept/a/2']) {
      await vscode.commands.executeCommand('mqttExplorer.publish', { connectionId: connection.id, topic, payload: 'retained value', qos: 1, retain: true });
    }
    // A new subscription makes the broker send its retained messages, flagged as retained. They may
    // arrive just after the SUBACK: wait, report by report (bounded), until the engine knows both.
    await vscode.commands.executeCommand('mqttExplorer.addSubscription', { connectionId: connection.id }, { topic: 'kept/#', qos: 1 });
    const retainedKnown = async () => (await api.registry.engine.request('retainedBelow', { connectionId: connection.id, node: { topic: 'kept' } })).length;
    for (let attempt = 0; attempt < 20 && (await retainedKnown()) < 2; attempt++) {
      await waitFor(api.registry.onDidChangeTopics, () => true, 1000, 'a topic report').catch(() => undefined);
    }
    assert.equal(await retainedKnown(), 2, 'the engine knows both retained messages');
    const root = (await provider.getChildren(connection)).find((element) => provider.getTreeItem(element).label === 'kept');
    assert.ok(root && 'topic' in root && root.kind === 'topic');

    await vscode.commands.executeCommand('mqttExplorer.copyTopic', root);
    assert.equal(await vscode.env.clipboard.readText(), 'kept');

    const deleted = await vscode.commands.executeCommand<number>('mqttExplorer.deleteRetainedBelow', root, true);
    assert.equal(deleted, 2);
    // The broker holds no retained message below kept/ any more: a new client gets only the marker.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${api.localDevelopment.broker.port}`);
    try {
      const seen: string[] = [];
      const marker = new Promise<void>((resolve) =>
        client.on('message', (topic) => {
          seen.push(topic);
          if (topic === 'kept-marker') resolve();
        }),
      );
      await client.subscribeAsync(['kept/#', 'kept-marker'], { qos: 1 });
      await client.publishAsync('kept-marker', 'x', { qos: 1 });
      await marker;
      assert.deepEqual(seen, ['kept-marker']);
    } finally {
      await client.endAsync();
    }

    await vscode.commands.executeCommand('mqttExplorer.clearTopics', root);
    const after = await provider.getChildren(connection);
    assert.ok(!after.some((element) => provider.getTreeItem(element).label === 'kept'), 'the subtree is gone from the view');
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
    assert.equal(api.panels.show({ connectionId: connection.profile.id, topic: 'test/external/a' }), panel, 'one panel per topic');
    panel.dispose();
  });

  it('a panel that follows the selection shows what the tree selects; a tree click then opens no other panel', async () => {
    const connection = api.registry.list().find((candidate) => candidate.state.kind === 'connected');
    assert.ok(connection);
    const connectionId = connection.profile.id;
    const open = () => api.panels.open.map((panel) => `${panel.following ? 'following' : 'pinned'} ${panel.ref.topic}`).sort();
    api.panels.show({ connectionId, topic: 'test/external/a' }, { follow: true });
    try {
      assert.deepEqual(open(), ['following test/external/a']);
      // A tree click (the item's command) shows the topic in the following panel.
      await vscode.commands.executeCommand('mqttExplorer.showTopic', { connectionId, topic: 'test/external/b' }, { fromTree: true });
      assert.deepEqual(open(), ['following test/external/b']);
      // A selection made in the tree (here by reveal) is followed too.
      await showTopicsView();
      const children = (await api.topicsProvider.getChildren(connection)) ?? [];
      const test = children.find((child) => 'topic' in child && child.topic === 'test');
      assert.ok(test, 'the test topic is in the tree');
      const selected = waitFor((listener: (value: unknown) => void) => api.topicsView.onDidChangeSelection(listener), () => true, 5000, 'the selection');
      await api.topicsView.reveal(test, { select: true, focus: true });
      await selected;
      assert.deepEqual(open(), ['following test']);
      // From a menu ("Show Topic"), a topic gets its own panel.
      const pinned = await vscode.commands.executeCommand<void>('mqttExplorer.showTopic', { connectionId, topic: 'test/external/b' });
      assert.equal(pinned, undefined);
      assert.deepEqual(open(), ['following test', 'pinned test/external/b']);
    } finally {
      for (const panel of api.panels.open) panel.panel.dispose();
    }
  });
});
