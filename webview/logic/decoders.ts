/**
 * Payload views that need no DOM: hex dump, base64, numbers decoded from binary, and the choice of
 * view. Used by the webview; unit-tested in plain Node.
 */

export type PayloadView = 'json' | 'text' | 'hex' | 'base64' | 'numbers';

import { fromBase64, hexDump, payloadAsText as asText, toBase64 } from '../../src/shared/format';
import { jsonDepthExceeds, MAX_JSON_DEPTH, MAX_VIEW_JSON_CHARS } from '../../src/shared/json';

export { asText, fromBase64, hexDump, toBase64 };

/**
 * The view a person most likely wants: JSON when it parses, text when it is text, else hex. JSON
 * past the views' bounds (too large, too deep) is still the JSON view, which shows it as text with a
 * note that says why; it is not parsed here either.
 */
export function chooseView(bytes: Uint8Array): PayloadView {
  const text = asText(bytes);
  if (text === undefined) return 'hex';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    if (trimmed.length > MAX_VIEW_JSON_CHARS || jsonDepthExceeds(trimmed, MAX_JSON_DEPTH)) return 'json';
    try {
      JSON.parse(trimmed);
      return 'json';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

export type NumberType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

export interface DecodedNumber {
  type: NumberType;
  /** Little-endian and big-endian readings (the same for one byte). Strings for 64-bit integers. */
  littleEndian: number | string;
  bigEndian: number | string;
}

const SIZES: [NumberType, number][] = [
  ['int8', 1],
  ['uint8', 1],
  ['int16', 2],
  ['uint16', 2],
  ['int32', 4],
  ['uint32', 4],
  ['int64', 8],
  ['uint64', 8],
  ['float32', 4],
  ['float64', 8],
];

function read(view: DataView, type: NumberType, littleEndian: boolean): number | string {
  switch (type) {
    case 'int8':
      return view.getInt8(0);
    case 'uint8':
      return view.getUint8(0);
    case 'int16':
      return view.getInt16(0, littleEndian);
    case 'uint16':
      return view.getUint16(0, littleEndian);
    case 'int32':
      return view.getInt32(0, littleEndian);
    case 'uint32':
      return view.getUint32(0, littleEndian);
    case 'int64':
      return view.getBigInt64(0, littleEndian).toString();
    case 'uint64':
      return view.getBigUint64(0, littleEndian).toString();
    case 'float32':
      return view.getFloat32(0, littleEndian);
    case 'float64':
      return view.getFloat64(0, littleEndian);
  }
}

/** Every number the bytes at `offset` can be read as, in both byte orders. */
export function decodeNumbers(bytes: Uint8Array, offset = 0): DecodedNumber[] {
  const result: DecodedNumber[] = [];
  for (const [type, size] of SIZES) {
    if (offset + size > bytes.length) continue;
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size);
    result.push({ type, littleEndian: read(view, type, true), bigEndian: read(view, type, false) });
  }
  return result;
}
