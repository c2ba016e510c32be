import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { RemoteConnection } from './engine/engineClient';
import type { FileQuestions } from './replay';
import type { TopicElement } from './topicsView';
import type { NodeRef } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';
import { progress, untilCancelled } from './progress';
import { snapshotJson, snapshotMqtt, type SnapshotCounts } from '../shared/snapshotExport';

/** At most this many topics and payload bytes are exported at once; the rest is counted and said. */
export const SNAPSHOT_MAX_TOPICS = 500_000;
export const SNAPSHOT_MAX_BYTES = 128 * 1024 * 1024;

/** What an export wrote, for the message and for tests. */
export interface SnapshotExportResult {
  uri: vscode.Uri;
  format: 'json' | 'mqtt';
  counts: SnapshotCounts;
  /** Topics the engine's caps left out, and those whose last value its memory budget had dropped. */
  leftOutTopics: number;
  noValue: number;
}

/**
 * "MQTT: Export Snapshot…" on a topic row (that subtree) or a connection row (everything): the last
 * values as JSON or as a `.mqtt` file of retained PUBLISH blocks, to a file chosen in a save dialog.
 */
export class SnapshotExport {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly questions: FileQuestions,
  ) {}

  async run(element?: TopicElement | RemoteConnection): Promise<SnapshotExportResult | undefined> {
    const q = this.questions;
    let connection: RemoteConnection | undefined;
    let node: NodeRef = { root: true };
    let topic: string | undefined;
    if (element instanceof RemoteConnection) connection = element;
    else if (element && typeof element === 'object' && element.kind === 'topic') {
      connection = this.registry.get(element.connectionId);
      node = { id: element.id };
      topic = element.topic;
    } else {
      const connections = this.registry.list();
      if (!connections.length) throw new Error(vscode.l10n.t('No connection to export a snapshot of.'));
      connection =
        connections.length === 1
          ? connections[0]
          : (await q.quickPick(
              connections.map((candidate) => ({ label: candidate.profile.name, description: vscode.l10n.t('{0} topics with a value', candidate.stats.topicsWithValue.toLocaleString('en-US')), candidate })),
              { title: vscode.l10n.t('Export a snapshot of which connection?'), ignoreFocusOut: true },
            ))?.candidate;
    }
    if (!connection) return undefined;
    const what = topic === undefined ? vscode.l10n.t('every topic of {0}', connection.profile.name) : vscode.l10n.t('{0} and below', topic === '' ? vscode.l10n.t('(empty)') : topic);

    const format = (
      await q.quickPick(
        [
          { label: 'JSON', detail: vscode.l10n.t('{0}: JSON payloads as JSON, text as a string, other bytes as {1}.', '{ "topic": value }', '{ "base64": "…" }'), format: 'json' as const },
          { label: vscode.l10n.t('.mqtt message file'), detail: vscode.l10n.t('A retained PUBLISH block per topic: run it on another connection to recreate these values there.'), format: 'mqtt' as const },
        ],
        { title: vscode.l10n.t('Export the last values of {0} as', what), ignoreFocusOut: true },
      )
    )?.format;
    if (!format) return undefined;

    const stem = (topic === undefined ? connection.profile.name : topic.replace(/^\/+/, '').replace(/\//g, '-')).replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 80) || 'snapshot';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const fileName = `${stem}-snapshot.${format === 'json' ? 'json' : 'mqtt'}`;
    const uri = await q.saveFile({
      title: vscode.l10n.t('Export Snapshot'),
      defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
      filters: format === 'json' ? { JSON: ['json'] } : { [vscode.l10n.t('MQTT message files')]: ['mqtt'] },
    });
    if (!uri) return undefined;

    const source = connection;
    // Cancel: the engine's one request for the values cannot be taken back, but its answer is then
    // dropped and no file is written.
    return progress.run({ title: vscode.l10n.t('Exporting the last values of {0}', what), cancellable: true }, async (reportProgress, token) => {
      reportProgress(vscode.l10n.t('reading them from the engine…'));
      const request = this.registry.engine.request('lastValues', { connectionId: source.id, node, maxTopics: SNAPSHOT_MAX_TOPICS, maxBytes: SNAPSHOT_MAX_BYTES }, { timeoutMs: 120_000 });
      const values = await untilCancelled(request, token);
      if (!values) return undefined;
      // Only topics at or below the row's own: a stale id must never export another subtree under this name.
      const inside = topic === undefined ? values.values : values.values.filter((value) => value.topic === topic || value.topic.startsWith(`${topic}/`));
      reportProgress(vscode.l10n.t('writing {0} topics…', inside.length.toLocaleString('en-US')));
      const title = `Snapshot of ${what} (${source.profile.name}), ${new Date().toISOString()}`;
      const written = format === 'json' ? snapshotJson(inside) : snapshotMqtt(inside, title);
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(written.text));
      const counts: SnapshotCounts = { written: written.written, truncated: written.truncated, notWritable: written.notWritable, overLimits: written.overLimits, examples: written.examples };
      const result: SnapshotExportResult = { uri, format, counts, leftOutTopics: values.leftOutTopics, noValue: values.noValue };
      void this.announce(result, values.leftOutBytes);
      return result;
    });
  }

  private async announce(result: SnapshotExportResult, leftOutBytes: number): Promise<void> {
    const { counts } = result;
    const notes: string[] = [];
    if (result.leftOutTopics)
      notes.push(vscode.l10n.t('{0} topics ({1}) over the export\'s limit of {2} topics and {3}: export a smaller subtree', result.leftOutTopics.toLocaleString('en-US'), formatBytes(leftOutBytes), SNAPSHOT_MAX_TOPICS.toLocaleString('en-US'), formatBytes(SNAPSHOT_MAX_BYTES)));
    if (counts.truncated) notes.push(vscode.l10n.t('{0} whose last payload the explorer kept only the beginning of ({1})', counts.truncated.toLocaleString('en-US'), 'mqttExplorer.limits.maxPayloadKib'));
    if (counts.notWritable) notes.push(vscode.l10n.t('{0} whose topic a .mqtt file cannot hold (spaces at its ends, a line break, "{1}")', counts.notWritable.toLocaleString('en-US'), '{{'));
    if (counts.overLimits) notes.push(vscode.l10n.t('{0} beyond a .mqtt file\'s limits (1 MiB per body, 10,000 blocks, 5 MiB)', counts.overLimits.toLocaleString('en-US')));
    if (result.noValue) notes.push(vscode.l10n.t('{0} whose last value the memory budget had dropped', result.noValue.toLocaleString('en-US')));
    const file = basename(result.uri.fsPath);
    const head = counts.written === 1 ? vscode.l10n.t('Exported 1 topic to {0}.', file) : vscode.l10n.t('Exported {0} topics to {1}.', counts.written.toLocaleString('en-US'), file);
    const leftOut = notes.join('; ');
    const examples = counts.examples.map((example) => `"${example}"`).join(', ');
    const message = notes.length ? (counts.examples.length ? vscode.l10n.t('{0} Left out: {1} (such as {2}).', head, leftOut, examples) : vscode.l10n.t('{0} Left out: {1}.', head, leftOut)) : head;
    const show = notes.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const open = vscode.l10n.t('Open');
    if ((await show(`MQTT: ${message}`, open)) === open) await vscode.window.showTextDocument(result.uri);
  }
}
