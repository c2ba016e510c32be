import type { JsonNode } from '../../shared/json';

/**
 * What every payload decoder of the engine worker shares. A decoded payload is a `JsonNode`
 * (src/shared/json.ts), the tree the panel already renders: numbers keep their literal text (a
 * 64-bit integer stays exact), object entries are a list (no prototype keys, duplicates and
 * non-string map keys survive as text). Bytes inside a decoded value are a base64 string.
 */

/** The formats a topic can be bound to. */
export type DecoderFormat = 'sparkplug' | 'protobuf' | 'cbor' | 'msgpack' | 'avro';

/** Bounds every decoder keeps: a payload larger than maxBytes is not decoded, output past maxNodes stops. */
export interface DecodeLimits {
  /** Payloads over this many bytes are not decoded (the reason says so). */
  maxBytes: number;
  /** At most this many nodes in the decoded tree (a small payload can declare a huge structure). */
  maxNodes: number;
  /** Deeper nesting than this is refused, as the JSON view refuses it (MAX_JSON_DEPTH). */
  maxDepth: number;
}

export type DecodeResult =
  | {
      ok: true;
      value: JsonNode;
      /** What decoded it, for the panel: "Protobuf sensors.Reading (sensors.proto)". */
      decodedBy: string;
      /** Things worth telling next to the value (a Sparkplug seq gap, an unknown alias, a field skipped). */
      notes?: string[];
    }
  | { ok: false; error: string };

export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: string };
