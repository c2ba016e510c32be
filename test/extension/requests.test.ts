import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import type { RequestsElement } from '../../src/host/requestsView';
import type { RequestsSnapshot } from '../../src/shared/requests';
import { Mosquitto } from '../helpers/mosquitto';
import { explorer, saveAndConnect } from './explorer';
import { waitFor } from '../helpers/waitFor';

const CONNECTION_ID = 'requests-test-mosquitto';

describe('The Requests view pairs MQTT 5 requests with their replies (Debian mosquitto)', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let broker: Mosquitto;
  let requester: mqtt.MqttClient;
  let responder: mqtt.MqttClient;

  const label = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : (item.label?.label ?? ''));
  const nextSnapshot = (predicate: (snapshot: RequestsSnapshot) => boolean, what: string) =>
    waitFor(api.requestsProvider.onDidUpdate, (snapshot) => snapshot.connectionId === CONNECTION_ID && predicate(snapshot), 15_000, what);

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
    const profile = newProfile(CONNECTION_ID, { name: 'Requests test', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: '#', qos: 0 }] });
    await saveAndConnect(api, profile);
    // "connected" comes before the SUBACK: a request published before it would pass unseen.
    const active = () => api.registry.get(CONNECTION_ID)?.subscriptions.every((subscription) => subscription.status.state === 'active') ?? false;
    if (!active()) await waitFor(api.registry.onDidChange, active, 10_000, 'the subscription to # to be active');
    // The view reports only while it shows: open it, as a user would.
    if (!api.requestsView.visible) {
      const shown = waitFor(api.requestsView.onDidChangeVisibility, (event) => event.visible, 10_000, 'the Requests view to show');
      await vscode.commands.executeCommand('mqttExplorer.requests.focus');
      await shown;
    }
    const url = `mqtt://127.0.0.1:${broker.ports.plain}`;
    requester = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'ext-requester' });
    responder = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'ext-responder' });
    await responder.subscribeAsync('orders/quote', { qos: 1 });
    responder.on('message', (_topic, _payload, packet) => {
      const responseTopic = packet.properties?.responseTopic;
      if (responseTopic) void responder.publishAsync(responseTopic, '{"price":12.5}', { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
    });
  });

  after(async () => {
    await requester?.endAsync();
    await responder?.endAsync();
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
  });

  it('shows the connection, the request topic with its counts and latency, and the exchange that opens the topic', async () => {
    const answered = nextSnapshot((s) => s.totals.answered >= 1, 'the answered request');
    await requester.publishAsync('orders/quote', '{"item":"bolt"}', { qos: 1, properties: { responseTopic: 'clients/ext-requester/replies', correlationData: Buffer.from('quote-1') } });
    await answered;

    const provider = api.requestsProvider;
    const connection = provider.getChildren().find((element) => element.connectionId === CONNECTION_ID);
    assert.ok(connection, 'the connection is a row');
    assert.equal(label(provider.getTreeItem(connection)), 'Requests test');
    const rows = provider.getChildren(connection);
    const topic = rows.find((row): row is Extract<RequestsElement, { kind: 'requestTopic' }> => row.kind === 'requestTopic');
    assert.ok(topic, `a request topic row among ${rows.map((row) => row.kind).join(', ')}`);
    const topicItem = provider.getTreeItem(topic);
    assert.equal(label(topicItem), 'orders/quote');
    assert.match(String(topicItem.description), /^1\/1 answered · avg [\d.]+ ms · p95 [\d.]+ ms$/);

    const [exchange] = provider.getChildren(topic);
    assert.equal(exchange?.kind, 'exchange');
    const item = provider.getTreeItem(exchange);
    assert.match(label(item), /^\d\d:\d\d:\d\d\.\d{3} {2}[\d.]+ ms$/);
    assert.equal(item.description, '"quote-1" → clients/ext-requester/replies');
    assert.match(String(item.tooltip), /Reply: \{"price":12\.5\}/);
    assert.equal(item.command?.command, 'mqttExplorer.showTopic');
    assert.deepEqual(item.command?.arguments, [{ connectionId: CONNECTION_ID, topic: 'orders/quote' }]);
    // A click opens the request topic's panel.
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    const panel = api.panels.open.find((open) => open.ref.connectionId === CONNECTION_ID && open.ref.topic === 'orders/quote');
    assert.ok(panel, 'the topic panel is open');
    panel.panel.dispose();
  });

  it('says when requests name a response topic that no subscription sees, and Clear empties the view', async () => {
    await api.registry.get(CONNECTION_ID)?.removeSubscription('#');
    await api.registry.get(CONNECTION_ID)?.addSubscription({ topic: 'orders/#', qos: 0 });
    const unseen = nextSnapshot((s) => s.totals.responseUnseen >= 1, 'a request whose reply cannot be seen');
    await requester.publishAsync('orders/quote', '{"item":"nut"}', { qos: 1, properties: { responseTopic: 'clients/ext-requester/replies', correlationData: Buffer.from('quote-2') } });
    await unseen;
    const provider = api.requestsProvider;
    const connection = provider.getChildren().find((element) => element.connectionId === CONNECTION_ID);
    assert.ok(connection);
    const notice = provider.getChildren(connection).find((row) => row.kind === 'notice');
    assert.ok(notice, 'a notice row');
    assert.match(label(provider.getTreeItem(notice)), /^Replies cannot be seen: 1 request named a response topic outside this connection's subscriptions$/);

    await vscode.commands.executeCommand('mqttExplorer.clearRequests', connection);
    assert.equal(provider.getChildren().find((element) => element.connectionId === CONNECTION_ID), undefined, 'the connection left the view');
  });
});
