/**
 * The recording format (docs/recordings.md): one JSON object per line, UTF-8, `\n` after each.
 * The first line of each file is a header; every other line is one message as received. Other
 * tools read it with a JSON-lines reader (jq, pandas); nothing here needs VS Code or a worker.
 *
 * Lines are read as untrusted input: a line that is not a message is reported with its number and
 * skipped by readers, never thrown past them.
 */
import * as l10n from '@vscode/l10n';
import { Buffer, isUtf8 } from 'node:buffer';
import type { MessageProperties } from '../../worker/topicTree';

/** The header's `format` value: what tells a recording from any other JSON-lines file. */
export const RECORDING_FORMAT = 'mqtt-explorer-recording';
export const RECORDING_VERSION = 1;

/** File name endings a recording has (gzip-compressed: `.jsonl.gz`). */
export const RECORDING_EXTENSIONS = ['.mqtt-recording.jsonl', '.mqtt-recording.jsonl.gz'] as const;

/**
 * The longest line a reader accepts: a 256 MiB payload (mosquitto's default message size limit is
 * 256 MiB too) as base64, with room for the rest of the line. A longer line is skipped and counted.
 */
export const MAX_RECORDING_LINE_BYTES = 360 * 1024 * 1024;

/** The first line of a recording file. */
export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  version: number;
  /** When the recording started (epoch milliseconds). */
  startedAt: number;
  /** The connection's name and broker (`mqtt://host:1883`, no credentials) as the recorder saw them. */
  connection?: string;
  broker?: string;
  /** What was recorded: topic filters (`#` for the whole connection). */
  filters?: string[];
  /** A rotated recording's part, from 1. */
  part?: number;
}

/** One message of a recording, as received. */
export interface RecordedMessage {
  /** When it was received (epoch milliseconds). */
  time: number;
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  payload: Uint8Array;
  properties?: MessageProperties;
}

/** A message line as written: `payload` is text unless `payloadEncoding` says base64. */
interface MessageLine {
  time: number;
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  payload: string;
  payloadEncoding?: 'base64';
  properties?: PropertiesLine;
}

interface PropertiesLine {
  contentType?: string;
  responseTopic?: string;
  /** Base64: correlation data is bytes. */
  correlationData?: string;
  messageExpiryInterval?: number;
  payloadFormatIndicator?: boolean;
  userProperties?: Record<string, string | string[]>;
}

export function headerLine(header: Omit<RecordingHeader, 'format' | 'version'>): string {
  const line: RecordingHeader = { format: RECORDING_FORMAT, version: RECORDING_VERSION, ...header };
  return `${JSON.stringify(line)}\n`;
}

/**
 * One message as a line, `\n` included. The payload is kept as text when it is valid UTF-8 (a BOM
 * included: the text keeps it), else as base64: either way its bytes come back exactly.
 */
export function messageLine(message: RecordedMessage): string {
  const bytes = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
  const text = isUtf8(bytes);
  const line: MessageLine = {
    time: message.time,
    topic: message.topic,
    qos: message.qos,
    retain: message.retain,
    payload: bytes.toString(text ? 'utf8' : 'base64'),
  };
  if (!text) line.payloadEncoding = 'base64';
  const properties = message.properties && propertiesLine(message.properties);
  if (properties) line.properties = properties;
  return `${JSON.stringify(line)}\n`;
}

function propertiesLine(properties: MessageProperties): PropertiesLine | undefined {
  const line: PropertiesLine = {};
  if (properties.contentType !== undefined) line.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) line.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) line.correlationData = Buffer.from(properties.correlationData).toString('base64');
  if (properties.messageExpiryInterval !== undefined) line.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.payloadFormatIndicator !== undefined) line.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.userProperties !== undefined) line.userProperties = properties.userProperties;
  return Object.keys(line).length ? line : undefined;
}

export type ParsedLine =
  | { kind: 'header'; header: RecordingHeader }
  | { kind: 'message'; message: RecordedMessage }
  /** Not a line of this format: why, in one sentence (the reader adds the line number). */
  | { kind: 'error'; error: string };

/** Reads one line (without its `\n`; a `\r` before it is allowed). Never throws. */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'error', error: l10n.t('not JSON ({0})', (error as Error).message) };
  }
  if (!isObject(value)) return { kind: 'error', error: l10n.t('not a JSON object') };
  if (value.format !== undefined) return parseHeader(value);
  return parseMessage(value);
}

function parseHeader(value: Record<string, unknown>): ParsedLine {
  if (value.format !== RECORDING_FORMAT) return { kind: 'error', error: l10n.t('"format" is not "{0}"', RECORDING_FORMAT) };
  if (typeof value.version !== 'number' || !Number.isInteger(value.version)) return { kind: 'error', error: l10n.t('"version" must be an integer') };
  if (value.version > RECORDING_VERSION) return { kind: 'error', error: l10n.t('version {0} is newer than this reader ({1})', value.version, RECORDING_VERSION) };
  if (!isTime(value.startedAt)) return { kind: 'error', error: l10n.t('"startedAt" must be a time in epoch milliseconds') };
  const header: RecordingHeader = { format: RECORDING_FORMAT, version: value.version, startedAt: value.startedAt };
  if (typeof value.connection === 'string') header.connection = value.connection;
  if (typeof value.broker === 'string') header.broker = value.broker;
  if (Array.isArray(value.filters) && value.filters.every((filter) => typeof filter === 'string')) header.filters = value.filters as string[];
  if (typeof value.part === 'number' && Number.isInteger(value.part) && value.part >= 1) header.part = value.part;
  return { kind: 'header', header };
}

function parseMessage(value: Record<string, unknown>): ParsedLine {
  if (!isTime(value.time)) return { kind: 'error', error: l10n.t('"time" must be a time in epoch milliseconds') };
  if (typeof value.topic !== 'string') return { kind: 'error', error: l10n.t('"topic" must be a string') };
  if (value.qos !== 0 && value.qos !== 1 && value.qos !== 2) return { kind: 'error', error: l10n.t('"qos" must be 0, 1 or 2') };
  if (typeof value.retain !== 'boolean') return { kind: 'error', error: l10n.t('"retain" must be true or false') };
  if (typeof value.payload !== 'string') return { kind: 'error', error: l10n.t('"payload" must be a string') };
  let payload: Uint8Array;
  if (value.payloadEncoding === 'base64') {
    if (!BASE64.test(value.payload)) return { kind: 'error', error: l10n.t('"payload" is not base64') };
    payload = Buffer.from(value.payload, 'base64');
  } else if (value.payloadEncoding === undefined) {
    payload = Buffer.from(value.payload, 'utf8');
  } else {
    return { kind: 'error', error: l10n.t('"payloadEncoding" must be "base64" or absent') };
  }
  const message: RecordedMessage = { time: value.time, topic: value.topic, qos: value.qos, retain: value.retain, payload };
  if (value.properties !== undefined) {
    const properties = parseProperties(value.properties);
    if (typeof properties === 'string') return { kind: 'error', error: properties };
    if (properties) message.properties = properties;
  }
  return { kind: 'message', message };
}

/** The properties, or why not (a string). */
function parseProperties(value: unknown): MessageProperties | string | undefined {
  if (!isObject(value)) return l10n.t('"properties" must be an object');
  const properties: MessageProperties = {};
  if (value.contentType !== undefined) {
    if (typeof value.contentType !== 'string') return l10n.t('"properties.contentType" must be a string');
    properties.contentType = value.contentType;
  }
  if (value.responseTopic !== undefined) {
    if (typeof value.responseTopic !== 'string') return l10n.t('"properties.responseTopic" must be a string');
    properties.responseTopic = value.responseTopic;
  }
  if (value.correlationData !== undefined) {
    if (typeof value.correlationData !== 'string' || !BASE64.test(value.correlationData)) return l10n.t('"properties.correlationData" must be base64');
    properties.correlationData = new Uint8Array(Buffer.from(value.correlationData, 'base64'));
  }
  if (value.messageExpiryInterval !== undefined) {
    const interval = value.messageExpiryInterval;
    if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 0 || interval > 0xffffffff) return l10n.t('"properties.messageExpiryInterval" must be an integer of 0 to 4294967295');
    properties.messageExpiryInterval = interval;
  }
  if (value.payloadFormatIndicator !== undefined) {
    if (typeof value.payloadFormatIndicator !== 'boolean') return l10n.t('"properties.payloadFormatIndicator" must be true or false');
    properties.payloadFormatIndicator = value.payloadFormatIndicator;
  }
  if (value.userProperties !== undefined) {
    const user = value.userProperties;
    if (!isObject(user)) return l10n.t('"properties.userProperties" must be an object');
    const pairs: [string, string | string[]][] = [];
    for (const [name, entry] of Object.entries(user)) {
      if (typeof entry === 'string') pairs.push([name, entry]);
      else if (Array.isArray(entry) && entry.every((one) => typeof one === 'string')) pairs.push([name, [...(entry as string[])]]);
      else return l10n.t('"{0}" must be a string or a list of strings', `properties.userProperties.${name}`);
    }
    // fromEntries defines own properties: a "__proto__" name stays a name, not a prototype.
    properties.userProperties = Object.fromEntries(pairs);
  }
  return Object.keys(properties).length ? properties : undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
