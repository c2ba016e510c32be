import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ConnectionRegistry } from '../engine/connectionRegistry';
import { Disposable } from '../engine/dispose';
import type { ReceivedMessage } from '../engine/topicTree';
import { payloadAsText } from '../shared/format';
import {
  parsePanelState,
  parseWebviewMessage,
  PROTOCOL_VERSION,
  type HostToWebview,
  type MessageView,
  type PanelState,
  type RequestResults,
  type TopicView,
  type WebviewRequest,
} from '../shared/protocol';

export const TOPIC_PANEL_VIEW_TYPE = 'mqttExplorer.topic';

/** At most this many updates a second go into a webview, whatever the topic's rate. */
const UPDATE_INTERVAL_MS = 100;

export interface TopicRef {
  connectionId: string;
  topic: string;
}

function toMessageView(message: ReceivedMessage): MessageView {
  return {
    text: payloadAsText(message.payload),
    base64: Buffer.from(message.payload).toString('base64'),
    size: message.payload.length,
    qos: message.qos,
    retain: message.retain,
    receivedAt: message.receivedAt,
  };
}

/** One webview panel showing one topic. The host posts nothing until the webview says `ready`. */
class TopicPanel extends Disposable {
  private ready = false;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly ref: TopicRef,
    private readonly registry: ConnectionRegistry,
    extensionUri: vscode.Uri,
  ) {
    super();
    panel.title = ref.topic.split('/').pop() || ref.topic;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mqtt.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
    panel.webview.html = renderHtml(panel.webview, extensionUri, ref);
    this.register(panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)));
    this.register(
      registry.onDidUpdateTopic(({ connection, update }) => {
        if (connection.profile.id === ref.connectionId && update.node.topic === ref.topic) this.scheduleUpdate();
      }),
    );
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return; // Refused: not a message of the protocol.
    if (message.type === 'ready') {
      this.ready = true;
      this.postState();
      return;
    }
    void this.answer(message);
  }

  private async answer(request: WebviewRequest): Promise<void> {
    try {
      const result = await this.handle(request);
      this.post({ type: 'reply', id: request.id, ok: true, result });
    } catch (error) {
      this.post({ type: 'reply', id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async handle(request: WebviewRequest): Promise<RequestResults[WebviewRequest['request']]> {
    switch (request.request) {
      case 'copyPayload': {
        const last = this.currentNode()?.last;
        if (!last) throw new Error('No message on this topic yet.');
        const text = payloadAsText(last.payload) ?? Buffer.from(last.payload).toString('base64');
        await vscode.env.clipboard.writeText(text);
        return { copied: last.payload.length };
      }
    }
  }

  private currentNode() {
    return this.registry.get(this.ref.connectionId)?.topics.find(this.ref.topic);
  }

  private scheduleUpdate(): void {
    if (!this.ready) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.postState();
    }, UPDATE_INTERVAL_MS);
  }

  private postState(): void {
    this.dirty = false;
    const connection = this.registry.get(this.ref.connectionId);
    const node = connection?.topics.find(this.ref.topic);
    const topic: TopicView = {
      connectionName: connection?.profile.name ?? this.ref.connectionId,
      topic: this.ref.topic,
      messageCount: node?.messageCount ?? 0,
      retained: node?.retained ?? false,
      last: node?.last ? toMessageView(node.last) : undefined,
    };
    this.post({ type: 'topicState', topic });
  }

  private post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }
}

function renderHtml(webview: vscode.Webview, extensionUri: vscode.Uri, ref: TopicRef): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const state: PanelState = { version: PROTOCOL_VERSION, ...ref };
  // The initial state travels as JSON in a data attribute: attribute-escaped, never parsed as markup.
  const stateAttr = JSON.stringify(state).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; font-src ${webview.cspSource}; img-src ${webview.cspSource} data:; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>MQTT topic</title>
</head>
<body data-state="${stateAttr}">
<div id="app"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

/** Opens, reveals and restores topic panels; one panel per topic. */
export class TopicPanels extends Disposable {
  private readonly panels = new Map<string, TopicPanel>();

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly extensionUri: vscode.Uri,
  ) {
    super();
    this.register(
      vscode.window.registerWebviewPanelSerializer(TOPIC_PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const restored = parsePanelState(state);
          if (restored) this.adopt(panel, restored);
          else panel.dispose();
        },
      }),
    );
    this.register({ dispose: () => [...this.panels.values()].forEach((panel) => panel.panel.dispose()) });
  }

  show(ref: TopicRef): vscode.WebviewPanel {
    const existing = this.panels.get(key(ref));
    if (existing) {
      existing.panel.reveal();
      return existing.panel;
    }
    const panel = vscode.window.createWebviewPanel(TOPIC_PANEL_VIEW_TYPE, ref.topic, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    });
    this.adopt(panel, ref);
    return panel;
  }

  private adopt(panel: vscode.WebviewPanel, ref: TopicRef): void {
    const topicPanel = new TopicPanel(panel, ref, this.registry, this.extensionUri);
    this.panels.set(key(ref), topicPanel);
    panel.onDidDispose(() => {
      topicPanel.dispose();
      this.panels.delete(key(ref));
    });
  }
}

function key(ref: TopicRef): string {
  return `${ref.connectionId}\u0000${ref.topic}`;
}
