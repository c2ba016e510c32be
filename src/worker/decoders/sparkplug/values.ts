import type { JsonNode } from '../../../shared/json';
import { DataType, type Uint64 } from './schema';

/**
 * How Sparkplug's typed values become JSON text and back: integers of every width exact (bigint, never
 * a double), floats as the shortest text that reads back to the same float, the array types as the
 * little-endian packed bytes the specification defines. No protobuf here.
 */

export const TWO_32 = 1n << 32n;
export const TWO_64 = 1n << 64n;

/** A protobufjs uint64 (a long.js Long, or a number when Long is missing) as an unsigned bigint. */
export function toBigUint(value: Uint64): bigint {
  if (typeof value === 'number') return BigInt.asUintN(64, BigInt(value));
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** Low and high 32 bits of a 64-bit two's complement value, for protobufjs's writer. */
export function longBits(value: bigint): { low: number; high: number } {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0 };
}

/** Width and sign of each integer data type (DateTime is milliseconds since the epoch, unsigned 64-bit). */
export const INTEGER_TYPES: ReadonlyMap<number, { bits: 8 | 16 | 32 | 64; signed: boolean }> = new Map([
  [DataType.Int8, { bits: 8, signed: true }],
  [DataType.Int16, { bits: 16, signed: true }],
  [DataType.Int32, { bits: 32, signed: true }],
  [DataType.Int64, { bits: 64, signed: true }],
  [DataType.UInt8, { bits: 8, signed: false }],
  [DataType.UInt16, { bits: 16, signed: false }],
  [DataType.UInt32, { bits: 32, signed: false }],
  [DataType.UInt64, { bits: 64, signed: false }],
  [DataType.DateTime, { bits: 64, signed: false }],
]);

/** The range of an integer type, inclusive. */
export function integerRange(bits: number, signed: boolean): [bigint, bigint] {
  const size = 1n << BigInt(bits);
  return signed ? [-(size >> 1n), (size >> 1n) - 1n] : [0n, size - 1n];
}

/**
 * An integer of a data type `bits` wide from the unsigned field it travelled in (`carrier`: 32 for
 * int_value, 64 for long_value). The specification carries Int8/Int16/Int32 in the uint32 int_value;
 * Eclipse Tahu writes a negative one as its 32-bit two's complement (Int8 -5 as 4294967291), some
 * implementations as the type's own two's complement (Int8 -5 as 251): both read as -5. A value that
 * fits neither comes back with `outOfRange`, shown as the carrier's signed reading.
 */
export function integerFromWire(raw: bigint, carrier: 32 | 64, bits: number, signed: boolean): { value: bigint; outOfRange: boolean } {
  const size = 1n << BigInt(bits);
  if (!signed) return { value: raw, outOfRange: raw >= size };
  const half = size >> 1n;
  if (raw < half) return { value: raw, outOfRange: false };
  if (carrier < bits) return { value: raw, outOfRange: false }; // an Int64 in the 32-bit field: no sign bit to extend
  const carrierSize = 1n << BigInt(carrier);
  const asCarrier = raw >= carrierSize >> 1n ? raw - carrierSize : raw;
  if (asCarrier < 0n && asCarrier >= -half) return { value: asCarrier, outOfRange: false };
  if (raw < size) return { value: raw - size, outOfRange: false };
  return { value: asCarrier, outOfRange: true };
}

export const number = (raw: string): JsonNode => ({ kind: 'number', raw });
export const string = (value: string): JsonNode => ({ kind: 'string', value });
export const bool = (value: boolean): JsonNode => ({ kind: 'literal', raw: value ? 'true' : 'false' });
export const NULL: JsonNode = { kind: 'literal', raw: 'null' };

/** JSON has no NaN or infinities: they show as the strings "NaN", "Infinity", "-Infinity" (and are read back from them). */
function nonFinite(value: number): JsonNode | undefined {
  return Number.isFinite(value) ? undefined : string(String(value));
}

/** A double as JSON number text: JavaScript's shortest round-trip form, -0 kept. */
export function doubleNode(value: number): JsonNode {
  return nonFinite(value) ?? number(Object.is(value, -0) ? '-0' : String(value));
}

/** A float (32-bit) as the shortest decimal text that reads back to the same float: 0.1, not 0.10000000149011612. */
export function floatNode(value: number): JsonNode {
  const special = nonFinite(value);
  if (special) return special;
  if (Object.is(value, -0)) return number('-0');
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return number(String(shorter));
  }
  return number(String(value));
}

/** A JSON number's or string's text as a number, with the strings "NaN", "Infinity", "-Infinity" accepted. */
export function readFloat(node: JsonNode): number | undefined {
  if (node.kind === 'number') return Number(node.raw);
  if (node.kind === 'string' && (node.value === 'NaN' || node.value === 'Infinity' || node.value === '-Infinity')) return Number(node.value);
  return undefined;
}

/** An integer given as a JSON number literal ("-5", "18446744073709551615", "1e3") or a decimal string: exact, or undefined. */
export function readInteger(node: JsonNode): bigint | undefined {
  const text = node.kind === 'number' ? node.raw : node.kind === 'string' ? node.value.trim() : undefined;
  if (text === undefined) return undefined;
  if (/^-?\d+$/.test(text)) return BigInt(text);
  // An exponent or a fraction: exact only when it names an integer (1e3, 2.50e1).
  const match = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(text) ?? /^(-?)(\d+)\.(\d+)()$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponentText] = match;
  const exponent = Number(exponentText || 0) - fraction.length;
  const digits = `${whole}${fraction}`;
  if (exponent < 0) {
    if (!/^0+$/.test(digits.slice(exponent))) return undefined;
    const kept = digits.slice(0, exponent);
    return BigInt(`${sign}${kept || '0'}`);
  }
  if (exponent > 40) return undefined; // larger than any 64-bit value: refuse before building a huge string
  return BigInt(`${sign}${digits}${'0'.repeat(exponent)}`);
}

/** Bytes per element of the fixed-size array types. */
const ELEMENT_SIZE = new Map<number, number>([
  [DataType.Int8Array, 1],
  [DataType.UInt8Array, 1],
  [DataType.Int16Array, 2],
  [DataType.UInt16Array, 2],
  [DataType.Int32Array, 4],
  [DataType.UInt32Array, 4],
  [DataType.FloatArray, 4],
  [DataType.Int64Array, 8],
  [DataType.UInt64Array, 8],
  [DataType.DoubleArray, 8],
  [DataType.DateTimeArray, 8],
]);

export function isArrayType(type: number): boolean {
  return type >= DataType.Int8Array && type <= DataType.DateTimeArray;
}

/**
 * How many elements an array value of `bytes` holds (a Boolean array says so in its first four
 * bytes), or a reason it is malformed. Cheap: the caller charges its node budget before unpacking.
 */
export function arrayLength(type: number, bytes: Uint8Array): number | string {
  const size = ELEMENT_SIZE.get(type);
  if (size !== undefined) return bytes.length % size === 0 ? bytes.length / size : `${bytes.length} bytes is not a whole number of ${size}-byte elements`;
  if (type === DataType.BooleanArray) {
    if (bytes.length < 4) return 'shorter than its 4-byte count';
    const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    return 4 + Math.ceil(count / 8) === bytes.length ? count : `its count ${count} needs ${4 + Math.ceil(count / 8)} bytes, it has ${bytes.length}`;
  }
  // StringArray: strings each ended by a 0 byte.
  let count = 0;
  for (const byte of bytes) if (byte === 0) count++;
  return bytes.length && bytes[bytes.length - 1] !== 0 ? count + 1 : count;
}

const utf8 = new TextDecoder();

/** The elements of an array value (its length already checked by arrayLength). */
export function unpackArray(type: number, bytes: Uint8Array): JsonNode[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: JsonNode[] = [];
  const size = ELEMENT_SIZE.get(type);
  if (size !== undefined) {
    for (let at = 0; at + size <= bytes.length; at += size) {
      switch (type) {
        case DataType.Int8Array:
          items.push(number(String(view.getInt8(at))));
          break;
        case DataType.UInt8Array:
          items.push(number(String(view.getUint8(at))));
          break;
        case DataType.Int16Array:
          items.push(number(String(view.getInt16(at, true))));
          break;
        case DataType.UInt16Array:
          items.push(number(String(view.getUint16(at, true))));
          break;
        case DataType.Int32Array:
          items.push(number(String(view.getInt32(at, true))));
          break;
        case DataType.UInt32Array:
          items.push(number(String(view.getUint32(at, true))));
          break;
        case DataType.FloatArray:
          items.push(floatNode(view.getFloat32(at, true)));
          break;
        case DataType.DoubleArray:
          items.push(doubleNode(view.getFloat64(at, true)));
          break;
        case DataType.Int64Array:
          items.push(number(String(view.getBigInt64(at, true))));
          break;
        default: // UInt64Array, DateTimeArray
          items.push(number(String(view.getBigUint64(at, true))));
      }
    }
    return items;
  }
  if (type === DataType.BooleanArray) {
    const count = view.getUint32(0, true);
    // Bit-packed after the count, the first value in the most significant bit of each byte.
    for (let index = 0; index < count; index++) items.push(bool((bytes[4 + (index >> 3)] & (0x80 >> (index & 7))) !== 0));
    return items;
  }
  let start = 0;
  for (let at = 0; at <= bytes.length; at++) {
    if (at === bytes.length ? at > start : bytes[at] === 0) {
      items.push(string(utf8.decode(bytes.subarray(start, at))));
      start = at + 1;
    }
  }
  return items;
}

/** Packs `items` (already checked: bigints for integer and DateTime arrays, numbers for floats, booleans, strings) as the array type's bytes. */
export function packArray(type: number, items: readonly (bigint | number | boolean | string)[]): Uint8Array {
  const size = ELEMENT_SIZE.get(type);
  if (size !== undefined) {
    const bytes = new Uint8Array(items.length * size);
    const view = new DataView(bytes.buffer);
    items.forEach((item, index) => {
      const at = index * size;
      switch (type) {
        case DataType.Int8Array:
          view.setInt8(at, Number(item));
          break;
        case DataType.UInt8Array:
          view.setUint8(at, Number(item));
          break;
        case DataType.Int16Array:
          view.setInt16(at, Number(item), true);
          break;
        case DataType.UInt16Array:
          view.setUint16(at, Number(item), true);
          break;
        case DataType.Int32Array:
          view.setInt32(at, Number(item), true);
          break;
        case DataType.UInt32Array:
          view.setUint32(at, Number(item), true);
          break;
        case DataType.FloatArray:
          view.setFloat32(at, Number(item), true);
          break;
        case DataType.DoubleArray:
          view.setFloat64(at, Number(item), true);
          break;
        case DataType.Int64Array:
          view.setBigInt64(at, item as bigint, true);
          break;
        default:
          view.setBigUint64(at, item as bigint, true);
      }
    });
    return bytes;
  }
  if (type === DataType.BooleanArray) {
    const bytes = new Uint8Array(4 + Math.ceil(items.length / 8));
    new DataView(bytes.buffer).setUint32(0, items.length, true);
    items.forEach((item, index) => {
      if (item === true) bytes[4 + (index >> 3)] |= 0x80 >> (index & 7);
    });
    return bytes;
  }
  const encoder = new TextEncoder();
  const parts = items.map((item) => encoder.encode(String(item)));
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length + 1, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length + 1; // the 0 that ends each string
  }
  return bytes;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Base64 text (standard or URL-safe alphabet, padding optional) as bytes; undefined when it is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}
