import * as vscode from 'vscode';
import { RemoteConnection } from './engine/engineClient';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { describeTarget } from '../shared/brokerTarget';
import { analyseImport, describeConflict, planImport, type ImportChoice, type ImportConflict } from '../shared/importPlan';
import { generateClientId, newProfile, normaliseProfile, validateProfile, validateSubscriptionFilter, type ConnectionProfile, type QoS, type SubscriptionSpec } from '../shared/profile';
import type { ConnectionEditors } from './connectionEditor';
import { describeStateKind, type SubscriptionElement } from './connectionsView';
import { LOCAL_CONNECTION_ID } from './localDevelopment';
import { restrictedChange, type ProfileStore } from './profileStore';
import type { Prompts } from './prompts';
import { progress } from './progress';
import { uriArg } from './commandArgs';

type ConnectionTarget = RemoteConnection | { connectionId: string } | undefined;

/** Keeps the registry's connections in step with the saved profiles. */
export async function syncProfiles(store: ProfileStore, registry: ConnectionRegistry): Promise<void> {
  const stored = store.list();
  const ids = new Set(stored.map(({ profile }) => profile.id));
  for (const connection of registry.list()) {
    // Opened recordings (offline connections) are no profiles: they stay until closed.
    if (connection.profile.id !== LOCAL_CONNECTION_ID && !connection.offline && !ids.has(connection.profile.id)) registry.remove(connection.profile.id);
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
  services: { store: ProfileStore; registry: ConnectionRegistry; editors: ConnectionEditors; log: vscode.LogOutputChannel; report: (error: unknown) => void; prompts: Prompts },
): void {
  const { store, registry, editors, log, report, prompts } = services;

  const resolve = async (target: ConnectionTarget, purpose: string): Promise<RemoteConnection | undefined> => {
    if (target instanceof RemoteConnection) return target;
    if (target) return registry.get(target.connectionId);
    const connections = registry.list();
    if (connections.length <= 1) return connections[0];
    const picked = await vscode.window.showQuickPick(
      connections.map((connection) => ({ label: connection.profile.name, description: describeStateKind(connection.state.kind), connection })),
      { title: purpose, placeHolder: vscode.l10n.t('Choose a connection') },
    );
    return picked?.connection;
  };

  const editable = (connection: RemoteConnection | undefined): connection is RemoteConnection => {
    if (connection?.profile.id === LOCAL_CONNECTION_ID) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The local broker connection is managed by "MQTT: Start Local Broker"; its port is the setting mqttExplorer.localBroker.port.'));
      return false;
    }
    return connection !== undefined;
  };

  /** Restricted Mode: a profile from the untrusted folder's settings is shown, not changed (its form could only save elsewhere). */
  const changeable = (connection: RemoteConnection, verb: 'edit' | 'remove'): boolean => {
    if (!store.get(connection.profile.id)?.restricted) return true;
    report(restrictedChange(connection.profile.name, verb));
    return false;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('mqttExplorer.addConnection', () => {
      editors.show(newProfile(store.newId()), { isNew: true, target: 'user' });
    }),
    vscode.commands.registerCommand('mqttExplorer.editConnection', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, vscode.l10n.t('Edit connection'));
      if (!editable(connection) || !changeable(connection, 'edit')) return;
      editors.show(connection.profile, { isNew: false, target: store.get(connection.profile.id)?.target ?? 'user' });
    }),
    vscode.commands.registerCommand('mqttExplorer.duplicateConnection', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, vscode.l10n.t('Duplicate connection'));
      if (!editable(connection)) return;
      const copy: ConnectionProfile = { ...structuredClone(connection.profile), id: store.newId(), name: vscode.l10n.t('{0} (copy)', connection.profile.name), clientId: newProfile('x').clientId };
      // A copy of a restricted profile goes to user settings: the untrusted folder's are not written.
      const stored = store.get(connection.profile.id);
      editors.show(copy, { isNew: true, target: stored && !stored.restricted ? stored.target : 'user' });
    }),
    vscode.commands.registerCommand('mqttExplorer.removeConnection', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, vscode.l10n.t('Remove connection'));
      if (!editable(connection) || !changeable(connection, 'remove')) return;
      const remove = vscode.l10n.t('Remove');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('Remove the connection "{0}"? Its stored password and passphrase are deleted too.', connection.profile.name),
        { modal: true },
        remove,
      );
      if (answer !== remove) return;
      await connection.disconnect().catch(() => undefined);
      await store.remove(connection.profile.id);
      await syncProfiles(store, registry);
    }),
    vscode.commands.registerCommand('mqttExplorer.connect', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, vscode.l10n.t('Connect'));
      if (connection) await connection.connect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.disconnect', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, vscode.l10n.t('Disconnect'));
      if (connection) await connection.disconnect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.reconnectNow', async (target?: ConnectionTarget) => {
      const connection = await resolve(target, vscode.l10n.t('Reconnect now'));
      if (!connection) return;
      if (connection.state.kind === 'reconnecting') connection.reconnectNow();
      else if (connection.state.kind !== 'connected') await connection.connect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.addSubscription', async (target?: ConnectionTarget, spec?: SubscriptionSpec) => {
      const connection = await resolve(target, vscode.l10n.t('Add subscription'));
      if (!connection) return undefined;
      const subscription = spec ?? (await askSubscription(connection));
      if (!subscription) return undefined;
      // A spec in the arguments (a keybinding, a task, another extension) is checked as a typed one is.
      const refused = validateSubscriptionFilter(String(subscription.topic));
      if (refused) {
        report(new Error(vscode.l10n.t('Not subscribed to "{0}": {1}', String(subscription.topic), refused)));
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
      const uri = uriArg(arg) ?? (await vscode.window.showSaveDialog({ title: vscode.l10n.t('Export MQTT connections (without secrets)'), filters: { JSON: ['json'] }, saveLabel: vscode.l10n.t('Export') }));
      if (!uri) return;
      await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify({ mqttExplorerConnections: 1, profiles }, null, 2)));
      void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} connections to {1}. Passwords and passphrases are not in the file.', profiles.length, uri.fsPath));
    }),
    vscode.commands.registerCommand('mqttExplorer.importConnections', async (arg?: unknown) => {
      const uri = uriArg(arg) ?? (await vscode.window.showOpenDialog({ title: vscode.l10n.t('Import MQTT connections'), filters: { JSON: ['json'] }, canSelectMany: false }))?.[0];
      if (!uri) return 0;
      try {
        const parsed = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as unknown;
        const list = Array.isArray(parsed) ? parsed : (parsed as { profiles?: unknown }).profiles;
        if (!Array.isArray(list)) throw new Error(vscode.l10n.t('The file holds no list of connections.'));
        const valid: ConnectionProfile[] = [];
        const skipped: string[] = [];
        for (const raw of list) {
          const profile = normaliseProfile(raw, { id: () => store.newId() });
          const problem = profile ? Object.values(validateProfile(profile))[0] : vscode.l10n.t('not a connection');
          if (!profile || problem) skipped.push(`${(raw as { name?: string })?.name ?? '?'}: ${problem}`);
          else valid.push(profile);
        }
        const existing = store.list().map(({ profile }) => profile);
        const analysis = analyseImport(existing, valid);
        for (const duplicate of analysis.duplicates) skipped.push(vscode.l10n.t('{0}: its id is in the file twice', duplicate.name));
        // Nothing is overwritten without asking: each collision is decided by the user, or the import stops.
        const choices = analysis.conflicts.length ? await askImportChoices(analysis.conflicts, prompts) : [];
        if (!choices) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Import cancelled: no connection was changed.'));
          return 0;
        }
        const plan = planImport(analysis, choices, { existingNames: existing.map((profile) => profile.name), newId: () => store.newId(), newClientId: () => generateClientId() });
        // Each save rewrites a settings file: a long list takes seconds. Not cancellable: an import
        // stopped half-way would leave a set of connections nobody chose.
        await progress.run({ title: vscode.l10n.t('Importing {0} connections', plan.writes.length), cancellable: false }, async (reportProgress) => {
          for (const [index, write] of plan.writes.entries()) {
            const target = write.replaces ? (store.get(write.replaces.id)?.target ?? 'user') : 'user';
            await store.save(write.profile, target, write.dropSecrets ? { password: null, keyPassphrase: null } : {});
            reportProgress(vscode.l10n.t('{0} of {1}', index + 1, plan.writes.length), 100 / plan.writes.length);
          }
        });
        await syncProfiles(store, registry);
        // One sentence per fact, each translated whole (with its singular and plural).
        const parts = [plan.writes.length === 1 ? vscode.l10n.t('Imported 1 connection.') : vscode.l10n.t('Imported {0} connections.', plan.writes.length)];
        if (analysis.unchanged.length) parts.push(vscode.l10n.t('{0} already saved unchanged.', analysis.unchanged.length));
        if (plan.kept.length) parts.push(plan.kept.length === 1 ? vscode.l10n.t('Kept 1 saved connection as it was.') : vscode.l10n.t('Kept {0} saved connections as they were.', plan.kept.length));
        if (plan.writes.some((write) => write.replaces && write.dropSecrets)) parts.push(vscode.l10n.t('Replaced connections that now point at another broker lost their stored password and passphrase.'));
        if (skipped.length) parts.push(vscode.l10n.t('Skipped {0}: {1}', skipped.length, skipped.join('; ')));
        const message = parts.join(' ');
        log.info(message);
        void vscode.window.showInformationMessage(message);
        return plan.writes.length;
      } catch (error) {
        report(new Error(vscode.l10n.t('Import failed: {0}', error instanceof Error ? error.message : String(error))));
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
  const topic = await vscode.window.showInputBox({ title: vscode.l10n.t('Subscribe on {0}: topic filter', connection.profile.name), placeHolder: vscode.l10n.t('sensors/+/temperature or sensors/#'), validateInput: validateSubscriptionFilter, ignoreFocusOut: true });
  if (!topic) return undefined;
  const qosPick = await vscode.window.showQuickPick(
    [
      { label: '0', description: vscode.l10n.t('at most once'), qos: 0 as QoS },
      { label: '1', description: vscode.l10n.t('at least once'), qos: 1 as QoS },
      { label: '2', description: vscode.l10n.t('exactly once'), qos: 2 as QoS },
    ],
    { title: vscode.l10n.t('Subscribe to {0}: QoS', topic) },
  );
  if (!qosPick) return undefined;
  const spec: SubscriptionSpec = { topic, qos: qosPick.qos };
  if (connection.profile.mqttVersion === 5) {
    const options = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('No local'), description: vscode.l10n.t('do not receive what this connection publishes'), key: 'noLocal' as const },
        { label: vscode.l10n.t('Retain as published'), description: vscode.l10n.t('keep the retain flag of forwarded messages'), key: 'retainAsPublished' as const },
        { label: vscode.l10n.t('Skip retained messages'), description: vscode.l10n.t('retain handling 2: no retained messages on subscribe'), key: 'skipRetained' as const },
      ],
      { title: vscode.l10n.t('Subscribe to {0}: MQTT 5 options', topic), canPickMany: true },
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

/** One quick pick item per way to settle a collision; `detail` says what happens to the stored secrets. */
function choiceItems(conflict: ImportConflict): (vscode.QuickPickItem & { choice: ImportChoice })[] {
  const from = describeTarget(conflict.existing);
  const to = describeTarget(conflict.incoming);
  const moved = !conflict.targetChanges
    ? ''
    : from === to
      ? ` ${vscode.l10n.t('Its TLS check changes: the stored password and passphrase are deleted.')}`
      : ` ${vscode.l10n.t('It goes to {0} instead of {1}: the stored password and passphrase are deleted.', to, from)}`;
  return [
    { label: vscode.l10n.t('Keep the saved one'), detail: vscode.l10n.t('The connection in the file is not imported.'), choice: 'keep' },
    { label: vscode.l10n.t('Replace it'), detail: `${vscode.l10n.t("The saved connection takes the file's settings.")}${moved}`, choice: 'replace' },
    { label: vscode.l10n.t('Import as new'), detail: vscode.l10n.t('Added with a new id, its name followed by "(imported)", without a password.'), choice: 'new' },
  ];
}

/** Asks how to settle the collisions: once for all, or one by one. Undefined: the user cancelled. */
async function askImportChoices(conflicts: ImportConflict[], prompts: Prompts): Promise<ImportChoice[] | undefined> {
  if (conflicts.length > 1) {
    const first = conflicts.slice(0, 3).map(describeConflict).join('; ');
    const listed = conflicts.length > 3 ? vscode.l10n.t('{0}; and {1} more', first, conflicts.length - 3) : first;
    const all = await prompts.quickPick<vscode.QuickPickItem & { choice: ImportChoice | 'each' }>(
      [
        { label: vscode.l10n.t('Keep all saved ones'), detail: vscode.l10n.t('Only connections that collide with nothing are imported.'), choice: 'keep' },
        { label: vscode.l10n.t('Replace them all'), detail: vscode.l10n.t('Saved connections that point at another broker lose their stored password and passphrase.'), choice: 'replace' },
        { label: vscode.l10n.t('Import them all as new'), detail: vscode.l10n.t('New ids, names followed by "(imported)", no passwords.'), choice: 'new' },
        { label: vscode.l10n.t('Decide for each…'), detail: listed, choice: 'each' },
      ],
      {
        title: vscode.l10n.t('Import: {0} connections in the file are already saved', conflicts.length),
        placeHolder: vscode.l10n.t('Choose what happens to them (Escape cancels the import)'),
        ignoreFocusOut: true,
      },
    );
    if (!all) return undefined;
    const choice = all.choice;
    if (choice !== 'each') return conflicts.map(() => choice);
  }
  const choices: ImportChoice[] = [];
  for (const [index, conflict] of conflicts.entries()) {
    const picked = await prompts.quickPick(choiceItems(conflict), {
      title: vscode.l10n.t('Import ({0} of {1}): {2}', index + 1, conflicts.length, describeConflict(conflict)),
      placeHolder: vscode.l10n.t('Choose what happens to it (Escape cancels the import)'),
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    choices.push(picked.choice);
  }
  return choices;
}
