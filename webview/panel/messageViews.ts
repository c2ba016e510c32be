import { formatBytes } from '../../src/shared/format';
import type { MessageDetail, PayloadViewChoice, PropertiesView } from '../../src/shared/webviewProtocol';
import { asText, chooseView, decodeNumbers, fromBase64, hexDump, type PayloadView } from '../logic/decoders';
import { diffPayloads } from '../logic/diff';
import { formatJson, readJson } from '../../src/shared/json';
import { el } from './dom';
import { renderJson } from './jsonView';
import { timeOf } from './historyList';

/** Rows of a JSON diff's table; the summary still counts every change. */
const MAX_DIFF_ROWS = 1000;

export const VIEW_LABELS: Record<PayloadViewChoice, string> = { auto: 'Auto', json: 'JSON', text: 'Text', hex: 'Hex', base64: 'Base64', numbers: 'Numbers' };

/** The view a message is shown in: the person's choice, else the one that fits the payload. */
export function resolveView(choice: PayloadViewChoice, bytes: Uint8Array): PayloadView {
  if (choice !== 'auto') return choice;
  return chooseView(bytes);
}

export function detailLine(message: MessageDetail): HTMLElement {
  const line = el('div', 'details');
  line.append(
    el('span', 'seq', `#${message.seq}`),
    el('span', undefined, new Date(message.receivedAt).toLocaleString()),
    el('span', undefined, `QoS ${message.qos}`),
    el('span', undefined, formatBytes(message.size)),
  );
  if (message.retain) line.append(el('span', 'retained', 'retained'));
  if (message.truncated) line.append(el('span', 'cut-mark', `✂ only the first ${formatBytes(message.kept)} were kept`));
  else if (message.cut) line.append(el('span', 'cut-mark', `✂ showing the first ${formatBytes(message.payload.length)}`));
  return line;
}

export function propertiesTable(properties: PropertiesView | undefined): HTMLElement | undefined {
  if (!properties) return undefined;
  const rows: [string, string][] = [];
  if (properties.contentType !== undefined) rows.push(['Content type', properties.contentType]);
  if (properties.payloadFormatIndicator !== undefined) rows.push(['Payload format', properties.payloadFormatIndicator ? 'UTF-8 text' : 'bytes']);
  if (properties.messageExpiryInterval !== undefined) rows.push(['Message expiry', `${properties.messageExpiryInterval} s`]);
  if (properties.responseTopic !== undefined) rows.push(['Response topic', properties.responseTopic]);
  if (properties.correlationData !== undefined) {
    const bytes = fromBase64(properties.correlationData);
    rows.push(['Correlation data', asText(bytes) ?? hexDump(bytes)]);
  }
  for (const [name, value] of properties.userProperties ?? []) rows.push([name, value]);
  const table = el('table', 'properties');
  const caption = el('caption', undefined, 'MQTT 5 properties');
  table.append(caption);
  for (const [name, value] of rows) {
    const row = el('tr');
    row.append(el('th', undefined, name), el('td', undefined, value));
    table.append(row);
  }
  return table;
}

function numbersView(bytes: Uint8Array): HTMLElement {
  const wrapper = el('div', 'numbers');
  const label = el('label', undefined, 'Offset ');
  const offset = el('input', 'offset');
  offset.type = 'number';
  offset.min = '0';
  offset.max = String(Math.max(0, bytes.length - 1));
  offset.value = '0';
  label.append(offset);
  const table = el('table', 'numbers-table');
  const fill = () => {
    const at = Math.min(Math.max(0, Math.floor(Number(offset.value) || 0)), Math.max(0, bytes.length - 1));
    const head = el('tr');
    head.append(el('th', undefined, 'Type'), el('th', undefined, 'Little-endian'), el('th', undefined, 'Big-endian'));
    const rows = decodeNumbers(bytes, at).map((number) => {
      const row = el('tr');
      row.append(el('td', undefined, number.type), el('td', undefined, String(number.littleEndian)), el('td', undefined, String(number.bigEndian)));
      return row;
    });
    table.replaceChildren(head, ...rows);
  };
  offset.addEventListener('input', fill);
  fill();
  wrapper.append(label, table);
  return wrapper;
}

function pre(kind: string, text: string): HTMLElement {
  const element = el('pre', `payload payload-${kind}`, text);
  element.tabIndex = 0;
  return element;
}

/** The payload in the given view. A view that does not fit (JSON that is not JSON) says so and shows text. */
export function payloadBody(bytes: Uint8Array, view: PayloadView): HTMLElement {
  switch (view) {
    case 'json': {
      // Bounded: a payload too deep or too large for the view shows as text, with a note that says why.
      const text = asText(bytes);
      const { tree, note } = readJson(text);
      if (!tree) {
        const fallback = el('div');
        fallback.append(el('p', 'note', note ?? 'Not JSON: shown as text.'), pre('text', text ?? hexDump(bytes)));
        return fallback;
      }
      const root = el('div', 'payload payload-json');
      root.tabIndex = 0;
      root.append(renderJson(tree));
      return root;
    }
    case 'text': {
      const text = asText(bytes);
      return text === undefined ? pre('text', new TextDecoder().decode(bytes)) : pre('text', text);
    }
    case 'hex':
      return pre('hex', hexDump(bytes));
    case 'base64':
      return pre('base64', toBase64Wrapped(bytes));
    case 'numbers':
      return numbersView(bytes);
  }
}

function toBase64Wrapped(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return (btoa(binary).match(/.{1,76}/g) ?? ['']).join('\n');
}

/** The payload as the diff reads it: text, or a hex dump. */
function diffText(message: MessageDetail): string {
  const bytes = message.payload;
  return asText(bytes) ?? hexDump(bytes);
}

/** A payload compared line by line: pretty JSON as it arrived (within the views' bounds), else as it is. */
function prettyOrAsIs(text: string): string {
  const { tree } = readJson(text);
  return tree ? formatJson(tree) : text;
}

function valueText(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/**
 * What changed from `before` to `after`: by JSON path when both are JSON, else line by line. `texts`:
 * the two messages as their decoder reads them (JSON), compared instead of their bytes.
 */
export function diffBody(before: MessageDetail, after: MessageDetail, texts?: { before: string; after: string }): HTMLElement {
  const wrapper = el('div', 'diff');
  const heading = el('p', 'diff-heading', `#${before.seq} (${timeOf(before.receivedAt)}) → #${after.seq} (${timeOf(after.receivedAt)})`);
  wrapper.append(heading);
  // The bounds apply to the payloads as they arrived, not to their pretty-printed text.
  const result = diffPayloads(texts?.before ?? diffText(before), texts?.after ?? diffText(after), { lineText: prettyOrAsIs });
  if (result.json) {
    if (!result.changes.length) {
      wrapper.append(el('p', 'diff-none', 'No change: the same JSON (key order aside).'));
      return wrapper;
    }
    const table = el('table', 'diff-table');
    const head = el('tr');
    head.append(el('th', undefined, 'Path'), el('th', undefined, 'Before'), el('th', undefined, 'After'));
    table.append(head);
    // A row per change up to a bound: two large payloads can differ in every one of 100,000 fields.
    for (const change of result.changes.slice(0, MAX_DIFF_ROWS)) {
      const row = el('tr', `diff-${change.kind}`);
      row.append(
        el('td', 'path', change.path),
        el('td', 'before', change.kind === 'added' ? '' : valueText(change.before)),
        el('td', 'after', change.kind === 'removed' ? '' : valueText(change.after)),
      );
      table.append(row);
    }
    wrapper.append(el('p', 'diff-summary', `${result.changes.length} change${result.changes.length === 1 ? '' : 's'}`), table);
    if (result.changes.length > MAX_DIFF_ROWS) wrapper.append(el('p', 'note', `Showing the first ${MAX_DIFF_ROWS} changes.`));
    return wrapper;
  }
  if (result.note) wrapper.append(el('p', 'note', result.note));
  if (result.lines.every((line) => line.kind === 'same')) {
    wrapper.append(el('p', 'diff-none', 'No change: the same payload.'));
    return wrapper;
  }
  const lines = el('pre', 'payload diff-lines');
  for (const line of result.lines) lines.append(el('div', `diff-${line.kind}`, `${line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' '} ${line.text}`));
  wrapper.append(lines);
  return wrapper;
}
