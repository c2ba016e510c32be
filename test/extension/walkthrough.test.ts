import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { newProfile } from '../../src/shared/profile';
import { Mosquitto } from '../helpers/mosquitto';
import { explorer, saveAndConnect } from './explorer';

const CONNECTION_ID = 'walkthrough-test-mosquitto';

/** The walkthrough's steps complete on what happened (src/host/walkthrough.ts), not on a button. */
describe('The walkthrough\'s steps complete on the real events (mosquitto)', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let broker: Mosquitto;

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
  });

  after(async () => {
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
  });

  // Earlier files of this suite may have completed the steps already (a step completes once per
  // window): the counts of their events show each event on its own.
  it('a saved connection and a publish the broker answered are their steps\' events; a refused publish is not', async () => {
    const before = { saved: api.walkthrough.seen('connectionSaved'), published: api.walkthrough.seen('published') };
    await saveAndConnect(api, newProfile(CONNECTION_ID, { name: 'Walkthrough test', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'none/#', qos: 0 }] }));
    assert.equal(api.walkthrough.seen('connectionSaved'), before.saved + 1, 'saving a profile is "add your own broker"');
    assert.ok(api.walkthrough.completed.includes('connectionSaved'));
    // Refused before anything is sent (a wildcard in a publish topic): no event.
    const refused = await vscode.commands.executeCommand('mqttExplorer.publish', { connectionId: CONNECTION_ID, topic: 'a/+', payload: 'x' });
    assert.equal(refused, undefined);
    assert.equal(api.walkthrough.seen('published'), before.published, 'a refused publish is no publish');
    const result = await vscode.commands.executeCommand<{ ack: string }>('mqttExplorer.publish', { connectionId: CONNECTION_ID, topic: 'walkthrough/test', payload: 'hello', qos: 1 });
    assert.equal(result?.ack, 'puback');
    assert.equal(api.walkthrough.seen('published'), before.published + 1, 'an answered publish is "publish a message"');
    assert.ok(api.walkthrough.completed.includes('published'));
  });
});
