/**
 * Running `.mqtt` files from the editor: the engine worker runs them on the file's connection
 * (src/worker/fileRuns.ts); this side picks the connection and variables, follows the run's events,
 * cancels it, and serves the "Send request" / "Run" lenses (`mqttExplorer.runMqttBlock`).
 */
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { Disposable } from '../../shared/dispose';
import { blockLabel, type BlockKind, type MqttFileDocument } from '../../shared/mqttFiles';
import type { EngineClient, RemoteConnection } from '../engine/engineClient';
import type { BlockResult, RunEvent, RunResult, RunSelection } from '../../runner/types';
import type { BlockRunner, MqttFileServices } from './language';
import { describeStateKind } from '../connectionsView';

/** A block's status in words, where the runner gave no message of its own. */
export function describeStatus(status: BlockResult['status']): string {
  switch (status) {
    case 'passed':
      return vscode.l10n.t('passed');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'error':
      return vscode.l10n.t('error');
    case 'skipped':
      return vscode.l10n.t('skipped');
  }
}

/** What a run needs of one file. */
export interface FileRunTarget {
  document: vscode.TextDocument;
  connection: RemoteConnection;
  selection: RunSelection;
  onEvent?: (event: RunEvent) => void;
  token?: vscode.CancellationToken;
}

let runCounter = 0;

/** One line for a block's result, as the lens line and the log show it. */
export function resultLine(result: BlockResult): string {
  const mark = result.status === 'passed' ? '✓' : result.status === 'skipped' ? '–' : '✗';
  const message = result.message ?? describeStatus(result.status);
  return result.status === 'skipped' ? `${mark} ${message}` : `${mark} ${vscode.l10n.t('{0} ({1} ms)', message, Math.round(result.durationMs))}`;
}

export class MqttFileRuns extends Disposable implements BlockRunner {
  readonly kinds: readonly BlockKind[] = ['request', 'subscribe', 'expect'];
  private readonly listeners = new Map<string, (event: RunEvent) => void>();

  constructor(
    private readonly engine: EngineClient,
    private readonly services: MqttFileServices,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(
      engine.onEvent((event) => {
        if (event.kind === 'run') this.listeners.get(event.runId)?.(event.event);
      }),
    );
    this.register(vscode.commands.registerCommand('mqttExplorer.runMqttBlock', (uri?: unknown, index?: unknown) => this.runBlockCommand(uri, index)));
  }

  /**
   * The connection a file runs on, connected: `# @connection`, the one chosen for it, or asked.
   * Undefined when the user cancelled the question; throws with a reason for people.
   */
  async connectionFor(document: vscode.TextDocument): Promise<RemoteConnection | undefined> {
    if (!this.services.canRun) throw new Error(vscode.l10n.t('Restricted Mode: message files are not run in a folder you have not trusted. Trust the folder to run them.'));
    const connection = await this.services.connectionFor(document);
    if (!connection) return undefined;
    if (connection.state.kind === 'disconnected' || connection.state.kind === 'failed') await connection.connect();
    if (connection.state.kind !== 'connected') throw new Error(vscode.l10n.t('{0} is not connected ({1}).', connection.profile.name, describeStateKind(connection.state.kind)));
    return connection;
  }

  /** Runs the file's selected blocks on the connection, in the engine; never leaves a run behind a cancelled token. */
  async run(target: FileRunTarget): Promise<RunResult> {
    const { document, connection } = target;
    const runId = `run-${++runCounter}-${Date.now().toString(36)}`;
    const variables = await this.services.variableSources(document.uri);
    const folder = document.uri.scheme === 'file' && !document.isUntitled ? dirname(document.uri.fsPath) : undefined;
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(document.uri);
    const root = workspaceFolder?.uri.scheme === 'file' ? workspaceFolder.uri.fsPath : folder;
    if (target.onEvent) this.listeners.set(runId, target.onEvent);
    const cancel = target.token?.onCancellationRequested(() => void this.engine.request('cancelRun', { runId }).catch(() => undefined));
    try {
      // No deadline: a block may wait up to an hour; cancelling ends it.
      return await this.engine.request('runFile', { connectionId: connection.id, runId, text: document.getText(), folder, root, variables, selection: target.selection }, { timeoutMs: Infinity });
    } finally {
      cancel?.dispose();
      this.listeners.delete(runId);
    }
  }

  /** The lens of a REQUEST, SUBSCRIBE or EXPECT block: runs that block alone, its result after it and in the log. */
  private async runBlockCommand(uri: unknown, index: unknown): Promise<void> {
    if (!(uri instanceof vscode.Uri) || typeof index !== 'number') return;
    const document = await vscode.workspace.openTextDocument(uri);
    const parsed: MqttFileDocument = this.services.parsed(document);
    const block = parsed.blocks[index];
    if (!block) return;
    let connection: RemoteConnection | undefined;
    try {
      connection = await this.connectionFor(document);
    } catch (error) {
      this.services.showOutcome(uri, index, { ok: false, message: (error as Error).message });
      return;
    }
    if (!connection) return;
    const name = connection.profile.name;
    this.services.showOutcome(uri, index, { ok: true, text: block.kind === 'request' ? vscode.l10n.t('… waiting for the reply on {0}', name) : vscode.l10n.t('… listening on {0}', name) });
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('MQTT: {0}', blockLabel(block)), cancellable: true },
        (_progress, token) => this.run({ document, connection, selection: { only: index }, token }),
      );
      const outcome = result.blocks.find((candidate) => candidate.index === index);
      if (outcome) {
        this.services.showOutcome(uri, index, { ok: outcome.status === 'passed', text: resultLine(outcome).slice(2) });
        for (const line of detailLines(outcome)) this.log.info(`  ${line}`);
      }
    } catch (error) {
      this.services.showOutcome(uri, index, { ok: false, message: (error as Error).message });
    }
  }
}

/**
 * What a result holds beyond its line: the reply, what arrived, expected and actual; for the log and
 * the test output (translated for the latter: the log shows the same lines).
 */
export function detailLines(result: BlockResult): string[] {
  const lines: string[] = [];
  if (result.topic) lines.push(vscode.l10n.t('topic: {0}', result.topic));
  if (result.publish) lines.push(vscode.l10n.t('broker: {0}', `${result.publish.reason}${result.publish.reasonCode ? ` (0x${result.publish.reasonCode.toString(16).padStart(2, '0')})` : ''}`));
  if (result.latencyMs !== undefined) lines.push(vscode.l10n.t('reply after {0} ms', Math.round(result.latencyMs)));
  if (result.reply) lines.push(result.kind === 'request' ? vscode.l10n.t('reply on {0}: {1}', result.reply.topic, result.reply.text) : vscode.l10n.t('message on {0}: {1}', result.reply.topic, result.reply.text));
  if (result.received) {
    for (const message of result.received.messages) lines.push(vscode.l10n.t('received on {0} after {1} ms: {2}', message.topic, Math.round(message.elapsedMs), message.text));
    if (result.received.dropped) lines.push(vscode.l10n.t('… and {0} more messages not shown', result.received.dropped));
  }
  if (result.status === 'failed' && result.expected !== undefined) lines.push(vscode.l10n.t('expected: {0}', result.expected));
  if (result.status === 'failed' && result.actual !== undefined) lines.push(vscode.l10n.t('actual: {0}', result.actual));
  return lines;
}
