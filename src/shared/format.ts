/** Payload formatting shared by the host (tree descriptions, tooltips, documents) and the webview. */
import * as l10n from '@vscode/l10n';
import { formatJson, jsonDepthExceeds, jsonNote, MAX_JSON_DEPTH, MAX_VIEW_JSON_CHARS, readJson } from './json';

// ignoreBOM: a byte-order mark stays in the text, so that text copied or exported is byte for byte.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The payload as text when it is valid UTF-8 without control characters other than whitespace. */
export function payloadAsText(payload: Uint8Array): string | undefined {
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

export function hexPreview(payload: Uint8Array, maxBytes: number): string {
  const shown = Array.from(payload.subarray(0, maxBytes), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return payload.length > maxBytes ? `${shown} …` : shown;
}

/** One line, at most `max` characters, for a tree item's description. */
export function oneLine(payload: Uint8Array, max = 80): string {
  if (payload.length === 0) return l10n.t('(empty)');
  const text = payloadAsText(payload);
  if (text === undefined) return `0x ${hexPreview(payload, 16)}`;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** Classic hex dump: offset, 16 bytes in hex, the printable ASCII. */
export function hexDump(bytes: Uint8Array, width = 16): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += width) {
    const row = bytes.subarray(offset, offset + width);
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(width * 3 - 1)}  ${ascii}`);
  }
  return lines.join('\n');
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[(triple >> 18) & 63] + BASE64[(triple >> 12) & 63] + (b === undefined ? '=' : BASE64[(triple >> 6) & 63]) + (c === undefined ? '=' : BASE64[triple & 63]);
  }
  return out;
}

export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/[\s=]/g, '');
  if (/[^A-Za-z0-9+/]/.test(clean)) throw new Error(l10n.t('Not base64: only A–Z, a–z, 0–9, + and / are allowed.'));
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of clean) {
    value = (value << 6) | BASE64.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, index);
}

/**
 * The text a payload opens as in an editor: JSON pretty-printed from the parser that keeps numbers
 * and duplicate keys as they arrived, text as is, anything else as a hex dump. JSON past the views'
 * bounds opens as it arrived, with a note: pretty-printing 10 MB would block the extension host, and
 * 100,000 levels are opened as plain text, away from the JSON language's own parser.
 */
export function documentText(payload: Uint8Array): { text: string; language: 'json' | 'plaintext'; note?: string } {
  const text = payloadAsText(payload);
  if (text === undefined) return { text: hexDump(payload), language: 'plaintext' };
  const reading = readJson(text);
  if (reading.tree) return { text: `${formatJson(reading.tree)}\n`, language: 'json' };
  if (!reading.note) return { text, language: 'plaintext' };
  if (text.length > MAX_VIEW_JSON_CHARS && !jsonDepthExceeds(text, MAX_JSON_DEPTH)) return { text, language: 'json', note: jsonNote('large', l10n.t('opened as it arrived, not pretty-printed')) };
  return { text, language: 'plaintext', note: jsonNote('deep', l10n.t('opened as text')) };
}
