import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import mqtt from 'mqtt';
import * as sparkplugPayload from 'sparkplug-payload';
import type { TestInternals } from '../../src/host/api';
import type { RemoteConnection } from '../../src/host/engine/engineClient';
import type { TopicElement, TopicsElement } from '../../src/host/topicsView';
import { waitFor } from '../helpers/waitFor';
import { explorerWithLocalBroker } from './localBroker';

const tahu = sparkplugPayload.get('spBv1.0')!;
type TahuPayload = Parameters<typeof tahu.encodePayload>[0];
const spb = (payload: object) => Buffer.from(tahu.encodePayload(payload as TahuPayload));

/**
 * Sparkplug B rows in the real Topics view: decoded values with the names the birth gave, "offline"
 * after a death without a message on the row itself, and "Request Rebirth" from the row.
 */
describe('Sparkplug B in the Topics view (a real VS Code, the local broker)', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let connection: RemoteConnection;
  let client: mqtt.MqttClient;
  const group = `ext${Date.now()}`;

  before(async () => {
    const started = await explorerWithLocalBroker();
    api = started.api;
    const found = api.registry.get(started.connectionId);
    assert.ok(found);
    connection = found;
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${started.port}`);
  });

  after(async () => {
    await client?.endAsync();
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
  });

  async function publish(topic: string, payload: Buffer): Promise<void> {
    const target = (await api.registry.engine.request('stats', { connectionId: connection.id })).received + 1;
    const arrived = waitFor(api.registry.onDidChangeTopics, (changes) => changes.connectionId === connection.id && changes.stats.received >= target, 10_000, `the message on ${topic}`);
    await client.publishAsync(topic, payload, { qos: 1 });
    await arrived;
  }

  /** The row of `topic`, its levels expanded as a person would, and the view told what it shows. */
  async function row(topic: string): Promise<TopicElement> {
    const provider = api.topicsProvider;
    let element: TopicsElement = connection;
    for (const level of topic.split('/')) {
      const children: TopicsElement[] = await provider.getChildren(element);
      const child = children.find((candidate) => provider.getTreeItem(candidate).label === level);
      assert.ok(child, `level "${level}" is listed`);
      element = child;
      if (level !== topic.split('/').at(-1)) {
        await api.topicsView.reveal(element, { expand: true });
        if (!provider.isExpanded(element)) await waitFor(api.topicsView.onDidExpandElement, (event) => event.element === element, 5000, `${level} to expand`);
      }
    }
    await provider.flushWatch();
    assert.ok('kind' in element && element.kind === 'topic');
    return element;
  }

  it('shows the decoded metrics by name, marks the row offline on NDEATH, and requests a rebirth from it', async () => {
    const ndataTopic = `spBv1.0/${group}/NDATA/edge`;
    await publish(`spBv1.0/${group}/NBIRTH/edge`, spb({ timestamp: 1, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }, { name: 'Temperature', alias: 1, type: 'Double', value: 20 }] }));
    await publish(ndataTopic, spb({ timestamp: 2, seq: 1, metrics: [{ alias: 1, type: 'Double', value: 21.5 }] }));
    const element = await row(ndataTopic);
    const item = api.topicsProvider.getTreeItem(element);
    // "●": the row received a message within the last 5 s.
    assert.match(String(item.description), /^(● )?\{"Temperature":21\.5\}/);
    assert.equal(item.contextValue, 'mqttExplorer.topic.sparkplug');

    // NDEATH: the NDATA row gets no message, and still says offline.
    const refreshed = waitFor(api.topicsProvider.onDidFire, (changed) => changed?.includes(element) ?? false, 10_000, 'the NDATA row to refresh');
    await publish(`spBv1.0/${group}/NDEATH/edge`, spb({ timestamp: 3, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }] }));
    await refreshed;
    const offline = api.topicsProvider.getTreeItem(element);
    assert.match(String(offline.description), /^(● )?offline {2}· \{"Temperature":21\.5\}/);
    assert.equal((offline.iconPath as vscode.ThemeIcon).id, 'debug-disconnect');

    await client.subscribeAsync(`spBv1.0/${group}/NCMD/#`, { qos: 0 });
    const command = new Promise<{ topic: string; payload: Buffer }>((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload })));
    await vscode.commands.executeCommand('mqttExplorer.requestRebirth', element);
    const received = await Promise.race([command, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no NCMD within 10 s')), 10_000))]);
    assert.equal(received.topic, `spBv1.0/${group}/NCMD/edge`);
    assert.deepEqual(
      tahu.decodePayload(received.payload).metrics?.map((metric) => [metric.name, metric.value]),
      [['Node Control/Rebirth', true]],
    );
  });
});
