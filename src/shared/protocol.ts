/**
 * The one protocol between the extension host and the webview. Both sides import this file, so a
 * renamed message is a compile error, not a silent drop. It never imports `vscode`.
 *
 * Rules: the webview sends `ready` once it has loaded, and the host posts nothing before that.
 * Requests carry an id; every request gets exactly one reply, `ok` or an error.
 */

export const PROTOCOL_VERSION = 1;

/** A message as the webview sees it: the payload already decoded on the host, never as HTML. */
export interface MessageView {
  /** The payload as UTF-8 text when it is valid UTF-8, otherwise undefined. */
  text: string | undefined;
  /** The payload in base64, always present, for the binary views. */
  base64: string;
  size: number;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

export interface TopicView {
  connectionName: string;
  topic: string;
  messageCount: number;
  retained: boolean;
  last: MessageView | undefined;
}

// ---- host -> webview ----

/** The whole state of the topic the panel shows: sent after `ready` and whenever it changes. */
export interface TopicStateMessage {
  type: 'topicState';
  topic: TopicView;
}

export interface ReplyOk<T = unknown> {
  type: 'reply';
  id: number;
  ok: true;
  result: T;
}

export interface ReplyError {
  type: 'reply';
  id: number;
  ok: false;
  error: string;
}

export type HostToWebview = TopicStateMessage | ReplyOk | ReplyError;

// ---- webview -> host ----

export interface ReadyMessage {
  type: 'ready';
  protocolVersion: number;
}

/** Requests the webview can make; each names its result type. */
export interface CopyPayloadRequest {
  type: 'request';
  id: number;
  request: 'copyPayload';
}

export type WebviewRequest = CopyPayloadRequest;
export type WebviewToHost = ReadyMessage | WebviewRequest;

export interface RequestResults {
  copyPayload: { copied: number };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates what arrives from the webview before the host acts on it: anything that is not exactly
 * a known message is refused (undefined), whatever a compromised page might post.
 */
export function parseWebviewMessage(value: unknown): WebviewToHost | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return typeof value.protocolVersion === 'number' ? { type: 'ready', protocolVersion: value.protocolVersion } : undefined;
    case 'request':
      if (!Number.isSafeInteger(value.id) || (value.id as number) < 0) return undefined;
      if (value.request === 'copyPayload') return { type: 'request', id: value.id as number, request: 'copyPayload' };
      return undefined;
    default:
      return undefined;
  }
}

/** The state the webview stores with setState; the version lets a newer extension ignore old state. */
export interface PanelState {
  version: typeof PROTOCOL_VERSION;
  connectionId: string;
  topic: string;
}

export function parsePanelState(value: unknown): PanelState | undefined {
  if (!isRecord(value) || value.version !== PROTOCOL_VERSION) return undefined;
  if (typeof value.connectionId !== 'string' || typeof value.topic !== 'string') return undefined;
  return { version: PROTOCOL_VERSION, connectionId: value.connectionId, topic: value.topic };
}
