/**
 * The one protocol between the extension host and the webview. Both sides import this file, so a
 * renamed message is a compile error, not a silent drop. It never imports `vscode`.
 *
 * Rules: the webview sends `ready` once it has loaded, and the host posts nothing before that.
 * Requests carry an id; every request gets exactly one reply, `ok` or an error.
 */

import type { ConnectionProfile } from './profile';

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

/** The connection form's content: sent after `ready`. */
export interface EditProfileMessage {
  type: 'editProfile';
  profile: ConnectionProfile;
  target: ProfileTarget;
  isNew: boolean;
  hasPassword: boolean;
  hasKeyPassphrase: boolean;
  /** A folder is open, so workspace settings can be chosen. */
  canUseWorkspace: boolean;
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

export type HostToWebview = TopicStateMessage | EditProfileMessage | ReplyOk | ReplyError;

// ---- webview -> host ----

export interface ReadyMessage {
  type: 'ready';
  protocolVersion: number;
}

export type ProfileTarget = 'user' | 'workspace';
export type TlsFileField = 'caFile' | 'certFile' | 'keyFile';

export interface SaveProfileParams {
  /** Checked again on the host (normaliseProfile, validateProfile): the webview is not trusted. */
  profile: unknown;
  target: ProfileTarget;
  /** A new value; null removes the stored one; absent keeps it. */
  password?: string | null;
  keyPassphrase?: string | null;
  connect: boolean;
}

/** Every request the webview can make: its parameters and the result of its reply. */
export interface RequestMap {
  copyPayload: { params: Record<string, never>; result: { copied: number } };
  saveProfile: { params: SaveProfileParams; result: { id: string } };
  pickFile: { params: { field: TlsFileField }; result: { path: string | undefined } };
}

export type RequestName = keyof RequestMap;
export type RequestResults = { [K in RequestName]: RequestMap[K]['result'] };

export type WebviewRequest = {
  [K in RequestName]: { type: 'request'; id: number; request: K; params: RequestMap[K]['params'] };
}[RequestName];

export type WebviewToHost = ReadyMessage | WebviewRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalSecret(value: unknown): string | null | undefined | false {
  if (value === undefined || value === null || typeof value === 'string') return value;
  return false;
}

function parseParams(request: unknown, params: unknown): WebviewRequest['params'] | undefined {
  if (!isRecord(params)) return undefined;
  switch (request) {
    case 'copyPayload':
      return {};
    case 'pickFile':
      return params.field === 'caFile' || params.field === 'certFile' || params.field === 'keyFile' ? { field: params.field } : undefined;
    case 'saveProfile': {
      const password = optionalSecret(params.password);
      const keyPassphrase = optionalSecret(params.keyPassphrase);
      if (!isRecord(params.profile) || (params.target !== 'user' && params.target !== 'workspace') || typeof params.connect !== 'boolean') return undefined;
      if (password === false || keyPassphrase === false) return undefined;
      const result: SaveProfileParams = { profile: params.profile, target: params.target, connect: params.connect };
      if (password !== undefined) result.password = password;
      if (keyPassphrase !== undefined) result.keyPassphrase = keyPassphrase;
      return result;
    }
    default:
      return undefined;
  }
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
    case 'request': {
      if (!Number.isSafeInteger(value.id) || (value.id as number) < 0) return undefined;
      const params = parseParams(value.request, value.params ?? {});
      if (!params) return undefined;
      return { type: 'request', id: value.id as number, request: value.request, params } as WebviewRequest;
    }
    default:
      return undefined;
  }
}

/** The state a topic panel stores with setState; the version lets a newer extension ignore old state. */
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

/** What the connection form keeps with setState, so a hidden or reloaded form loses nothing typed. */
export interface EditorState {
  version: typeof PROTOCOL_VERSION;
  profileId: string;
  draft: Record<string, string | boolean>;
}

export function parseEditorState(value: unknown): EditorState | undefined {
  if (!isRecord(value) || value.version !== PROTOCOL_VERSION || typeof value.profileId !== 'string' || !isRecord(value.draft)) return undefined;
  const draft = Object.fromEntries(Object.entries(value.draft).filter((entry): entry is [string, string | boolean] => typeof entry[1] === 'string' || typeof entry[1] === 'boolean'));
  return { version: PROTOCOL_VERSION, profileId: value.profileId, draft };
}
