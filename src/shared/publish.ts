/**
 * Publishing, as every way of publishing shares it (the palette, the panel's form, the editor
 * commands, command arguments): payload formats and their encoding, MQTT 5 properties, validation
 * with messages for people, and the broker's answer. No VS Code, no Node: the webview validates
 * with the same code as the host.
 */
import * as l10n from '@vscode/l10n';
import { fromBase64 } from './format';
import type { QoS } from './profile';
import { validatePublishTopic } from './topicRules';
import { isRecord } from './guards';

/** `decoder`: JSON typed by a person, encoded by the decoder bound to the topic (mqttExplorer.decoders). */
export type PayloadFormat = 'text' | 'json' | 'hex' | 'base64' | 'decoder';
export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['text', 'json', 'hex', 'base64', 'decoder'];
/** A format's name in the display language (a function: the host and the webviews configure l10n only once they run). */
export function formatLabel(format: PayloadFormat): string {
  switch (format) {
    case 'text':
      return l10n.t('Text');
    case 'json':
      return 'JSON';
    case 'hex':
      return l10n.t('Hex');
    case 'base64':
      return 'Base64';
    case 'decoder':
      return l10n.t('Bound decoder');
  }
}

/** A payload's bytes, why it is not valid, or (format `decoder`) the JSON text the engine encodes. */
export type EncodedPayload = { bytes: Uint8Array } | { error: string } | { encodeJson: string };

/** MQTT 5 publish properties as a person types them. */
export interface PublishProperties {
  contentType?: string;
  payloadFormatIndicator?: boolean;
  /** Seconds. */
  messageExpiryInterval?: number;
  responseTopic?: string;
  /** Sent as the UTF-8 bytes of this text. */
  correlationData?: string;
  userProperties?: [string, string][];
}

/** One publish, as typed: kept as typed so that it can be shown again, reused, or fixed. */
export interface PublishDraft {
  topic: string;
  payload: string;
  format: PayloadFormat;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}

/** What the broker answered: nothing at QoS 0, PUBACK at QoS 1, PUBCOMP at QoS 2, with its reason code. */
export interface PublishResult {
  ack: 'none' | 'puback' | 'pubcomp';
  reasonCode: number;
  /** The reason in words, e.g. "Success" or "No matching subscribers". */
  reason: string;
}

const encoder = new TextEncoder();

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return l10n.t('Not valid JSON: {0}', (error as Error).message);
  }
}

/**
 * The bytes of a payload typed in `format`, or why it is not valid in that format. For `decoder` the
 * JSON is only checked here: the engine, which holds the schemas, encodes it (and checks it again).
 */
export function encodePayload(text: string, format: PayloadFormat): EncodedPayload {
  switch (format) {
    case 'text':
      return { bytes: encoder.encode(text) };
    case 'json': {
      const error = jsonError(text);
      // Sent as typed: reformatting would change what the receiver gets.
      return error ? { error } : { bytes: encoder.encode(text) };
    }
    case 'decoder': {
      const error = jsonError(text);
      return error ? { error } : { encodeJson: text };
    }
    case 'hex': {
      const clean = text.replace(/0x/gi, '').replace(/[\s:,-]/g, '');
      if (/[^0-9a-f]/i.test(clean)) return { error: l10n.t('Not hex: use the digits 0–9 and a–f, optionally separated by spaces.') };
      if (clean.length % 2) return { error: l10n.t('Hex needs two digits per byte: one digit is missing.') };
      const bytes = new Uint8Array(clean.length / 2);
      for (let index = 0; index < bytes.length; index++) bytes[index] = parseInt(clean.slice(index * 2, index * 2 + 2), 16);
      return { bytes };
    }
    case 'base64':
      if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(text) || text.replace(/\s/g, '').length % 4 === 1) return { error: l10n.t('Not base64: only A–Z, a–z, 0–9, + and /, with = at the end.') };
      return { bytes: fromBase64(text) };
  }
}

/** Why a payload would not be published (undefined: it would). */
export function validatePayload(text: string, format: PayloadFormat): string | undefined {
  const encoded = encodePayload(text, format);
  return 'error' in encoded ? encoded.error : undefined;
}

/** User properties typed one per line as `name=value` (the first `=` splits). */
export function parseUserProperties(text: string): { pairs: [string, string][] } | { error: string } {
  const pairs: [string, string][] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at <= 0) return { error: l10n.t('Line {0}: write a user property as name=value.', index + 1) };
    pairs.push([line.slice(0, at).trim(), line.slice(at + 1)]);
  }
  return { pairs };
}

/** Why the MQTT 5 properties would not be sent (undefined: they would). */
export function validateProperties(properties: PublishProperties | undefined): string | undefined {
  if (!properties) return undefined;
  const expiry = properties.messageExpiryInterval;
  if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 0 || expiry > 0xffffffff)) return l10n.t('Message expiry is a whole number of seconds (0 to 4,294,967,295).');
  if (properties.responseTopic !== undefined && properties.responseTopic !== '') {
    const invalid = validatePublishTopic(properties.responseTopic);
    if (invalid) return l10n.t('Response topic: {0}', invalid);
  }
  if (properties.userProperties?.some(([name]) => name === '')) return l10n.t('A user property needs a name.');
  return undefined;
}

/** Everything wrong with a draft, by field; empty when it can be published. */
export function validateDraft(draft: PublishDraft): Partial<Record<'topic' | 'payload' | 'properties', string>> {
  const errors: Partial<Record<'topic' | 'payload' | 'properties', string>> = {};
  const topic = validatePublishTopic(draft.topic);
  if (topic) errors.topic = topic;
  const payload = validatePayload(draft.payload, draft.format);
  if (payload) errors.payload = payload;
  const properties = validateProperties(draft.properties);
  if (properties) errors.properties = properties;
  return errors;
}

function optionalString(value: unknown): string | undefined | false {
  return value === undefined || typeof value === 'string' ? value : false;
}

/** Reads MQTT 5 properties from untrusted data (a webview, command arguments); undefined fields are left out. */
export function parseProperties(value: unknown): PublishProperties | undefined | false {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return false;
  const properties: PublishProperties = {};
  for (const key of ['contentType', 'responseTopic', 'correlationData'] as const) {
    const text = optionalString(value[key]);
    if (text === false) return false;
    if (text !== undefined && text !== '') properties[key] = text;
  }
  if (value.payloadFormatIndicator !== undefined) {
    if (typeof value.payloadFormatIndicator !== 'boolean') return false;
    properties.payloadFormatIndicator = value.payloadFormatIndicator;
  }
  if (value.messageExpiryInterval !== undefined) {
    if (typeof value.messageExpiryInterval !== 'number') return false;
    properties.messageExpiryInterval = value.messageExpiryInterval;
  }
  if (value.userProperties !== undefined) {
    const pairs = value.userProperties;
    // Also accepted as an object, as MQTT.js and most tools write them.
    const list = Array.isArray(pairs) ? pairs : isRecord(pairs) ? Object.entries(pairs) : undefined;
    if (!list || !list.every((pair): pair is [string, string] => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string')) return false;
    if (list.length) properties.userProperties = list;
  }
  return properties;
}

/** Reads a draft from untrusted data; `false` when a field has the wrong type. */
export function parseDraft(value: unknown, defaults: Partial<PublishDraft> = {}): PublishDraft | false {
  if (!isRecord(value)) return false;
  const topic = value.topic ?? defaults.topic;
  const payload = value.payload ?? defaults.payload ?? '';
  const format = value.format ?? defaults.format ?? 'text';
  const qos = value.qos ?? defaults.qos ?? 0;
  const retain = value.retain ?? defaults.retain ?? false;
  if (typeof topic !== 'string' || typeof payload !== 'string' || typeof retain !== 'boolean') return false;
  if (!PAYLOAD_FORMATS.includes(format as PayloadFormat) || (qos !== 0 && qos !== 1 && qos !== 2)) return false;
  const properties = parseProperties(value.properties);
  if (properties === false) return false;
  const draft: PublishDraft = { topic, payload, format: format as PayloadFormat, qos, retain };
  if (properties && Object.keys(properties).length) draft.properties = properties;
  return draft;
}

/** MQTT 5 reason codes of PUBACK and PUBREC/PUBCOMP (§3.4.2.1, §3.7.2.1), translated when asked. */
const REASONS: Record<number, () => string> = {
  0x00: () => l10n.t('Success'),
  0x10: () => l10n.t('No matching subscribers'),
  0x80: () => l10n.t('Unspecified error'),
  0x83: () => l10n.t('Implementation specific error'),
  0x87: () => l10n.t('Not authorized'),
  0x90: () => l10n.t('Topic name invalid'),
  0x91: () => l10n.t('Packet identifier in use'),
  0x92: () => l10n.t('Packet identifier not found'),
  0x97: () => l10n.t('Quota exceeded'),
  0x99: () => l10n.t('Payload format invalid'),
};

export function reasonText(code: number): string {
  return REASONS[code]?.() ?? l10n.t('Reason code 0x{0}', code.toString(16).padStart(2, '0'));
}

/** The answer as the form shows it next to its button. */
export function describeResult(result: PublishResult): string {
  if (result.ack === 'none') return l10n.t('Sent (QoS 0: the broker does not acknowledge).');
  return `${result.ack === 'puback' ? 'PUBACK' : 'PUBCOMP'}: ${result.reason}${result.reasonCode ? ` (0x${result.reasonCode.toString(16).padStart(2, '0')})` : ''}.`;
}

/** Arguments of "MQTT: Publish": with a topic it publishes at once, otherwise they fill the prompts. */
export interface PublishArgs extends Partial<PublishDraft> {
  connectionId?: string;
}

/** Reads the arguments of "MQTT: Publish" (a keybinding's or a task's); `false` when a field has the wrong type. */
export function parsePublishArgs(value: unknown): PublishArgs | false {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  const raw = value as Record<string, unknown>;
  if (raw.connectionId !== undefined && typeof raw.connectionId !== 'string') return false;
  const draft = parseDraft({ ...raw, topic: raw.topic ?? '' });
  if (draft === false) return false;
  const args: PublishArgs = { ...draft };
  if (raw.topic === undefined) delete args.topic;
  if (raw.payload === undefined) delete args.payload;
  if (raw.format === undefined) delete args.format;
  if (raw.qos === undefined) delete args.qos;
  if (raw.retain === undefined) delete args.retain;
  if (typeof raw.connectionId === 'string') args.connectionId = raw.connectionId;
  return args;
}
