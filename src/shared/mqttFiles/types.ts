/**
 * The typed model of a `.mqtt` message file (docs/mqtt-files.md): what the parser returns, what
 * the resolver makes of a block, and the caps that keep both bounded. Pure data, no VS Code, no Node.
 */

/** 0-based, like VS Code's positions; `character` counts UTF-16 code units. */
export interface Position {
  line: number;
  character: number;
}

/** `end` is exclusive. */
export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning';

export type DiagnosticCode =
  | 'internal-error'
  | 'file-too-large'
  | 'too-many-lines'
  | 'too-many-blocks'
  | 'too-many-problems'
  | 'not-understood'
  | 'missing-kind'
  | 'unknown-kind'
  | 'missing-topic'
  | 'bad-topic'
  | 'extra-request-line'
  | 'unknown-header'
  | 'header-not-for-kind'
  | 'duplicate-header'
  | 'bad-header-value'
  | 'missing-blank-line'
  | 'bad-body-line'
  | 'body-too-large'
  | 'invalid-json'
  | 'json-like-text'
  | 'invalid-payload'
  | 'format-conflict'
  | 'bad-path'
  | 'bad-variable'
  | 'duplicate-variable'
  | 'misplaced-variable'
  | 'misplaced-connection'
  | 'duplicate-connection'
  | 'bad-reference'
  | 'unknown-variable'
  | 'variable-cycle'
  | 'variable-too-deep'
  | 'variable-too-long'
  | 'duplicate-block-name'
  | 'fixed-correlation'
  | 'timeout-before-within'
  | 'needs-mqtt5';

/** A problem in a file, for people: what is wrong and what to do. */
export interface MqttFileDiagnostic {
  severity: Severity;
  message: string;
  range: Range;
  code: DiagnosticCode;
  /** Index in `MqttFileDocument.blocks` of the block it belongs to (absent: the file header, or a block that was not kept). */
  block?: number;
}

export type BlockKind = 'publish' | 'request' | 'subscribe' | 'expect';
export const BLOCK_KINDS: readonly BlockKind[] = ['publish', 'request', 'subscribe', 'expect'];
/** How each kind is written at the start of its block (any letter case is read). */
export const BLOCK_KEYWORDS: Readonly<Record<BlockKind, string>> = { publish: 'PUBLISH', request: 'REQUEST', subscribe: 'SUBSCRIBE', expect: 'EXPECT' };

/** Some text of the file and where it is. */
export interface TextSpan {
  text: string;
  range: Range;
}

/** `@name = value`, file-wide (in the header) or for one block (above its request line). */
export interface VariableDefinition {
  name: string;
  /** As written, trimmed; may hold `{{references}}`. */
  value: string;
  /** The whole line. */
  range: Range;
  nameRange: Range;
  valueRange: Range;
}

export type HeaderName =
  | 'QoS'
  | 'Retain'
  | 'Content-Type'
  | 'Response-Topic'
  | 'Correlation-Data'
  | 'Message-Expiry'
  | 'Payload-Format'
  | 'User-Property'
  | 'Timeout'
  | 'Within'
  | 'Count'
  | 'Retained'
  | 'Format'
  | 'Schema'
  | 'Correlation';

/** A header line the block's kind accepts (unknown or misplaced headers are diagnostics only). */
export interface HeaderLine {
  /** Canonical spelling, whatever case was typed. */
  name: HeaderName;
  /** As written, trimmed; may hold `{{references}}`. */
  value: string;
  range: Range;
  nameRange: Range;
  valueRange: Range;
}

/**
 * `text`: the lines as typed; `hex` / `base64`: every line starts with that prefix, the data is what
 * follows it; `file`: one line `< path`, the bytes come from that file (read by the caller).
 */
export type BodyKind = 'text' | 'hex' | 'base64' | 'file';

/** One line of a body: its content (for hex and base64 without the prefix; for a file, the path) and where that content starts. */
export interface BodyLine {
  text: string;
  line: number;
  character: number;
}

export interface MqttBody {
  kind: BodyKind;
  /** The lines' contents joined with `\n` (a CRLF file's payload has `\n` too); may hold `{{references}}`. */
  text: string;
  lines: BodyLine[];
  /** From the first to the end of the last non-blank line of the body. */
  range: Range;
}

export interface MqttBlock {
  /** Position in `MqttFileDocument.blocks`. */
  index: number;
  /** The text after `###`, trimmed; absent when the separator has none (or the block has no separator). */
  name?: string;
  /** From the `###` line (or the request line of a first block written without one) to the end of its last non-blank line. */
  range: Range;
  /** The `###` line, absent for a first block written without one. */
  separatorLine?: number;
  kind: BlockKind;
  /** The whole request line (`PUBLISH some/topic`). */
  requestRange: Range;
  keywordRange: Range;
  /** The topic (PUBLISH, REQUEST) or filter (SUBSCRIBE, EXPECT) as written; empty when missing (with a diagnostic). */
  topic: TextSpan;
  /** Variables for this block only, above its request line. */
  variables: VariableDefinition[];
  headers: HeaderLine[];
  body?: MqttBody;
  /** Whether an error diagnostic belongs to this block: it is not run until fixed. */
  hasErrors: boolean;
}

export interface MqttFileDocument {
  /** `# @connection <name or id>` in the file header; absent: the caller picks a connection. */
  connection?: TextSpan;
  /** `@name = value` lines of the file header, file-wide. */
  variables: VariableDefinition[];
  blocks: MqttBlock[];
  diagnostics: MqttFileDiagnostic[];
  lineCount: number;
}

/** A file larger than this is not parsed (one diagnostic says so); put big payloads in a file and use `< ./file`. */
export const MAX_FILE_CHARS = 5 * 1024 * 1024;
/** A file with more lines than this is not parsed. */
export const MAX_LINES = 250_000;
/** Blocks past this many are not read (one diagnostic on the first one left out). */
export const MAX_BLOCKS = 10_000;
/** A typed body longer than this (characters) is an error: use a file reference. */
export const MAX_BODY_CHARS = 1024 * 1024;
/** Diagnostics past this many are replaced by one that says how many more there are. */
export const MAX_DIAGNOSTICS = 1000;
/** A `{{reference}}` longer than this is not one (its text stays as typed). */
export const MAX_REFERENCE_CHARS = 256;
/** Variables may refer to variables this many levels deep. */
export const MAX_VARIABLE_DEPTH = 10;
/** A variable's value, or a topic, header or body with its variables filled in, may be at most this long. */
export const MAX_RESOLVED_CHARS = 1024 * 1024;
/** How long REQUEST, SUBSCRIBE and EXPECT wait when no Timeout (or Within) says otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Timeout and Within: at most an hour. */
export const MAX_TIMEOUT_MS = 3_600_000;
/** Count: at most this many messages. */
export const MAX_COUNT = 10_000;
