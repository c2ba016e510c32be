import * as l10n from '@vscode/l10n';
import { MAX_JSON_DEPTH } from '../../shared/json';
import { decodeAvro, encodeAvro, parseAvroSchema, type AvroSchemaEntry } from './avro';
import { decodeCbor, encodeCbor } from './cbor';
import { decodeMsgpack, encodeMsgpack } from './msgpack';
import { buildProtoSchemaSet, decodeProtobuf, encodeProtobuf, type ProtoSchemaSet } from './protobuf';
import type { DecodeLimits, DecodeResult, EncodeResult } from './types';

/**
 * The engine's one entry to the format decoders (not Sparkplug B, which has its own state and
 * lives in ./sparkplug): decode a payload as a binding says, encode the user's JSON for publishing.
 */

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxNodes: 100_000,
  maxDepth: MAX_JSON_DEPTH,
});

/** What decodes a topic's payloads (the format fields of a decoder binding). */
export type FormatBinding =
  | { format: 'cbor' }
  | { format: 'msgpack' }
  | { format: 'protobuf'; type: string; /** Only a type defined in this .proto file. */ schema?: string }
  | { format: 'avro'; /** The .avsc file, as named in the schema texts. */ schema: string };

/** The schema files of the workspace, parsed once per change: .proto files as one set, each .avsc on its own. */
export interface DecoderSchemas {
  protobuf: ProtoSchemaSet;
  avro: ReadonlyMap<string, AvroSchemaEntry>;
}

/**
 * Parses the schema texts the host sent: file name (workspace-relative) → text. Names ending in
 * .proto are Protobuf, .avsc Avro; others are ignored. Errors are kept per file, never thrown.
 */
export function buildDecoderSchemas(texts: Readonly<Record<string, string>>): DecoderSchemas {
  const proto: Record<string, string> = {};
  const avro = new Map<string, AvroSchemaEntry>();
  for (const [file, text] of Object.entries(texts)) {
    if (file.endsWith('.proto')) proto[file] = text;
    else if (file.endsWith('.avsc')) avro.set(file, parseAvroSchema(file, text));
  }
  return { protobuf: buildProtoSchemaSet(proto), avro };
}

const FORMAT_NAMES: Record<FormatBinding['format'], string> = { cbor: 'CBOR', msgpack: 'MessagePack', protobuf: 'Protobuf', avro: 'Avro' };

function avroSchema(schemas: DecoderSchemas, file: string): ReturnType<typeof parseAvroSchema> {
  const known = [...schemas.avro.keys()].join(', ');
  return schemas.avro.get(file) ?? { ok: false, error: known ? l10n.t('Avro: no schema file {0} (known: {1})', file, known) : l10n.t('Avro: no schema file {0} (known: none)', file) };
}

/**
 * Decodes `bytes` as `binding` says, within `limits`. Never throws for what the payload or the
 * schemas contain: every failure is `{ ok: false, error }`, a sentence that starts with the format.
 */
export function decodePayload(bytes: Uint8Array, binding: FormatBinding, schemas: DecoderSchemas, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  const name = FORMAT_NAMES[binding.format];
  if (bytes.length > limits.maxBytes) return { ok: false, error: l10n.t('{0}: the payload has {1} bytes, more than the {2} decoded for a view', name, bytes.length.toLocaleString('en-US'), limits.maxBytes.toLocaleString('en-US')) };
  try {
    switch (binding.format) {
      case 'cbor':
        return decodeCbor(bytes, limits);
      case 'msgpack':
        return decodeMsgpack(bytes, limits);
      case 'protobuf':
        return decodeProtobuf(bytes, binding.type, schemas.protobuf, limits, binding.schema);
      case 'avro': {
        const schema = avroSchema(schemas, binding.schema);
        return schema.ok ? decodeAvro(bytes, schema.schema, limits) : schema;
      }
    }
  } catch (error) {
    // A library failing in a way none of the above expected (a stack overflow included): still a reason, not a crash.
    return { ok: false, error: `${name}: ${error instanceof RangeError && /call stack/i.test(error.message) ? l10n.t('nested too deeply to decode') : error instanceof Error ? error.message : String(error)}` };
  }
}

/** Encodes the user's JSON text as `binding` says; errors name the field where the format lets us. */
export function encodePayload(jsonText: string, binding: FormatBinding, schemas: DecoderSchemas): EncodeResult {
  try {
    switch (binding.format) {
      case 'cbor':
        return encodeCbor(jsonText);
      case 'msgpack':
        return encodeMsgpack(jsonText);
      case 'protobuf':
        return encodeProtobuf(jsonText, binding.type, schemas.protobuf, binding.schema);
      case 'avro': {
        const schema = avroSchema(schemas, binding.schema);
        return schema.ok ? encodeAvro(jsonText, schema.schema) : schema;
      }
    }
  } catch (error) {
    return { ok: false, error: `${FORMAT_NAMES[binding.format]}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export type { AvroSchemaEntry } from './avro';
export type { ProtoFileError, ProtoSchemaSet } from './protobuf';
export { formatProtoError } from './protobuf';
