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
    preview: previewOf(entry.payload, entry.payload.length < entry.size),
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
  return message;
}

const CSV_COLUMNS = ['topic', 'seq', 'receivedAt', 'qos', 'retain', 'size', 'truncated', 'encoding', 'payload', 'properties'] as const;

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

export function formatHistory(topic: string, entries: readonly HistoryEntry[], format: ExportFormat): string {
  const messages = entries.map((entry) => exported(topic, entry));
  switch (format) {
    case 'json':
      return `${JSON.stringify(messages, null, 2)}\n`;
    case 'ndjson':
      return messages.map((message) => `${JSON.stringify(message)}\n`).join('');
    case 'csv': {
      const lines = [CSV_COLUMNS.join(',')];
      for (const message of messages) {
        lines.push(
          CSV_COLUMNS.map((column) => {
            const value = column === 'properties' ? (message.properties ? JSON.stringify(message.properties) : '') : message[column];
            return csvCell(value);
          }).join(','),
        );
      }
      return `${lines.join('\r\n')}\r\n`;
    }
  }
}
