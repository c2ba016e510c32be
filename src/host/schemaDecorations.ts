import * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import type { TopicChanges } from './engine/engineClient';

/** The scheme of the URIs the Topics view's rows carry for their decorations (never opened). */
export const TOPIC_URI_SCHEME = 'mqtt-explorer-topic';
/** Longest topic a row carries a URI for (the engine reports marks of topics up to this length). */
const MAX_URI_TOPIC = 1024;
/** Marked topics kept per connection; more are not decorated. */
const MAX_MARKS = 10_000;

/**
 * A topic as a URI whose path has one segment per level, so that VS Code's decorations service sees
 * the tree's hierarchy: a decoration with `propagate` shows on every ancestor's row too. Each level
 * is prefixed (an empty level is a segment of its own, not `//`) and percent-encoded; the first
 * segment names the connection.
 */
export function topicUri(connectionId: string, topic: string): vscode.Uri | undefined {
  if (topic.length > MAX_URI_TOPIC) return undefined;
  const path = topic
    .split('/')
    .map((level) => `_${encodeURIComponent(level)}`)
    .join('/');
  return vscode.Uri.from({ scheme: TOPIC_URI_SCHEME, path: `${connectionUri(connectionId).path}/${path}` });
}

/** The connection's root row: the first segment of its topics' URIs, so it gets the ancestors' mark too. */
export function connectionUri(connectionId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: TOPIC_URI_SCHEME, path: `/c${encodeURIComponent(connectionId)}` });
}

/**
 * The Topics view's JSON Schema decoration: a topic whose last message is not valid against its
 * schema gets a red label and a ✗, and VS Code marks its ancestors' rows (collapsed ones included)
 * with the same colour, without the view refreshing any row. Fed by the engine's change reports,
 * which carry only the marks that changed.
 */
export class SchemaDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<vscode.Uri[]>());
  readonly onDidChangeFileDecorations = this.changeEmitter.event;
  /** Marked topics' URIs (as strings), per connection. */
  private readonly marked = new Map<string, Set<string>>();

  /** A change report's marks: applied, and the changed rows' decorations asked again. */
  apply(changes: TopicChanges): void {
    const update = changes.schemaMarks;
    const reset = changes.reset || update?.reset;
    if (!update && !reset) return;
    let set = this.marked.get(changes.connectionId);
    const changed: vscode.Uri[] = [];
    if (reset && set) {
      for (const uri of set) changed.push(vscode.Uri.parse(uri));
      set.clear();
    }
    for (const [topic, invalid] of update?.marks ?? []) {
      const uri = topicUri(changes.connectionId, topic);
      if (!uri) continue;
      set ??= new Set();
      this.marked.set(changes.connectionId, set);
      const key = uri.toString();
      if (invalid && !set.has(key) && set.size < MAX_MARKS) set.add(key);
      else if (!invalid) set.delete(key);
      else continue;
      changed.push(uri);
    }
    if (changed.length) this.changeEmitter.fire(changed);
  }

  /** A connection went: its marks go too. */
  forget(connectionId: string): void {
    const set = this.marked.get(connectionId);
    this.marked.delete(connectionId);
    if (set?.size) this.changeEmitter.fire([...set].map((uri) => vscode.Uri.parse(uri)));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== TOPIC_URI_SCHEME) return undefined;
    for (const set of this.marked.values()) {
      if (set.has(uri.toString())) {
        const decoration = new vscode.FileDecoration('✗', vscode.l10n.t('The last message is not valid against its JSON Schema'), new vscode.ThemeColor('list.errorForeground'));
        decoration.propagate = true;
        return decoration;
      }
    }
    return undefined;
  }
}
