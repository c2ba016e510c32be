import * as vscode from 'vscode';
import * as l10n from '@vscode/l10n';
import { ConnectionRegistry } from './host/engine/connectionRegistry';
import { EngineClient, RemoteConnection, RestrictedModeError } from './host/engine/engineClient';
import { DecoderCatalog } from './host/decoderCatalog';
import { SchemaCatalog } from './host/schemaCatalog';
import { SchemaDecorations } from './host/schemaDecorations';
import { panelDecoders } from './host/topicPanel';
import type { TopicLimits } from './worker/topicTree';
import type { TestInternals } from './host/api';
import { registerConnectionCommands, syncProfiles } from './host/connectionCommands';
import { ConnectionEditors } from './host/connectionEditor';
import { windowPrompts } from './host/prompts';
import { ConnectionStatusBar, ConnectionsTreeProvider } from './host/connectionsView';
import { LocalDevelopment } from './host/localDevelopment';
import { isViewRow, uriArg } from './host/commandArgs';
import { requestsConnectionArg } from './host/requestsView';
import { startBrokerArg, topicRefArg } from './shared/commandArgs';
import { ProfileStore } from './host/profileStore';
import { SecretGate } from './host/secretGate';
import { Settings } from './host/settings';
import { formatBytes } from './shared/format';
import { describeResult, parsePublishArgs, type PublishDraft, type PublishResult } from './shared/publish';
import { PayloadDocuments } from './host/payloadDocuments';
import { publishDraft, PublishHistory, PublishPrompts } from './host/publishFlow';
import { showTopicHistory, TopicPanels } from './host/topicPanel';
import { registerTopicCommands } from './host/topicCommands';
import { TopicsTreeProvider, type TopicElement } from './host/topicsView';
import { RequestsTreeProvider } from './host/requestsView';
import { BrokerViews, brokerConnectionArg, pickBrokerConnection } from './host/brokerView';
import { firstWorkspaceFolder, showRestricted, UntrustedWorkspaceSettings } from './host/workspaceTrust';
import { MqttFiles } from './host/mqttFiles/language';
import { MqttFileRuns } from './host/mqttFiles/runs';
import { MqttFileTests } from './host/mqttFiles/testing';
import { Recordings } from './host/recordings';
import { OfflineRecordings } from './host/offlineRecordings';
import { ReplayController, windowFileQuestions } from './host/replay';
import { SnapshotExport } from './host/snapshotExport';
import { ConnectLinkHandler } from './host/connectLinks';
import { Walkthrough } from './host/walkthrough';
import { progress, untilCancelled } from './host/progress';

/** Set by activate: ends the engine's connections cleanly, then its thread, then the local dev tools. */
let shutdown: (() => Promise<void>) | undefined;
/** Set by activate in ExtensionMode.Test only: see testInternals(). */
let internals: TestInternals | undefined;
/**
 * How long the engine may take to send every DISCONNECT. VS Code gives all deactivate() calls 5 s
 * together before the extension host exits; the local dev tools get DEVTOOLS_STOP_TIMEOUT_MS after.
 */
const ENGINE_SHUTDOWN_TIMEOUT_MS = 3000;
/** Largest file "Publish File" sends: far below MQTT's 256 MiB packet limit, and brokers' defaults are smaller still. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Returns nothing: other extensions get no handle on the connections, the profiles or their
 * secrets. The extension-host tests reach the real objects through testInternals().
 */
export function activate(context: vscode.ExtensionContext): void {
  // Code that needs no VS Code (src/shared) translates through @vscode/l10n: the same bundle as vscode.l10n.t.
  l10n.config({ contents: vscode.l10n.bundle ?? {} });
  const log = vscode.window.createOutputChannel('MQTT Explorer', { log: true });
  // Every setting is read through this, within the bounds package.json declares (one source for both).
  const settings = new Settings(context.extension.packageJSON, log);
  // Restricted Mode: an untrusted folder's connections are listed from its settings file, marked, and refused at connect.
  const untrusted = new UntrustedWorkspaceSettings();
  const store = new ProfileStore(context.secrets, settings, untrusted);
  const reconnectSettings = () => {
    const minDelayMs = settings.get('reconnect.minDelaySeconds') * 1000;
    return { minDelayMs, maxDelayMs: Math.max(minDelayMs, settings.get('reconnect.maxDelaySeconds') * 1000), stableAfterMs: 10_000 };
  };
  // MQTT clients and topic models run in a worker thread: the extension host's thread, shared with
  // every other extension, only sees coalesced reports of what the Topics view shows.
  // Supervised: a worker that crashes or stops answering is replaced, and the connections reconnect.
  const engine = new EngineClient(context.asAbsolutePath('dist/workers.js'), { testHooks: context.extensionMode === vscode.ExtensionMode.Test, l10nBundle: vscode.l10n.bundle });
  const applyLimits = () => {
    void engine.request('setLimits', { limits: topicLimits(settings) }).catch(() => undefined);
    void engine.request('setRequestTimeout', { timeoutMs: settings.get('requests.timeoutSeconds') * 1000 }).catch(() => undefined);
  };
  // Before the registry's own listener reconnects anything, so a fresh worker has its limits first.
  engine.onDidRestart(applyLimits);
  applyLimits();
  // The decoders' setting and the workspace's schema files, sent to the engine; built before the
  // registry so that after a restart the fresh worker has them before anything reconnects.
  const decoders = new DecoderCatalog(engine, log);
  // Likewise the JSON Schemas bound to topics (mqttExplorer.schemas) and the files they name.
  const schemas = new SchemaCatalog(engine, log);
  const questions = windowPrompts();
  // Secrets are read from SecretStorage at each connect, through the gate that keeps a password to
  // the broker it was typed for, and never logged. The local broker's own password (when it
  // requires one) comes from LocalDevelopment, which holds it while the broker runs.
  const gate = new SecretGate(store, questions);
  const registry: ConnectionRegistry = new ConnectionRegistry(engine, (profile) => ({
    // The local broker's password only to the running local broker (the id alone is no proof;
    // no saved profile can have that id, so any other gets none from the gate either).
    secrets: () => (local.isLocalBroker(profile) ? Promise.resolve(local.connectionSecrets()) : gate.secretsFor(profile)),
    backoff: reconnectSettings(),
    // The one gate of every connect (RemoteConnection.connect), asked each time.
    refusal: () => store.refusal(profile),
    workspaceFolder: firstWorkspaceFolder,
  }));
  registry.onLog(({ level, line }) => log[level](line));
  const schemaDecorations = new SchemaDecorations();
  const topicsProvider = new TopicsTreeProvider(registry, schemaDecorations, log);
  const requestsProvider = new RequestsTreeProvider(registry);
  const connectionsProvider = new ConnectionsTreeProvider(registry);
  const statusBar = new ConnectionStatusBar(registry);
  // The local broker and the simulator run in a worker thread of their own, started with the broker.
  const local = new LocalDevelopment(registry, log, context.asAbsolutePath('dist/workers.js'), settings, context.secrets);
  const documents = new PayloadDocuments();
  const publishHistory = new PublishHistory(context.globalState);
  const panels = new TopicPanels({ registry, extensionUri: context.extensionUri, pin: (ref) => topicsProvider.pin(ref.connectionId, ref.topic), documents, publishHistory, decoders: panelDecoders(decoders), schemasChanged: (listener) => schemas.onDidChange(listener) });
  const report = (error: unknown) => {
    if (error instanceof RestrictedModeError) {
      log.warn(error.message);
      showRestricted(error.message);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    log.error(message);
    const showLog = vscode.l10n.t('Show Log');
    void vscode.window.showErrorMessage(vscode.l10n.t('MQTT: {0}', message), showLog).then((choice) => {
      if (choice === showLog) log.show();
    });
  };
  const editors = new ConnectionEditors(store, context.extensionUri, async (profile, connect) => {
    await syncProfiles(store, registry);
    const connection = registry.get(profile.id);
    if (connect && connection && connection.state.kind !== 'connected') await connection.connect();
  });
  // VS Code calls deactivate() and, without waiting for it, disposes context.subscriptions (seen in
  // 1.139's extHostExtensionService `_deactivate`). So the engine and the local dev tools are not
  // disposed there directly (terminating the worker would drop every socket without a DISCONNECT,
  // and brokers would publish the last wills): both paths run this one sequence, once.
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      const clean = await engine.shutdown(ENGINE_SHUTDOWN_TIMEOUT_MS);
      if (!clean) {
        try {
          log.warn(`The MQTT engine did not disconnect within ${ENGINE_SHUTDOWN_TIMEOUT_MS} ms; its connections were dropped.`);
        } catch {
          // The channel is disposed with the other subscriptions, possibly already.
        }
      }
      engine.dispose();
      await local.stop();
      local.dispose();
    })());
  shutdown = closeAll;
  context.subscriptions.push(schemaDecorations, vscode.window.registerFileDecorationProvider(schemaDecorations));
  context.subscriptions.push(log, settings, untrusted, decoders, schemas, { dispose: () => void closeAll() }, registry, topicsProvider, requestsProvider, connectionsProvider, statusBar, documents, panels, editors);

  const topicsView = vscode.window.createTreeView('mqttExplorer.topics', { treeDataProvider: topicsProvider, showCollapseAll: true });
  topicsProvider.attach(topicsView);
  const requestsView = vscode.window.createTreeView('mqttExplorer.requests', { treeDataProvider: requestsProvider });
  requestsProvider.attach(requestsView);
  context.subscriptions.push(topicsView, requestsView, vscode.window.createTreeView('mqttExplorer.connections', { treeDataProvider: connectionsProvider }));
  context.subscriptions.push(
    topicsView.onDidChangeSelection((event) => {
      const selected = event.selection[0];
      if (selected && 'kind' in selected && selected.kind === 'topic') panels.followSelection({ connectionId: selected.connectionId, topic: selected.topic });
    }),
  );

  // The engine restarted: say so where the user is looking, with what came back and what is gone.
  registry.onDidRecover(({ restart, reconnected, failed, tookMs }) => {
    // The log line stays English (as every line of the output channel); the notification is translated, sentence by sentence.
    const back = reconnected.length ? ` ${reconnected.length === 1 ? `"${reconnected[0]}" is` : `${reconnected.length} connections are`} connected again.` : '';
    const lost = failed.length ? ` Not reconnected: ${failed.join('; ')}.` : '';
    log.warn(`Engine restarted after ${restart.reason}; recovered in ${tookMs} ms.${back}${lost}`);
    const sentences = [vscode.l10n.t('The MQTT engine stopped ({0}) and was restarted.', restart.reason)];
    if (reconnected.length === 1) sentences.push(vscode.l10n.t('"{0}" is connected again.', reconnected[0] ?? ''));
    else if (reconnected.length > 1) sentences.push(vscode.l10n.t('{0} connections are connected again.', reconnected.length));
    if (failed.length) sentences.push(vscode.l10n.t('Not reconnected: {0}.', failed.join('; ')));
    sentences.push(vscode.l10n.t('Messages received before the restart are no longer shown.'));
    const message = engine.running ? sentences.join(' ') : restart.reason;
    const showLog = vscode.l10n.t('Show Log');
    void vscode.window.showWarningMessage(message, showLog).then((choice) => {
      if (choice === showLog) log.show();
    });
  });

  registry.onDidChange((connection) => {
    void vscode.commands.executeCommand('setContext', 'mqttExplorer.hasConnections', registry.list().length > 0);
    if (connection?.state.kind === 'failed') log.warn(`${connection.profile.name}: ${connection.state.reason}`);
  });
  void syncProfiles(store, registry);
  // Untrusted: the folder's connections are listed once its settings file has been read.
  if (!vscode.workspace.isTrusted) void untrusted.ready.then(() => syncProfiles(store, registry));
  context.subscriptions.push(store.onDidChange(() => void syncProfiles(store, registry)));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('mqttExplorer.reconnect')) log.info('Reconnect settings changed: they apply to connections made from now on.');
      if (event.affectsConfiguration('mqttExplorer.limits') || event.affectsConfiguration('mqttExplorer.requests')) applyLimits();
      if (event.affectsConfiguration('mqttExplorer.localBroker.requireAuthentication') && local.broker.running) {
        log.info('Local broker authentication changed: it applies when the local broker starts next (Stop Local Broker, then Start Local Broker).');
      }
    }),
  );

  registerConnectionCommands(context, { store, registry, editors, log, report, prompts: questions });
  // vscode://<publisher>.<name>/connect?url=mqtt://…: a wiki's link to a broker opens the form filled in (never connects).
  ConnectLinkHandler.register(context, store, editors);
  registerTopicCommands(context, { registry, topics: topicsProvider, report });

  // ── Offline recordings (issue 15): a recording file opened as a connection, with its timeline view ──
  OfflineRecordings.register(context, registry, log, report);

  context.subscriptions.push(
    vscode.commands.registerCommand('mqttExplorer.startLocalBroker', async (arg?: unknown) => {
      try {
        const connection = await local.startBroker(startBrokerArg(arg));
        return connection ? { connectionId: connection.profile.id, port: local.broker.port } : undefined;
      } catch (error) {
        report(error);
        return undefined;
      }
    }),
    // From a connection's row of the Requests view: that connection; from the title bar: every one.
    vscode.commands.registerCommand('mqttExplorer.clearRequests', (arg?: unknown) => requestsProvider.clear(requestsConnectionArg(arg)).catch(report)),
    vscode.commands.registerCommand('mqttExplorer.stopLocalBroker', () => local.stopBroker().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.showLocalBrokerCredentials', () => local.showStoredCredentials().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.startSimulator', async () => {
      try {
        const simulator = await local.startSimulator();
        return simulator ? { devices: simulator.plan.devices.length } : undefined;
      } catch (error) {
        report(error);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('mqttExplorer.stopSimulator', () => local.stopSimulator().catch(report)),
    // From the Topics view's title bar VS Code passes the focused row: that is no topic to publish to at once.
    vscode.commands.registerCommand('mqttExplorer.publish', (arg?: unknown) => publish(isViewRow(arg) ? undefined : arg).catch(report)),
    vscode.commands.registerCommand('mqttExplorer.publishSelection', () => publishSelection().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.publishFile', (arg?: unknown) => publishFile(uriArg(arg)).catch(report)),
    // A click in the tree shows the topic in the panel that follows the selection, if there is one;
    // otherwise (and from menus) in the topic's own panel.
    vscode.commands.registerCommand('mqttExplorer.showTopic', (arg?: unknown, how?: { fromTree?: boolean }) => {
      const ref = topicRefArg(arg);
      if (!ref) return;
      if (!(how?.fromTree === true && panels.revealFollowing(ref))) panels.show(ref);
    }),
    vscode.commands.registerCommand('mqttExplorer.publishToTopic', (arg?: unknown) => {
      const ref = topicRefArg(arg);
      if (ref) panels.showPublishForm(ref).catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.decodeAs', (arg?: unknown) => {
      const ref = topicRefArg(arg);
      if (ref) panels.decodeAs(ref);
    }),
    vscode.commands.registerCommand('mqttExplorer.showTopicToSide', (arg?: unknown) => {
      const ref = topicRefArg(arg);
      if (ref) panels.show(ref, { beside: true });
    }),
    vscode.commands.registerCommand('mqttExplorer.showTopicHistory', (arg?: unknown) => showTopicHistory(registry, panels, topicsView, topicRefArg(arg)).catch(report)),
  );

  // The Getting Started walkthrough's steps complete on these events (context keys its completionEvents read).
  const walkthrough = Walkthrough.register(context, { local, panels, publishes: publishHistory, profiles: store });

  const prompts = new PublishPrompts(registry, publishHistory);
  // .mqtt message files: diagnostics, completion, hovers, and CodeLens that publish through publishDraft.
  const mqttFiles = new MqttFiles({ registry, history: publishHistory, log, onDidChangeSchemas: schemas.onDidChange });
  context.subscriptions.push(mqttFiles);
  // Their REQUEST, SUBSCRIBE and EXPECT blocks run in the engine, from the lenses and the Test Explorer.
  const mqttFileRuns = new MqttFileRuns(engine, mqttFiles, log);
  const mqttFileTests = new MqttFileTests(mqttFileRuns, log);
  context.subscriptions.push(mqttFileRuns, mqttFiles.setRunner(mqttFileRuns), mqttFileTests);

  // --- Replay and Export Snapshot (issue 15): recordings played to a connection by the engine; last values to a file ---
  const fileQuestions = windowFileQuestions(questions);
  const replays = new ReplayController(registry, (connection) => local.isLocalBroker(connection.profile), log, fileQuestions);
  const snapshots = new SnapshotExport(registry, fileQuestions);
  context.subscriptions.push(
    replays,
    vscode.commands.registerCommand('mqttExplorer.replayRecording', (arg?: unknown) => replays.replay(uriArg(arg)).catch((error: unknown) => report(error))),
    vscode.commands.registerCommand('mqttExplorer.toggleReplayPause', () => replays.togglePause().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.pauseReplay', () => replays.pause().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.resumeReplay', () => replays.resume().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.cancelReplay', () => replays.cancel().catch(report)),
    // On a topic row: that subtree; on a connection's root row: everything; from the palette: a connection asked for.
    vscode.commands.registerCommand('mqttExplorer.exportSnapshot', (arg?: unknown) => snapshots.run(isSnapshotRow(arg) ? arg : undefined).catch((error: unknown) => report(error))),
  );
  // ---- broker statistics ----
  // A Broker view per connection, with its broker's $SYS figures; from a connection's row or the palette.
  const brokerViews = new BrokerViews(registry, context.extensionUri);
  context.subscriptions.push(
    brokerViews,
    vscode.commands.registerCommand('mqttExplorer.showBrokerStatistics', async (arg?: unknown) => {
      const id = brokerConnectionArg(arg) ?? (await pickBrokerConnection(registry));
      if (id !== undefined) brokerViews.show(id);
    }),
  );

  /** With a topic in its arguments it publishes at once (keybindings, tasks); otherwise it asks. */
  async function publish(raw: unknown): Promise<PublishResult | undefined> {
    const args = parsePublishArgs(raw);
    if (args === false) throw new Error(vscode.l10n.t('The arguments of "MQTT: Publish" are {0}.', '{ connectionId?, topic, payload?, format?: "text" | "json" | "hex" | "base64" | "decoder", qos?: 0 | 1 | 2, retain?, properties? }'));
    if (args.topic === undefined) return prompts.run(args);
    const connectionId = args.connectionId ?? registry.list().find((connection) => connection.state.kind === 'connected')?.id;
    if (!connectionId) throw new Error(vscode.l10n.t('No connected broker to publish to. Start the local broker or connect first.'));
    const draft: PublishDraft = { topic: args.topic, payload: args.payload ?? '', format: args.format ?? 'text', qos: args.qos ?? 0, retain: args.retain ?? false };
    if (args.properties) draft.properties = args.properties;
    return publishDraft(registry, publishHistory, connectionId, draft);
  }

  /** The editor's selection (the whole document when nothing is selected), to a topic asked for. */
  async function publishSelection(): Promise<PublishResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error(vscode.l10n.t('Open an editor to publish its selection.'));
    const payload = editor.selection.isEmpty ? editor.document.getText() : editor.document.getText(editor.selection);
    const collected = await prompts.collect({ payload, format: 'text' }, true);
    if (!collected) return undefined;
    const result = await publishDraft(registry, publishHistory, collected.connectionId, collected.draft);
    void vscode.window.setStatusBarMessage(`$(check) ${collected.draft.topic}: ${describeResult(result)}`, 5000);
    return result;
  }

  /**
   * A file's bytes, as they are, to a topic asked for. From an editor with unsaved changes (or an
   * untitled one) it publishes what the editor shows.
   */
  async function publishFile(uri?: vscode.Uri): Promise<PublishResult | undefined> {
    const editor = uri ? undefined : vscode.window.activeTextEditor;
    const target = uri ?? editor?.document.uri ?? (await vscode.window.showOpenDialog({ title: vscode.l10n.t('MQTT: Publish File'), canSelectMany: false }))?.[0];
    if (!target) return undefined;
    let bytes: Uint8Array;
    if (editor && (editor.document.isUntitled || editor.document.isDirty)) bytes = new TextEncoder().encode(editor.document.getText());
    else {
      const { size } = await vscode.workspace.fs.stat(target);
      if (size > MAX_FILE_BYTES) throw new Error(vscode.l10n.t('{0} is too big to publish from a file here (at most {1}).', formatBytes(size), formatBytes(MAX_FILE_BYTES)));
      // Tens of MiB from a remote or slow file system take seconds: Cancel drops what is read and publishes nothing.
      const read = await progress.run({ title: vscode.l10n.t('Reading {0} ({1})', target.path.split('/').pop() ?? target.path, formatBytes(size)), cancellable: true }, (_report, token) =>
        untilCancelled(Promise.resolve(vscode.workspace.fs.readFile(target)), token),
      );
      if (!read) return undefined;
      bytes = read;
    }
    const collected = await prompts.collect({ payload: '' }, true);
    if (!collected) return undefined;
    const connection = registry.get(collected.connectionId);
    if (!connection || connection.state.kind !== 'connected') throw new Error(vscode.l10n.t('{0} is not connected.', connection?.profile.name ?? collected.connectionId));
    // Not cancellable: once the packet is on its way, the broker has it or will.
    const result = await progress.run({ title: vscode.l10n.t('Publishing {0} to {1}', formatBytes(bytes.length), collected.draft.topic), cancellable: false }, () =>
      connection.publish(collected.draft.topic, bytes, { qos: collected.draft.qos, retain: collected.draft.retain }),
    );
    publishHistory.didPublish(collected.connectionId, collected.draft.topic, result);
    void vscode.window.setStatusBarMessage(`$(check) ${collected.draft.topic}: ${formatBytes(bytes.length)} · ${describeResult(result)}`, 5000);
    return result;
  }

  // ---- Recording (issue 15): a connection's messages to a file, in the engine; the status bar while one runs ----
  // Recordings are flushed and closed by the engine's shutdown (closeAll above, on deactivate).
  const recordings = new Recordings(engine, registry, settings, log, questions, vscode.Uri.joinPath(context.globalStorageUri, 'recordings').fsPath);
  context.subscriptions.push(
    recordings,
    recordings.onDidChange(() => void vscode.commands.executeCommand('setContext', 'mqttExplorer.recording', recordings.list().length > 0)),
    // A connection row: all of it; a topic row: its subtree; the palette: asked for. Returns the recording's status.
    vscode.commands.registerCommand('mqttExplorer.startRecording', (arg?: unknown) => recordings.start(arg).catch((error: unknown) => void report(error))),
    // The status bar item's command: the one running, or the one picked.
    vscode.commands.registerCommand('mqttExplorer.stopRecording', (arg?: unknown) => recordings.stop(arg).catch((error: unknown) => void report(error))),
  );

  void autoStart(local, settings, report);
  // Trusting the folder brings its settings in: the local broker and the simulator start then if
  // the folder asks for them. The extension host hears of the trust and of the settings it brings
  // in either order (1.139: the trust first), so both are waited for: the start runs at the grant
  // and again at the next change of the two settings, unless the first one already started.
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      const settingsArrive = vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('mqttExplorer.localBroker.autoStart') && !event.affectsConfiguration('mqttExplorer.simulator.autoStart')) return;
        settingsArrive.dispose();
        void autoStart(local, settings, report);
      });
      context.subscriptions.push(settingsArrive);
      void autoStart(local, settings, report).then(() => {
        if (local.broker.running) settingsArrive.dispose();
      });
    }),
  );
  // Only when VS Code runs this extension's tests (under development, with extensionTestsPath):
  // nothing a workspace or another extension sets can make an installed extension's mode Test.
  if (context.extensionMode === vscode.ExtensionMode.Test) {
    internals = { walkthrough, progress, registry, topicsProvider, topicsView, requestsProvider, requestsView, localDevelopment: local, panels, profiles: store, editors, settings, prompts: questions, secretGate: gate, decoders, schemas, schemaDecorations, mqttFiles, mqttFileTests, mqttFileRuns, recordings, replays, fileQuestions };
    context.subscriptions.push({ dispose: () => (internals = undefined) });
  }
}

/**
 * The extension's services, for its own extension-host tests, which find this module in Node's
 * require cache (as deactivate.test.ts finds deactivate()). Undefined unless activate ran in
 * ExtensionMode.Test, so an installed extension never hands them out, whoever asks.
 */
export function testInternals(): TestInternals | undefined {
  return internals;
}

export async function deactivate(): Promise<void> {
  // Every connection sends DISCONNECT (so no last will is published), then the threads end.
  await shutdown?.();
}

async function autoStart(local: LocalDevelopment, settings: Settings, report: (error: unknown) => void): Promise<void> {
  try {
    if (settings.get('localBroker.autoStart')) await local.startBroker();
    if (settings.get('simulator.autoStart') && local.broker.running) await local.startSimulator();
  } catch (error) {
    report(error);
  }
}

/** A row of the Topics view Export Snapshot takes: a connection's root, or a topic (from `viewRow`). */
function isSnapshotRow(value: unknown): value is RemoteConnection | TopicElement {
  if (value instanceof RemoteConnection) return true;
  return isViewRow(value) && typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'topic';
}

/** The memory limits of the topic model, from the settings. */
function topicLimits(settings: Settings): TopicLimits {
  const mib = 1024 * 1024;
  return {
    messagesPerTopic: settings.get('limits.messagesPerTopic'),
    bytesPerTopic: settings.get('limits.kibPerTopic') * 1024,
    maxPayloadBytes: settings.get('limits.maxPayloadKib') * 1024,
    totalBudgetBytes: settings.get('limits.totalMib') * mib,
  };
}
