import type { HostToWebview, RequestMap, RequestName, WebviewRequest, WebviewToHost } from '../src/shared/webviewProtocol';

/** The webview's end of the protocol: posting, requests with replies, and stored state. */

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let nextId = 1;
/** The topic the panel shows now (see PanelTopic.target); undefined in webviews that do not move. */
let target: number | undefined;

/** A reply for a topic the panel no longer shows: dropped, never shown. */
export class StaleReply extends Error {}

export function setTarget(value: number): void {
  target = value;
}
const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

export function post(message: WebviewToHost): void {
  vscode.postMessage(message);
}

/** Sends a request and resolves with the host's reply, or rejects with its error. */
export function request<K extends RequestName>(name: K, params: RequestMap[K]['params']): Promise<RequestMap[K]['result']> {
  const id = nextId++;
  const sentFor = target;
  return new Promise<RequestMap[K]['result']>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    const message = { type: 'request', id, request: name, params } as WebviewRequest;
    if (sentFor !== undefined) message.target = sentFor;
    post(message);
  }).then(
    (result) => {
      if (sentFor !== target) throw new StaleReply('');
      return result;
    },
    (error: Error) => {
      throw sentFor !== target ? new StaleReply('') : error;
    },
  );
}

/** Routes replies to their requests and everything else to `onMessage`. */
export function listen(onMessage: (message: HostToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
    const message = event.data;
    if (message.type === 'reply') {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.ok) pending?.resolve(message.result);
      else pending?.reject(new Error(message.error));
      return;
    }
    onMessage(message);
  });
}

/** The state saved with setState (it survives hiding and reloads), else the one the host wrote into the page. */
export function initialState<T>(parse: (value: unknown) => T | undefined): T | undefined {
  return parse(vscode.getState()) ?? parse(JSON.parse(document.body.dataset.state ?? 'null'));
}

export function saveState(state: unknown): void {
  vscode.setState(state);
}
