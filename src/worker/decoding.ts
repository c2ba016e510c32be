import * as l10n from '@vscode/l10n';
import { bindingFor, readDecoderBindings, type DecoderBinding } from '../shared/decoderBindings';
import { MAX_SCHEMA_FILE_BYTES, MAX_SCHEMA_FILES, MAX_SCHEMA_TOTAL_BYTES } from '../shared/decoderFiles';
import { isRecord } from '../shared/guards';
import { buildDecoderSchemas, decodePayload, encodePayload, DEFAULT_DECODE_LIMITS, formatProtoError, type DecoderSchemas, type FormatBinding } from './decoders/index';
import { decodeSparkplugPayload, inSparkplugNamespace, type SparkplugState } from './decoders/sparkplug';
import type { DecodeResult, EncodeResult } from './decoders/types';
import type { ConnectionModel } from './connectionPool';
import { queries } from './topicQueries';
import type { EngineRequests } from '../shared/engineProtocol';

/**
 * The engine's decoders: the bindings and schema files the host last sent (`setDecoders`), and the
 * decoding of one payload for whatever reads it (each connection's PayloadReader, payloadReader.ts,
 * is the one way the engine reads a payload). Lazy by design: nothing here runs per received message,
 * so a flood costs nothing more with bindings set than without. (Sparkplug B's per-message learning
 * is the connection's SparkplugState, fed by the connection for `spBv1.0/` topics only.)
 */

// The caps live in shared code: the host applies them too, before it reads a file.
export { MAX_SCHEMA_FILES, MAX_SCHEMA_FILE_BYTES, MAX_SCHEMA_TOTAL_BYTES };
const MAX_SCHEMA_PATH = 1024;

type SetParams = EngineRequests['setDecoders']['params'];
type SetResult = EngineRequests['setDecoders']['result'];
type DecodeParams = EngineRequests['decode']['params'];
type DecodeReply = EngineRequests['decode']['result'];
type EncodeParams = EngineRequests['encode']['params'];
type EncodeReply = EngineRequests['encode']['result'];

const count = (value: number) => value.toLocaleString('en-US');
const bytesLimit = (bytes: number) => `${count(bytes)} (${count(bytes / (1024 * 1024))} MiB)`;

/** Why a binding cannot decode: its format needs a field it does not have. */
function lacking(binding: DecoderBinding): string {
  return binding.format === 'protobuf'
    ? l10n.t('{0}: the binding lacks its type', FORMAT_NAMES[binding.format])
    : l10n.t('{0}: the binding lacks its schema', FORMAT_NAMES[binding.format]);
}

/** A binding's format fields, as the decoders take them (the binding was checked by readDecoderBindings). */
function formatOf(binding: DecoderBinding): FormatBinding | undefined {
  switch (binding.format) {
    case 'cbor':
    case 'msgpack':
      return { format: binding.format };
    case 'protobuf':
      return binding.type === undefined ? undefined : { format: 'protobuf', type: binding.type, ...(binding.schema === undefined ? {} : { schema: binding.schema }) };
    case 'avro':
      return binding.schema === undefined ? undefined : { format: 'avro', schema: binding.schema };
    case 'sparkplug':
      return undefined;
  }
}

export const FORMAT_NAMES: Record<DecoderBinding['format'], string> = { cbor: 'CBOR', msgpack: 'MessagePack', protobuf: 'Protobuf', avro: 'Avro', sparkplug: 'Sparkplug B' };

export class DecoderState {
  private bindings: readonly DecoderBinding[] = [];
  private schemas: DecoderSchemas = buildDecoderSchemas({});

  /** Replaces the bindings and schema files (a reload after a file changed sends them all again). */
  set(params: SetParams): SetResult {
    const read = readDecoderBindings(params.bindings);
    const errors = [...read.errors];
    const schemaErrors: SetResult['schemaErrors'] = [];
    const accepted: Record<string, string> = {};
    const files: unknown = params.files;
    if (files !== undefined && !isRecord(files)) errors.push('schema files: a map of file path to text expected');
    const entries = isRecord(files) ? Object.entries(files) : [];
    let total = 0;
    if (entries.length > MAX_SCHEMA_FILES) {
      errors.push(l10n.t('schema files: {0} .proto and .avsc files, more than the {1} read: none loaded', count(entries.length), MAX_SCHEMA_FILES));
    } else {
      for (const [file, text] of entries) {
        const at = file.length > MAX_SCHEMA_PATH ? `${file.slice(0, 80)}…` : file;
        if (file.length > MAX_SCHEMA_PATH) schemaErrors.push({ file: at, error: l10n.t('{0}: a path of more than {1} characters: not loaded', at, MAX_SCHEMA_PATH) });
        else if (!file.endsWith('.proto') && !file.endsWith('.avsc')) schemaErrors.push({ file, error: l10n.t('{0}: neither a .proto nor a .avsc file: not loaded', file) });
        else if (typeof text !== 'string') schemaErrors.push({ file, error: `${file}: its text expected, got ${typeof text}` });
        else {
          const bytes = Buffer.byteLength(text, 'utf8');
          if (bytes > MAX_SCHEMA_FILE_BYTES) schemaErrors.push({ file, error: l10n.t('{0}: {1} bytes, more than the {2} a schema file may have: not loaded', file, count(bytes), bytesLimit(MAX_SCHEMA_FILE_BYTES)) });
          else {
            total += bytes;
            accepted[file] = text;
          }
        }
      }
    }
    let texts = accepted;
    if (total > MAX_SCHEMA_TOTAL_BYTES) {
      errors.push(l10n.t('schema files: {0} bytes together, more than the {1} read: none loaded', count(total), bytesLimit(MAX_SCHEMA_TOTAL_BYTES)));
      texts = {};
    }
    const schemas = buildDecoderSchemas(texts);
    for (const error of schemas.protobuf.errors) schemaErrors.push({ file: error.file, error: formatProtoError(error) });
    for (const [file, entry] of schemas.avro) if (!entry.ok) schemaErrors.push({ file, error: entry.error });
    this.bindings = read.bindings;
    this.schemas = schemas;
    return { errors, schemaErrors, messageTypes: [...schemas.protobuf.messageTypes] };
  }

  /** The binding that decodes `topic`: the first that matches, else Sparkplug B under `spBv1.0/`, else none. */
  bindingFor(topic: string): DecoderBinding | undefined {
    return bindingFor(topic, this.bindings);
  }

  /** Decodes one kept message of a topic: the newest, or `seq`; with the topic's binding, or the one given. */
  decode(model: ConnectionModel, params: DecodeParams): DecodeReply {
    let binding: DecoderBinding | undefined;
    let refused: string | undefined;
    if (params.binding !== undefined) {
      // "Decode As…" comes from a view: checked like the setting.
      const read = readDecoderBindings([params.binding], 'binding');
      binding = read.bindings[0];
      refused = read.errors.join('; ') || undefined;
    } else binding = this.bindingFor(params.topic);
    const node = model.connection.topics.find(params.topic);
    const window = node?.hasMessages ? queries.windowOf(model, node) : undefined;
    const seq = params.seq ?? (window ? window.nextSeq - 1 : 0);
    const message = window && Number.isSafeInteger(seq) && seq >= window.firstSeq && seq < window.nextSeq ? node?.messages(seq - window.firstSeq).next().value : undefined;
    const reply: DecodeReply = { seq, size: message?.size ?? 0, truncated: message?.truncated ?? false };
    if (refused !== undefined) return { ...reply, result: { ok: false, error: refused } };
    if (!binding) return reply;
    reply.binding = binding;
    if (!message) {
      const error = window
        ? l10n.t('{0}: no message {1} of {2} (kept: {3})', FORMAT_NAMES[binding.format], seq, params.topic, `${window.firstSeq}–${window.nextSeq - 1}`)
        : l10n.t('{0}: no message {1} of {2} (none kept)', FORMAT_NAMES[binding.format], seq, params.topic);
      return { ...reply, result: { ok: false, error } };
    }
    return { ...reply, result: model.payloads.decode(params.topic, message, binding, node ? { node, seq } : undefined) as DecodeResult };
  }

  /**
   * Decodes a payload as `binding` says. Sparkplug B topics are read with what the connection's state
   * learnt (births name aliases; nothing is learnt here); a Sparkplug binding on a topic outside
   * `spBv1.0/` decodes the payload on its own.
   */
  decodeBytes(topic: string, bytes: Uint8Array, binding: DecoderBinding, sparkplug: SparkplugState): DecodeResult {
    if (binding.format === 'sparkplug') {
      return inSparkplugNamespace(topic) ? sparkplug.view(topic, bytes, DEFAULT_DECODE_LIMITS) : decodeSparkplugPayload(bytes, { limits: DEFAULT_DECODE_LIMITS });
    }
    const format = formatOf(binding);
    if (!format) return { ok: false, error: lacking(binding) };
    return decodePayload(bytes, format, this.schemas, DEFAULT_DECODE_LIMITS);
  }

  /** The binding that decodes `topic` (the publish form offers it as a format). */
  bindingOf(topic: string): DecoderBinding | undefined {
    return bindingFor(topic, this.bindings);
  }

  /**
   * Encodes JSON for publishing to `topic` with its binding (or the one given). Sparkplug B needs the
   * connection's state (seq, aliases): `sparkplug` does it when the caller has one.
   */
  encode(params: EncodeParams, sparkplug?: (topic: string, json: string, check: boolean) => EncodeResult & { seq?: number }): EncodeReply & { result: { seq?: number } } {
    let binding: DecoderBinding | undefined;
    if (params.binding !== undefined) {
      const read = readDecoderBindings([params.binding], 'binding');
      if (read.errors.length) return { result: { ok: false, error: read.errors.join('; ') } };
      binding = read.bindings[0];
    } else binding = bindingFor(params.topic, this.bindings);
    if (!binding) return { result: { ok: false, error: l10n.t('No decoder is bound to {0}: add one to mqttExplorer.decoders, or publish as JSON', params.topic) } };
    if (binding.format === 'sparkplug') {
      return { binding, result: sparkplug ? sparkplug(params.topic, params.json, params.check === true) : { ok: false, error: l10n.t('Sparkplug B: no connection state to number the message with') } };
    }
    const format = formatOf(binding);
    if (!format) return { binding, result: { ok: false, error: lacking(binding) } };
    return { binding, result: encodePayload(params.json, format, this.schemas) };
  }
}
