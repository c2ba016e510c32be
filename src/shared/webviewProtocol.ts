/**
 * The one protocol between the extension host and the webview. Both sides import this file, so a
 * renamed message is a compile error, not a silent drop. It never imports `vscode`.
 *
 * Rules: the webview sends `ready` once it has loaded, and the host posts nothing before that.
 * Requests carry an id; every request gets exactly one reply, `ok` or an error.
 */

import type { ConnectionProfile } from './profile';
import { parseDraft, type PublishDraft, type PublishResult } from './publish';

export const PROTOCOL_VERSION = 1;

/** MQTT 5 properties as the webview shows them: correlation data in base64, user properties as pairs. */
export interface PropertiesView {
  contentType?: string;
  responseTopic?: string;
  correlationData?: string;
  messageExpiryInterval?: number;
  payloadFormatIndicator?: boolean;
  userProperties?: [string, string][];
}

/** One line of the history list. Messages are numbered per topic; a `seq` never changes meaning. */
export interface HistoryRow {
  seq: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** The payload's size as received. */
  size: number;
  /** The engine kept only the beginning of the payload (`mqttExplorer.limits.maxPayloadKib`). */
  truncated: boolean;
  /** The payload's beginning on one line, for the list. */
  preview: string;
  properties?: PropertiesView;
}

/** A message to inspect: the payload in base64 (the webview decodes it; nothing is ever HTML). */
export interface MessageDetail extends HistoryRow {
  base64: string;
  /** Bytes the engine kept; `base64` holds fewer when the panel cut it, and `whole` loads them all. */
  kept: number;
  cut: boolean;
}

/** Where the topic's history stands (see the engine's HistoryWindow). */
export interface HistoryWindowView {
  nodeId: number;
  firstSeq: number;
  nextSeq: number;
  retained: boolean;
  dropped: number;
}

export interface PanelTopic {
  connectionId: string;
  connectionName: string;
  topic: string;
  /** The panel follows the Topics view's selection. */
  follow: boolean;
  /** MQTT 5 connections can publish with properties. */
  mqttVersion: 4 | 5;
  /**
   * Counts the topics this panel has shown. Requests carry it; the host refuses one made for an
   * earlier topic, and the webview drops replies that come back after the panel moved on.
   */
  target: number;
}

export type ExportFormat = 'json' | 'ndjson' | 'csv';

// ---- host -> webview ----

/** Which topic the panel shows: sent after `ready` and when the panel follows the selection elsewhere. */
export interface PanelTopicMessage {
  type: 'panelTopic';
  topic: PanelTopic;
}

/**
 * The topic changed: at most about ten a second, bounded in size (the newest rows, the newest
 * message cut to VIEW_PAYLOAD_BYTES). `window` is undefined while the topic has no message.
 */
export interface PanelUpdateMessage {
  type: 'panelUpdate';
  window: HistoryWindowView | undefined;
  recent: HistoryRow[];
  latest: MessageDetail | undefined;
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

/** Fills the publish form (from "Publish to This Topic") and shows it. */
export interface PublishDraftMessage {
  type: 'publishDraft';
  draft: PublishDraft;
}

export type HostToWebview = PanelTopicMessage | PanelUpdateMessage | PublishDraftMessage | EditProfileMessage | ReplyOk | ReplyError;

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
/** Payload bytes a message brings into the webview unless the whole one is asked for. */
export const VIEW_PAYLOAD_BYTES = 64 * 1024;
/** Rows one `rows` request may ask for. */
export const MAX_ROWS_PER_REQUEST = 500;
/** Fields one chart may draw. */
export const MAX_CHART_SERIES = 12;

export interface SeriesView {
  available: string[];
  series: { path: string; points: { t: number; v: number }[] }[];
}

export interface RequestMap {
  rows: { params: { from: number; count: number }; result: { window: HistoryWindowView | undefined; rows: HistoryRow[] } };
  message: { params: { seq: number; whole: boolean }; result: MessageDetail };
  series: { params: { paths: string[] }; result: SeriesView };
  copyPayload: { params: { seq: number }; result: { copied: number } };
  savePayload: { params: { seq: number }; result: { saved: string | undefined } };
  openPayload: { params: { seq: number }; result: Record<string, never> };
  exportHistory: { params: { format: ExportFormat }; result: { saved: string | undefined; count: number } };
  setFollow: { params: { follow: boolean }; result: Record<string, never> };
  /** Checked again on the host (parseDraft, validateDraft): the webview is not trusted. */
  publish: { params: { draft: unknown }; result: PublishResult };
  recentPublishes: { params: Record<string, never>; result: PublishDraft[] };
  knownTopics: { params: Record<string, never>; result: string[] };
  saveProfile: { params: SaveProfileParams; result: { id: string } };
  pickFile: { params: { field: TlsFileField }; result: { path: string | undefined } };
}

export type RequestName = keyof RequestMap;
export type RequestResults = { [K in RequestName]: RequestMap[K]['result'] };

export type WebviewRequest = {
  [K in RequestName]: { type: 'request'; id: number; request: K; params: RequestMap[K]['params']; target?: number };
}[RequestName];

export type WebviewToHost = ReadyMessage | WebviewRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalSecret(value: unknown): string | null | undefined | false {
  if (value === undefined || value === null || typeof value === 'string') return value;
  return false;
}

function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function parseParams(request: unknown, params: unknown): WebviewRequest['params'] | undefined {
  if (!isRecord(params)) return undefined;
  switch (request) {
    case 'rows':
      return isSeq(params.from) && isSeq(params.count) && params.count <= MAX_ROWS_PER_REQUEST ? { from: params.from, count: params.count } : undefined;
    case 'message':
      return isSeq(params.seq) && typeof params.whole === 'boolean' ? { seq: params.seq, whole: params.whole } : undefined;
    case 'series': {
      const paths = params.paths;
      if (!Array.isArray(paths) || paths.length > MAX_CHART_SERIES) return undefined;
      if (!paths.every((path): path is string => typeof path === 'string' && path.length <= 1000)) return undefined;
      return { paths };
    }
    case 'copyPayload':
    case 'savePayload':
    case 'openPayload':
      return isSeq(params.seq) ? { seq: params.seq } : undefined;
    case 'exportHistory':
      return params.format === 'json' || params.format === 'ndjson' || params.format === 'csv' ? { format: params.format } : undefined;
    case 'setFollow':
      return typeof params.follow === 'boolean' ? { follow: params.follow } : undefined;
    case 'publish':
      return isRecord(params.draft) ? { draft: params.draft } : undefined;
    case 'recentPublishes':
    case 'knownTopics':
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
      if (value.target !== undefined && !isSeq(value.target)) return undefined;
      const parsed = { type: 'request', id: value.id as number, request: value.request, params } as WebviewRequest;
      if (value.target !== undefined) parsed.target = value.target;
      return parsed;
    }
    default:
      return undefined;
  }
}

export type PanelTab = 'payload' | 'diff' | 'chart' | 'publish';
export type PayloadViewChoice = 'auto' | 'json' | 'text' | 'hex' | 'base64' | 'numbers';
const PANEL_TABS: readonly string[] = ['payload', 'diff', 'chart', 'publish'];
const VIEW_CHOICES: readonly string[] = ['auto', 'json', 'text', 'hex', 'base64', 'numbers'];

/** The panel's stored state (setState and the serializer): what it shows and how. Versioned on its own. */
export interface PanelState {
  version: 2;
  connectionId: string;
  topic: string;
  follow: boolean;
  tab: PanelTab;
  view: PayloadViewChoice;
  /** Chart fields picked; empty: the first ones found. */
  chartPaths: string[];
  /** What the publish form holds, so that hiding or reloading the panel loses nothing typed. */
  publish?: PublishDraft;
}

export function defaultPanelState(connectionId: string, topic: string, follow = false): PanelState {
  return { version: 2, connectionId, topic, follow, tab: 'payload', view: 'auto', chartPaths: [] };
}

/** Reads stored panel state; version 1 (connection and topic only) is carried over, anything else is ignored. */
export function parsePanelState(value: unknown): PanelState | undefined {
  if (!isRecord(value) || (value.version !== 1 && value.version !== 2)) return undefined;
  if (typeof value.connectionId !== 'string' || typeof value.topic !== 'string') return undefined;
  const state = defaultPanelState(value.connectionId, value.topic, value.follow === true);
  if (typeof value.tab === 'string' && PANEL_TABS.includes(value.tab)) state.tab = value.tab as PanelTab;
  if (typeof value.view === 'string' && VIEW_CHOICES.includes(value.view)) state.view = value.view as PayloadViewChoice;
  if (Array.isArray(value.chartPaths)) state.chartPaths = value.chartPaths.filter((path): path is string => typeof path === 'string').slice(0, MAX_CHART_SERIES);
  const publish = value.publish === undefined ? false : parseDraft(value.publish);
  if (publish) state.publish = publish;
  return state;
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
