import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import type { RunningProgress } from '../../src/host/progress';
import { newProfile } from '../../src/shared/profile';
import { Mosquitto } from '../helpers/mosquitto';
import { waitFor } from '../helpers/waitFor';
import { explorer, saveAndConnect } from './explorer';

const CONNECTION_ID = 'progress-test-mosquitto';
/** Enough QoS 1 deletions (one PUBACK each, one after another) that the progress reports several times before the end. */
const RETAINED = 400;

/** The retained messages mosquitto holds below `prefix/`: a fresh client's subscription gets them all, then the marker's. */
async function retainedAt(port: number, prefix: string): Promise<number> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
  try {
    let count = 0;
    const marker = new Promise<void>((resolve) =>
      client.on('message', (topic, _payload, packet) => {
        if (topic === `${prefix}-marker`) resolve();
        else if (packet.retain) count++;
      }),
    );
    // Subscriptions are answered in order: every retained message of the first comes before the marker of the second.
    await client.subscribeAsync(`${prefix}/#`, { qos: 1 });
    await client.subscribeAsync(`${prefix}-marker`, { qos: 1 });
    await marker;
    return count;
  } finally {
    await client.endAsync();
  }
}

describe('Progress on long operations, and Cancel that stops them (mosquitto)', function () {
  this.timeout(90_000);
  let api: TestInternals;
  let broker: Mosquitto;

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`);
    try {
      for (let index = 0; index < RETAINED; index++) await publisher.publishAsync(`del/${index}`, `value ${index}`, { qos: 1, retain: true });
      await publisher.publishAsync('del-marker', 'end', { qos: 1, retain: true });
    } finally {
      await publisher.endAsync();
    }
    assert.equal(await retainedAt(broker.ports.plain, 'del'), RETAINED, 'mosquitto holds every retained message');
    await saveAndConnect(api, newProfile(CONNECTION_ID, { name: 'Progress test', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'del/#', qos: 1 }] }));
    // The Topics view shown: the engine reports the tree only to a visible view.
    await vscode.commands.executeCommand('mqttExplorer.topics.focus');
    if (!api.topicsView.visible) await waitFor(api.topicsView.onDidChangeVisibility, (event) => event.visible, 5000, 'the Topics view to show');
    await api.topicsProvider.syncVisibility();
    const known = async () => (await api.registry.engine.request('retainedBelow', { connectionId: CONNECTION_ID, node: { topic: 'del' } })).length;
    for (let attempt = 0; attempt < 40 && (await known()) < RETAINED; attempt++) {
      await waitFor(api.registry.onDidChangeTopics, () => true, 1000, 'a topic report').catch(() => undefined);
    }
    assert.equal(await known(), RETAINED, 'the engine knows every retained message');
  });

  after(async () => {
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
  });

  it('"Delete Retained Below" shows a cancellable progress that counts, and Cancel stops the deletions at once', async () => {
    const connection = api.registry.get(CONNECTION_ID);
    assert.ok(connection);
    const row = (await api.topicsProvider.getChildren(connection)).find((element) => api.topicsProvider.getTreeItem(element).label === 'del');
    assert.ok(row && 'topic' in row && row.kind === 'topic');

    const seen: string[] = [];
    let cancelledAt = -1;
    // At the third report, as a person presses Cancel on the notification (the same token source).
    const shown = waitFor(
      api.progress.onDidChange,
      () => {
        const running: RunningProgress | undefined = api.progress.list.find((entry) => entry.title.startsWith('Deleting retained messages below'));
        if (running?.message) seen.push(running.message);
        return seen.length >= 3 && running !== undefined;
      },
      30_000,
      'three progress reports',
    );
    const command = Promise.resolve(vscode.commands.executeCommand<number>('mqttExplorer.deleteRetainedBelow', row, true));
    await shown;
    const running = api.progress.list.find((entry) => entry.title.startsWith('Deleting retained messages below'));
    assert.ok(running, 'the progress notification is shown while the deletions run');
    assert.equal(running.title, 'Deleting retained messages below “del”');
    assert.equal(running.cancellable, true, 'it has a Cancel button');
    cancelledAt = Number(/^(\d+) of /.exec(seen[seen.length - 1])?.[1]);
    running.cancel();
    const deleted = await command;

    assert.match(seen[0], new RegExp(`^1 of ${RETAINED}$`), 'it counts the deletions');
    assert.ok(deleted >= cancelledAt && deleted < RETAINED, `stopped after ${deleted} of ${RETAINED} (cancelled at ${cancelledAt})`);
    assert.ok(deleted <= cancelledAt + 1, 'at most the deletion under way finishes after Cancel');
    assert.equal(api.progress.list.length, 0, 'the notification is gone');
    // The broker itself: exactly the ones not deleted are still retained.
    assert.equal(await retainedAt(broker.ports.plain, 'del'), RETAINED - deleted);
  });
});
