import { Endpoint, type Api, type EndpointOptions, type Handlers, type Transport } from '../src/shared/rpc';

/** The webview's end of its channel to the extension host (the rpc endpoint), and stored state. */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

/** The page's side of postMessage. VS Code carries typed arrays itself; there is no transfer list here. */
const transport: Transport = {
  post: (message) => vscode.postMessage(message),
  onMessage: (listener) => {
    const onMessage = (event: MessageEvent<unknown>) => listener(event.data);
    window.addEventListener('message', onMessage);
    return { dispose: () => window.removeEventListener('message', onMessage) };
  },
};

export { StaleReply } from '../src/shared/rpc';

/**
 * Connects this page to the extension host: `View` is what the page handles, `Host` what the host
 * answers. The host is trusted, so only the envelope of what it posts is checked. Say `ready`
 * (emit) once the listeners are in place: the host posts nothing before.
 */
export function connectToHost<View extends Api, Host extends Api>(
  handlers: Handlers<View['requests']>,
  options: Pick<EndpointOptions<View, Host>, 'deadlines' | 'generation'> = {},
): Endpoint<View, Host> {
  return new Endpoint<View, Host>(transport, { peer: 'the extension host', handlers, ...options });
}

/** The state saved with setState (it survives hiding and reloads), else the one the host wrote into the page. */
export function initialState<T>(parse: (value: unknown) => T | undefined): T | undefined {
  return parse(vscode.getState()) ?? parse(JSON.parse(document.body.dataset.state ?? 'null'));
}

export function saveState(state: unknown): void {
  vscode.setState(state);
}
