/**
 * "Export Snapshot": the last values of a subtree as JSON (`{ "topic": value }`) and as a `.mqtt`
 * file of retained PUBLISH blocks (docs/mqtt-files.md) that recreates them on another broker. No
 * VS Code, no Node: the extension host writes what these return.
 *
 * Every block of the `.mqtt` file is read back with the file parser before it is kept, so the file
 * publishes exactly the bytes that were received: text when the parser gives back the same bytes,
 * base64 otherwise. What cannot be written (a topic the notation cannot hold, a payload the engine
 * kept only the beginning of, the file format's limits) is left out and counted.
 */
import { formatJson, MAX_JSON_DEPTH, jsonDepthExceeds, parseJson } from './json';
import { encodePayload } from './publish';
import { formatBlock, parseMqttFile, resolveBlock, MAX_BLOCKS, MAX_BODY_CHARS, MAX_FILE_CHARS, type BlockContent, type HeaderName } from './mqttFiles';
import type { LastValue } from '../worker/lastValues';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The payload as UTF-8 text, or undefined when its bytes are not UTF-8. A BOM is kept in the text. */
function utf8(payload: Uint8Array): string | undefined {
  try {
    return decoder.decode(payload);
  } catch {
    return undefined;
  }
}

/** JSON text of one value: the payload's JSON as it arrived (numbers exact, pretty), else its text, else `{ "base64": … }`. */
export function snapshotValueJson(payload: Uint8Array, indent = ''): string {
  const text = utf8(payload);
  if (text === undefined) return `{ "base64": ${JSON.stringify(base64(payload))} }`;
  if (text.trim() !== '' && !jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    try {
      return formatJson(parseJson(text), indent);
    } catch {
      // Not JSON: the text itself.
    }
  }
  return JSON.stringify(text);
}

/** What an export left out, by reason; the written counts. */
export interface SnapshotCounts {
  /** Topics written. */
  written: number;
  /** The engine kept only the beginning of the last payload (limits.maxPayloadKib): a cut value would recreate the wrong state. */
  truncated: number;
  /** `.mqtt` only: the topic cannot be written in the notation (spaces at its ends, a line break, `{{`). */
  notWritable: number;
  /** `.mqtt` only: beyond the file format's limits (a typed body of 1 MiB, 10,000 blocks, 5 MiB of text). */
  overLimits: number;
  /** A few of the topics left out, for the message. */
  examples: string[];
}

const counts = (): SnapshotCounts => ({ written: 0, truncated: 0, notWritable: 0, overLimits: 0, examples: [] });

function example(result: SnapshotCounts, topic: string): void {
  if (result.examples.length < 5) result.examples.push(topic.length > 80 ? `${topic.slice(0, 80)}…` : topic);
}

/** Sorted by topic (code units): the same subtree exports to the same text, and diffs read well. */
function sorted(values: readonly LastValue[]): LastValue[] {
  return [...values].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** `{ "topic": value, … }`, two spaces per level. */
export function snapshotJson(values: readonly LastValue[]): { text: string } & SnapshotCounts {
  const result = counts();
  const parts: string[] = [];
  for (const value of sorted(values)) {
    if (value.truncated) {
      result.truncated++;
      example(result, value.topic);
      continue;
    }
    parts.push(`  ${JSON.stringify(value.topic)}: ${snapshotValueJson(value.payload, '  ')}`);
    result.written++;
  }
  return { text: parts.length ? `{\n${parts.join(',\n')}\n}\n` : '{}\n', ...result };
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return btoa(binary);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** A header value the notation keeps as it is: one line, no spaces at its ends, no variable. */
function writableValue(value: string): boolean {
  return !/[\r\n]/.test(value) && value === value.trim() && !value.includes('{{');
}

function headersOf(value: LastValue): { name: HeaderName; value: string }[] {
  const headers: { name: HeaderName; value: string }[] = [{ name: 'Retain', value: 'true' }];
  if (value.qos > 0) headers.unshift({ name: 'QoS', value: String(value.qos) });
  const properties = value.properties;
  if (properties?.contentType !== undefined && properties.contentType !== '' && writableValue(properties.contentType)) headers.push({ name: 'Content-Type', value: properties.contentType });
  if (properties?.payloadFormatIndicator !== undefined) headers.push({ name: 'Payload-Format', value: properties.payloadFormatIndicator ? 'utf8' : 'bytes' });
  for (const [name, entry] of Object.entries(properties?.userProperties ?? {})) {
    for (const one of Array.isArray(entry) ? entry : [entry]) {
      // `name=value` is split at the first `=`, both sides trimmed: a name with `=` or spaces at its ends would come back different.
      if (name !== '' && !name.includes('=') && writableValue(name) && writableValue(one)) headers.push({ name: 'User-Property', value: `${name}=${one}` });
    }
  }
  return headers;
}

/** The block as text when the parser reads it back to this topic and these exact bytes, retained, at this QoS; else undefined. */
function checkedBlock(content: BlockContent, value: LastValue): string | undefined {
  const text = formatBlock(content);
  const document = parseMqttFile(text);
  const block = document.blocks[0];
  if (document.blocks.length !== 1 || !block || document.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const resolved = resolveBlock(document, block, {});
  if (!resolved.ok || resolved.block.kind !== 'publish') return undefined;
  const publish = resolved.block;
  if (publish.topic !== value.topic || !publish.retain || publish.qos !== value.qos || !('text' in publish.payload)) return undefined;
  const encoded = encodePayload(publish.payload.text, publish.format);
  return 'bytes' in encoded && equalBytes(encoded.bytes, value.payload) ? text : undefined;
}

/** A retained PUBLISH block per topic: text bodies when they read back exactly, else `base64:` lines. */
export function snapshotMqtt(values: readonly LastValue[], title: string): { text: string } & SnapshotCounts {
  const result = counts();
  const header = `# ${title.replace(/[\r\n]+/g, ' ')}\n# Retained PUBLISH blocks: run the file on a connection to recreate these values there.\n`;
  const blocks: string[] = [];
  let chars = header.length;
  for (const value of sorted(values)) {
    if (value.truncated) {
      result.truncated++;
      example(result, value.topic);
      continue;
    }
    if (blocks.length >= MAX_BLOCKS - 1 || chars >= MAX_FILE_CHARS) {
      result.overLimits++;
      example(result, value.topic);
      continue;
    }
    const headers = headersOf(value);
    const name = /[\r\n]/.test(value.topic) ? undefined : value.topic;
    const base: BlockContent = { kind: 'publish', topic: value.topic, headers, ...(name ? { name } : {}) };
    let written: string | undefined;
    const encoded = Math.ceil(value.payload.length / 3) * 4;
    if (encoded > MAX_BODY_CHARS && value.payload.length > MAX_BODY_CHARS) {
      // Neither as text nor as base64 within a typed body's limit: not worth parsing to find out.
      result.overLimits++;
      example(result, value.topic);
      continue;
    }
    if (value.payload.length === 0) written = checkedBlock(base, value);
    else {
      const text = utf8(value.payload);
      if (text !== undefined && text.length <= MAX_BODY_CHARS) {
        written = checkedBlock({ ...base, body: { kind: 'text', text } }, value);
        // Text that looks like JSON but is not would be sent as text anyway, with a warning: say it is text.
        if (written && parseMqttFile(written).diagnostics.length) written = checkedBlock({ ...base, headers: [...headers, { name: 'Format', value: 'text' }], body: { kind: 'text', text } }, value);
      }
      if (!written && encoded + 9 * Math.ceil(encoded / 76) > MAX_BODY_CHARS) {
        result.overLimits++;
        example(result, value.topic);
        continue;
      }
      written ??= checkedBlock({ ...base, body: { kind: 'base64', text: (base64(value.payload).match(/.{1,76}/g) ?? []).join('\n') } }, value);
    }
    if (!written) {
      // A topic the notation cannot hold (spaces at its ends, a line break, a variable).
      result.notWritable++;
      example(result, value.topic);
      continue;
    }
    if (chars + written.length + 1 > MAX_FILE_CHARS) {
      result.overLimits++;
      example(result, value.topic);
      continue;
    }
    blocks.push(written);
    chars += written.length + 1;
    result.written++;
  }
  return { text: [header, ...blocks].join('\n'), ...result };
}
