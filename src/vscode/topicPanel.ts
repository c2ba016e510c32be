import * as vscode from 'vscode';
import type { ConnectionRegistry } from '../engine/connectionRegistry';
import { Disposable } from '../engine/dispose';
import type { MessageRecord } from '../engine/worker/protocol';
import { payloadAsText } from '../shared/format';
import { parsePanelState, PROTOCOL_VERSION, type MessageView, type PanelState, type RequestResults, type TopicView } from '../shared/protocol';
import { WebviewChannel } from './webviewChannel';
import { renderWebviewHtml, webviewOptions } from './webviewHtml';

export const TOPIC_PANEL_VIEW_TYPE = 'mqttExplorer.topic';

/** At most this many updates a second go into a webview, whatever the topic's rate. */
const UPDATE_INTERVAL_MS = 100;

export interface TopicRef {
  connectionId: string;
  topic: string;
}

function toMessageView(message: MessageRecord): MessageView {
  return {
    text: payloadAsText(message.payload),
    base64: Buffer.from(message.payload).toString('base64'),
    size: message.size,
    qos: message.qos,
    retain: message.retain,
    receivedAt: message.receivedAt,
  };
}

/** One webview panel showing one topic. The host posts nothing until the webview says `ready`. */
class TopicPanel extends Disposable {
  private readonly channel: WebviewChannel;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly ref: TopicRef,
    private readonly registry: ConnectionRegistry,
    extensionUri: vscode.Uri,
    pin: (ref: TopicRef) => vscode.Disposable,
  ) {
    super();
    panel.title = ref.topic.split('/').pop() || ref.topic;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mqtt.svg');
    panel.webview.options = webviewOptions(extensionUri);
    const state: PanelState = { version: PROTOCOL_VERSION, ...ref };
    panel.webview.html = renderWebviewHtml(panel.webview, extensionUri, { script: 'webview.js', title: 'MQTT topic', state });
    this.channel = this.register(new WebviewChannel(panel.webview, { copyPayload: () => this.copyPayload() }, () => void this.postState()));
    // The worker reports this topic's changes while the panel is open, whatever the tree shows.
    this.register(pin(ref));
    this.register(
      registry.onDidChangeTopics((changes) => {
        if (changes.connectionId === ref.connectionId && (changes.all || changes.topics.includes(ref.topic))) this.scheduleUpdate();
      }),
    );
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  private async copyPayload(): Promise<RequestResults['copyPayload']> {
    const last = (await this.fetch())?.history.at(-1);
    if (!last) throw new Error('No message on this topic yet.');
    const text = payloadAsText(last.payload) ?? Buffer.from(last.payload).toString('base64');
    await vscode.env.clipboard.writeText(text);
    return { copied: last.payload.length };
  }

  private fetch() {
    return this.registry.engine.request('node', { connectionId: this.ref.connectionId, topic: this.ref.topic, history: 1 }).catch(() => undefined);
  }

  private scheduleUpdate(): void {
    if (!this.channel.ready) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) void this.postState();
    }, UPDATE_INTERVAL_MS);
  }

  private async postState(): Promise<void> {
    this.dirty = false;
    const connection = this.registry.get(this.ref.connectionId);
    const node = await this.fetch();
    const last = node?.history.at(-1);
    const topic: TopicView = {
      connectionName: connection?.profile.name ?? this.ref.connectionId,
      topic: this.ref.topic,
      messageCount: node?.snapshot.messageCount ?? 0,
      retained: node?.snapshot.retained ?? false,
      last: last ? toMessageView(last) : undefined,
    };
    this.channel.post({ type: 'topicState', topic });
  }
}

/** Opens, reveals and restores topic panels; one panel per topic. */
export class TopicPanels extends Disposable {
  private readonly panels = new Map<string, TopicPanel>();

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly extensionUri: vscode.Uri,
    private readonly pin: (ref: TopicRef) => vscode.Disposable,
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
    const panel = vscode.window.createWebviewPanel(TOPIC_PANEL_VIEW_TYPE, ref.topic, vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    this.adopt(panel, ref);
    return panel;
  }

  private adopt(panel: vscode.WebviewPanel, ref: TopicRef): void {
    const topicPanel = new TopicPanel(panel, ref, this.registry, this.extensionUri, this.pin);
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
