import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { waitFor } from '../helpers/waitFor';
import { explorer } from './explorer';


/** The activated extension, the local broker started on a free port, and the Topics view shown (the engine reports nothing while it is hidden). */
export async function explorerWithLocalBroker(): Promise<{ api: TestInternals; connectionId: string; port: number }> {
  const api = await explorer();
  const started = await vscode.commands.executeCommand<{ connectionId: string; port: number } | undefined>('mqttExplorer.startLocalBroker', { port: 0 });
  assert.ok(started);
  await vscode.commands.executeCommand('mqttExplorer.topics.focus');
  if (!api.topicsView.visible) await waitFor(api.topicsView.onDidChangeVisibility, (event) => event.visible, 5000, 'the Topics view to show');
  await api.topicsProvider.syncVisibility();
  return { api, ...started };
}
