/**
 * The protocols between the extension host and its webviews, one per webview (the topic panel, the
 * connection form), carried by the endpoint of rpc.ts. Both sides import this file, so a renamed
 * message is a compile error, not a silent drop. It never imports `vscode`.
 *
 * Rules: the webview sends the `ready` event once it has loaded, and the host posts nothing before
 * that. Every request gets exactly one reply, a result or an error. The host checks every message
 * from a webview (parsePanelMessage, parseEditorMessage) before it acts on it.
 */

import type { ConnectionProfile } from './profile';
import { SECRET_FIELDS, typedSecrets, withoutSecrets, type SecretField } from './profileForm';
import { parseDraft, type PublishDraft, type PublishResult } from './publish';
import { parseMessage, type EventOf, type Incoming, type None, type RequestMessage, type RequestOf } from './rpc';
import { isRecord } from './guards';
import { BINDING_FORMATS, type BindingFormat } from './decoderBindings';
import type { JsonNode } from './json';
import type { SchemaIssue } from './jsonSchemaCheck';
import type { BrokerStatsSnapshot } from './brokerStats';

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

/** A message to inspect, with its payload's bytes (the webview decodes them; nothing is ever HTML). */
export interface MessageDetail extends HistoryRow {
  /** A plain Uint8Array of exactly these bytes: postMessage carries it as binary, not as text. */
  payload: Uint8Array;
  /** Bytes the engine kept; `payload` holds fewer when the panel cut it, and `whole` loads them all. */
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
   * Counts the topics this panel has shown: the endpoints' generation. Requests carry it; the host
   * refuses one made for an earlier topic, and the webview drops replies that come back after the
   * panel moved on.
   */
  target: number;
}

export type ExportFormat = 'json' | 'ndjson' | 'csv';

/**
 * The topic changed: at most about ten a second, bounded in size (the newest rows, the newest
 * message cut to VIEW_PAYLOAD_BYTES). `window` is undefined while the topic has no message.
 */
export interface PanelUpdate {
  window: HistoryWindowView | undefined;
  recent: HistoryRow[];
  latest: MessageDetail | undefined;
}

/** The connection form's content: sent after `ready`. */
export interface EditProfile {
  profile: ConnectionProfile;
  target: ProfileTarget;
  isNew: boolean;
  hasPassword: boolean;
  hasKeyPassphrase: boolean;
  /** A folder is open, so workspace settings can be chosen. */
  canUseWorkspace: boolean;
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

/** Payload bytes a message brings into the webview unless the whole one is asked for. */
export const VIEW_PAYLOAD_BYTES = 64 * 1024;
/** Rows one `rows` request may ask for. */
export const MAX_ROWS_PER_REQUEST = 500;
/** Fields one chart may draw. */
export const MAX_CHART_SERIES = 12;

/** A decoder to try or bind ("Decode As…"): the binding without its topic filter. */
export interface DecoderChoice {
  format: BindingFormat;
  /** Protobuf: the message type's full name. */
  type?: string;
  /** Protobuf (optional) and Avro (required): the workspace-relative schema file. */
  schema?: string;
}

/** A message as the topic's decoder reads it: what the payload tab shows unless Raw is chosen. */
export interface DecodedView {
  seq: number;
  /** What decoded it, in words: "Protobuf sensors.Reading (sensors.proto)". */
  decodedBy: string;
  /** The binding's topic filter ("fleet/+/telemetry"); absent for a preview. */
  filter?: string;
  /** The decoded value (a JsonNode: 64-bit integers exact, bytes as base64). */
  value?: JsonNode;
  /** Why it could not be decoded; the raw bytes are shown with it. */
  error?: string;
  /** Worth telling beside the value: a Sparkplug seq gap, an unknown alias. */
  notes?: string[];
}

/** A message checked against its topic's JSON Schema (`mqttExplorer.schemas`): what the payload tab says above it. */
export interface SchemaView {
  seq: number;
  /** The schema file and the binding's filter. */
  schema: string;
  filter: string;
  /** true: valid; false: not valid (`errors`, `more` beyond them); undefined: not checked (`unchecked` says why). */
  valid?: boolean;
  errors: SchemaIssue[];
  more: number;
  unchecked?: string;
  /** The topic's messages checked since the schema loaded, and of those not valid. */
  checked: number;
  invalid: number;
}

/** A publish draft checked against the schema bound to its topic (nothing is published). */
export interface DraftSchemaCheck {
  /** The schema file; absent when no schema is bound to the topic. */
  schema?: string;
  valid?: boolean;
  errors?: SchemaIssue[];
  more?: number;
  unchecked?: string;
}

/** What "Decode As…" can offer: the Protobuf types and Avro schemas the workspace has loaded. */
export interface DecoderChoices {
  messageTypes: string[];
  avroSchemas: string[];
  /** A trusted folder is open: a binding can go to its settings. */
  canWriteWorkspace: boolean;
}

export interface SeriesView {
  available: string[];
  series: { path: string; points: { t: number; v: number }[] }[];
}

/** What every webview tells its host: it has loaded, and the host may post from now on. */
export interface ReadyEvents {
  ready: { protocolVersion: number };
}

// ---- the topic panel ----

/** The requests the topic panel makes: their parameters and results. */
export interface PanelRequests {
  rows: { params: { from: number; count: number }; result: { window: HistoryWindowView | undefined; rows: HistoryRow[] } };
  message: { params: { seq: number; whole: boolean }; result: MessageDetail };
  series: { params: { paths: string[] }; result: SeriesView };
  /** `decoded`: as the topic's decoder reads it (pretty JSON); else the payload as it arrived. */
  copyPayload: { params: { seq: number; decoded?: boolean }; result: { copied: number } };
  savePayload: { params: { seq: number }; result: { saved: string | undefined } };
  openPayload: { params: { seq: number; decoded?: boolean }; result: Record<string, never> };
  exportHistory: { params: { format: ExportFormat }; result: { saved: string | undefined; count: number } };
  setFollow: { params: { follow: boolean }; result: Record<string, never> };
  /** Checked again on the host (parseDraft, validateDraft): the webview is not trusted. */
  publish: { params: { draft: unknown }; result: PublishResult };
  recentPublishes: { params: Record<string, never>; result: PublishDraft[] };
  knownTopics: { params: Record<string, never>; result: string[] };
  /** The message decoded by the topic's binding; undefined when the topic has none. */
  decoded: { params: { seq: number }; result: DecodedView | undefined };
  /** "Decode As…": the message decoded with `decoder`, bound to nothing yet. */
  decodePreview: { params: { seq: number; decoder: DecoderChoice }; result: DecodedView };
  decoderChoices: { params: Record<string, never>; result: DecoderChoices };
  /** Writes a binding of `filter` to `decoder` first in mqttExplorer.decoders (checked again on the host). */
  saveBinding: { params: { filter: string; decoder: DecoderChoice; target: 'workspace' | 'user' }; result: { saved: string } };
  /** The publish form's "Bound decoder": its name for `topic`, and why `payload` would not encode (nothing is published). */
  checkEncoding: { params: { topic: string; payload: string }; result: { decoder?: string; error?: string } };
  /** The message checked against the topic's JSON Schema; undefined when none is bound. */
  schemaCheck: { params: { seq: number }; result: SchemaView | undefined };
  /** The publish form's draft (JSON text) checked against the schema bound to `topic`. */
  checkSchema: { params: { topic: string; payload: string }; result: DraftSchemaCheck };
}

/** The topic panel's host: answers the panel's requests. */
export interface PanelHostApi {
  requests: PanelRequests;
  events: ReadyEvents;
}

/** The topic panel's page: told which topic it shows, its changes, and drafts to publish. */
export interface PanelWebviewApi {
  requests: None;
  events: {
    /** Which topic the panel shows: after `ready`, and when the panel follows the selection elsewhere. */
    panelTopic: PanelTopic;
    panelUpdate: PanelUpdate;
    /** Fills the publish form (from "Publish to This Topic") and shows it. */
    publishDraft: PublishDraft;
    /** The bindings or schema files changed: decoded views are stale. */
    decodersChanged: Record<string, never>;
    /** The JSON Schemas changed: schema checks are stale. */
    schemasChanged: Record<string, never>;
    /** "Decode As…" from the Topics view: open the chooser. */
    decodeAs: Record<string, never>;
  };
}

/** Replies the panel waits for without a deadline: they wait on a person, in a save dialog. */
export const PANEL_DEADLINES: { [K in keyof PanelRequests]?: number } = { savePayload: Infinity, exportHistory: Infinity };

// ---- the connection form ----

export interface EditorRequests {
  saveProfile: { params: SaveProfileParams; result: { id: string } };
  pickFile: { params: { field: TlsFileField }; result: { path: string | undefined } };
}

export interface EditorHostApi {
  requests: EditorRequests;
  events: ReadyEvents;
}

export interface EditorWebviewApi {
  requests: None;
  events: { editProfile: EditProfile };
}

/**
 * Replies the form waits for without a deadline: a file dialog waits on a person, and "Save and
 * Connect" on the broker, within the profile's own connect timeout (up to 600 s).
 */
export const EDITOR_DEADLINES: { [K in keyof EditorRequests]?: number } = { saveProfile: Infinity, pickFile: Infinity };

// ---- the Broker view (broker statistics) ----

/** What the Broker view shows of its connection: its name and state, and the engine's figures. */
export interface BrokerViewUpdate {
  connectionId: string;
  connectionName: string;
  /** "connected", "connecting", "reconnecting: <reason>", "disconnected", "failed: <reason>". */
  connectionState: string;
  connected: boolean;
  /** undefined while the engine does not know the connection (not connected yet, restarting). */
  stats: BrokerStatsSnapshot | undefined;
}

export interface BrokerViewRequests {
  /** Adds the subscription `$SYS/#` to the view's connection (offered when it has none). */
  subscribeSys: { params: Record<string, never>; result: Record<string, never> };
}

export interface BrokerViewHostApi {
  requests: BrokerViewRequests;
  events: ReadyEvents;
}

export interface BrokerViewWebviewApi {
  requests: None;
  events: { brokerUpdate: BrokerViewUpdate };
}

/** Replies the Broker view waits for without a deadline: a subscription waits on the broker. */
export const BROKER_VIEW_DEADLINES: { [K in keyof BrokerViewRequests]?: number } = { subscribeSys: Infinity };

/** The Broker view's stored state: which connection it shows (the serializer reopens it after a reload). */
export interface BrokerViewState {
  version: 1;
  connectionId: string;
}

export function parseBrokerViewState(value: unknown): BrokerViewState | undefined {
  return isRecord(value) && value.version === 1 && typeof value.connectionId === 'string' && value.connectionId.length <= 1024 ? { version: 1, connectionId: value.connectionId } : undefined;
}

// ---- validation of what webviews send ----

/** Every request a webview can make. */
export interface RequestMap extends PanelRequests, EditorRequests, BrokerViewRequests {}
export type RequestName = keyof RequestMap;
export type RequestResults = { [K in RequestName]: RequestMap[K]['result'] };

export type WebviewRequest = RequestOf<RequestMap>;
export type WebviewToHost = WebviewRequest | EventOf<ReadyEvents>;

/** Which requests belong to which webview; a missing name here is a compile error. */
const PANEL_REQUESTS: Record<keyof PanelRequests, true> = {
  rows: true,
  message: true,
  series: true,
  copyPayload: true,
  savePayload: true,
  openPayload: true,
  exportHistory: true,
  setFollow: true,
  publish: true,
  recentPublishes: true,
  knownTopics: true,
  decoded: true,
  decodePreview: true,
  decoderChoices: true,
  saveBinding: true,
  checkEncoding: true,
  schemaCheck: true,
  checkSchema: true,
};
const EDITOR_REQUESTS: Record<keyof EditorRequests, true> = { saveProfile: true, pickFile: true };
const BROKER_VIEW_REQUESTS: Record<keyof BrokerViewRequests, true> = { subscribeSys: true };

function optionalSecret(value: unknown): string | null | undefined | false {
  if (value === undefined || value === null || typeof value === 'string') return value;
  return false;
}

/** Characters of a Protobuf type, a schema path, or a binding's topic filter the panel may send. */
export const MAX_CHOICE_TEXT = 1024;
/** Characters of a topic the panel may send (MQTT's limit in bytes is 65,535). */
const MAX_TOPIC_CHARS = 65_535;
/** Payload characters the form may send to be checked: more is checked when published. */
export const MAX_CHECKED_PAYLOAD = 256 * 1024;

function optionalText(value: unknown): value is string | undefined {
  return value === undefined || (typeof value === 'string' && value.length <= MAX_CHOICE_TEXT);
}

function parseChoice(value: unknown): DecoderChoice | undefined {
  if (!isRecord(value) || !BINDING_FORMATS.includes(value.format as BindingFormat) || !optionalText(value.type) || !optionalText(value.schema)) return undefined;
  const choice: DecoderChoice = { format: value.format as BindingFormat };
  if (value.type !== undefined) choice.type = value.type;
  if (value.schema !== undefined) choice.schema = value.schema;
  return choice;
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
    case 'openPayload':
      if (params.decoded !== undefined && typeof params.decoded !== 'boolean') return undefined;
      return isSeq(params.seq) ? { seq: params.seq, ...(params.decoded ? { decoded: true } : {}) } : undefined;
    case 'savePayload':
      return isSeq(params.seq) ? { seq: params.seq } : undefined;
    case 'exportHistory':
      return params.format === 'json' || params.format === 'ndjson' || params.format === 'csv' ? { format: params.format } : undefined;
    case 'setFollow':
      return typeof params.follow === 'boolean' ? { follow: params.follow } : undefined;
    case 'publish':
      return isRecord(params.draft) ? { draft: params.draft } : undefined;
    case 'recentPublishes':
    case 'knownTopics':
    case 'decoderChoices':
    case 'subscribeSys':
      return {};
    case 'decoded':
      return isSeq(params.seq) ? { seq: params.seq } : undefined;
    case 'decodePreview': {
      const decoder = parseChoice(params.decoder);
      return isSeq(params.seq) && decoder ? { seq: params.seq, decoder } : undefined;
    }
    case 'saveBinding': {
      const decoder = parseChoice(params.decoder);
      if (!decoder || typeof params.filter !== 'string' || params.filter.length > MAX_CHOICE_TEXT || (params.target !== 'workspace' && params.target !== 'user')) return undefined;
      return { filter: params.filter, decoder, target: params.target };
    }
    case 'schemaCheck':
      return isSeq(params.seq) ? { seq: params.seq } : undefined;
    case 'checkEncoding':
    case 'checkSchema':
      return typeof params.topic === 'string' && params.topic.length <= MAX_TOPIC_CHARS && typeof params.payload === 'string' && params.payload.length <= MAX_CHECKED_PAYLOAD ? { topic: params.topic, payload: params.payload } : undefined;
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
 * Validates what arrives from a webview before the host acts on it: anything that is not exactly
 * a known message is refused (undefined), whatever a compromised page might post. The result is
 * rebuilt from the fields it knows; nothing else the page sent comes along.
 */
export function parseWebviewMessage(value: unknown): WebviewToHost | undefined {
  const message = parseMessage(value);
  switch (message?.type) {
    case 'event': {
      if (message.name !== 'ready' || !isRecord(message.data) || typeof message.data.protocolVersion !== 'number') return undefined;
      return { type: 'event', name: 'ready', data: { protocolVersion: message.data.protocolVersion } };
    }
    case 'request': {
      const params = parseParams(message.name, message.params ?? {});
      if (!params) return undefined;
      const parsed: RequestMessage = { type: 'request', id: message.id, name: message.name, params };
      if (message.generation !== undefined) parsed.generation = message.generation;
      return parsed as WebviewRequest;
    }
    default:
      return undefined; // replies too: the host asks webviews nothing
  }
}

/** parseWebviewMessage, and only the requests of the topic panel. */
export function parsePanelMessage(value: unknown): Incoming<PanelHostApi> | undefined {
  const message = parseWebviewMessage(value);
  if (message?.type === 'request' && !Object.hasOwn(PANEL_REQUESTS, message.name)) return undefined;
  return message as Incoming<PanelHostApi> | undefined;
}

/** parseWebviewMessage, and only the requests of the Broker view. */
export function parseBrokerViewMessage(value: unknown): Incoming<BrokerViewHostApi> | undefined {
  const message = parseWebviewMessage(value);
  if (message?.type === 'request' && !Object.hasOwn(BROKER_VIEW_REQUESTS, message.name)) return undefined;
  return message as Incoming<BrokerViewHostApi> | undefined;
}

/** parseWebviewMessage, and only the requests of the connection form. */
export function parseEditorMessage(value: unknown): Incoming<EditorHostApi> | undefined {
  const message = parseWebviewMessage(value);
  if (message?.type === 'request' && !Object.hasOwn(EDITOR_REQUESTS, message.name)) return undefined;
  return message as Incoming<EditorHostApi> | undefined;
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
  /** Show the payload as it arrived, not as the topic's decoder reads it. */
  raw?: boolean;
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
  if (value.raw === true) state.raw = true;
  if (Array.isArray(value.chartPaths)) state.chartPaths = value.chartPaths.filter((path): path is string => typeof path === 'string').slice(0, MAX_CHART_SERIES);
  const publish = value.publish === undefined ? false : parseDraft(value.publish);
  if (publish) state.publish = publish;
  return state;
}

/**
 * What the connection form keeps with setState, so a hidden or reloaded form loses nothing typed
 * but its secrets: VS Code stores webview state on disk, so the password and the passphrase are
 * never in it. `retype` names the secret fields that held something, so the restored form can ask
 * for them again.
 */
export interface EditorState {
  version: typeof PROTOCOL_VERSION;
  profileId: string;
  draft: Record<string, string | boolean>;
  retype?: SecretField[];
}

export function parseEditorState(value: unknown): EditorState | undefined {
  if (!isRecord(value) || value.version !== PROTOCOL_VERSION || typeof value.profileId !== 'string' || !isRecord(value.draft)) return undefined;
  const draft = Object.fromEntries(Object.entries(value.draft).filter((entry): entry is [string, string | boolean] => typeof entry[1] === 'string' || typeof entry[1] === 'boolean'));
  // A state stored by an earlier version may still hold typed secrets: they are dropped, and asked for again.
  const retype = new Set([...typedSecrets(draft), ...(Array.isArray(value.retype) ? SECRET_FIELDS.filter((field) => (value.retype as unknown[]).includes(field)) : [])]);
  const state: EditorState = { version: PROTOCOL_VERSION, profileId: value.profileId, draft: withoutSecrets(draft) };
  if (retype.size) state.retype = SECRET_FIELDS.filter((field) => retype.has(field));
  return state;
}
