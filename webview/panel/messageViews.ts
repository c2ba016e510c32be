import * as l10n from '@vscode/l10n';
import { formatBytes } from '../../src/shared/format';
import type { MessageDetail, PayloadViewChoice, PropertiesView } from '../../src/shared/webviewProtocol';
import { asText, chooseView, decodeNumbers, fromBase64, hexDump, type PayloadView } from '../logic/decoders';
import { diffPayloads } from '../logic/diff';
import { formatJson, readJson } from '../../src/shared/json';
import { el } from './dom';
import { jsonTree } from './jsonView';
import { timeOf } from './historyList';

/** Rows of a JSON diff's table; the summary still counts every change. */
const MAX_DIFF_ROWS = 1000;

/** The payload views' names, in the page's language (a function: l10n.t runs after webview/localize.ts). */
export function viewLabel(view: PayloadViewChoice): string {
  switch (view) {
    case 'auto':
      return l10n.t('Auto');
    case 'json':
      return 'JSON';
    case 'text':
      return l10n.t('Text');
    case 'hex':
      return l10n.t('Hex');
    case 'base64':
      return 'Base64';
    case 'numbers':
      return l10n.t('Numbers');
  }
}

export const PAYLOAD_VIEWS: PayloadViewChoice[] = ['auto', 'json', 'text', 'hex', 'base64', 'numbers'];

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
    el('span', undefined, l10n.t('QoS {0}', message.qos)),
    el('span', undefined, formatBytes(message.size)),
  );
  if (message.retain) line.append(el('span', 'retained', l10n.t('retained')));
  if (message.truncated) line.append(el('span', 'cut-mark', l10n.t('✂ only the first {0} were kept', formatBytes(message.kept))));
  else if (message.cut) line.append(el('span', 'cut-mark', l10n.t('✂ showing the first {0}', formatBytes(message.payload.length))));
  return line;
}

export function propertiesTable(properties: PropertiesView | undefined): HTMLElement | undefined {
  if (!properties) return undefined;
  const rows: [string, string][] = [];
  if (properties.contentType !== undefined) rows.push([l10n.t('Content type'), properties.contentType]);
  if (properties.payloadFormatIndicator !== undefined) rows.push([l10n.t('Payload format'), properties.payloadFormatIndicator ? l10n.t('UTF-8 text') : l10n.t('bytes')]);
  if (properties.messageExpiryInterval !== undefined) rows.push([l10n.t('Message expiry'), l10n.t('{0} s', properties.messageExpiryInterval)]);
  if (properties.responseTopic !== undefined) rows.push([l10n.t('Response topic'), properties.responseTopic]);
  if (properties.correlationData !== undefined) {
    const bytes = fromBase64(properties.correlationData);
    rows.push([l10n.t('Correlation data'), asText(bytes) ?? hexDump(bytes)]);
  }
  for (const [name, value] of properties.userProperties ?? []) rows.push([name, value]);
  const table = el('table', 'properties');
  const caption = el('caption', undefined, l10n.t('MQTT 5 properties'));
  table.append(caption);
  for (const [name, value] of rows) {
    const row = el('tr');
    const header = el('th', undefined, name);
    header.scope = 'row';
    row.append(header, el('td', undefined, value));
    table.append(row);
  }
  return table;
}

function numbersView(bytes: Uint8Array): HTMLElement {
  const wrapper = el('div', 'numbers');
  const label = el('label', undefined, l10n.t('Offset') + ' ');
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
    head.append(el('th', undefined, l10n.t('Type')), el('th', undefined, l10n.t('Little-endian')), el('th', undefined, l10n.t('Big-endian')));
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

/** A block of payload text: one tab stop, named for a screen reader, scrolled with the arrow keys. */
function pre(kind: string, text: string): HTMLElement {
  const element = el('pre', `payload payload-${kind}`, text);
  element.tabIndex = 0;
  element.setAttribute('role', 'region');
  element.setAttribute('aria-label', l10n.t('Payload'));
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
        fallback.append(el('p', 'note', note ?? l10n.t('Not JSON: shown as text.')), pre('text', text ?? hexDump(bytes)));
        return fallback;
      }
      return jsonTree(tree, l10n.t('Payload as JSON'));
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

/** The kind of a change in words, so that the diff does not rest on its colours (screen readers, high contrast). */
function changeWord(kind: 'added' | 'removed' | 'changed'): string {
  return kind === 'added' ? l10n.t('added') : kind === 'removed' ? l10n.t('removed') : l10n.t('changed');
}

/** Text only a screen reader reads (the sighted see the colour and the sign). */
function spoken(text: string): HTMLElement {
  return el('span', 'sr-only', text);
}

/**
 * What changed from `before` to `after`: by JSON path when both are JSON, else line by line. `texts`:
 * the two messages as their decoder reads them (JSON), compared instead of their bytes. Each change
 * says its kind in words (a column of the table; before each line for a screen reader), not by
 * colour only.
 */
export function diffBody(before: MessageDetail, after: MessageDetail, texts?: { before: string; after: string }): HTMLElement {
  const wrapper = el('div', 'diff');
  const heading = el('p', 'diff-heading', `#${before.seq} (${timeOf(before.receivedAt)}) → #${after.seq} (${timeOf(after.receivedAt)})`);
  wrapper.append(heading);
  // The bounds apply to the payloads as they arrived, not to their pretty-printed text.
  const result = diffPayloads(texts?.before ?? diffText(before), texts?.after ?? diffText(after), { lineText: prettyOrAsIs });
  if (result.json) {
    if (!result.changes.length) {
      wrapper.append(el('p', 'diff-none', l10n.t('No change: the same JSON (key order aside).')));
      return wrapper;
    }
    const table = el('table', 'diff-table');
    const caption = el('caption', 'sr-only', l10n.t('Changes from message #{0} to message #{1}', before.seq, after.seq));
    const head = el('tr');
    for (const name of [l10n.t('Path'), l10n.t('Change'), l10n.t('Before'), l10n.t('After')]) {
      const cell = el('th', undefined, name);
      cell.scope = 'col';
      head.append(cell);
    }
    table.append(caption, head);
    // A row per change up to a bound: two large payloads can differ in every one of 100,000 fields.
    for (const change of result.changes.slice(0, MAX_DIFF_ROWS)) {
      const row = el('tr', `diff-${change.kind}`);
      row.append(
        el('td', 'path', change.path),
        el('td', 'change', changeWord(change.kind)),
        el('td', 'before', change.kind === 'added' ? '' : valueText(change.before)),
        el('td', 'after', change.kind === 'removed' ? '' : valueText(change.after)),
      );
      table.append(row);
    }
    const count = (kind: 'added' | 'removed' | 'changed') => result.changes.filter((change) => change.kind === kind).length;
    const total = result.changes.length;
    wrapper.append(
      el('p', 'diff-summary', total === 1 ? l10n.t('1 change: {0} added, {1} removed, {2} changed', count('added'), count('removed'), count('changed')) : l10n.t('{0} changes: {1} added, {2} removed, {3} changed', total, count('added'), count('removed'), count('changed'))),
      table,
    );
    if (result.changes.length > MAX_DIFF_ROWS) wrapper.append(el('p', 'note', l10n.t('Showing the first {0} changes.', MAX_DIFF_ROWS)));
    return wrapper;
  }
  if (result.note) wrapper.append(el('p', 'note', result.note));
  if (result.lines.every((line) => line.kind === 'same')) {
    wrapper.append(el('p', 'diff-none', l10n.t('No change: the same payload.')));
    return wrapper;
  }
  const lines = el('pre', 'payload diff-lines');
  lines.tabIndex = 0;
  lines.setAttribute('role', 'region');
  lines.setAttribute('aria-label', l10n.t('Changes line by line'));
  for (const line of result.lines) {
    const row = el('div', `diff-${line.kind}`);
    const sign = el('span', 'diff-sign', line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  ');
    sign.setAttribute('aria-hidden', 'true');
    row.append(sign);
    if (line.kind !== 'same') row.append(spoken(`${changeWord(line.kind)}: `));
    row.append(line.text);
    lines.append(row);
  }
  wrapper.append(lines);
  return wrapper;
}
