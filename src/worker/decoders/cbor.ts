import { decode, encode, SequenceEvents, Simple, Tag, type DecodeOptions, type TagDecoder } from 'cbor2';
import { fromJsonNode, messageOf, parseUserJson } from './fromJsonNode';
import { DecodeLimitError, KeyedEntries, toJsonNode } from './toJsonNode';
import type { DecodeLimits, DecodeResult, EncodeResult } from './types';

/**
 * CBOR (RFC 8949) with cbor2. cbor2's parser is a chain of generators, one per nesting level: about
 * 4,000 levels overflow the stack, so its own `maxDepth` is set (at most CBOR_MAX_DEPTH) and a payload
 * nested deeper is refused by cbor2 before that. It does not allocate from a declared length (a
 * 2^32-element array in 9 bytes fails at the end of the data).
 *
 * Tags: cbor2 keeps a global registry of tag decoders (some build a RegExp or a URL from the payload,
 * and bignums cost quadratic time in their length). It is ignored; only these tags decode:
 * 0/1 dates (ISO text), 2/3 bignums up to MAX_BIGNUM_BYTES (exact integers), 64-87 typed arrays,
 * 258 sets, 55799 (self-described CBOR, the content alone). Every other tag, and one of these whose
 * content does not fit it, shows as `{"tag": N, "value": …}` with a note.
 * Maps keep their entries in order with duplicates and keys of any type (see KeyedEntries).
 */

export const CBOR_MAX_DEPTH = 1000;
/** A bignum longer than this (bytes) shows as its tag and bytes: converting it costs time quadratic in its length. */
export const MAX_BIGNUM_BYTES = 64;

const TAG_NOTE = 'A CBOR tag the viewer does not decode shows as {"tag": N, "value": …}';

/** A library tag decoder that falls back to the tag itself when the content does not fit. */
function lenient(tag: number): TagDecoder {
  const library = Tag.getDecoder(tag);
  return (value, options) => {
    if (!library) return value;
    try {
      return library(value, options);
    } catch {
      return value;
    }
  };
}

function bignum(negative: boolean): TagDecoder {
  return (value) => {
    const contents = value.contents;
    if (!(contents instanceof Uint8Array) || contents.length > MAX_BIGNUM_BYTES) return value;
    const hex = Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength).toString('hex');
    const magnitude = hex ? BigInt(`0x${hex}`) : 0n;
    return negative ? -1n - magnitude : magnitude;
  };
}

const TAGS = new Map<number, TagDecoder>([
  [0, lenient(0)],
  [1, lenient(1)],
  [2, bignum(false)],
  [3, bignum(true)],
  [258, lenient(258)],
  [55799, (value) => value.contents],
]);
for (let tag = 64; tag <= 87; tag++) if (Tag.getDecoder(tag)) TAGS.set(tag, lenient(tag));

function options(limits: DecodeLimits): DecodeOptions {
  return {
    maxDepth: Math.max(1, Math.min(limits.maxDepth, CBOR_MAX_DEPTH)),
    ignoreGlobalTags: true,
    tags: TAGS,
    createObject: (entries) => new KeyedEntries(entries.map(([key, value]) => [key, value])),
  };
}

function special(value: object): { value: unknown; note?: string } | undefined {
  if (value instanceof Tag) {
    return {
      value: new KeyedEntries([
        ['tag', typeof value.tag === 'bigint' ? value.tag : Number(value.tag)],
        ['value', value.contents],
      ]),
      note: TAG_NOTE,
    };
  }
  if (value instanceof Simple) return { value: `simple(${value.value})`, note: 'A CBOR simple value shows as the string "simple(N)"' };
  return undefined;
}

/** Where the data stopped making sense: the offset of the last item cbor2 started reading. */
function lastItemOffset(bytes: Uint8Array, decodeOptions: DecodeOptions): number | undefined {
  let offset: number | undefined;
  try {
    for (const event of new SequenceEvents(bytes, decodeOptions)) offset = event[3];
  } catch {
    // expected: the same error as the decode
  }
  return offset;
}

function describe(error: unknown, bytes: Uint8Array, decodeOptions: DecodeOptions, maxDepth: number): string {
  const message = messageOf(error);
  if (/^Maximum depth/.test(message)) return `nested deeper than ${maxDepth} levels`;
  const at = lastItemOffset(bytes, decodeOptions);
  const where = at === undefined ? '' : ` in the item at byte ${at}`;
  if (/outside the bounds|Unexpected end of stream/i.test(message)) return `unexpected end of data${where} (the payload has ${bytes.length} bytes)`;
  if (/Extra data/.test(message)) return `${bytes.length - (at ?? 0)} extra bytes after the value (from byte ${at ?? 0})`;
  if (/encoded data was not valid/.test(message)) return `a text string is not valid UTF-8${where}`;
  return `${message}${where}`;
}

export function decodeCbor(bytes: Uint8Array, limits: DecodeLimits): DecodeResult {
  const decodeOptions = options(limits);
  let value: unknown;
  try {
    value = decode(bytes, decodeOptions);
  } catch (error) {
    return { ok: false, error: `CBOR: ${describe(error, bytes, decodeOptions, decodeOptions.maxDepth!)}` };
  }
  try {
    const converted = toJsonNode(value, limits, { special });
    return { ok: true, value: converted.value, decodedBy: 'CBOR', ...(converted.notes.length ? { notes: converted.notes } : {}) };
  } catch (error) {
    if (error instanceof DecodeLimitError) return { ok: false, error: `CBOR: ${error.message}` };
    throw error;
  }
}

/** The JSON text as CBOR: integers beyond 2^53 as CBOR integers (or bignums past 64 bits), keys in the order typed. */
export function encodeCbor(jsonText: string): EncodeResult {
  try {
    const value = fromJsonNode(parseUserJson(jsonText));
    return { ok: true, bytes: encode(value) };
  } catch (error) {
    return { ok: false, error: `CBOR: ${messageOf(error)}` };
  }
}
