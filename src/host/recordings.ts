import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable, Emitter } from '../shared/dispose';
import type { RecordingScope, RecordingStatus, StartRecordingParams } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';
import { isRecord } from '../shared/guards';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { RemoteConnection, type EngineClient } from './engine/engineClient';
import type { Prompts } from './prompts';
import type { Settings } from './settings';
import { firstWorkspaceFolder } from './workspaceTrust';

/** What "MQTT: Start Recording" takes: a connection (row or id) and what of it, optionally where. */
export interface StartRecordingArgs {
  connectionId: string;
  scope?: RecordingScope;
  /** The file (absolute); default: a new file in the recordings folder. */
  path?: string;
}

/**
 * "MQTT: Start Recording" / "Stop Recording" (issue 15): recordings run in the engine worker
 * (src/worker/recording); this side picks what and where, shows them in the status bar while they
 * run, and says where the user looks when one stops by itself (a cap, a full disk).
 */
export class Recordings extends Disposable {
  private readonly running = new Map<string, RecordingStatus>();
  private readonly item = this.register(vscode.window.createStatusBarItem('mqttExplorer.recording', vscode.StatusBarAlignment.Left, 49));
  private readonly changed = this.register(new Emitter<RecordingStatus>());
  /** Every recording event as it arrives (the extension-host tests wait on it). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly engine: EngineClient,
    private readonly registry: ConnectionRegistry,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
    private readonly prompts: Prompts,
    /** Where recordings go without a workspace folder and without the setting. */
    private readonly fallbackFolder: string,
  ) {
    super();
    this.item.name = vscode.l10n.t('MQTT recording');
    this.item.command = 'mqttExplorer.stopRecording';
    this.register(engine.onEvent((event) => (event.kind === 'recording' ? this.update(event.status) : undefined)));
    // A restarted engine lost its recordings: the files stay as far as they were written.
    this.register(
      engine.onDidRestart(() => {
        for (const status of this.running.values()) {
          const message = vscode.l10n.t('Recording to {0} stopped: the MQTT engine restarted. {1} messages were written before.', status.file, status.messages.toLocaleString('en-US'));
          this.log.warn(message);
          void vscode.window.showWarningMessage(`MQTT: ${message}`);
        }
        this.running.clear();
        this.render();
      }),
    );
    this.render();
  }

  /** The running recordings' figures, as the status bar shows them. */
  list(): RecordingStatus[] {
    return [...this.running.values()];
  }

  /** The status bar item's text, tooltip and command (tests read them; undefined text while hidden). */
  get statusBar(): { text: string | undefined; tooltip: string | undefined; command: string | undefined } {
    const shown = this.running.size > 0;
    return { text: shown ? this.item.text : undefined, tooltip: shown ? String(this.item.tooltip ?? '') : undefined, command: typeof this.item.command === 'string' ? this.item.command : this.item.command?.command };
  }

  /** "MQTT: Start Recording": from a connection row (all of it), a topic row (its subtree), arguments, or asked for. */
  async start(arg: unknown): Promise<RecordingStatus | undefined> {
    const args = await this.resolveArgs(arg);
    if (!args) return undefined;
    const connection = this.registry.get(args.connectionId);
    if (!connection) throw new Error(vscode.l10n.t('No connection {0}.', args.connectionId));
    const scope = args.scope ?? { kind: 'all' };
    const gzip = this.settings.get('recordings.gzip');
    const file = args.path ?? path.join(this.folder(), fileName(connection.profile.name, scope, gzip));
    const params: StartRecordingParams = {
      connectionId: connection.id,
      path: file,
      scope,
      gzip,
      maxBytes: this.settings.get('recordings.maxMegabytes') * 1024 * 1024,
      maxMs: this.settings.get('recordings.maxMinutes') * 60_000,
      rotate: this.settings.get('recordings.rotate'),
    };
    const status = await this.engine.request('startRecording', params);
    this.update(status);
    this.log.info(`Recording ${describeScope(scope)} of ${connection.profile.name} to ${status.file}.`);
    return status;
  }

  /** "MQTT: Stop Recording": the one running, the one named (`{ recordingId }` or its id), or the one picked. */
  async stop(arg: unknown): Promise<RecordingStatus[]> {
    let ids: string[];
    const named = typeof arg === 'string' ? arg : isRecord(arg) && typeof arg.recordingId === 'string' ? arg.recordingId : undefined;
    if (named) ids = [named];
    else if (this.running.size <= 1) ids = [...this.running.keys()];
    else {
      const all = { label: vscode.l10n.t('All recordings'), id: '*' };
      const picks = [...this.running.values()].map((status) => ({ label: path.basename(status.file), description: `${this.registry.get(status.connectionId)?.profile.name ?? status.connectionId} · ${figures(status)}`, id: status.id }));
      const picked = await this.prompts.quickPick([...picks, all], { title: vscode.l10n.t('MQTT: Stop Recording'), placeHolder: vscode.l10n.t('Which recording?') });
      if (!picked) return [];
      ids = picked.id === '*' ? [...this.running.keys()] : [picked.id];
    }
    if (ids.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MQTT: No recording is running.'));
      return [];
    }
    const stopped: RecordingStatus[] = [];
    for (const id of ids) {
      const status = await this.engine.request('stopRecording', { recordingId: id });
      if (status) {
        this.update(status);
        stopped.push(status);
      }
    }
    return stopped;
  }

  private async resolveArgs(arg: unknown): Promise<StartRecordingArgs | undefined> {
    if (arg instanceof RemoteConnection) return { connectionId: arg.id };
    if (isRecord(arg) && typeof arg.connectionId === 'string') {
      // A topic row (or `{ connectionId, topic }`): its subtree.
      if (typeof arg.topic === 'string' && arg.scope === undefined) return { connectionId: arg.connectionId, scope: { kind: 'subtree', topic: arg.topic } };
      const scope = scopeArg(arg.scope);
      if (arg.scope !== undefined && !scope) throw new Error(vscode.l10n.t('The arguments of "MQTT: Start Recording" are {0}.', '{ connectionId, scope?: { kind: "all" } | { kind: "subtree", topic } | { kind: "filters", filters: string[] }, path? }'));
      return { connectionId: arg.connectionId, ...(scope && { scope }), ...(typeof arg.path === 'string' && { path: arg.path }) };
    }
    const connected = this.registry.list().filter((connection) => connection.state.kind === 'connected');
    if (connected.length === 0) throw new Error(vscode.l10n.t('No connected broker to record. Connect first.'));
    const connection =
      connected.length === 1
        ? connected[0]
        : (await this.prompts.quickPick(connected.map((candidate) => ({ label: candidate.profile.name, description: `${candidate.profile.host}:${candidate.profile.port}`, connection: candidate })), { title: vscode.l10n.t('MQTT: Start Recording'), placeHolder: vscode.l10n.t('Record which connection?') }))?.connection;
    if (!connection) return undefined;
    const what = await this.prompts.quickPick(
      [
        { label: vscode.l10n.t('Everything it receives'), what: 'all' as const },
        { label: vscode.l10n.t('Topic filters…'), description: 'sensors/#, +/status', what: 'filters' as const }, // l10n-ignore: example topic filters
      ],
      { title: vscode.l10n.t('MQTT: Record {0}', connection.profile.name), placeHolder: vscode.l10n.t('What to record?') },
    );
    if (!what) return undefined;
    if (what.what === 'all') return { connectionId: connection.id, scope: { kind: 'all' } };
    const typed = await vscode.window.showInputBox({
      title: vscode.l10n.t('MQTT: Record {0}', connection.profile.name),
      prompt: vscode.l10n.t('Topic filters, separated by spaces or commas'),
      placeHolder: 'sensors/# +/status', // l10n-ignore: example topic filters
    });
    if (typed === undefined) return undefined;
    const filters = typed.split(/[\s,]+/).filter((filter) => filter.length > 0);
    return { connectionId: connection.id, scope: { kind: 'filters', filters } };
  }

  /** The recordings folder: the setting (relative to the workspace folder, `~` the home folder), else the workspace's `recordings/`. */
  private folder(): string {
    const configured = this.settings.get('recordings.folder').trim();
    const workspace = firstWorkspaceFolder();
    if (configured) {
      if (configured === '~' || configured.startsWith('~/')) return path.join(os.homedir(), configured.slice(1));
      if (path.isAbsolute(configured)) return configured;
      if (!workspace) throw new Error(vscode.l10n.t('mqttExplorer.recordings.folder is relative ("{0}") and no trusted folder is open: set an absolute path.', configured));
      return path.join(workspace, configured);
    }
    return workspace ? path.join(workspace, 'recordings') : this.fallbackFolder;
  }

  private update(status: RecordingStatus): void {
    const wasRunning = this.running.has(status.id);
    if (status.state === 'recording') this.running.set(status.id, status);
    else {
      this.running.delete(status.id);
      if (wasRunning) this.ended(status);
    }
    this.render();
    this.changed.fire(status);
  }

  /** Says how a recording ended where the user looks: an error for a write error, a note for a cap. */
  private ended(status: RecordingStatus): void {
    if (status.state === 'failed') {
      const message = status.error ?? vscode.l10n.t('Recording to {0} failed.', status.file);
      this.log.error(message);
      void vscode.window.showErrorMessage(`MQTT: ${message}`);
      return;
    }
    const written = status.files.length > 1 ? vscode.l10n.t('{0} in {1} files', figures(status), status.files.length) : figures(status);
    const line =
      status.reason === 'stopped by the user'
        ? vscode.l10n.t('Recording to {0} stopped: {1}.', status.file, written)
        : vscode.l10n.t('Recording to {0} stopped ({1}): {2}.', status.file, status.reason ?? vscode.l10n.t('stopped'), written);
    this.log.info(line);
    if (status.reason && status.reason !== 'stopped by the user') void vscode.window.showInformationMessage(`MQTT: ${line}`);
    else void vscode.window.setStatusBarMessage(`$(record) ${line}`, 5000);
  }

  private render(): void {
    const all = [...this.running.values()];
    if (all.length === 0) {
      this.item.hide();
      return;
    }
    const messages = all.reduce((sum, status) => sum + status.messages, 0);
    const bytes = all.reduce((sum, status) => sum + status.bytes, 0);
    const dropped = all.reduce((sum, status) => sum + status.dropped, 0);
    const count = messages.toLocaleString('en-US');
    this.item.text = `$(record) ${all.length > 1 ? vscode.l10n.t('{0} recordings · {1} msgs · {2}', all.length, count, formatBytes(bytes)) : vscode.l10n.t('{0} msgs · {1}', count, formatBytes(bytes))}`;
    const lines = all.map((status) => `${status.files.length > 1 ? vscode.l10n.t('{0} (part {1})', status.file, status.part) : status.file}: ${figures(status)}`);
    this.item.tooltip = `${vscode.l10n.t('MQTT: recording (click to stop)')}\n${lines.join('\n')}${dropped ? `\n${vscode.l10n.t('{0} messages dropped: the disk did not keep up', dropped.toLocaleString('en-US'))}` : ''}`;
    this.item.backgroundColor = dropped ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }
}

function figures(status: RecordingStatus): string {
  const messages = status.messages.toLocaleString('en-US');
  return status.dropped
    ? vscode.l10n.t('{0} messages, {1}, {2} dropped', messages, formatBytes(status.bytes), status.dropped.toLocaleString('en-US'))
    : vscode.l10n.t('{0} messages, {1}', messages, formatBytes(status.bytes));
}

function describeScope(scope: RecordingScope): string {
  if (scope.kind === 'all') return 'everything';
  if (scope.kind === 'subtree') return `${scope.topic} and below`;
  return scope.filters.join(', ');
}

/** `scope` as a caller passed it, checked; undefined when it is not one. */
function scopeArg(value: unknown): RecordingScope | undefined {
  if (!isRecord(value)) return undefined;
  if (value.kind === 'all') return { kind: 'all' };
  if (value.kind === 'subtree' && typeof value.topic === 'string') return { kind: 'subtree', topic: value.topic };
  if (value.kind === 'filters' && Array.isArray(value.filters) && value.filters.every((filter) => typeof filter === 'string')) return { kind: 'filters', filters: [...(value.filters as string[])] };
  return undefined;
}

/** `Local broker-20261205-114500[-sensors_x].mqtt-recording.jsonl[.gz]`: the connection, the time, the subtree. */
export function fileName(connection: string, scope: RecordingScope, gzip: boolean, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const safe = (text: string) => text.replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^[.\s]+/, '').slice(0, 60) || 'recording';
  const what = scope.kind === 'subtree' ? `-${safe(scope.topic)}` : scope.kind === 'filters' ? '-filtered' : '';
  return `${safe(connection)}-${stamp}${what}.mqtt-recording.jsonl${gzip ? '.gz' : ''}`;
}
