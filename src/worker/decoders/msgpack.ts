import { Decoder, Encoder, ExtData } from '@msgpack/msgpack';
import { MAX_JSON_DEPTH } from '../../shared/json';
import { fromJsonNode, JsonValueError, messageOf, parseUserJson, type IntegerAs } from './fromJsonNode';
import { DecodeLimitError, toJsonNode } from './toJsonNode';
import type { DecodeLimits, DecodeResult, EncodeResult } from './types';

/**
 * MessagePack with @msgpack/msgpack. Its decoder is iterative (no stack overflow however deep) but
 * allocates an array of the length a header declares, so every length limit is set from the
 * payload: an array cannot have more items than the payload has bytes left, a map more entries than
 * half of them, nor more than maxNodes of either. A 10-byte payload that declares 4 billion items is
 * refused before anything is allocated.
 *
 * Maps: the library builds a plain object, which would reorder integer-like keys and keep one of
 * duplicate keys; its `mapKeyConverter` gives every key a stand-in name ("#0", "#1", …) instead,
 * and the conversion puts the real key back (a key that is not a string shows as its text). One
 * key it refuses outright: "__proto__" (the whole payload then fails with that reason).
 * 64-bit integers decode as bigint (exact); the timestamp extension (-1) as a date; other extensions
 * show as {"type": N, "data": base64}.
 */

const EXT_NOTE = 'A MessagePack extension shows as {"type": N, "data": base64}';

function special(value: object): { value: unknown; note?: string } | undefined {
  if (value instanceof ExtData) {
    const data = typeof value.data === 'function' ? value.data(0) : value.data;
    return { value: new Map<string, unknown>([['type', value.type], ['data', data]]), note: EXT_NOTE };
  }
  return undefined;
}

function describe(error: unknown, length: number): string {
  const message = messageOf(error);
  const limit = /^Max length exceeded: (.+?) length \((\d+)\)/.exec(message);
  if (limit) {
    const what = limit[1] === 'UTF-8 byte' ? 'a string' : limit[1] === 'bin' ? 'a binary value' : limit[1] === 'ext' ? 'an extension value' : limit[1] === 'array' ? 'an array' : `a ${limit[1]}`;
    return `${what} declares ${Number(limit[2]).toLocaleString('en-US')} ${limit[1] === 'array' ? 'items' : limit[1] === 'map' ? 'entries' : 'bytes'}, more than the ${length}-byte payload can hold (or more than a view shows)`;
  }
  if (/Insufficient data|outside the bounds/.test(message)) return `unexpected end of data (the payload has ${length} bytes)`;
  const extra = /^Extra (\d+) of \d+ byte\(s\) found at buffer\[(\d+)\]/.exec(message);
  if (extra) return `${extra[1]} extra bytes after the value (from byte ${extra[2]})`;
  if (/key __proto__/.test(message)) return 'a map has the key "__proto__", which @msgpack/msgpack refuses to decode';
  return message;
}

export function decodeMsgpack(bytes: Uint8Array, limits: DecodeLimits): DecodeResult {
  const keys: unknown[] = [];
  const decoder = new Decoder({
    useBigInt64: true,
    maxStrLength: bytes.length,
    maxBinLength: bytes.length,
    maxExtLength: bytes.length,
    maxArrayLength: Math.min(bytes.length, limits.maxNodes),
    maxMapLength: Math.min(Math.floor(bytes.length / 2), limits.maxNodes),
    mapKeyConverter: (key) => {
      keys.push(key);
      return `#${keys.length - 1}`;
    },
  });
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (error) {
    return { ok: false, error: `MessagePack: ${describe(error, bytes.length)}` };
  }
  try {
    const converted = toJsonNode(value, limits, { special, objectKey: (name) => keys[Number(name.slice(1))] });
    return { ok: true, value: converted.value, decodedBy: 'MessagePack', ...(converted.notes.length ? { notes: converted.notes } : {}) };
  } catch (error) {
    if (error instanceof DecodeLimitError) return { ok: false, error: `MessagePack: ${error.message}` };
    throw error;
  }
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Integers outside 32 bits as bigint, so the library writes an int 64 / uint 64 (a number there
 * would become a float 64). Beyond 64 bits MessagePack has no integer: a float 64 when the literal
 * is how that double prints (123456789012345680000, as JSON.stringify writes 1.2345678901234568e20),
 * else an error rather than a rounded number.
 */
const msgpackInteger: IntegerAs = (literal) => {
  const value = BigInt(literal);
  if (value >= -(2n ** 31n) && value < 2n ** 32n) return Number(value);
  if (value >= INT64_MIN && value <= UINT64_MAX) return value;
  const float = Number(literal);
  if (Number.isFinite(float) && String(float) === literal) return float;
  throw new JsonValueError(`the integer ${literal} does not fit in 64 bits, and a float would round it`);
};

/** The JSON text as MessagePack: keys in the order typed, 64-bit integers exact. */
export function encodeMsgpack(jsonText: string): EncodeResult {
  try {
    const value = fromJsonNode(parseUserJson(jsonText), msgpackInteger);
    const encoder = new Encoder({ useBigInt64: true, maxDepth: MAX_JSON_DEPTH + 1 });
    return { ok: true, bytes: encoder.encode(value) };
  } catch (error) {
    return { ok: false, error: `MessagePack: ${messageOf(error)}` };
  }
}
