import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import type { RemoteConnection } from '../../src/host/engine/engineClient';
import { headerLine, messageLine } from '../../src/shared/recording/format';
import type { RecordingSummary } from '../../src/worker/offlineRecordings';
import { waitFor } from '../helpers/waitFor';
import { explorer } from './explorer';

/**
 * A recording opened offline in a real VS Code (issue 15): the commands with their arguments, the
 * offline connection in the registry, publishing refused where the user looks, and an engine
 * restart that opens it again at the time it showed.
 */
describe('Recordings opened offline in a real VS Code', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let dir: string;
  const t0 = Date.UTC(2025, 11, 5, 12, 0, 0);

  before(async () => {
    api = await explorer();
    dir = mkdtempSync(join(tmpdir(), 'recordings-ext-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const offline = (connection: RemoteConnection | undefined) => (connection?.state.kind === 'offline' ? connection.state.recording : undefined);

  it('opens by command, shows it at a time typed as an offset, survives an engine restart at that time, refuses to publish, closes', async () => {
    const path = join(dir, 'line.mqtt-recording.jsonl');
    const lines = [headerLine({ startedAt: t0 })];
    for (let i = 0; i < 100; i++) lines.push(messageLine({ time: t0 + i * 100, topic: `line/${i < 50 ? 'early' : 'late'}`, qos: 0, retain: false, payload: Buffer.from(String(i)) }));
    lines.push('not a message\n');
    writeFileSync(path, lines.join(''));

    const opened = await vscode.commands.executeCommand<{ connectionId: string; summary: RecordingSummary } | undefined>('mqttExplorer.openRecording', vscode.Uri.file(path));
    assert.ok(opened);
    const { connectionId, summary } = opened;
    assert.equal(summary.messages, 100);
    assert.equal(summary.skipped, 1);
    assert.equal(summary.skippedExamples.length, 1);
    assert.equal(summary.skippedExamples[0].line, 102);
    assert.match(summary.skippedExamples[0].reason, /^not JSON/);
    const connection = api.registry.get(connectionId);
    assert.equal(connection?.profile.name, 'line');
    assert.deepEqual(connection?.offline, { path });
    assert.equal(offline(connection)?.at, t0 + 9900);

    // "+2.5s": the tree as it was 2.5 s in (26 messages, all of line/early).
    const shown = await vscode.commands.executeCommand<{ at: number } | undefined>('mqttExplorer.showRecordingAt', connectionId, '+2.5s');
    assert.equal(shown?.at, t0 + 2500);
    let topics = await api.registry.engine.request('topicList', { limit: 10, connectionId });
    assert.deepEqual(topics.map(({ topic, messageCount }) => [topic, messageCount]), [['line/early', 26]]);

    // Publishing on it says why not.
    await assert.rejects(connection!.publish('line/early', 'x'), /"line" is a recording opened offline: it has no broker to publish to/);
    await assert.rejects(connection!.connect(), /"line" is a recording opened offline: there is no broker to connect to/);

    // The engine dies: the recording comes back, at the time it showed.
    const back = waitFor(connection!.onDidChangeState, (state) => state.kind === 'offline' && !state.recording.loading && state.recording.at === t0 + 2500, 30_000, 'the recording to be opened again at +2.5 s');
    void api.registry.engine.request('testHook', { action: 'exit' }).catch(() => undefined);
    await back;
    topics = await api.registry.engine.request('topicList', { limit: 10, connectionId });
    assert.deepEqual(topics.map(({ topic, messageCount }) => [topic, messageCount]), [['line/early', 26]]);

    await vscode.commands.executeCommand('mqttExplorer.closeRecording', connectionId);
    assert.equal(api.registry.get(connectionId), undefined);
    assert.deepEqual(await api.registry.engine.request('topicList', { limit: 10, connectionId }), []);
  });

  it('closing a recording while it opens cancels the opening: no error, nothing of it left', async () => {
    const path = join(dir, 'big.mqtt-recording.jsonl');
    const lines = [headerLine({ startedAt: t0 })];
    for (let i = 0; i < 200_000; i++) lines.push(messageLine({ time: t0 + i, topic: `big/${i % 1000}`, qos: 0, retain: false, payload: Buffer.from(`{"i":${i}}`) }));
    writeFileSync(path, lines.join(''));
    // Its connection shows as soon as the opening starts; Close once the engine reports reading.
    const reading = waitFor(api.registry.onDidChange, (connection) => connection?.offline?.path === path && offline(connection)?.loading?.what === 'opening' && offline(connection)!.loading!.messages > 0, 20_000, 'the opening to report progress');
    const opening = vscode.commands.executeCommand<{ connectionId: string } | undefined>('mqttExplorer.openRecording', vscode.Uri.file(path));
    const connection = await reading;
    await vscode.commands.executeCommand('mqttExplorer.closeRecording', connection!.id);
    assert.equal(await opening, undefined);
    assert.equal(api.registry.get(connection!.id), undefined);
    assert.deepEqual(await api.registry.engine.request('topicList', { limit: 10, connectionId: connection!.id }), []);
  });
});
