import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { Disposable } from '../shared/dispose';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import type { RemoteConnection } from './engine/engineClient';
import type { Prompts } from './prompts';
import { brokerUrl, validateTopicFilter } from '../shared/profile';
import { MAX_SPEED, MIN_SPEED, type ReplayOptions, type ReplayProgress, type ReplayTiming } from '../worker/recording/replay';
import { describeTiming, formatDuration, parseTimeRange, playingTime, progressLine, replaySummary } from '../shared/replayText';
import { RECORDING_EXTENSIONS } from '../shared/recording/format';
import { readRecordingLines } from '../shared/recording/reader';

/**
 * The questions "Replay Recording…" and "Export Snapshot…" ask, beyond quick picks and modal
 * confirmations: one mutable object, so that the extension-host tests can answer them.
 */
export interface FileQuestions extends Prompts {
  input: (options: vscode.InputBoxOptions) => Thenable<string | undefined>;
  openFile: (options: vscode.OpenDialogOptions) => Thenable<vscode.Uri[] | undefined>;
  saveFile: (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;
}

export function windowFileQuestions(prompts: Prompts): FileQuestions {
  return {
    quickPick: (items, options) => prompts.quickPick(items, options),
    confirm: (message, detail, ...buttons) => prompts.confirm(message, detail, ...buttons),
    input: (options) => vscode.window.showInputBox(options),
    openFile: (options) => vscode.window.showOpenDialog(options),
    saveFile: (options) => vscode.window.showSaveDialog(options),
  };
}

/** The replay running now (one at a time from the extension), and what the status bar shows of it. */
interface Running {
  replayId: string;
  target: RemoteConnection;
  file: string;
  timing: ReplayTiming;
  progress: ReplayProgress;
  /** From the dry run, when there was one: the selection's size. */
  total?: { messages: number; firstTime?: number; lastTime?: number };
  onProgress: (progress: ReplayProgress) => void;
  ended: (progress: ReplayProgress) => void;
}

/**
 * "MQTT: Replay Recording…": asks for the file, the connection, the timing and the options, asks
 * for confirmation before publishing to a broker other than the local one (naming it, with the
 * message count and how long it takes), then runs the replay in the engine with a progress
 * notification (Cancel) and a status bar item (pause / resume).
 */
export class ReplayController extends Disposable {
  private running: Running | undefined;
  /** The context keys as last set. */
  private context = '';
  private readonly item = this.register(vscode.window.createStatusBarItem('mqttExplorer.replay', vscode.StatusBarAlignment.Left, 49));

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly isLocalBroker: (connection: RemoteConnection) => boolean,
    private readonly log: vscode.LogOutputChannel,
    readonly questions: FileQuestions,
  ) {
    super();
    this.item.name = vscode.l10n.t('MQTT replay');
    this.item.command = 'mqttExplorer.toggleReplayPause';
    const engine = registry.engine;
    this.register(
      engine.onEvent((event) => {
        if (event.kind !== 'replay' || event.replayId !== this.running?.replayId) return;
        const running = this.running;
        running.progress = event.progress;
        running.onProgress(event.progress);
        this.update();
        if (event.progress.state === 'done' || event.progress.state === 'cancelled' || event.progress.state === 'failed') {
          this.running = undefined;
          this.update();
          running.ended(event.progress);
        }
      }),
    );
    // A fresh engine knows nothing of the replay: it has stopped, and says where.
    this.register(
      engine.onDidRestart((restart) => {
        const running = this.running;
        if (!running) return;
        this.running = undefined;
        this.update();
        running.ended({ ...running.progress, state: 'failed', reason: vscode.l10n.t('the engine restarted ({0}); the replay stopped after {1} messages', restart.reason, running.progress.sent) });
      }),
    );
    this.update();
  }

  get current(): { replayId: string; progress: ReplayProgress } | undefined {
    return this.running && { replayId: this.running.replayId, progress: this.running.progress };
  }

  private update(): void {
    const running = this.running;
    // The context keys change with the state, not with each report (a few a second).
    const context = `${Boolean(running)} ${running?.progress.state === 'paused'}`;
    if (context !== this.context) {
      this.context = context;
      void vscode.commands.executeCommand('setContext', 'mqttExplorer.replaying', Boolean(running));
      void vscode.commands.executeCommand('setContext', 'mqttExplorer.replayPaused', running?.progress.state === 'paused');
    }
    if (!running) {
      this.item.hide();
      return;
    }
    const paused = running.progress.state === 'paused';
    this.item.text = `${paused ? '$(debug-pause)' : '$(play)'} ${vscode.l10n.t('Replay {0}', `${running.progress.sent.toLocaleString('en-US')}${running.total ? `/${running.total.messages.toLocaleString('en-US')}` : ''}`)}`;
    const replaying = vscode.l10n.t('MQTT: replaying {0} to {1} ({2}): {3}', basename(running.file), running.target.profile.name, describeTiming(running.timing), progressLine(running.progress, running.total));
    this.item.tooltip = `${replaying}${running.progress.reason ? `\n${running.progress.reason}` : ''}\n${paused ? vscode.l10n.t('Click to resume.') : vscode.l10n.t('Click to pause.')}`;
    this.item.backgroundColor = paused ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  async pause(): Promise<void> {
    if (this.running) await this.registry.engine.request('pauseReplay', { replayId: this.running.replayId });
  }

  async resume(): Promise<void> {
    const running = this.running;
    if (!running) return;
    if (running.target.state.kind !== 'connected') throw new Error(vscode.l10n.t('{0} is not connected: connect it, then resume the replay.', running.target.profile.name));
    await this.registry.engine.request('resumeReplay', { replayId: running.replayId });
  }

  async togglePause(): Promise<void> {
    if (this.running?.progress.state === 'paused') await this.resume();
    else await this.pause();
  }

  async cancel(): Promise<void> {
    if (this.running) await this.registry.engine.request('cancelReplay', { replayId: this.running.replayId });
  }

  /** The whole command; resolves with the replay's final progress (undefined when the user stopped before it started). */
  async replay(uri?: vscode.Uri): Promise<ReplayProgress | undefined> {
    if (this.running) throw new Error(vscode.l10n.t('A replay to {0} is running: cancel it (or wait for it to end) before starting another.', this.running.target.profile.name));
    const q = this.questions;
    const file =
      uri ??
      (
        await q.openFile({
          title: vscode.l10n.t('MQTT: Replay Recording — the recording'),
          canSelectMany: false,
          filters: { [vscode.l10n.t('MQTT recordings')]: ['jsonl', 'gz'], [vscode.l10n.t('All files')]: ['*'] },
          defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        })
      )?.[0];
    if (!file) return undefined;
    if (file.scheme !== 'file') throw new Error(vscode.l10n.t('Replay reads recordings from disk; {0} is not a local file.', file.toString()));
    if (!RECORDING_EXTENSIONS.some((ending) => file.fsPath.endsWith(ending))) this.log.info(`Replaying ${file.fsPath}, whose name does not end in ${RECORDING_EXTENSIONS.join(' or ')}: it is read as a recording all the same.`);

    const connected = this.registry.list().filter((connection) => connection.state.kind === 'connected');
    if (!connected.length) throw new Error(vscode.l10n.t('No connected broker to replay to: connect one (or start the local broker) first.'));
    const target =
      connected.length === 1
        ? connected[0]
        : (await q.quickPick(
            connected.map((connection) => ({ label: connection.profile.name, description: brokerUrl(connection.profile), connection })),
            { title: vscode.l10n.t('Replay to which connection?'), ignoreFocusOut: true },
          ))?.connection;
    if (!target) return undefined;

    const timingPick = await q.quickPick(
      [
        { label: vscode.l10n.t('Original timing'), detail: vscode.l10n.t('Messages as far apart as they were recorded.'), timing: 'original' as const },
        { label: vscode.l10n.t('Faster or slower…'), detail: vscode.l10n.t('A speed factor from {0}× to {1}×.', MIN_SPEED, MAX_SPEED), timing: 'speed' as const },
        { label: vscode.l10n.t('As fast as possible'), detail: vscode.l10n.t('Each message as soon as the one before was sent (QoS 1 and 2: acknowledged).'), timing: 'asap' as const },
      ],
      { title: vscode.l10n.t('Replay timing'), ignoreFocusOut: true },
    );
    if (!timingPick) return undefined;
    let timing: ReplayTiming;
    if (timingPick.timing === 'speed') {
      const factor = await q.input({
        title: vscode.l10n.t('Speed factor'),
        prompt: vscode.l10n.t('{0} (ten times slower) to {1} (a hundred times faster)', MIN_SPEED, MAX_SPEED),
        value: '2',
        ignoreFocusOut: true,
        validateInput: (value) => speedProblem(value),
      });
      if (factor === undefined || speedProblem(factor)) return undefined;
      timing = { kind: 'speed', factor: Number(factor) };
    } else timing = { kind: timingPick.timing };

    const choices = await q.quickPick(
      [
        { label: vscode.l10n.t('Loop until cancelled'), option: 'loop' as const },
        { label: vscode.l10n.t('Strip retain flags'), detail: vscode.l10n.t('Publish every message not retained (the broker keeps no state from the replay).'), option: 'strip' as const },
        { label: vscode.l10n.t('Rewrite a topic prefix…'), detail: vscode.l10n.t('Replace the topics\' leading prefix, or add one (replay/…).'), option: 'prefix' as const },
        { label: vscode.l10n.t('Only some topics…'), detail: vscode.l10n.t('Topic filters with + and #.'), option: 'topics' as const },
        { label: vscode.l10n.t('Only a time range…'), detail: vscode.l10n.t('From and to, counted from the start of the recording.'), option: 'range' as const },
      ],
      // Nothing picked (Enter): once, to the topics as recorded, retain flags as recorded, every topic.
      { title: vscode.l10n.t('Replay options: pick what to change, or press Enter for none'), ignoreFocusOut: true, canPickMany: true } as vscode.QuickPickOptions,
    );
    if (!choices) return undefined;
    const picked = new Set((Array.isArray(choices) ? (choices as { option: string }[]) : [choices as { option: string }]).map((choice) => choice.option));
    const options: ReplayOptions = { path: file.fsPath, timing, retain: picked.has('strip') ? 'strip' : 'keep', loop: picked.has('loop') };
    if (picked.has('prefix')) {
      const replace = await q.input({ title: vscode.l10n.t('Topic prefix to replace'), prompt: vscode.l10n.t('Leave empty to add a prefix to every topic instead.'), value: '', ignoreFocusOut: true, validateInput: prefixProblem });
      if (replace === undefined) return undefined;
      const replacement = await q.input({ title: replace ? vscode.l10n.t('Replace "{0}" with', replace) : vscode.l10n.t('Prefix to add'), value: 'replay/', ignoreFocusOut: true, validateInput: prefixProblem });
      if (replacement === undefined) return undefined;
      options.prefix = replace ? { replace, with: replacement } : { with: replacement };
    }
    if (picked.has('topics')) {
      const filters = await q.input({ title: vscode.l10n.t('Replay only these topics'), prompt: vscode.l10n.t('MQTT topic filters, separated by commas: {0}', 'plant/+/temp, devices/#'), value: '#', ignoreFocusOut: true, validateInput: filtersProblem });
      if (filters === undefined) return undefined;
      options.topics = splitFilters(filters);
    }

    if (picked.has('range')) {
      const startedAt = await recordingStart(file.fsPath);
      const range = await q.input({
        title: vscode.l10n.t('Replay only this time range'),
        prompt: vscode.l10n.t('From-to in seconds or minutes:seconds after the recording started ({0}), such as 60-300 or 1:00-5:00; one side may be empty.', new Date(startedAt).toISOString()),
        value: '0-',
        ignoreFocusOut: true,
        validateInput: (value) => {
          const parsed = parseTimeRange(value, startedAt);
          return typeof parsed === 'string' ? parsed : undefined;
        },
      });
      if (range === undefined) return undefined;
      const parsed = parseTimeRange(range, startedAt);
      if (typeof parsed === 'string') throw new Error(parsed);
      if (parsed.from !== undefined) options.from = parsed.from;
      if (parsed.to !== undefined) options.to = parsed.to;
    }

    // Replaying onto a broker publishes to real devices: say which broker, how much and for how long, and ask.
    let total: Running['total'];
    if (!this.isLocalBroker(target)) {
      const counted = await this.count(options);
      if (!counted) return undefined;
      if (counted.state !== 'done') throw new Error(vscode.l10n.t('Could not read {0}: {1}.', basename(file.fsPath), counted.reason ?? counted.state));
      total = { messages: counted.sent, firstTime: counted.firstTime, lastTime: counted.lastTime };
      const span = counted.firstTime !== undefined && counted.lastTime !== undefined ? counted.lastTime - counted.firstTime : 0;
      const takes = playingTime(span, timing);
      const broker = brokerUrl(target.profile);
      const question =
        counted.sent === 1
          ? vscode.l10n.t('Replay 1 message to "{0}" ({1})?', target.profile.name, broker)
          : vscode.l10n.t('Replay {0} messages to "{1}" ({2})?', counted.sent.toLocaleString('en-US'), target.profile.name, broker);
      const length = formatDuration(span);
      const timingText = describeTiming(timing);
      const pace =
        takes === undefined
          ? options.loop
            ? vscode.l10n.t('{0} of recording, {1}, again and again until cancelled.', length, timingText)
            : vscode.l10n.t('{0} of recording, {1}.', length, timingText)
          : options.loop
            ? vscode.l10n.t('{0} of recording, {1}: about {2}, again and again until cancelled.', length, timingText, formatDuration(takes))
            : vscode.l10n.t('{0} of recording, {1}: about {2}.', length, timingText, formatDuration(takes));
      const replayButton = vscode.l10n.t('Replay');
      const answer = await q.confirm(
        question,
        [
          options.retain === 'keep'
            ? vscode.l10n.t('Every subscriber of that broker receives them as if the devices had sent them, and retained messages replace the broker\'s.')
            : vscode.l10n.t('Every subscriber of that broker receives them as if the devices had sent them.'),
          pace,
          options.prefix
            ? options.prefix.replace !== undefined
              ? vscode.l10n.t('Topics rewritten: "{0}" → "{1}".', options.prefix.replace, options.prefix.with)
              : vscode.l10n.t('Topics rewritten: "{0}" added before each.', options.prefix.with)
            : vscode.l10n.t('To the topics as recorded.'),
        ].join(' '),
        replayButton,
      );
      if (answer !== replayButton) return undefined;
    }
    return this.run(target, options, total);
  }

  /** The selection's size, by a dry run in the engine (a progress notification that can be cancelled). */
  private count(options: ReplayOptions): Thenable<ReplayProgress | undefined> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading {0}', basename(options.path)), cancellable: true }, async (report, token) => {
      const replayId = randomUUID();
      const engine = this.registry.engine;
      const ended = new Promise<ReplayProgress>((resolve) => {
        const listener = engine.onEvent((event) => {
          if (event.kind !== 'replay' || event.replayId !== replayId) return;
          report.report({ message: vscode.l10n.t('{0} messages so far', event.progress.sent.toLocaleString('en-US')) });
          if (event.progress.state !== 'running' && event.progress.state !== 'paused') {
            listener.dispose();
            resolve(event.progress);
          }
        });
      });
      const cancel = token.onCancellationRequested(() => void engine.request('cancelReplay', { replayId }).catch(() => undefined));
      try {
        await engine.request('startReplay', { replayId, options: { ...options, dryRun: true, loop: false } });
        const counted = await ended;
        return counted.state === 'cancelled' ? undefined : counted;
      } finally {
        cancel.dispose();
      }
    });
  }

  private run(target: RemoteConnection, options: ReplayOptions, total: Running['total']): Thenable<ReplayProgress> {
    const name = target.profile.name;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Replaying {0} to {1}', basename(options.path), name), cancellable: true }, async (report, token) => {
      const replayId = randomUUID();
      let lastPercent = 0;
      let warnedPause = false;
      const final = new Promise<ReplayProgress>((resolve) => {
        this.running = {
          replayId,
          target,
          file: options.path,
          timing: options.timing,
          progress: { state: 'running', sent: 0, bytes: 0, passes: 0, skipped: 0, skippedLines: [], refused: 0, unacknowledged: 0, systemTopics: 0, propertiesDropped: 0 },
          total,
          onProgress: (progress) => {
            const fraction = total?.messages && !options.loop ? progress.sent / total.messages : progress.fileSize ? (progress.fileOffset ?? 0) / progress.fileSize : undefined;
            const percent = fraction === undefined ? undefined : Math.min(100, Math.floor(fraction * 100));
            report.report({ message: progressLine(progress, total), ...(percent !== undefined && percent > lastPercent ? { increment: percent - lastPercent } : {}) });
            if (percent !== undefined && percent > lastPercent) lastPercent = percent;
            // Paused by itself (the connection dropped): say why where the user looks, once per pause.
            if (progress.state === 'paused' && progress.reason && !warnedPause) {
              warnedPause = true;
              this.log.warn(`Replay to ${name}: ${progress.reason}`);
              const resume = vscode.l10n.t('Resume');
              const cancelReplay = vscode.l10n.t('Cancel Replay');
              void vscode.window.showWarningMessage(vscode.l10n.t('MQTT replay to {0}: {1}', name, progress.reason), resume, cancelReplay).then((choice) => {
                if (choice === resume) void this.resume().catch((error: unknown) => void vscode.window.showErrorMessage(`MQTT: ${(error as Error).message}`));
                if (choice === cancelReplay) void this.cancel().catch(() => undefined);
              });
            }
            if (progress.state === 'running') warnedPause = false;
          },
          ended: resolve,
        };
      });
      this.update();
      const cancel = token.onCancellationRequested(() => void this.registry.engine.request('cancelReplay', { replayId }).catch(() => undefined));
      try {
        try {
          await this.registry.engine.request('startReplay', { replayId, connectionId: target.id, options });
        } catch (error) {
          this.running = undefined;
          this.update();
          throw error;
        }
        const progress = await final;
        const summary = replaySummary(progress, name);
        this.log[progress.state === 'failed' ? 'error' : progress.refused || progress.skipped ? 'warn' : 'info'](summary);
        if (progress.state === 'failed') void vscode.window.showErrorMessage(`MQTT: ${summary}`);
        else if (progress.refused || progress.skipped) void vscode.window.showWarningMessage(`MQTT: ${summary}`);
        else void vscode.window.showInformationMessage(`MQTT: ${summary}`);
        return progress;
      } finally {
        cancel.dispose();
      }
    });
  }
}

/** The recording's `startedAt`, from its header (its first line; nothing more is read). */
async function recordingStart(path: string): Promise<number> {
  const controller = new AbortController();
  try {
    for await (const line of readRecordingLines(path, { signal: controller.signal })) {
      if (line.parsed.kind === 'header') return line.parsed.header.startedAt;
      throw new Error(
        line.parsed.kind === 'error'
          ? vscode.l10n.t('{0} is not a recording: its first line is no recording header ({1}).', basename(path), line.parsed.error)
          : vscode.l10n.t('{0} is not a recording: its first line is no recording header.', basename(path)),
      );
    }
    throw new Error(vscode.l10n.t('{0} is empty: a recording starts with its header line.', basename(path)));
  } finally {
    controller.abort();
  }
}

function speedProblem(value: string): string | undefined {
  const factor = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(factor)) return vscode.l10n.t('A number, such as 2 or 0.5.');
  if (factor < MIN_SPEED || factor > MAX_SPEED) return vscode.l10n.t('From {0} to {1}.', MIN_SPEED, MAX_SPEED);
  return undefined;
}

function prefixProblem(value: string): string | undefined {
  return /[+#\u0000]/.test(value) ? vscode.l10n.t('A topic prefix cannot contain +, # or the null character.') : undefined;
}

function splitFilters(value: string): string[] {
  return value
    .split(',')
    .map((filter) => filter.trim())
    .filter((filter) => filter !== '');
}

function filtersProblem(value: string): string | undefined {
  const filters = splitFilters(value);
  if (!filters.length) return vscode.l10n.t('At least one topic filter (# for every topic).');
  for (const filter of filters) {
    const problem = validateTopicFilter(filter);
    if (problem) return `${filter}: ${problem}`;
  }
  return undefined;
}
