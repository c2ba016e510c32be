/**
 * Messages between the extension host and the engine worker thread, where the MQTT clients and the
 * topic models live. Structured-clone data only. No VS Code.
 */
import type { BackoffOptions } from '../worker/backoff';
import type { ConnectionSecrets, ConnectionState, Subscription } from '../worker/connection';
import type { MessageProperties, TopicLimits, TreeStats } from '../worker/topicTree';
import type { DecodeResult, EncodeResult } from '../worker/decoders/types';
import type { SparkplugStats } from '../worker/decoders/sparkplug/state';
import type { DecoderBinding } from './decoderBindings';
import type { SchemaDraft, SchemaVerdict } from './jsonSchemaCheck';
import type { SchemaBinding } from './schemaBindings';
import type { ConnectionProfile, QoS, SubscriptionSpec } from './profile';
import type { PublishProperties, PublishResult } from './publish';
import type { Point } from './series';
import type { RequestsSnapshot } from './requests';
import type { BrokerStatsSnapshot } from './brokerStats';
import type { FileRunParams } from '../worker/fileRuns';
import type { RunEvent, RunResult } from '../runner/types';
import type { RecorderOptions, RecorderStatus, RecordingScope } from '../worker/recording/recorder';
import type { ReplayOptions, ReplayProgress } from '../worker/recording/replay';
import type { LastValues } from '../worker/lastValues';
import type { RecordingSummary, SeekResult } from '../worker/offlineRecordings';

export type SortOrder = 'name' | 'messages' | 'topics' | 'recent';

export interface TopicFilter {
  kind: 'substring' | 'wildcard' | 'regex';
  pattern: string;
  target: 'topic' | 'payload';
}

/**
 * Names a node of a connection's topic tree. The root is a case of its own: no topic string can
 * name it, since `''` is the first level of every topic that starts with `/`. An `id` is what the
 * worker gave the node in a snapshot; a node that was cleared and came back has a new one.
 */
export type NodeRef = { root: true } | { id: number } | { topic: string };

export const ROOT_REF: NodeRef = Object.freeze({ root: true });

/** What the Topics view shows of one node. */
export interface NodeSnapshot {
  /** Unique among the worker's nodes while this node exists; never reused. */
  id: number;
  topic: string;
  name: string;
  messageCount: number;
  totalMessages: number;
  topicCount: number;
  childCount: number;
  retained: boolean;
  dropped: number;
  lastActivity: number;
  /** Messages arrived, but the memory budget dropped even the last one. */
  valueDropped: boolean;
  last?: {
    /**
     * At most a few hundred characters: the tree shows one line. For a topic with a decoder binding,
     * the decoded value as compact JSON (Sparkplug B: its metrics as `{"name":value,…}`); the raw
     * payload's text (or hex) when it has none or it does not decode.
     */
    preview: string;
    /** The preview is the decoded value: what decoded it ("Protobuf sensors.Reading (sensors.proto)"). */
    decodedBy?: string;
    /** The topic has a binding but the last payload did not decode: why (the preview is then the raw payload). */
    decodeError?: string;
    size: number;
    qos: QoS;
    retain: boolean;
    receivedAt: number;
    truncated: boolean;
  };
  /** For a topic of a Sparkplug B edge node or device (`spBv1.0/<group>/<type>/<node>[/<device>]`): its session as the engine saw it. */
  sparkplug?: SparkplugRowStatus;
  /** For a topic bound to a JSON Schema (`mqttExplorer.schemas`) once a message of it was checked: what the checks said. */
  schema?: SchemaRowStatus;
}

/** What the Topics view shows of a topic's JSON Schema checks (since the schemas were last loaded). */
export interface SchemaRowStatus {
  /** The schema file, workspace-relative. */
  schema: string;
  /** The binding's topic filter. */
  filter: string;
  /** Messages checked, and of those not valid. */
  checked: number;
  invalid: number;
  /** Messages not checked (too big, the schema could not be used, the checking budget spent), with the newest reason. */
  unchecked: number;
  /** The last message: valid, not valid, or not checked. */
  last: 'valid' | 'invalid' | 'unchecked';
  /** The last message's first error ("/temperature: must be <= 22.5") and how many it had, when it is not valid. */
  firstError?: string;
  errorCount?: number;
  /** Why the last message was not checked. */
  reason?: string;
}

/** What a set of JSON Schemas loaded (`setSchemas`). */
export interface SchemasSet {
  /** Problems of the bindings and of the set of files as a whole, one sentence each ("mqttExplorer.schemas[1].filter: …"). */
  errors: string[];
  /** Files that did not load, one sentence each, starting with the file's path. */
  schemaErrors: { file: string; error: string }[];
  /** The files compiled, with their draft. */
  loaded: { file: string; draft: SchemaDraft }[];
}

/** One JSON value checked against the schema bound to a topic (`schemaCheck`, `checkDraft`). */
export interface SchemaCheckResult {
  /** The binding that applies; absent when the topic has none (then there is no verdict either). */
  binding?: SchemaBinding;
  verdict?: SchemaVerdict;
  /** `schemaCheck`: the message checked, and the topic's counts since the schemas were loaded. */
  seq?: number;
  status?: SchemaRowStatus;
}

/** Flags a snapshot carries of a Sparkplug B edge node or device, newest last. */
export const SNAPSHOT_SPARKPLUG_FLAGS = 3;

/** What a Topics row shows of a Sparkplug B edge node or device (from the connection's SparkplugState). */
export interface SparkplugRowStatus {
  group: string;
  /** The edge node: a rebirth request goes to `spBv1.0/<group>/NCMD/<node>`. */
  node: string;
  /** Set on a device's topics (`…/<node>/<device>`). */
  device?: string;
  /** true after a birth, false after a death (NDEATH also for its devices, DDEATH); absent before either was seen, or when not tracked. */
  online?: boolean;
  /** The latest flags (seq gap, bdSeq mismatch, an alias without a birth…), newest last, at most SNAPSHOT_SPARKPLUG_FLAGS. */
  flags: string[];
  /** Every flag raised for it so far. */
  flagCount: number;
  /** The newest seq gap among the flags kept ("seq gap: expected 12, got 14"). */
  seqGap?: string;
  /** Past the connection's caps (edge nodes, devices): nothing is tracked for it. */
  untracked?: boolean;
}

/** A history entry decoded (the `history` request with `decoded: true`, for a topic with a binding). */
export type DecodedText =
  | {
      /** The decoded value as pretty JSON (two spaces, numbers as they arrived). */
      text: string;
      decodedBy: string;
      /** What the decoder noted (a Sparkplug seq gap, an alias without a birth, a field skipped). */
      notes?: string[];
    }
  | { error: string };

/** A message with its payload, for the panel. */
export interface MessageRecord {
  payload: Uint8Array;
  size: number;
  truncated: boolean;
  qos: QoS;
  retain: boolean;
  receivedAt: number;
  properties?: MessageProperties;
}

/** Where a topic's kept history stands: messages are numbered per topic from 0, and `seq` never changes. */
export interface HistoryWindow {
  /** Changes when the topic was cleared and came back: every seq starts over. */
  nodeId: number;
  /** The oldest kept message (older ones were dropped by the limits). */
  firstSeq: number;
  /** One past the newest message. */
  nextSeq: number;
  retained: boolean;
  /** Messages of this topic dropped by the limits. */
  dropped: number;
}

export interface HistoryEntry extends MessageRecord {
  seq: number;
  /** Bytes of the payload kept by the engine: more than `payload.length` when the reply cut it. */
  kept: number;
  /** Only with `decoded: true` on the request, and only for a topic with a binding: the whole kept payload decoded, or why not. */
  decoded?: DecodedText;
}

export interface SeriesResult {
  window: HistoryWindow;
  /** Numeric fields of the recent messages, by path. */
  available: string[];
  series: { path: string; points: Point[] }[];
}

/** What a set of decoders loaded. */
export interface DecodersSet {
  /** Problems of the bindings and of the set of files as a whole, one sentence each. */
  errors: string[];
  /** Files that did not load, or loaded with errors ("sensors.proto line 4: …"). */
  schemaErrors: { file: string; error: string }[];
  /** Full names of the Protobuf message types loaded, in name order (for a "Decode As…" picker). */
  messageTypes: string[];
}

/** One message decoded. */
export interface DecodedMessage {
  /** The message decoded (the newest when the request named none). */
  seq: number;
  /** What decoded it; absent when the topic has no binding (then there is no `result` either). */
  binding?: DecoderBinding;
  result?: DecodeResult;
  /** The payload's size as received. */
  size: number;
  /** The engine kept only the payload's beginning: it was not decoded. */
  truncated: boolean;
}

export interface EngineRequests {
  /** `workspaceFolder`: the first workspace folder's path, where relative TLS file paths lead (none open: absent). */
  connect: { params: { connectionId: string; profile: ConnectionProfile; secrets: ConnectionSecrets; backoff: BackoffOptions; workspaceFolder?: string }; result: void };
  disconnect: { params: { connectionId: string }; result: void };
  remove: { params: { connectionId: string }; result: void };
  reconnectNow: { params: { connectionId: string }; result: void };
  addSubscription: { params: { connectionId: string; spec: SubscriptionSpec }; result: Subscription };
  removeSubscription: { params: { connectionId: string; topic: string }; result: void };
  publish: { params: { connectionId: string; topic: string; payload: Uint8Array; qos: QoS; retain: boolean; properties?: PublishProperties }; result: PublishResult };
  children: {
    params: { connectionId: string; parent: NodeRef; sort: SortOrder; filter?: TopicFilter; offset: number; limit: number };
    result: { children: NodeSnapshot[]; total: number };
  };
  node: { params: { connectionId: string; topic: string; history: number }; result: { snapshot: NodeSnapshot; history: MessageRecord[] } | undefined };
  /**
   * Kept messages `from` ≤ seq < `from + count` (a negative `from` counts from the end), payloads cut to
   * `payloadBytes` (their `size` and `truncated` say what was received). `decodedChars` cuts each `decoded` text (a list's preview). `decoded: true`: each entry of a
   * topic with a decoder binding also carries `decoded` (the whole kept payload decoded, whatever
   * `payloadBytes` is); a topic without one gets none.
   */
  history: { params: { connectionId: string; topic: string; from: number; count: number; payloadBytes: number; decoded?: boolean; decodedChars?: number }; result: { window: HistoryWindow; entries: HistoryEntry[] } | undefined };
  /**
   * Numeric series over the kept history: of `paths`, or of the first fields found when none are given.
   * A topic with a decoder binding gives the fields of its decoded values; Sparkplug B its metrics by
   * name (`metrics.Temperature`, `metrics["Inputs/Temp 1"]`).
   */
  series: { params: { connectionId: string; topic: string; paths: string[]; maxPoints: number }; result: SeriesResult | undefined };
  /** Topics that have received messages, across connections, for pickers. */
  topicList: { params: { limit: number; connectionId?: string }; result: { connectionId: string; topic: string; messageCount: number }[] };
  /** A fresh snapshot of one node (for a tooltip); undefined when it no longer exists. */
  snapshot: { params: { connectionId: string; node: NodeRef }; result: NodeSnapshot | undefined };
  /** The nodes whose rows the view shows: children of `expanded` nodes, and `pinned` topics (open panels). */
  watch: { params: { connectionId: string; expanded: NodeRef[]; pinned: string[] }; result: void };
  visible: { params: { visible: boolean }; result: void };
  /** Forgets a node and everything below it (the root: the whole connection), in the explorer only. */
  clear: { params: { connectionId: string; node: NodeRef }; result: void };
  /** Topics at or below a node (the root: all) that hold a retained message. */
  retainedBelow: { params: { connectionId: string; node: NodeRef }; result: string[] };
  setLimits: { params: { limits: TopicLimits }; result: void };
  /**
   * Replaces the decoder bindings and the schema files. `bindings`: the mqttExplorer.decoders setting as
   * read (checked here; `errors` name index and field). `files`: the workspace's .proto and .avsc texts by
   * workspace-relative, `/`-separated path (at most MAX_SCHEMA_FILES, MAX_SCHEMA_FILE_BYTES each and
   * MAX_SCHEMA_TOTAL_BYTES together, src/shared/decoderFiles.ts; beyond, refused with an error). A worker
   * starts with none: the host sends them again after a restart.
   */
  setDecoders: { params: { bindings: unknown; files: Record<string, string> }; result: DecodersSet };
  /**
   * Decodes one kept message of a topic, on request only (never per received message): `seq` (default
   * the newest) with `binding` ("Decode As…") or else the topic's own. No binding: no `binding`, no `result`.
   * Sparkplug B is read with what the connection's state learnt (births name aliases), and its notes
   * include what the message's arrival showed (a seq gap, a bdSeq mismatch).
   */
  decode: { params: { connectionId: string; topic: string; seq?: number; binding?: DecoderBinding }; result: DecodedMessage };
  /**
   * Replaces the JSON Schema bindings and their files. `bindings`: the mqttExplorer.schemas setting as
   * read (checked here; `errors` name index and field). `files`: the bound schema files' texts by
   * workspace-relative path (at most MAX_SCHEMA_BINDINGS files, MAX_JSON_SCHEMA_FILE_BYTES each and
   * MAX_JSON_SCHEMA_TOTAL_BYTES together, src/shared/schemaBindings.ts). Every topic's counts start
   * over. A worker starts with none: the host sends them again after a restart.
   */
  setSchemas: { params: { bindings: unknown; files: Record<string, string> }; result: SchemasSet };
  /** Checks one kept message of a topic (`seq`, default the newest) against its bound schema, on request (the panel's shown message). */
  schemaCheck: { params: { connectionId: string; topic: string; seq?: number }; result: SchemaCheckResult };
  /** Checks a JSON text (a publish draft) against the schema bound to `topic`; nothing is published. */
  checkDraft: { params: { topic: string; json: string }; result: SchemaCheckResult };
  /**
   * Why a Topics filter's regular expression is not valid (src/shared/regex.ts), or undefined when it
   * is: the input box asks the engine, which runs the filter, so the host bundle carries no RE2 engine.
   */
  checkRegex: { params: { pattern: string }; result: string | undefined };
  /** The binding that decodes a topic now (none: undefined), for the publish form's format list. */
  decoderOf: { params: { topic: string }; result: DecoderBinding | undefined };
  /**
   * Encodes JSON for publishing to `topic`: with `binding`, or else the topic's own. Nothing is
   * published; `result` says why when it cannot be encoded. Sparkplug B numbers the message (`seq`)
   * from the connection's state, except for a `check` (a form checking what is typed).
   */
  encode: { params: { connectionId: string; topic: string; json: string; binding?: DecoderBinding; check?: boolean }; result: { binding?: DecoderBinding; result: EncodeResult } };
  /**
   * Publishes a Sparkplug B rebirth request (NCMD `Node Control/Rebirth` = true, QoS 0, not retained) to
   * `spBv1.0/<group>/NCMD/<node>`; answers the topic it went to and the broker's answer.
   */
  rebirth: { params: { connectionId: string; group: string; node: string }; result: { topic: string; result: PublishResult } };
  /** The tree's totals; `sparkplug` once the connection has seen a Sparkplug B message (what its caps left out is counted there). */
  /**
   * Encodes JSON with the topic's decoder and publishes it, in one request: a Sparkplug B message takes
   * its seq only once published, so a publish that fails leaves no gap. Rejects with the encoder's error.
   */
  publishEncoded: { params: { connectionId: string; topic: string; json: string; qos: QoS; retain: boolean; properties?: PublishProperties }; result: PublishResult };
  /** `duplicateCopies`: second copies of messages left out (an MQTT 5 broker sends one per matching subscription; src/worker/subscriptionIds.ts). */
  stats: { params: { connectionId: string }; result: TreeStats & { sparkplug?: SparkplugStats; schemas?: SchemaStats; duplicateCopies?: number } };
  /** MQTT 5 requests the connection saw, paired with their replies (src/shared/requests.ts); undefined before its first request. */
  requests: { params: { connectionId: string }; result: RequestsSnapshot | undefined };
  /** Whether the Requests view shows: while it does, connections whose requests changed push a `requests` event (at most one a second each). */
  watchRequests: { params: { visible: boolean }; result: void };
  /** Forgets the requests seen by one connection, or by all. */
  clearRequests: { params: { connectionId?: string }; result: void };
  /** After how long an open request is unanswered (mqttExplorer.requests.timeoutSeconds). */
  setRequestTimeout: { params: { timeoutMs: number }; result: void };
  // ---- broker statistics ----
  /** The connection's broker figures from its `$SYS` messages (src/shared/brokerStats.ts); undefined for an unknown connection. */
  brokerStats: { params: { connectionId: string }; result: BrokerStatsSnapshot | undefined };
  /** The connections whose Broker view is open: each gets a `brokerStats` event when its figures changed, at most one a second. */
  watchBrokerStats: { params: { connectionIds: string[] }; result: void };
  /**
   * Runs a `.mqtt` file's blocks on the connection (src/worker/fileRuns.ts): `run` events report each
   * block as it starts and ends; resolves with every block's result. Send it without a deadline:
   * a block may wait up to an hour, and `cancelRun` ends it.
   */
  runFile: { params: FileRunParams; result: RunResult };
  cancelRun: { params: { runId: string }; result: void };
  // --- Replay and snapshots (issue 15: src/worker/recording/replay.ts, src/worker/lastValues.ts) ---
  /**
   * Starts replaying a recording file to a connection (none with `dryRun`: counts only). Resolves
   * once the file's header was read; then `replay` events report progress (a few a second at most)
   * and the end (state done, cancelled or failed). Replays run until they end or are cancelled.
   */
  startReplay: { params: { replayId: string; connectionId?: string; options: ReplayOptions }; result: void };
  pauseReplay: { params: { replayId: string }; result: void };
  resumeReplay: { params: { replayId: string }; result: void };
  /** Ends a replay (no error when it ended already). */
  cancelReplay: { params: { replayId: string }; result: void };
  /**
   * The last kept message of every topic at or below `node` (the root: all), whole (as the engine
   * kept it: `truncated` when its limits cut it), at most `maxTopics` topics and `maxBytes` of
   * payload; what that leaves out is counted.
   */
  lastValues: { params: { connectionId: string; node: NodeRef; maxTopics: number; maxBytes: number }; result: LastValues };
  /** Ends every connection with a DISCONNECT (so brokers publish no last will); the host then ends the thread. */
  shutdown: { params: Record<string, never>; result: void };
  /** Liveness: the host's heartbeat. A worker that does not answer in time is restarted. */
  ping: { params: Record<string, never>; result: { at: number } };
  /**
   * Only in the extension's test mode (workerData.testHooks): make the worker exit, or hang, to test
   * supervision; or fail the next listing of the level `topic`, to test that the Topics view lists it again.
   */
  testHook: { params: { action: 'exit' | 'hang' } | { action: 'failNextListing'; topic: string }; result: void };
  /** The worker's own memory (its heap is apart from the extension host's), after a GC when it can. */
  memory: { params: Record<string, never>; result: { heapUsed: number; arrayBuffers: number; rss: number } };

  // ---- Recording (issue 15): a connection's messages streamed to a file (src/worker/recording, docs/recordings.md) ----
  /**
   * Starts recording what the connection receives (in `scope`) to `path` (absolute; the recording's
   * ending is added when missing). Rejects when the file cannot be created. `recording` events follow.
   */
  startRecording: { params: StartRecordingParams; result: RecordingStatus };
  /** Stops a recording: what is buffered is written and the file closed before it resolves. Undefined for an unknown id. */
  stopRecording: { params: { recordingId: string }; result: RecordingStatus | undefined };
  /** The running recordings, then the last ones that ended. */
  recordings: { params: Record<string, never>; result: RecordingStatus[] };

  // ── Offline recordings (issue 15; src/worker/offlineRecordings.ts) ──
  /**
   * Opens a recording file as an offline connection `connectionId`: one streaming pass builds its
   * index and fills the tree (as the recording ended); `state` events of kind `offline` report the
   * progress. Send it without a deadline: `closeRecording` cancels it (then it rejects). The
   * checkpoint spacing is for tests.
   */
  openRecording: { params: { connectionId: string; path: string; name?: string; checkpointBytes?: number; checkpointMessages?: number }; result: RecordingSummary };
  /** Shows the tree as it was at `time` (epoch ms, clamped to the recording's range); a newer seek stops this one (`superseded`). */
  seekRecording: { params: { connectionId: string; time: number }; result: SeekResult };
  /** Stops any reading of the recording at once (cancels an opening) and removes its offline connection. */
  closeRecording: { params: { connectionId: string }; result: void };
}

// ---- Recording (issue 15) ----
export type { RecordingScope } from '../worker/recording/recorder';

/** What the recorder takes (RecorderOptions, where each field is described), of a connection of the engine; the engine adds the header's connection name and broker. */
export type StartRecordingParams = { connectionId: string } & Pick<RecorderOptions, 'path' | 'scope' | 'gzip' | 'maxBytes' | 'maxMs' | 'rotate' | 'bufferBytes'>;

/** A recording's figures (RecorderStatus) with what it records. */
export interface RecordingStatus extends RecorderStatus {
  id: string;
  connectionId: string;
  scope: RecordingScope;
  gzip: boolean;
}

export type EngineRequestName = keyof EngineRequests;

/** A connection's JSON Schema checks since the schemas were last loaded; what the bounds left out is counted. */
export interface SchemaStats {
  checked: number;
  invalid: number;
  /** Messages of bound topics not checked: too big, not text, the schema refused or suspended, the checking budget spent. */
  unchecked: number;
  /** Of those, the ones the time budget left out. */
  overBudget: number;
  /** Topics whose counts were forgotten (more bound topics than the engine keeps counts for). */
  forgottenTopics: number;
  /** Mark changes not reported (more waiting than a report queue holds). */
  marksDropped: number;
}

export type EngineEvent =
  | { kind: 'state'; connectionId: string; state: ConnectionState }
  | { kind: 'subscriptions'; connectionId: string; subscriptions: Subscription[] }
  /** Coalesced, a few a second at most: what changed of what the views show. */
  | TopicChangesEvent
  /** A connection's requests changed: its fresh snapshot (only while the Requests view shows; at most one a second per connection). */
  | { kind: 'requests'; connectionId: string; snapshot: RequestsSnapshot }
  /** A connection's broker figures changed: its fresh snapshot (only while a Broker view of it is open; at most one a second). */
  | { kind: 'brokerStats'; connectionId: string; snapshot: BrokerStatsSnapshot }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; line: string }
  /** A block of a `runFile` run started or finished. */
  | { kind: 'run'; runId: string; event: RunEvent }
  /** A recording's figures: at most one a second while it runs (when they changed), and once when it ends. */
  | { kind: 'recording'; status: RecordingStatus }
  /** A replay's progress (src/worker/recording/replay.ts): a few a second at most, and at each change of state. */
  | { kind: 'replay'; replayId: string; progress: ReplayProgress };

/** Rows a change report carries per pinned topic: those new since the last report, at most this many. */
export const PUSHED_ROWS = 50;
/** Characters of a decoded value's text that a list row's preview gets (pushed rows, `rows` requests). */
export const PREVIEW_DECODED_CHARS = 400;
/** Payload bytes of each pushed row: enough for the list's one-line preview. */
export const PUSHED_ROW_BYTES = 96;
/** Payload bytes of the newest message pushed with a report; a panel loads more when asked. */
export const PUSHED_LATEST_BYTES = 64 * 1024;

/** A pinned topic's news: the window, the rows new since the last report, and the newest message. */
export interface PinnedUpdate {
  topic: string;
  window: HistoryWindow;
  /** Oldest first, at most PUSHED_ROWS, payloads cut to PUSHED_ROW_BYTES (`size` and `kept` say what there is). */
  recent: HistoryEntry[];
  /** Payload cut to PUSHED_LATEST_BYTES. */
  latest: HistoryEntry;
}

export interface TopicChangesEvent {
  kind: 'changes';
  connectionId: string;
  /** Fresh snapshots of shown rows whose own label, description or icon may have changed. */
  rows: NodeSnapshot[];
  /** Expanded nodes (or the root) whose list of children changed: a child came or went. */
  relist: NodeRef[];
  /** Pinned topics (open panels) that received messages, with what a panel shows next: no round trip back. */
  pinned: PinnedUpdate[];
  /** Everything may have changed (a clear, too many changes to list): rows and panels start over. */
  reset: boolean;
  /** The connection's totals. */
  stats: TreeStats;
  /**
   * JSON Schema marks that changed, by topic (true: the last message is not valid): for the Topics
   * view's decoration, which VS Code also shows on the ancestors' rows. `reset`: every mark went
   * first (the schemas loaded again). Absent when none changed.
   */
  schemaMarks?: { reset: boolean; marks: [string, boolean][] };
}

/** What the worker handles (rpc.ts `Api`): every request above; it receives no events. */
export interface EngineWorkerApi {
  requests: EngineRequests;
  events: Record<never, never>;
}

/** What the extension host handles: the worker's events, one typed union under one name. */
export interface EngineHostApi {
  requests: Record<never, never>;
  events: { engine: EngineEvent };
}

/** Data the worker is started with. */
export interface EngineWorkerData {
  /** The extension runs its tests (ExtensionMode.Test): `testHook` may make the worker exit or hang. */
  testHooks: boolean;
  /** Node ids of this worker start above it: a row from an earlier worker names nothing here. */
  idBase: number;
  /**
   * VS Code's translations for the display language (vscode.l10n.bundle): the worker has no
   * `vscode` module, so its user-facing texts translate through @vscode/l10n with this bundle.
   * Absent (English, the unit tests, the command line): texts stay as written.
   */
  l10nBundle?: Record<string, string>;
}

/** The worker's answer to each request, typed per request: a handler cannot return the wrong result. */
export type EngineHandlers = {
  [K in EngineRequestName]: (params: EngineRequests[K]['params']) => EngineRequests[K]['result'] | Promise<EngineRequests[K]['result']>;
};
