/**
 * Recordings opened as offline connections, on the extension host's side (issue 15): the commands
 * "MQTT: Open Recording…", "MQTT: Show Recording At Time…" and "MQTT: Close Recording", the progress
 * notification (cancellable) while the engine indexes the file, and the "Recording timeline" view,
 * a small webview with a range slider per open recording. The engine does the reading
 * (src/worker/offlineRecordings.ts); this side only asks and shows.
 */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import type { RemoteConnection } from './engine/engineClient';
import { Disposable } from '../shared/dispose';
import { newProfile } from '../shared/profile';
import { formatRange, formatRecordingTime, parseRecordingTime } from '../shared/recordingTime';
import { RECORDING_EXTENSIONS } from '../shared/recording/format';
import { parseTimelineMessage, type TimelineHostApi, type TimelineRecording, type TimelineWebviewApi } from '../shared/timelineProtocol';
import type { RecordingSummary } from '../worker/offlineRecordings';
import { renderWebviewHtml, webviewOptions } from './webviewHtml';
import { WebviewChannel } from './webviewChannel';

export const TIMELINE_VIEW_ID = 'mqttExplorer.recordingTimeline';

/** What the host keeps of an opened recording. */
interface OpenRecording {
  connectionId: string;
  path: string;
  name: string;
  summary?: RecordingSummary;
  /** The time last shown (kept here: an engine restart resets the connection's state before the recording is opened again). */
  at?: number;
}

/** What the commands get from a menu: a Connections/Topics row of a recording, or a file from the Explorer. */
function connectionIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    if ('offline' in arg && 'id' in arg && typeof arg.id === 'string') return arg.id;
    if ('connectionId' in arg && typeof arg.connectionId === 'string') return arg.connectionId;
  }
  return undefined;
}

export class OfflineRecordings extends Disposable implements vscode.WebviewViewProvider {
  private readonly open = new Map<string, OpenRecording>();
  private nextId = 1;
  private view: { webview: vscode.Webview; channel: WebviewChannel<TimelineHostApi, TimelineWebviewApi> } | undefined;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    // The offline connections' state events carry the progress and the time shown: the timeline follows them.
    this.register(
      registry.onDidChange((connection) => {
        const recording = connection && this.open.get(connection.id);
        if (connection && !recording) return;
        if (recording && connection?.state.kind === 'offline' && !connection.state.recording.loading && connection.state.recording.at !== undefined) recording.at = connection.state.recording.at;
        this.post();
      }),
    );
    // A fresh worker knows no recording: each is opened again, at the time it showed.
    this.register(registry.engine.onDidRestart(() => void this.reopenAll()));
  }

  static register(context: vscode.ExtensionContext, registry: ConnectionRegistry, log: vscode.LogOutputChannel, report: (error: unknown) => void): OfflineRecordings {
    const recordings = new OfflineRecordings(registry, context.extensionUri, log);
    context.subscriptions.push(
      recordings,
      vscode.window.registerWebviewViewProvider(TIMELINE_VIEW_ID, recordings),
      vscode.commands.registerCommand('mqttExplorer.openRecording', (arg?: unknown) => recordings.openCommand(arg instanceof vscode.Uri ? arg : undefined).catch(report)),
      vscode.commands.registerCommand('mqttExplorer.showRecordingAt', (arg?: unknown, time?: unknown) => recordings.showAtCommand(connectionIdOf(arg), time).catch(report)),
      vscode.commands.registerCommand('mqttExplorer.closeRecording', (arg?: unknown) => recordings.closeCommand(connectionIdOf(arg)).catch(report)),
    );
    return recordings;
  }

  /** The open recordings, for tests and pickers. */
  list(): { connectionId: string; path: string; summary?: RecordingSummary }[] {
    return [...this.open.values()].map(({ connectionId, path, summary }) => ({ connectionId, path, summary }));
  }

  /**
   * Opens a recording file as an offline connection, with a progress notification that can be
   * cancelled. Resolves with its connection id (undefined when cancelled or nothing was picked).
   */
  async openCommand(uri?: vscode.Uri): Promise<{ connectionId: string; summary: RecordingSummary } | undefined> {
    const target =
      uri ??
      (
        await vscode.window.showOpenDialog({
          title: vscode.l10n.t('MQTT: Open Recording'),
          canSelectMany: false,
          openLabel: vscode.l10n.t('Open Recording'),
          filters: { [vscode.l10n.t('MQTT recordings')]: ['jsonl', 'gz'], [vscode.l10n.t('All files')]: ['*'] },
        })
      )?.[0];
    if (!target) return undefined;
    if (target.scheme !== 'file') throw new Error(vscode.l10n.t('Recordings are read from local files; {0} is not one.', target.toString()));
    const path = target.fsPath;
    const already = [...this.open.values()].find((recording) => recording.path === path);
    if (already) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is open already: its topics are in the Topics view.', already.name));
      return already.summary ? { connectionId: already.connectionId, summary: already.summary } : undefined;
    }
    const name = RECORDING_EXTENSIONS.reduce((shown, ending) => (shown.endsWith(ending) ? shown.slice(0, -ending.length) : shown), basename(path));
    const connectionId = `recording-${this.nextId++}`;
    const recording: OpenRecording = { connectionId, path, name };
    this.open.set(connectionId, recording);
    const connection = this.registry.addOffline(newProfile(connectionId, { name, host: '', port: 0, clientId: '', subscriptions: [] }), path);
    void vscode.commands.executeCommand('setContext', 'mqttExplorer.hasRecordings', true);
    this.post();
    let cancelled = false;
    try {
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Opening recording {0}', name), cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => {
            cancelled = true;
            // Stops the engine's reading at once; the request below then rejects.
            void this.registry.engine.request('closeRecording', { connectionId }).catch(() => undefined);
          });
          let reported = 0;
          const listener = connection.onDidChangeState((state) => {
            const loading = state.kind === 'offline' ? state.recording.loading : undefined;
            if (!loading || loading.totalBytes <= 0) return;
            const percent = Math.min(99, (loading.bytesRead / loading.totalBytes) * 100);
            progress.report({ increment: Math.max(0, percent - reported), message: vscode.l10n.t('{0}% · {1} messages', Math.floor(percent), loading.messages.toLocaleString('en-US')) });
            reported = Math.max(reported, percent);
          });
          try {
            return await this.registry.engine.request('openRecording', { connectionId, path, name }, { timeoutMs: Infinity });
          } finally {
            listener.dispose();
          }
        },
      );
      recording.summary = summary;
      this.post();
      this.describeOpened(recording, summary);
      return { connectionId, summary };
    } catch (error) {
      // Cancelled from the notification, or closed meanwhile (Close on its row or in the timeline): no error to show.
      const closed = !this.open.has(connectionId);
      this.forget(connectionId);
      if (cancelled || closed) {
        this.log.info(`Opening ${path} was cancelled.`);
        return undefined;
      }
      throw error;
    }
  }

  /** Says what was opened; skipped lines as a warning with the first reasons (all are in the log). */
  private describeOpened(recording: OpenRecording, summary: RecordingSummary): void {
    const range = summary.from !== undefined && summary.to !== undefined ? formatRange(summary.from, summary.to) : undefined;
    const messages = summary.messages.toLocaleString('en-US');
    const topicCount = summary.topics.toLocaleString('en-US');
    // The log's line stays English (as every line of the output channel); the notification's is translated.
    const topics = `${summary.topicsCapped ? 'at least ' : ''}${topicCount} topics`;
    this.log.info(`Opened recording ${recording.name}: ${messages} messages on ${topics}${range === undefined ? '' : `, ${range}`}. (${recording.path})`);
    const line =
      range === undefined
        ? summary.topicsCapped
          ? vscode.l10n.t('Opened recording {0}: {1} messages on at least {2} topics.', recording.name, messages, topicCount)
          : vscode.l10n.t('Opened recording {0}: {1} messages on {2} topics.', recording.name, messages, topicCount)
        : summary.topicsCapped
          ? vscode.l10n.t('Opened recording {0}: {1} messages on at least {2} topics, {3}.', recording.name, messages, topicCount, range)
          : vscode.l10n.t('Opened recording {0}: {1} messages on {2} topics, {3}.', recording.name, messages, topicCount, range);
    if (summary.skipped > 0) {
      for (const { line: number, reason } of summary.skippedExamples) this.log.warn(`${recording.path} line ${number}: skipped, ${reason}`);
      if (summary.skipped > summary.skippedExamples.length) this.log.warn(`${recording.path}: ${summary.skipped - summary.skippedExamples.length} more lines skipped.`);
      const first = summary.skippedExamples[0];
      const showLog = vscode.l10n.t('Show Log');
      const skipped = vscode.l10n.t('{0} lines were skipped (line {1}: {2}).', summary.skipped.toLocaleString('en-US'), first.line, first.reason);
      void vscode.window.showWarningMessage(`${line} ${skipped}`, showLog).then((choice) => {
        if (choice === showLog) this.log.show();
      });
    } else {
      void vscode.window.setStatusBarMessage(`$(history) ${line}`, 8000);
    }
  }

  /** Shows a recording's tree at a time given (an argument) or typed (a time of day, an offset, a share). */
  async showAtCommand(connectionId: string | undefined, time?: unknown): Promise<{ at: number } | undefined> {
    const recording = await this.pick(connectionId, vscode.l10n.t('MQTT: Show Recording At Time'));
    if (!recording) return undefined;
    const state = this.registry.get(recording.connectionId)?.state;
    const offline = state?.kind === 'offline' ? state.recording : undefined;
    if (offline?.from === undefined || offline.to === undefined) {
      throw new Error(
        offline?.loading ? vscode.l10n.t('{0} has no messages to show yet: it is still being read.', recording.name) : vscode.l10n.t('{0} has no messages to show.', recording.name),
      );
    }
    const { from, to } = offline;
    let target: number | undefined = typeof time === 'number' ? time : undefined;
    if (typeof time === 'string') {
      const parsed = parseRecordingTime(time, from, to);
      if ('error' in parsed) throw new Error(parsed.error);
      target = parsed.time;
    }
    if (target === undefined) {
      const typed = await vscode.window.showInputBox({
        title: vscode.l10n.t('Show {0} at', recording.name),
        prompt: vscode.l10n.t('{0}. A time of day (12:03:05), a date and time, an offset (+90s, +1:30) or a share (50%).', formatRange(from, to)),
        value: formatRecordingTime(offline.at ?? to, false),
        validateInput: (text) => {
          const parsed = parseRecordingTime(text, from, to);
          return 'error' in parsed ? parsed.error : undefined;
        },
      });
      if (typed === undefined) return undefined;
      const parsed = parseRecordingTime(typed, from, to);
      if ('error' in parsed) throw new Error(parsed.error);
      target = parsed.time;
    }
    return this.seek(recording.connectionId, target);
  }

  async seek(connectionId: string, time: number): Promise<{ at: number; superseded: boolean }> {
    if (!this.open.has(connectionId)) throw new Error(vscode.l10n.t('No recording is open as {0}.', connectionId));
    const result = await this.registry.engine.request('seekRecording', { connectionId, time }, { timeoutMs: Infinity });
    return { at: result.at, superseded: result.superseded };
  }

  async closeCommand(connectionId: string | undefined): Promise<void> {
    const recording = await this.pick(connectionId, vscode.l10n.t('MQTT: Close Recording'));
    if (recording) await this.close(recording.connectionId);
  }

  async close(connectionId: string): Promise<void> {
    if (!this.open.has(connectionId)) return;
    await this.registry.engine.request('closeRecording', { connectionId }).catch(() => undefined);
    this.forget(connectionId);
  }

  private forget(connectionId: string): void {
    this.open.delete(connectionId);
    if (this.registry.get(connectionId)?.offline) this.registry.remove(connectionId);
    void vscode.commands.executeCommand('setContext', 'mqttExplorer.hasRecordings', this.open.size > 0);
    this.post();
  }

  private async pick(connectionId: string | undefined, title: string): Promise<OpenRecording | undefined> {
    if (connectionId !== undefined) {
      const recording = this.open.get(connectionId);
      if (!recording) throw new Error(vscode.l10n.t('{0} is not an open recording.', this.registry.get(connectionId)?.profile.name ?? connectionId));
      return recording;
    }
    const all = [...this.open.values()];
    if (all.length === 0) throw new Error(vscode.l10n.t('No recording is open. Open one with "MQTT: Open Recording…".'));
    if (all.length === 1) return all[0];
    const choice = await vscode.window.showQuickPick(
      all.map((recording) => ({ label: recording.name, description: recording.path, recording })),
      { title, placeHolder: vscode.l10n.t('Which recording?') },
    );
    return choice?.recording;
  }

  /** After an engine restart: each recording is read again and shown at the time it showed. */
  private async reopenAll(): Promise<void> {
    for (const recording of [...this.open.values()]) {
      const at = recording.at;
      try {
        const summary = await this.registry.engine.request('openRecording', { connectionId: recording.connectionId, path: recording.path, name: recording.name }, { timeoutMs: Infinity });
        recording.summary = summary;
        if (at !== undefined && summary.to !== undefined && at < summary.to) await this.seek(recording.connectionId, at);
      } catch (error) {
        this.log.warn(`${recording.name} could not be opened again after the engine restarted: ${error instanceof Error ? error.message : String(error)}`);
        this.forget(recording.connectionId);
      }
    }
  }

  // ── The timeline view ──

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = webviewOptions(this.extensionUri);
    const channel = new WebviewChannel<TimelineHostApi, TimelineWebviewApi>(view.webview, {
      validate: parseTimelineMessage,
      onReady: () => this.post(),
      handlers: {
        seek: ({ connectionId, time }) => this.seek(connectionId, time),
        close: async ({ connectionId }) => {
          await this.close(connectionId);
          return {};
        },
        open: async () => {
          await vscode.commands.executeCommand('mqttExplorer.openRecording');
          return {};
        },
      },
    });
    this.view = { webview: view.webview, channel };
    view.webview.html = renderWebviewHtml(view.webview, this.extensionUri, { script: 'timeline.js', title: vscode.l10n.t('Recording timeline'), state: null });
    view.onDidDispose(() => {
      channel.dispose();
      if (this.view?.channel === channel) this.view = undefined;
    });
  }

  private post(): void {
    this.view?.channel.emit('recordings', { recordings: [...this.open.values()].map((recording) => this.describe(recording, this.registry.get(recording.connectionId))) });
  }

  private describe(recording: OpenRecording, connection: RemoteConnection | undefined): TimelineRecording {
    const state = connection?.state.kind === 'offline' ? connection.state.recording : undefined;
    const shown: TimelineRecording = { connectionId: recording.connectionId, name: recording.name, path: recording.path, applied: state?.applied ?? 0 };
    if (state?.from !== undefined) shown.from = state.from;
    if (state?.to !== undefined) shown.to = state.to;
    if (state?.at !== undefined) shown.at = state.at;
    if (recording.summary) shown.messages = recording.summary.messages;
    if (state?.loading) {
      const { what, bytesRead, totalBytes, messages } = state.loading;
      shown.loading = { what, messages };
      if (totalBytes > 0) shown.loading.percent = Math.min(99, Math.floor((bytesRead / totalBytes) * 100));
    }
    return shown;
  }

  override dispose(): void {
    this.view?.channel.dispose();
    this.view = undefined;
    super.dispose();
  }
}
