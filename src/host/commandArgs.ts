import * as vscode from 'vscode';
import { RemoteConnection } from './engine/engineClient';

/**
 * The rows the Connections and Topics views hand to VS Code. VS Code passes the focused one to
 * every action of the view's title bar as its first argument, where a command taking arguments of
 * its own (a filter, a publish, a file) must not mistake it for them.
 */
const rows = new WeakSet<object>();

export function viewRow<T extends object>(row: T): T {
  rows.add(row);
  return row;
}

export function isViewRow(value: unknown): boolean {
  return value instanceof RemoteConnection || (typeof value === 'object' && value !== null && rows.has(value));
}

/** A file's URI (from the Explorer's context menu, or a caller); nothing else. */
export function uriArg(value: unknown): vscode.Uri | undefined {
  return value instanceof vscode.Uri ? value : undefined;
}
