/**
 * A topic's history as the panel and the exports see it: list rows, messages to inspect, and JSON,
 * NDJSON or CSV files. Plain Node, no VS Code.
 */
import { oneLine, payloadAsText } from '../../shared/format';
import type { ExportFormat, HistoryRow, MessageDetail, PropertiesView } from '../../shared/webviewProtocol';
import type { MessageProperties } from '../../worker/topicTree';
import type { HistoryEntry } from '../../shared/engineProtocol';

/** Payload bytes a list row needs for its one-line preview. */
export const PREVIEW_BYTES = 96;
/** Longest property value a list row carries; the message itself carries them whole. */
const ROW_PROPERTY_CHARS = 200;

/** Drops a UTF-8 sequence that a cut left incomplete, so that a cut text still reads as text. */
function trimPartialUtf8(bytes: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (byte < 0x80) return bytes;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return back < length ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
}

export function previewOf(payload: Uint8Array, cut: boolean): string {
  return oneLine(cut ? trimPartialUtf8(payload) : payload, 80);
}

function cutText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function propertiesView(properties: MessageProperties | undefined, maxChars = Infinity): PropertiesView | undefined {
  if (!properties) return undefined;
  const view: PropertiesView = {};
  if (properties.contentType !== undefined) view.contentType = cutText(properties.contentType, maxChars);
  if (properties.responseTopic !== undefined) view.responseTopic = cutText(properties.responseTopic, maxChars);
  if (properties.correlationData !== undefined) view.correlationData = cutText(Buffer.from(properties.correlationData).toString('base64'), maxChars);
  if (properties.messageExpiryInterval !== undefined) view.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.payloadFormatIndicator !== undefined) view.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.userProperties) {
    const pairs: [string, string][] = [];
    for (const [name, value] of Object.entries(properties.userProperties)) {
      for (const one of Array.isArray(value) ? value : [value]) pairs.push([cutText(name, maxChars), cutText(String(one), maxChars)]);
    }
    view.userProperties = pairs;
  }
  return Object.keys(view).length ? view : undefined;
}

export function rowOf(entry: HistoryEntry): HistoryRow {
  const row: HistoryRow = {
    seq: entry.seq,
    receivedAt: entry.receivedAt,
    qos: entry.qos,
    retain: entry.retain,
    size: entry.size,
    truncated: entry.truncated,
    // A topic with a decoder lists its decoded values (when the entry was asked for decoded).
    preview: entry.decoded && 'text' in entry.decoded ? cutText(compactJson(entry.decoded.text), 80) : previewOf(entry.payload, entry.payload.length < entry.size),
  };
  const properties = propertiesView(entry.properties, ROW_PROPERTY_CHARS);
  if (properties) row.properties = properties;
  return row;
}

export function detailOf(entry: HistoryEntry): MessageDetail {
  const detail: MessageDetail = {
    ...rowOf(entry),
    // A copy, as a plain Uint8Array: VS Code's postMessage sends a typed array's whole underlying
    // buffer, and only recognises plain typed arrays (a Buffer would go as JSON numbers).
    payload: new Uint8Array(entry.payload),
    kept: entry.kept,
    cut: entry.payload.length < entry.kept,
  };
  const properties = propertiesView(entry.properties);
  if (properties) detail.properties = properties;
  else delete detail.properties;
  return detail;
}

/** One exported message: text payloads as text, anything else in base64, so that nothing is lost. */
interface ExportedMessage {
  topic: string;
  seq: number;
  receivedAt: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  size: number;
  truncated: boolean;
  payload: string;
  encoding: 'utf8' | 'base64';
  properties?: PropertiesView;
  /** What decoded `decoded` (a topic with a decoder binding), or why it did not decode. */
  decodedBy?: string;
  decodeError?: string;
}

/** Pretty JSON on one line: its line breaks are only between tokens (strings escape theirs). */
function compactJson(text: string): string {
  return text.replace(/\n\s*/g, ' ');
}

/** The entry's decoded value as JSON text, exactly (64-bit integers as they were), when it decoded. */
function decodedJson(entry: HistoryEntry): string | undefined {
  return entry.decoded && 'text' in entry.decoded ? entry.decoded.text : undefined;
}

/** A JSON object's text with `"decoded": <value>` added last, the value's text kept as it is (not re-encoded). */
function withDecoded(objectText: string, decoded: string | undefined, indent: string): string {
  if (decoded === undefined) return objectText;
  const value = indent ? decoded.replace(/\n/g, `\n${indent}`) : compactJson(decoded);
  return indent ? `${objectText.slice(0, -2)},\n${indent}"decoded": ${value}\n}` : `${objectText.slice(0, -1)},"decoded":${value}}`;
}

function exported(topic: string, entry: HistoryEntry): ExportedMessage {
  const text = payloadAsText(entry.payload);
  const message: ExportedMessage = {
    topic,
    seq: entry.seq,
    receivedAt: new Date(entry.receivedAt).toISOString(),
    qos: entry.qos,
    retain: entry.retain,
    size: entry.size,
    truncated: entry.truncated,
    payload: text ?? Buffer.from(entry.payload).toString('base64'),
    encoding: text === undefined ? 'base64' : 'utf8',
  };
  const properties = propertiesView(entry.properties);
  if (properties) message.properties = properties;
  if (entry.decoded) {
    if ('text' in entry.decoded) message.decodedBy = entry.decoded.decodedBy;
    else message.decodeError = entry.decoded.error;
  }
  return message;
}

const CSV_COLUMNS = ['topic', 'seq', 'receivedAt', 'qos', 'retain', 'size', 'truncated', 'encoding', 'payload', 'properties', 'decodedBy', 'decoded'] as const;

/**
 * A CSV cell (RFC 4180 quoting). A text that a spreadsheet would run as a formula gets a leading
 * apostrophe: payloads come from devices, and opening an export must not run them.
 */
export function csvCell(value: string | number | boolean): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=@\t\r]/.test(text)) text = `'${text}`;
  else if (typeof value === 'string' && /^[+-]/.test(text) && !Number.isFinite(Number(text))) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A topic's history as a file. Entries of a topic with a decoder binding (the `history` request with
 * `decoded: true`) also carry their decoded value: `decoded` (JSON, beside the raw `payload`) and
 * `decodedBy`, or `decodeError`.
 */
export function formatHistory(topic: string, entries: readonly HistoryEntry[], format: ExportFormat): string {
  const messages = entries.map((entry) => exported(topic, entry));
  switch (format) {
    case 'json':
      // Each object at two spaces' indent inside the list: its own lines at four.
      return messages.length ? `[\n${messages.map((message, index) => `  ${withDecoded(JSON.stringify(message, null, 2), decodedJson(entries[index]), '  ').replace(/\n/g, '\n  ')}`).join(',\n')}\n]\n` : '[]\n';
    case 'ndjson':
      return messages.map((message, index) => `${withDecoded(JSON.stringify(message), decodedJson(entries[index]), '')}\n`).join('');
    case 'csv': {
      const lines = [CSV_COLUMNS.join(',')];
      for (const [index, message] of messages.entries()) {
        lines.push(
          CSV_COLUMNS.map((column) => {
            let value: string | number | boolean;
            if (column === 'properties') value = message.properties ? JSON.stringify(message.properties) : '';
            else if (column === 'decoded') value = compactJson(decodedJson(entries[index]) ?? '');
            else if (column === 'decodedBy') value = message.decodedBy ?? message.decodeError ?? '';
            else value = message[column];
            return csvCell(value);
          }).join(','),
        );
      }
      return `${lines.join('\r\n')}\r\n`;
    }
  }
}
