/**
 * The public API of the `.mqtt` file runner (docs/mqtt-files.md, "Running a file"): what a host
 * gives it (a connection as an `MqttPort`, a confined file reader, variables, a clock, a signal)
 * and what it reports (one `BlockResult` per block, as events and at the end).
 *
 * No VS Code and no Node here. Every value the runner reports is plain data (objects, arrays,
 * strings, numbers, booleans, `Uint8Array`): it survives structured clone, so the runner can work
 * in the engine worker and post its events to the extension host as they are.
 */
import type { QoS } from '../shared/profile';
import type { PublishProperties } from '../shared/publish';
import type { BlockKind, Clock, MatchResult, MqttFileDocument, Range, VariableSources } from '../shared/mqttFiles';

export type { QoS, PublishProperties, BlockKind, Clock, MatchResult, MqttFileDocument, Range, VariableSources };

// ---------------------------------------------------------------------------------------------
// The connection, as the runner uses it

/** What the broker answered to a publish (PUBACK at QoS 1, PUBREC/PUBCOMP at QoS 2, nothing at QoS 0). */
export interface PortPublishResult {
  /** False when the broker refused it (reason code 0x80 or above) or it could not be sent. */
  ok: boolean;
  ack: 'none' | 'puback' | 'pubcomp';
  /** The broker's reason code; absent when it never answered (QoS 0, or not sent). */
  reasonCode?: number;
  /** In words: "Success", "No matching subscribers", "Not authorized", "Not connected"… */
  reason: string;
}

export interface PortPublishOptions {
  qos: QoS;
  retain: boolean;
  /** MQTT 5 properties (correlation data as UTF-8 text); a 3.1.1 port leaves them out. */
  properties?: PublishProperties;
}

export interface PortSubscribeOptions {
  qos: QoS;
}

/**
 * One use of a subscription. The port counts uses per filter: a filter is unsubscribed when its
 * last lease is released (and never one the connection held before, such as the explorer's `#`).
 */
export interface Lease {
  /** Idempotent; never rejects (a failed unsubscribe is the port's to log). */
  release(): Promise<void>;
}

/** MQTT 5 properties of a received message. */
export interface PortMessageProperties {
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  messageExpiryInterval?: number;
  payloadFormatIndicator?: boolean;
  /** In the order received; a name may repeat. */
  userProperties?: [string, string][];
}

export interface PortMessage {
  payload: Uint8Array;
  qos: QoS;
  /** The retain flag as received: set on a retained message the broker sent because of a subscription. */
  retain: boolean;
  properties?: PortMessageProperties;
  /** Milliseconds since the epoch, when the port received it (for display; the runner times with its own clock). */
  receivedAt: number;
}

export type MessageListener = (topic: string, message: PortMessage) => void;

export interface Disposer {
  dispose(): void;
}

/**
 * A connected MQTT client as the runner needs it. The extension implements it over its engine's
 * connection, the command line over an MQTT.js client (`MqttClientPort`).
 */
export interface MqttPort {
  readonly mqttVersion: 4 | 5;
  /** Resolves with the broker's answer, or `{ ok: false }`; may reject when the connection is gone. */
  publish(topic: string, payload: Uint8Array, options: PortPublishOptions): Promise<PortPublishResult>;
  /** Resolves once the broker granted it (SUBACK); rejects with a reason for people when refused. */
  subscribe(filter: string, options: PortSubscribeOptions): Promise<Lease>;
  /** Every message the connection receives, whatever subscription brought it: the runner matches topics itself. */
  onMessage(listener: MessageListener): Disposer;
}

// ---------------------------------------------------------------------------------------------
// Files, schemas, decoders

/**
 * Reads a file a `.mqtt` file names (`< ./frame.bin`, `Schema: ./state.schema.json`), relative to
 * the `.mqtt` file's folder. The caller confines the path (inside the workspace folder or the
 * command line's root, no `..` escapes, no symlinks out) and rejects with an `Error` whose message
 * is for people and names the file ("./x.bin: no such file."); a file larger than `maxBytes` is
 * refused, not cut.
 */
export type ReadRunFile = (relativePath: string, maxBytes: number) => Promise<Uint8Array>;

/**
 * Checks a payload's JSON against the JSON Schema at `schemaPath` (relative, as in the file).
 * Rejects when the schema cannot be used (unreadable, not JSON, not a schema): the block is then
 * an error, not a failure. `createSchemaValidator` (jsonSchema.ts) makes one over a `ReadRunFile`.
 */
export type ValidateSchema = (schemaPath: string, json: unknown) => Promise<MatchResult>;

/** `Format: decoder`: the decoders bound to topics (mqttExplorer.decoders), which only the extension has. */
export interface RunDecoders {
  /** The bytes the topic's decoder makes of this JSON text; rejects with a reason for people. */
  encode(topic: string, json: string): Promise<Uint8Array>;
  /** The JSON text the topic's decoder makes of the payload; undefined when none is bound or it does not decode. */
  decode(topic: string, payload: Uint8Array): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Results

/** `error`: the block could not run (its variables, a file, the connection); `skipped`: not run, because an earlier block ended the run or it was cancelled. */
export type BlockStatus = 'passed' | 'failed' | 'skipped' | 'error';

/** A message as a result shows it: the payload cut to a preview, its size kept. */
export interface MessagePreview {
  topic: string;
  /** At most `MAX_PREVIEW_BYTES` of the payload. */
  payload: Uint8Array;
  /** The payload's whole size in bytes. */
  size: number;
  truncated: boolean;
  /** The payload for people: pretty JSON when it is JSON, else UTF-8 text, else hex; bounded. */
  text: string;
  qos: QoS;
  retain: boolean;
  properties?: PortMessageProperties;
  /** Milliseconds since the epoch (the port's). */
  receivedAt: number;
  /** Milliseconds from the start of listening (SUBSCRIBE, EXPECT) or from the publish (REQUEST) to its arrival. */
  elapsedMs: number;
}

export interface BlockResult {
  /** Position in `MqttFileDocument.blocks`. */
  index: number;
  name?: string;
  /** The name, or the kind and topic as written (`blockLabel`). */
  label: string;
  kind: BlockKind;
  status: BlockStatus;
  /** Why it failed, errored or was skipped; for a pass, a short summary ("Reply in 12 ms", "3 messages"). */
  message?: string;
  /** Milliseconds since the epoch (the run's clock). */
  startedAt: number;
  durationMs: number;
  /** The topic or filter with its variables filled in (absent when they could not be). */
  topic?: string;
  /** PUBLISH and REQUEST: the broker's answer. */
  publish?: PortPublishResult;
  /** REQUEST: milliseconds from publishing the request to receiving the reply. */
  latencyMs?: number;
  /** REQUEST: the reply. EXPECT: the message that passed. */
  reply?: MessagePreview;
  /** SUBSCRIBE: what arrived and counted, at most `MAX_SHOWN_MESSAGES`; `dropped` counts the others. */
  received?: { messages: MessagePreview[]; dropped: number };
  /** For a diff when it failed: what was expected and what came closest (pretty JSON when JSON). */
  expected?: string;
  actual?: string;
  /** The block in the file. */
  range: Range;
}

export type RunEvent =
  | { type: 'blockStarted'; index: number; label: string; kind: BlockKind; startedAt: number }
  | { type: 'blockFinished'; result: BlockResult };

export interface RunResult {
  /** The blocks that were to run, in file order, each with its outcome (skipped ones too). */
  blocks: BlockResult[];
  /** Every block passed and the run was not cancelled. */
  passed: boolean;
  cancelled: boolean;
  startedAt: number;
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// Running

export interface RunOptions {
  port: MqttPort;
  readFile: ReadRunFile;
  /** The chosen environment, `$shared` and settings (environmentSources). */
  variables?: VariableSources;
  /** Called as blocks start and finish; a listener that throws does not stop the run. */
  onEvent?: (event: RunEvent) => void;
  /** Aborting ends the run at once: waits stop, subscriptions are released, the rest is skipped. */
  signal?: AbortSignal;
  /** Time (epoch ms) and randomness, for built-ins, generated ids and timings; the system's when absent. */
  clock?: Clock;
  /** `Schema` headers; default: `createSchemaValidator(readFile)` (ajv), schemas compiled once per run. */
  validateSchema?: ValidateSchema;
  /** `Format: decoder`; absent: such blocks are errors that say decoders need the extension. */
  decoders?: RunDecoders;
  /** How long a publish or a subscribe may take before the block is an error (ms); default 10,000. */
  brokerTimeoutMs?: number;
}

/** Which blocks to run: all (default), those up to and including `upTo`, or `only` one (SUBSCRIBE/EXPECT then time from their own start). */
export interface RunSelection {
  upTo?: number;
  only?: number;
}

/** A payload preview keeps at most this many bytes. */
export const MAX_PREVIEW_BYTES = 4096;
/** A SUBSCRIBE result shows at most this many messages (the others are counted in `dropped`). */
export const MAX_SHOWN_MESSAGES = 100;
/** Messages waiting to be examined by one listening block; more are dropped and counted. */
export const MAX_BUFFERED_MESSAGES = 10_000;
/** A payload file or a schema file may be at most this large. */
export const MAX_RUN_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_SCHEMA_FILE_BYTES = 1024 * 1024;
/** Default bound on one publish or subscribe. */
export const DEFAULT_BROKER_TIMEOUT_MS = 10_000;

/** `runFile` (runner.ts): runs the document's blocks as a flow; never rejects (a bug becomes an `error` block). */
export type RunFile = (document: MqttFileDocument, options: RunOptions, selection?: RunSelection) => Promise<RunResult>;
