import * as vscode from 'vscode';
import type { BrokerConnection, ConnectionState } from '../engine/connection';
import type { ConnectionRegistry } from '../engine/connectionRegistry';

export function describeState(state: ConnectionState): string {
  switch (state.kind) {
    case 'disconnected':
      return 'disconnected';
    case 'connecting':
      return 'connecting…';
    case 'connected':
      return 'connected';
    case 'reconnecting':
      return 'reconnecting…';
    case 'failed':
      return `failed: ${state.reason}`;
  }
}

function stateIcon(state: ConnectionState): vscode.ThemeIcon {
  switch (state.kind) {
    case 'connected':
      return new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('testing.iconPassed'));
    case 'connecting':
    case 'reconnecting':
      return new vscode.ThemeIcon('loading~spin');
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    case 'disconnected':
      return new vscode.ThemeIcon('vm-outline');
  }
}

/** The Connections view: one item per broker, with its state. */
export class ConnectionsTreeProvider implements vscode.TreeDataProvider<BrokerConnection>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<BrokerConnection | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: { dispose(): void };
  /** The connections the view last listed: only those can be refreshed one by one. */
  private shown = new Set<BrokerConnection>();

  constructor(private readonly registry: ConnectionRegistry) {
    // An added or removed connection changes the list itself, so it refreshes the root (undefined);
    // a state change refreshes just that connection's item.
    this.subscription = registry.onDidChange((connection) => {
      const listed = connection !== undefined && this.shown.has(connection);
      this.changeEmitter.fire(listed ? connection : undefined);
    });
  }

  getTreeItem(connection: BrokerConnection): vscode.TreeItem {
    const { profile, state } = connection;
    const item = new vscode.TreeItem(profile.name, vscode.TreeItemCollapsibleState.None);
    item.id = `connection:${profile.id}`;
    item.description = describeState(state);
    item.iconPath = stateIcon(state);
    item.tooltip = `${profile.protocol}://${profile.host}:${profile.port}\n${describeState(state)}`;
    const live = state.kind === 'connected' || state.kind === 'connecting' || state.kind === 'reconnecting';
    item.contextValue = live ? 'mqttExplorer.connection.connected' : 'mqttExplorer.connection.disconnected';
    return item;
  }

  getChildren(element?: BrokerConnection): BrokerConnection[] {
    if (element) return [];
    const connections = this.registry.list();
    this.shown = new Set(connections);
    return connections;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
