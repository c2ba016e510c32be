import * as vscode from 'vscode';
import { RemoteConnection } from './engine/engineClient';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { newProfile, normaliseProfile, validateProfile, validateSubscriptionFilter, type ConnectionProfile, type QoS, type SubscriptionSpec } from '../shared/profile';
import type { ConnectionEditors } from './connectionEditor';
import type { SubscriptionElement } from './connectionsView';
import { LOCAL_CONNECTION_ID } from './localDevelopment';
import type { ProfileStore } from './profileStore';
import { uriArg } from './commandArgs';

type ConnectionTarget = RemoteConnection | { connectionId: string } | undefined;

/** Keeps the registry's connections in step with the saved profiles. */
export async function syncProfiles(store: ProfileStore, registry: ConnectionRegistry): Promise<void> {
  const stored = store.list();
  const ids = new Set(stored.map(({ profile }) => profile.id));
  for (const connection of registry.list()) {
    if (connection.profile.id !== LOCAL_CONNECTION_ID && !ids.has(connection.profile.id)) registry.remove(connection.profile.id);
  }
  for (const { profile } of stored) {
    const before = registry.get(profile.id);
    const wasLive = before !== undefined && before.state.kind !== 'disconnected' && before.state.kind !== 'failed';
    const after = registry.upsert(profile);
    // An edited profile that was connected reconnects with its new settings.
    if (wasLive && after !== before) await after.connect().catch(() => undefined);
  }
}

export function registerConnectionCommands(
  context: vscode.ExtensionContext,
  services: { store: ProfileStore; registry: ConnectionRegistry; editors: ConnectionEditors; log: vscode.LogOutputChannel; report: (error: unknown) => void },
): void {
  const { store, registry, editors, log, report } = services;

  const resolve = async (target: ConnectionTarget, purpose: string): Promise<RemoteConnection | undefined> => {
    if (target instanceof RemoteConnection) return target;
    if (target) return registry.get(target.connectionId);
    const connections = registry.list();
    if (connections.length <= 1) return connections[0];
    const picked = await vscode.window.showQuickPick(
      connections.map((connection) => ({ label: connection.profile.name, description: connection.state.kind, connection })),
      { title: purpose, placeHolder: 'Choose a connection' },
    );
    return picked?.connection;
  };

  const editable = (connection: RemoteConnection | undefined): connection is RemoteConnection => {
    if (connection?.profile.id === LOCAL_CONNECTION_ID) {
      void vscode.window.showInformationMessage('The local broker connection is managed by "MQTT: Start Local Broker"; its port is the setting mqttExplorer.localBroker.port.');
      return false;
    }
    return connection !== undefined;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('mqttExplorer.addConnection', () => {
      editors.show(newProfile(store.newId()), { isNew: true, target: 'user' });
    }),
    vscode.commands.registerCommand('mqttExplorer.editConnection', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, 'Edit connection');
      if (!editable(connection)) return;
      editors.show(connection.profile, { isNew: false, target: store.get(connection.profile.id)?.target ?? 'user' });
    }),
    vscode.commands.registerCommand('mqttExplorer.duplicateConnection', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, 'Duplicate connection');
      if (!editable(connection)) return;
      const copy: ConnectionProfile = { ...structuredClone(connection.profile), id: store.newId(), name: `${connection.profile.name} (copy)`, clientId: newProfile('x').clientId };
      editors.show(copy, { isNew: true, target: store.get(connection.profile.id)?.target ?? 'user' });
    }),
    vscode.commands.registerCommand('mqttExplorer.removeConnection', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, 'Remove connection');
      if (!editable(connection)) return;
      const answer = await vscode.window.showWarningMessage(
        `Remove the connection "${connection.profile.name}"? Its stored password and passphrase are deleted too.`,
        { modal: true },
        'Remove',
      );
      if (answer !== 'Remove') return;
      await connection.disconnect().catch(() => undefined);
      await store.remove(connection.profile.id);
      await syncProfiles(store, registry);
    }),
    vscode.commands.registerCommand('mqttExplorer.connect', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, 'Connect');
      if (connection) await connection.connect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.disconnect', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, 'Disconnect');
      if (connection) await connection.disconnect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.reconnectNow', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, 'Reconnect now');
      if (!connection) return;
      if (connection.state.kind === 'reconnecting') connection.reconnectNow();
      else if (connection.state.kind !== 'connected') await connection.connect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.addSubscription', async (target?: ConnectionTarget, spec?: SubscriptionSpec) => {
      const connection = await resolve(target, 'Add subscription');
      if (!connection) return undefined;
      const subscription = spec ?? (await askSubscription(connection));
      if (!subscription) return undefined;
      // A spec in the arguments (a keybinding, a task, another extension) is checked as a typed one is.
      const refused = validateSubscriptionFilter(String(subscription.topic));
      if (refused) {
        report(new Error(`Not subscribed to "${String(subscription.topic)}": ${refused}`));
        return undefined;
      }
      try {
        const result = await connection.addSubscription(subscription);
        await persistSubscriptions(store, connection);
        return result.status;
      } catch (error) {
        report(error);
        return connection.subscriptions.find((candidate) => candidate.spec.topic === subscription.topic)?.status;
      }
    }),
    vscode.commands.registerCommand('mqttExplorer.removeSubscription', async (element?: SubscriptionElement) => {
      if (!element) return;
      await element.connection.removeSubscription(element.subscription.spec.topic).catch(report);
      await persistSubscriptions(store, element.connection);
    }),
    // From the view's title bar VS Code passes the focused row: only a file's URI counts.
    vscode.commands.registerCommand('mqttExplorer.exportConnections', async (arg?: unknown) => {
      const profiles = store.list().map(({ profile }) => profile);
      const uri = uriArg(arg) ?? (await vscode.window.showSaveDialog({ title: 'Export MQTT connections (without secrets)', filters: { JSON: ['json'] }, saveLabel: 'Export' }));
      if (!uri) return;
      await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify({ mqttExplorerConnections: 1, profiles }, null, 2)));
      void vscode.window.showInformationMessage(`Exported ${profiles.length} connections to ${uri.fsPath}. Passwords and passphrases are not in the file.`);
    }),
    vscode.commands.registerCommand('mqttExplorer.importConnections', async (arg?: unknown) => {
      const uri = uriArg(arg) ?? (await vscode.window.showOpenDialog({ title: 'Import MQTT connections', filters: { JSON: ['json'] }, canSelectMany: false }))?.[0];
      if (!uri) return 0;
      try {
        const parsed = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as unknown;
        const list = Array.isArray(parsed) ? parsed : (parsed as { profiles?: unknown }).profiles;
        if (!Array.isArray(list)) throw new Error('The file holds no list of connections.');
        let imported = 0;
        const skipped: string[] = [];
        for (const raw of list) {
          const profile = normaliseProfile(raw, { id: () => store.newId() });
          const problem = profile ? Object.values(validateProfile(profile))[0] : 'not a connection';
          if (!profile || problem) {
            skipped.push(`${(raw as { name?: string })?.name ?? '?'}: ${problem}`);
            continue;
          }
          await store.save(profile, store.get(profile.id)?.target ?? 'user');
          imported++;
        }
        await syncProfiles(store, registry);
        const message = `Imported ${imported} connections.${skipped.length ? ` Skipped ${skipped.length}: ${skipped.join('; ')}` : ''}`;
        log.info(message);
        void vscode.window.showInformationMessage(message);
        return imported;
      } catch (error) {
        report(new Error(`Import failed: ${error instanceof Error ? error.message : String(error)}`));
        return 0;
      }
    }),
    vscode.commands.registerCommand('mqttExplorer.showLog', () => log.show()),
  );
}

/** Subscriptions added or removed while connected are kept in the profile for next time. */
async function persistSubscriptions(store: ProfileStore, connection: RemoteConnection): Promise<void> {
  const stored = store.get(connection.profile.id);
  if (!stored) return;
  const subscriptions = connection.subscriptions.map((subscription) => subscription.spec);
  connection.profile.subscriptions = subscriptions;
  await store.save({ ...stored.profile, subscriptions }, stored.target);
}

async function askSubscription(connection: RemoteConnection): Promise<SubscriptionSpec | undefined> {
  const topic = await vscode.window.showInputBox({ title: `Subscribe on ${connection.profile.name}: topic filter`, placeHolder: 'sensors/+/temperature or sensors/#', validateInput: validateSubscriptionFilter, ignoreFocusOut: true });
  if (!topic) return undefined;
  const qosPick = await vscode.window.showQuickPick(
    [
      { label: '0', description: 'at most once', qos: 0 as QoS },
      { label: '1', description: 'at least once', qos: 1 as QoS },
      { label: '2', description: 'exactly once', qos: 2 as QoS },
    ],
    { title: `Subscribe to ${topic}: QoS` },
  );
  if (!qosPick) return undefined;
  const spec: SubscriptionSpec = { topic, qos: qosPick.qos };
  if (connection.profile.mqttVersion === 5) {
    const options = await vscode.window.showQuickPick(
      [
        { label: 'No local', description: 'do not receive what this connection publishes', key: 'noLocal' as const },
        { label: 'Retain as published', description: 'keep the retain flag of forwarded messages', key: 'retainAsPublished' as const },
        { label: 'Skip retained messages', description: 'retain handling 2: no retained messages on subscribe', key: 'skipRetained' as const },
      ],
      { title: `Subscribe to ${topic}: MQTT 5 options`, canPickMany: true },
    );
    if (!options) return undefined;
    for (const option of options) {
      if (option.key === 'noLocal') spec.noLocal = true;
      if (option.key === 'retainAsPublished') spec.retainAsPublished = true;
      if (option.key === 'skipRetained') spec.retainHandling = 2;
    }
  }
  return spec;
}
