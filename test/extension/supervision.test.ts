import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import mqtt from 'mqtt';
import type { TestInternals } from '../../src/host/api';
import type { EngineRecovery } from '../../src/host/engine/connectionRegistry';
import type { TopicElement, TopicsElement } from '../../src/host/topicsView';
import { waitFor } from '../helpers/waitFor';
import { explorerWithLocalBroker } from './localBroker';


/**
 * The engine worker dies or hangs inside a real VS Code: the extension notices, starts a fresh one,
 * reconnects, and the Topics view shows new messages again.
 */
describe('Engine supervision in a real VS Code', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let port: number;
  let connectionId: string;

  before(async () => {
    ({ api, port, connectionId } = await explorerWithLocalBroker());
  });

  after(async () => {
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
  });

  /** Publishes to a new top-level topic and waits until the Topics view's provider lists it. */
  async function appearsInTheTree(name: string): Promise<void> {
    const connection = api.registry.get(connectionId);
    assert.ok(connection);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    try {
      const listed = waitFor(api.topicsProvider.onDidFire, (changed) => changed?.includes(connection) ?? false, 15_000, `${name} to be listed`);
      await client.publishAsync(`${name}/value`, 'v', { qos: 1 });
      await listed;
    } finally {
      await client.endAsync();
    }
    const rows: TopicsElement[] = await api.topicsProvider.getChildren(connection);
    assert.ok(rows.some((row) => 'kind' in row && row.kind === 'topic' && (row as TopicElement).snapshot.name === name), `${name} is a row`);
  }

  async function survives(action: 'exit' | 'hang', name: string): Promise<EngineRecovery> {
    await appearsInTheTree(`${name}-before`);
    const recovered = waitFor(api.registry.onDidRecover, () => true, 30_000, 'the engine to restart and reconnect');
    const started = Date.now();
    void api.registry.engine.request('testHook', { action }).catch(() => undefined);
    const recovery = await recovered;
    console.log(`      ${action}: noticed after ${recovery.restart.noticedAt - started} ms, connected again ${recovery.tookMs} ms later`);
    assert.deepEqual(recovery.failed, []);
    assert.equal(recovery.reconnected.length, 1);
    assert.equal(api.registry.get(connectionId)?.state.kind, 'connected');
    const rows = await api.topicsProvider.getChildren(api.registry.get(connectionId));
    assert.ok(!rows.some((row) => 'kind' in row && row.kind === 'topic' && (row as TopicElement).snapshot.name === `${name}-before`), 'the view starts over: what was in memory is gone');
    await appearsInTheTree(`${name}-after`);
    return recovery;
  }

  it('a worker that exits: restarted, reconnected, and the Topics view updates again', async () => {
    const recovery = await survives('exit', 'crash');
    assert.match(recovery.restart.reason, /exited with code 70/);
  });

  it('a worker that hangs: noticed by the heartbeat, ended, restarted, reconnected', async () => {
    const recovery = await survives('hang', 'hang');
    assert.match(recovery.restart.reason, /did not answer within/);
  });
});
