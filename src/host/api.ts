import type { ConnectionRegistry } from './engine/connectionRegistry';
import type { ConnectionEditors } from './connectionEditor';
import type { ProfileStore } from './profileStore';
import type { LocalDevelopment } from './localDevelopment';
import type { TopicPanels } from './topicPanel';
import type * as vscode from 'vscode';
import type { TopicsElement, TopicsTreeProvider } from './topicsView';

/**
 * What `activate` returns. The extension-host tests reach the real objects through it (via
 * `vscode.extensions.getExtension(...).exports`); other extensions may too.
 */
export interface MqttExplorerApi {
  readonly registry: ConnectionRegistry;
  readonly topicsProvider: TopicsTreeProvider;
  readonly topicsView: vscode.TreeView<TopicsElement>;
  readonly localDevelopment: LocalDevelopment;
  readonly panels: TopicPanels;
  readonly profiles: ProfileStore;
  readonly editors: ConnectionEditors;
}
