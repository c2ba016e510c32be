import * as vscode from 'vscode';
import type { ConnectionState, OfflineState, Subscription } from '../worker/connection';
import type { RemoteConnection } from './engine/engineClient';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import { brokerUrl } from '../shared/profile';
import { viewRow } from './commandArgs';
import { formatRange, formatRecordingTime } from '../shared/recordingTime';
import { connectionAccessibility, subscriptionAccessibility } from './treeAccessibility';

export function describeState(state: ConnectionState, now = Date.now()): string {
  switch (state.kind) {
    case 'disconnected':
      return vscode.l10n.t('disconnected');
    case 'connecting':
      return vscode.l10n.t('connecting…');
    case 'connected':
      return vscode.l10n.t('connected');
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil((state.nextTryAt - now) / 1000));
      if (seconds > 0) {
        return state.flapping
          ? vscode.l10n.t('reconnecting (next try in {0} s, attempt {1}, flapping)', seconds, state.attempt)
          : vscode.l10n.t('reconnecting (next try in {0} s, attempt {1})', seconds, state.attempt);
      }
      return state.flapping ? vscode.l10n.t('reconnecting (trying now, attempt {0}, flapping)', state.attempt) : vscode.l10n.t('reconnecting (trying now, attempt {0})', state.attempt);
    }
    case 'failed':
      return vscode.l10n.t('failed: {0}', state.reason);
    case 'offline':
      return describeOffline(state.recording);
  }
}

/** A state in one word ("connected"), as pickers and CodeLenses show it beside a connection's name. */
export function describeStateKind(kind: ConnectionState['kind']): string {
  switch (kind) {
    case 'disconnected':
      return vscode.l10n.t('disconnected');
    case 'connecting':
      return vscode.l10n.t('connecting');
    case 'connected':
      return vscode.l10n.t('connected');
    case 'reconnecting':
      return vscode.l10n.t('reconnecting');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'offline':
      return vscode.l10n.t('offline');
  }
}

// ── Offline recordings (issue 15) ──
/** An opened recording's row: its progress while it is read, else its time range and the time shown. */
export function describeOffline(recording: OfflineState): string {
  const { loading } = recording;
  if (loading) {
    // {0}: " 42%" while the file's size is known, else nothing.
    const percent = loading.totalBytes > 0 ? ` ${Math.min(99, Math.floor((loading.bytesRead / loading.totalBytes) * 100))}%` : '';
    const messages = loading.messages.toLocaleString('en-US');
    return loading.what === 'opening' ? vscode.l10n.t('opening…{0} ({1} messages)', percent, messages) : vscode.l10n.t('seeking…{0} ({1} messages)', percent, messages);
  }
  if (recording.from === undefined || recording.to === undefined) return vscode.l10n.t('recording · no messages');
  return vscode.l10n.t('recording · at {0} of {1}', formatRecordingTime(recording.at ?? recording.to, false), formatRange(recording.from, recording.to));
}

function stateIcon(state: ConnectionState): vscode.ThemeIcon {
  switch (state.kind) {
    case 'connected':
      return new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('testing.iconPassed'));
    case 'connecting':
    case 'reconnecting':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.yellow'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    case 'disconnected':
      return new vscode.ThemeIcon('vm-outline');
    case 'offline':
      return new vscode.ThemeIcon(state.recording.loading ? 'loading~spin' : 'history', new vscode.ThemeColor('charts.blue'));
  }
}

/** A subscription shown under its connection. */
export interface SubscriptionElement {
  connection: RemoteConnection;
  subscription: Subscription;
}

export type ConnectionsElement = RemoteConnection | SubscriptionElement;

function isSubscription(element: ConnectionsElement): element is SubscriptionElement {
  return 'subscription' in element;
}

/** The Connections view: one item per broker with its state, its subscriptions below it. */
export class ConnectionsTreeProvider extends Disposable implements vscode.TreeDataProvider<ConnectionsElement> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<ConnectionsElement | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** The connections the view last listed: only those can be refreshed one by one. */
  private shown = new Set<RemoteConnection>();
  private readonly watched = new WeakSet<RemoteConnection>();
  private countdown: NodeJS.Timeout | undefined;

  constructor(private readonly registry: ConnectionRegistry) {
    super();
    // An added or removed connection changes the list itself, so it refreshes the root (undefined);
    // a state change refreshes just that connection's item.
    this.register(
      registry.onDidChange((connection) => {
        this.changeEmitter.fire(connection !== undefined && this.shown.has(connection) ? connection : undefined);
        this.updateCountdown();
      }),
    );
    this.register({ dispose: () => clearInterval(this.countdown) });
    // Trusting the folder lifts the Restricted Mode marks; the profiles themselves may be unchanged.
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.changeEmitter.fire(undefined)));
  }

  /** While a connection waits to reconnect, its "next try in N s" counts down once a second. */
  private updateCountdown(): void {
    const waiting = this.registry.list().filter((connection) => connection.state.kind === 'reconnecting');
    if (waiting.length && !this.countdown) {
      this.countdown = setInterval(() => {
        for (const connection of this.registry.list()) if (connection.state.kind === 'reconnecting' && this.shown.has(connection)) this.changeEmitter.fire(connection);
      }, 1000);
    } else if (!waiting.length && this.countdown) {
      clearInterval(this.countdown);
      this.countdown = undefined;
    }
  }

  getTreeItem(element: ConnectionsElement): vscode.TreeItem {
    if (isSubscription(element)) {
      const { spec, status } = element.subscription;
      const item = new vscode.TreeItem(spec.topic, vscode.TreeItemCollapsibleState.None);
      item.id = `subscription:${element.connection.profile.id}:${spec.topic}`;
      const options = [
        `QoS ${spec.qos}`,
        spec.noLocal ? vscode.l10n.t('no local') : '',
        spec.retainAsPublished ? vscode.l10n.t('retain as published') : '',
        spec.retainHandling ? vscode.l10n.t('retain handling {0}', spec.retainHandling) : '',
      ].filter(Boolean);
      item.description =
        status.state === 'refused' ? vscode.l10n.t('refused: {0}', status.reason) : status.state === 'pending' ? vscode.l10n.t('{0} (pending)', options.join(', ')) : options.join(', ');
      item.iconPath = new vscode.ThemeIcon(status.state === 'refused' ? 'warning' : 'rss', status.state === 'refused' ? new vscode.ThemeColor('errorForeground') : undefined);
      item.tooltip = status.state === 'refused' ? vscode.l10n.t('The broker refused {0}: {1}', spec.topic, status.reason) : `${spec.topic}: ${options.join(', ')}`;
      item.contextValue = 'mqttExplorer.subscription';
      item.accessibilityInformation = subscriptionAccessibility(spec.topic, item.description);
      return item;
    }
    const { profile, state } = element;
    const hasSubscriptions = element.subscriptions.length > 0;
    const item = new vscode.TreeItem(profile.name, hasSubscriptions ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `connection:${profile.id}`;
    // Restricted Mode: a profile from the untrusted folder's settings, shown plainly as such.
    const restricted = element.refusal !== undefined;
    item.description = restricted ? vscode.l10n.t('Restricted Mode') : describeState(state);
    item.iconPath = restricted ? new vscode.ThemeIcon('workspace-untrusted', new vscode.ThemeColor('problemsWarningIcon.foreground')) : stateIcon(state);
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(
      `${profile.name}\n\n${vscode.l10n.t('{0} · MQTT {1} · client id {2}', brokerUrl(profile), profile.mqttVersion === 5 ? '5.0' : '3.1.1', profile.clientId)}\n\n${describeState(state)}`,
    );
    if (restricted) {
      // One translated sentence with its link; {0} is the command link's target.
      tooltip.appendMarkdown(
        `\n\n${vscode.l10n.t("Restricted Mode: this connection comes from the folder's settings. Trust the folder to connect ([Manage Workspace Trust]({0})).", 'command:workbench.trust.manage')}`,
      );
      tooltip.isTrusted = { enabledCommands: ['workbench.trust.manage'] };
    }
    item.tooltip = tooltip;
    const live = state.kind === 'connected' || state.kind === 'connecting' || state.kind === 'reconnecting';
    item.contextValue = `mqttExplorer.connection.${live ? 'connected' : 'disconnected'}${state.kind === 'reconnecting' ? '.reconnecting' : ''}${restricted ? '.restricted' : ''}${profile.id === 'local-broker' ? '.local' : ''}`;
    if (element.offline) {
      // A recording opened offline: its own menu (Show At Time, Close), none of a broker's.
      item.contextValue = 'mqttExplorer.recording';
      item.tooltip = new vscode.MarkdownString().appendText(`${vscode.l10n.t('{0}: a recording opened offline', profile.name)}\n\n${element.offline.path}\n\n${describeState(state)}`);
    }
    item.accessibilityInformation = connectionAccessibility(profile.name, item.description, element.subscriptions.length);
    return item;
  }

  getChildren(element?: ConnectionsElement): ConnectionsElement[] {
    if (element && isSubscription(element)) return [];
    if (element) return element.subscriptions.map((subscription) => viewRow({ connection: element, subscription }));
    const connections = this.registry.list();
    this.shown = new Set(connections);
    for (const connection of connections) {
      if (this.watched.has(connection)) continue;
      this.watched.add(connection);
      connection.onDidChangeSubscriptions(() => this.changeEmitter.fire(this.shown.has(connection) ? connection : undefined));
    }
    return connections;
  }
}

/** The status bar item: the connection used last, and its state. */
export class ConnectionStatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('mqttExplorer.status', vscode.StatusBarAlignment.Left, 50));
  private active: RemoteConnection | undefined;

  constructor(private readonly registry: ConnectionRegistry) {
    super();
    this.item.name = vscode.l10n.t('MQTT connection');
    this.item.command = 'mqttExplorer.connections.focus';
    this.register(
      registry.onDidChange((connection) => {
        // A recording opened offline is no broker connection: the status bar stays with the brokers.
        if (connection && !connection.offline && connection.state.kind !== 'disconnected') this.active = connection;
        if (this.active && !registry.list().includes(this.active)) this.active = undefined;
        this.update();
      }),
    );
    this.update();
  }

  private update(): void {
    const connection = this.active ?? this.registry.list().find((candidate) => candidate.state.kind === 'connected');
    if (!connection) {
      this.item.hide();
      return;
    }
    const { state } = connection;
    const icon = state.kind === 'connected' ? '$(radio-tower)' : state.kind === 'failed' ? '$(error)' : state.kind === 'disconnected' ? '$(debug-disconnect)' : '$(sync~spin)';
    this.item.text = `${icon} ${connection.profile.name}`;
    this.item.tooltip = vscode.l10n.t('MQTT: {0}: {1}', connection.profile.name, describeState(state));
    this.item.backgroundColor = state.kind === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }
}
