import type * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import { parseWebviewMessage, type HostToWebview, type RequestMap, type RequestName, type WebviewRequest } from '../shared/webviewProtocol';

export const STALE_REQUEST = 'This panel has moved on to another topic.';

export type RequestHandlers = { [K in RequestName]?: (params: RequestMap[K]['params']) => Promise<RequestMap[K]['result']> };

/**
 * The host's end of the protocol for one webview: nothing is posted before the webview says
 * `ready`, every incoming message is validated, and every request gets exactly one reply.
 */
export class WebviewChannel extends Disposable {
  private isReady = false;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly handlers: RequestHandlers,
    private readonly onReady: () => void,
    /** For a panel that moves between topics: whether a request was made for the topic shown now. */
    private readonly isCurrent: (target: number | undefined) => boolean = () => true,
  ) {
    super();
    this.register(webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
  }

  get ready(): boolean {
    return this.isReady;
  }

  post(message: HostToWebview): void {
    if (this.isReady) void this.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return; // Not a message of the protocol: refused.
    if (message.type === 'ready') {
      this.isReady = true;
      this.onReady();
      return;
    }
    void this.answer(message);
  }

  private async answer(request: WebviewRequest): Promise<void> {
    const handler = this.handlers[request.request] as ((params: unknown) => Promise<unknown>) | undefined;
    try {
      if (!handler) throw new Error(`This panel does not handle ${request.request}.`);
      if (!this.isCurrent(request.target)) throw new Error(STALE_REQUEST);
      this.post({ type: 'reply', id: request.id, ok: true, result: await handler(request.params) });
    } catch (error) {
      this.post({ type: 'reply', id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
