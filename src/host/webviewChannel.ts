import * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import { Endpoint, type Api, type Handlers, type Incoming, type Transport } from '../shared/rpc';
import type { ReadyEvents } from '../shared/webviewProtocol';


/** A webview as the endpoint's transport. A webview that went away drops the message (postMessage resolves false). */
export function webviewTransport(webview: vscode.Webview): Transport {
  return {
    post: (message) => void webview.postMessage(message).then(undefined, () => undefined),
    onMessage: (listener) => webview.onDidReceiveMessage(listener),
  };
}

export interface WebviewChannelOptions<Host extends Api> {
  handlers: Handlers<Host['requests']>;
  /** The webview is not trusted: every message it posts goes through this first (parsePanelMessage, parseEditorMessage). */
  validate: (data: unknown) => Incoming<Host> | undefined;
  /** The webview said `ready` (again after each reload of its page): post its content now. */
  onReady: () => void;
  /** For a panel that moves between topics: the topic shown now (see PanelTopic.target). */
  generation?: () => number;
}

/**
 * The host's end of one webview's protocol: the rpc endpoint, plus the ready handshake (nothing is
 * posted before the webview says `ready`).
 */
export class WebviewChannel<Host extends { requests: object; events: ReadyEvents }, View extends Api> extends Disposable {
  private isReady = false;
  private readonly endpoint: Endpoint<Host, View>;

  constructor(webview: vscode.Webview, options: WebviewChannelOptions<Host>) {
    super();
    this.endpoint = this.register(
      new Endpoint<Host, View>(webviewTransport(webview), {
        peer: 'the webview',
        handlers: options.handlers,
        validate: options.validate,
        ...(options.generation ? { generation: options.generation, staleRequest: vscode.l10n.t('This panel has moved on to another topic.') } : {}),
      }),
    );
    this.register(
      this.endpoint.on('ready', () => {
        this.isReady = true;
        options.onReady();
      }),
    );
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Posts an event to the webview; dropped before it is ready. */
  emit<K extends keyof View['events'] & string>(name: K, data: View['events'][K]): void {
    if (this.isReady) this.endpoint.emit(name, data);
  }
}
