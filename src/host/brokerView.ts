import * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import type { BrokerStatsSnapshot } from '../shared/brokerStats';
import {
  parseBrokerViewMessage,
  parseBrokerViewState,
  type BrokerViewHostApi,
  type BrokerViewState,
  type BrokerViewUpdate,
  type BrokerViewWebviewApi,
} from '../shared/webviewProtocol';
import type { ConnectionState } from '../worker/connection';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { RemoteConnection } from './engine/engineClient';
import { WebviewChannel } from './webviewChannel';
import { describeStateKind } from './connectionsView';
import { renderWebviewHtml, webviewOptions } from './webviewHtml';

export const BROKER_VIEW_TYPE = 'mqttExplorer.broker';

type BrokerChannel = WebviewChannel<BrokerViewHostApi, BrokerViewWebviewApi>;

interface OpenView {
  panel: vscode.WebviewPanel;
  channel: BrokerChannel;
}

function describeState(state: ConnectionState): string {
  switch (state.kind) {
    case 'reconnecting':
      return vscode.l10n.t('reconnecting: {0}', state.reason);
    case 'failed':
      return vscode.l10n.t('failed: {0}', state.reason);
    default:
      return describeStateKind(state.kind);
  }
}

/** The "Show Broker Statistics" command's argument: a connection's row (a RemoteConnection) or `{ connectionId }`. */
export function brokerConnectionArg(value: unknown): string | undefined {
  if (value instanceof RemoteConnection) return value.id;
  if (typeof value !== 'object' || value === null) return undefined;
  const { connectionId } = value as Record<string, unknown>;
  return typeof connectionId === 'string' ? connectionId : undefined;
}

/**
 * The Broker views: one webview panel per connection, with its broker's `$SYS` figures. While a
 * view is open the engine pushes the connection's figures when they change (at most one a second);
 * the view's page draws tiles and charts, and says when no `$SYS` arrives.
 */
export class BrokerViews extends Disposable {
  private readonly open = new Map<string, OpenView>();
  private readonly latest = new Map<string, BrokerStatsSnapshot>();
  private readonly updateEmitter = this.register(new vscode.EventEmitter<BrokerViewUpdate>());
  /** An update was posted to a view (the tests wait for it). */
  readonly onDidUpdate = this.updateEmitter.event;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly extensionUri: vscode.Uri,
  ) {
    super();
    this.register(
      registry.engine.onEvent((event) => {
        if (event.kind !== 'brokerStats' || !this.open.has(event.connectionId)) return;
        this.latest.set(event.connectionId, event.snapshot);
        this.post(event.connectionId);
      }),
    );
    // A state or subscription change shows at once (the figures' own pushes come with $SYS messages only).
    this.register(
      registry.onDidChange((connection) => {
        for (const id of this.open.keys()) if (!connection || connection.id === id) void this.refresh(id);
      }),
    );
    this.register(
      registry.engine.onDidRestart(() => {
        // A fresh worker knows no view and has seen no $SYS yet.
        this.latest.clear();
        void this.syncWatched();
        for (const id of this.open.keys()) void this.refresh(id);
      }),
    );
    this.register(
      vscode.window.registerWebviewPanelSerializer(BROKER_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const restored = parseBrokerViewState(state);
          if (restored && !this.open.has(restored.connectionId) && registry.get(restored.connectionId)) this.adopt(panel, restored.connectionId);
          else panel.dispose();
        },
      }),
    );
    this.register({ dispose: () => [...this.open.values()].forEach((view) => view.panel.dispose()) });
  }

  /** Opens (or reveals) the Broker view of a connection. */
  show(connectionId: string): vscode.WebviewPanel | undefined {
    const existing = this.open.get(connectionId);
    if (existing) {
      existing.panel.reveal();
      return existing.panel;
    }
    const connection = this.registry.get(connectionId);
    if (!connection) return undefined;
    const panel = vscode.window.createWebviewPanel(BROKER_VIEW_TYPE, vscode.l10n.t('Broker: {0}', connection.profile.name), vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    this.adopt(panel, connectionId);
    return panel;
  }

  /** The connections whose view is open. */
  get shown(): string[] {
    return [...this.open.keys()];
  }

  private adopt(panel: vscode.WebviewPanel, connectionId: string): void {
    const connection = this.registry.get(connectionId);
    panel.title = vscode.l10n.t('Broker: {0}', connection?.profile.name ?? connectionId);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'mqtt.svg');
    const state: BrokerViewState = { version: 1, connectionId };
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = renderWebviewHtml(panel.webview, this.extensionUri, { script: 'brokerView.js', title: vscode.l10n.t('MQTT broker statistics'), state });
    const channel: BrokerChannel = new WebviewChannel<BrokerViewHostApi, BrokerViewWebviewApi>(panel.webview, {
      validate: parseBrokerViewMessage,
      // After each load of the page (it is not kept while hidden): the figures as they are now.
      onReady: () => void this.refresh(connectionId),
      handlers: {
        subscribeSys: async () => {
          const target = this.registry.get(connectionId);
          if (!target) throw new Error(vscode.l10n.t('The connection was removed.'));
          await target.addSubscription({ topic: '$SYS/#', qos: 0 });
          return {};
        },
      },
    });
    this.open.set(connectionId, { panel, channel });
    void this.syncWatched();
    panel.onDidDispose(() => {
      channel.dispose();
      this.open.delete(connectionId);
      this.latest.delete(connectionId);
      void this.syncWatched();
    });
  }

  private async syncWatched(): Promise<void> {
    await this.registry.engine.request('watchBrokerStats', { connectionIds: this.shown }).catch(() => undefined);
  }

  /** Reads the connection's figures from the engine and posts them. */
  async refresh(connectionId: string): Promise<void> {
    const snapshot = await this.registry.engine.request('brokerStats', { connectionId }).catch(() => undefined);
    if (!this.open.has(connectionId)) return;
    if (snapshot) this.latest.set(connectionId, snapshot);
    else this.latest.delete(connectionId);
    this.post(connectionId);
  }

  private post(connectionId: string): void {
    const view = this.open.get(connectionId);
    const connection = this.registry.get(connectionId);
    if (!view || !view.channel.ready) return;
    const state = connection?.state ?? { kind: 'disconnected' };
    const update: BrokerViewUpdate = {
      connectionId,
      connectionName: connection?.profile.name ?? connectionId,
      connectionState: connection ? describeState(state) : vscode.l10n.t('removed'),
      connected: state.kind === 'connected',
      stats: this.latest.get(connectionId),
    };
    view.channel.emit('brokerUpdate', update);
    this.updateEmitter.fire(update);
  }
}

/** The palette's choice: the one connected connection, or a pick among all (connected ones first). */
export async function pickBrokerConnection(registry: ConnectionRegistry): Promise<string | undefined> {
  const connections = registry.list();
  const connected = connections.filter((connection) => connection.state.kind === 'connected');
  if (connected.length === 1) return connected[0].id;
  if (connections.length === 1) return connections[0].id;
  if (!connections.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No MQTT connection yet: add one in the Connections view.'));
    return undefined;
  }
  const ordered = [...connected, ...connections.filter((connection) => !connected.includes(connection))];
  const picked = await vscode.window.showQuickPick(
    ordered.map((connection) => ({ label: connection.profile.name, description: describeStateKind(connection.state.kind), id: connection.id })),
    { title: vscode.l10n.t('Show Broker Statistics'), placeHolder: vscode.l10n.t('Choose a connection') },
  );
  return picked?.id;
}
