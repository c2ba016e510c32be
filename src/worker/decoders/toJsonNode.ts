import * as l10n from '@vscode/l10n';
import { formatJson, type JsonNode } from '../../shared/json';
import type { DecodeLimits } from './types';

/**
 * What a decoding library hands back (plain objects, arrays, Map, bigint, Long, bytes, Date, …) as a
 * `JsonNode`, the tree the panel renders. An explicit stack of open containers, no recursion: a
 * payload from the network can nest 100,000 levels. Past `maxDepth` levels or `maxNodes` values it
 * stops with a DecodeLimitError that says which.
 *
 * How the odd values show (each kind once in the notes, with where it first occurs and how often):
 * - integers of any size (bigint, protobufjs/long.js Long): a number node with their exact decimal text;
 * - -0: the number `-0` (valid JSON text; JSON.stringify would have said 0);
 * - NaN, Infinity, -Infinity: the strings "NaN", "Infinity", "-Infinity", with a note (JSON has no such numbers);
 * - undefined (CBOR's undefined, an absent value): null, with a note;
 * - bytes (Uint8Array, Buffer, ArrayBuffer, DataView): a base64 string, with a note;
 * - other typed arrays (Int16Array, Float32Array, BigInt64Array, …): an array of their numbers;
 * - Date: its ISO 8601 text; a date outside what Date can show: the string "Invalid Date", with a note;
 * - Map (and `KeyedEntries`): an object whose entries keep their order and duplicates; a key that is
 *   a string stays as it is, a number or bigint key is its decimal text, a boolean or null key its
 *   JSON text, bytes their base64, a container key its compact JSON text (with a note);
 * - Set: an array of its values;
 * - boxed String/Number/Boolean/BigInt: their primitive;
 * - symbol: its description as a string, with a note; a function: null, with a note;
 * - anything `special` (the format's own classes: a CBOR tag, a MessagePack extension) replaces
 *   itself first, see ConvertOptions.special.
 * Any other object shows its own enumerable string keys, as JSON.stringify would.
 */

/** Entries of a map in their order, duplicates and keys of any type kept (CBOR maps decode to this). */
export class KeyedEntries {
  constructor(readonly entries: [unknown, unknown][]) {}
}

/** The decoded value is larger or deeper than the limits allow. */
export class DecodeLimitError extends Error {}

export interface ConvertOptions {
  /** The library's own classes, swapped for something the converter knows (with a note to say how it shows). */
  special?: (value: object) => { value: unknown; note?: string } | undefined;
  /** The real key behind an object's property name (MessagePack maps arrive with stand-in names). */
  objectKey?: (name: string) => unknown;
}

export interface Converted {
  value: JsonNode;
  notes: string[];
}

type Limits = Pick<DecodeLimits, 'maxNodes' | 'maxDepth'>;

interface Frame {
  depth: number;
  /** The container being filled. */
  node: Extract<JsonNode, { kind: 'object' | 'array' }>;
  /** The next child to convert, or undefined when the container is complete. */
  next(): { value: unknown } | undefined;
  /** A converted child arrives. */
  add(child: JsonNode): void;
  /** Where the child being converted sits, for notes: `[3]` or `.name`. */
  where(): string;
}

const LEAF_NULL: JsonNode = { kind: 'literal', raw: 'null' };

/** A long.js Long (protobufjs's 64-bit integers): its toString is the exact decimal text. */
function isLong(value: object): boolean {
  return (value as { __isLong__?: unknown }).__isLong__ === true;
}

function isBytes(value: object): value is Uint8Array {
  return value instanceof Uint8Array && !(value instanceof Uint8ClampedArray);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** One line of JSON text for a node (a map key that is itself a container). */
function compactJson(node: JsonNode): string {
  return formatJson(node).replace(/\n */g, '');
}

/** Converts `root` within `limits`; throws DecodeLimitError past them. */
export function toJsonNode(root: unknown, limits: Limits, options: ConvertOptions = {}): Converted {
  const stack: Frame[] = [];
  const notes = new Map<string, { count: number; first: string }>();
  let nodes = 0;
  let result: JsonNode | undefined;

  const pathHere = () => `$${stack.map((frame) => frame.where()).join('')}`;
  const note = (what: string) => {
    const seen = notes.get(what);
    if (seen) seen.count++;
    else notes.set(what, { count: 1, first: pathHere() });
  };
  const count = () => {
    if (++nodes > limits.maxNodes) throw new DecodeLimitError(l10n.t('more than {0} values (the limit for a view)', limits.maxNodes.toLocaleString('en-US')));
  };
  const number = (raw: string): JsonNode => ({ kind: 'number', raw });
  const string = (value: string): JsonNode => ({ kind: 'string', value });

  /** A container frame, after checking the depth. */
  const open = (depth: number, frame: Omit<Frame, 'depth'>): undefined => {
    if (depth >= limits.maxDepth) throw new DecodeLimitError(l10n.t('nested deeper than {0} levels', limits.maxDepth));
    stack.push({ ...frame, depth: depth + 1 });
    return undefined;
  };

  const arrayFrame = (depth: number, length: number, item: (index: number) => unknown) => {
    const node: Extract<JsonNode, { kind: 'array' }> = { kind: 'array', items: [] };
    let index = 0;
    return open(depth, {
      node,
      next: () => (index < length ? { value: item(index++) } : undefined),
      add: (child) => void node.items.push(child),
      where: () => `[${index - 1}]`,
    });
  };

  /** An object from key/value pairs; keys that are not strings become text (containers after their own conversion). */
  const entriesFrame = (depth: number, length: number, entry: (index: number) => [unknown, unknown]) => {
    const node: Extract<JsonNode, { kind: 'object' }> = { kind: 'object', entries: [] };
    let index = 0;
    let current: [unknown, unknown] | undefined;
    let key: string | undefined;
    /** The key of `current` is a container being converted: the next child is it. */
    let convertingKey = false;
    return open(depth, {
      node,
      next: () => {
        if (key === undefined) {
          if (index >= length) return undefined;
          current = entry(index++);
          const text = scalarKey(current[0]);
          if (text === undefined) {
            convertingKey = true;
            return { value: current[0] };
          }
          key = text;
        }
        return { value: current![1] };
      },
      add: (child) => {
        if (convertingKey) {
          convertingKey = false;
          key = compactJson(child);
          note('A map key that is not a string shows as its JSON text');
          return;
        }
        node.entries.push([key!, child]);
        key = undefined;
      },
      where: () => (key === undefined ? `[key ${index - 1}]` : keyPath(key)),
    });
  };

  /** The text of a key that needs no conversion of its own, or undefined for a container key. */
  const scalarKey = (key: unknown): string | undefined => {
    if (typeof key === 'string') return key;
    if (typeof key === 'number') {
      if (Number.isFinite(key)) return Object.is(key, -0) ? '-0' : String(key);
      return String(key);
    }
    if (typeof key === 'bigint') return key.toString();
    if (typeof key === 'boolean' || key === null) return String(key);
    if (key === undefined) return 'undefined';
    if (typeof key === 'object' && isLong(key)) return String(key);
    if (typeof key === 'object' && isBytes(key)) {
      note('A map key of bytes shows as its base64 text');
      return base64(key);
    }
    if (key instanceof String || key instanceof Number || key instanceof Boolean) return String(key.valueOf());
    return undefined;
  };

  /** A leaf node, or undefined after opening a frame for a container. */
  const convert = (value: unknown, depth: number): JsonNode | undefined => {
    count();
    switch (typeof value) {
      case 'string':
        return string(value);
      case 'boolean':
        return { kind: 'literal', raw: value ? 'true' : 'false' };
      case 'bigint':
        return number(value.toString());
      case 'number':
        if (Number.isFinite(value)) return number(Object.is(value, -0) ? '-0' : String(value));
        note(`${String(value)} (not a JSON number) shows as the string "${String(value)}"`);
        return string(String(value));
      case 'undefined':
        note('undefined shows as null');
        return LEAF_NULL;
      case 'symbol':
        note('A symbol shows as its description');
        return string(value.description ?? '');
      case 'function':
        note('A function shows as null');
        return LEAF_NULL;
    }
    if (value === null) return LEAF_NULL;
    const object = value as object;
    const swapped = options.special?.(object);
    if (swapped) {
      if (swapped.note) note(swapped.note);
      nodes--; // the replacement is counted instead
      return convert(swapped.value, depth);
    }
    if (isLong(object)) return number(String(object));
    if (object instanceof String || object instanceof Number || object instanceof Boolean || object instanceof BigInt) {
      nodes--;
      return convert(object.valueOf(), depth);
    }
    if (isBytes(object)) {
      note('Bytes show as base64');
      return string(base64(object));
    }
    if (object instanceof ArrayBuffer || object instanceof DataView) {
      note('Bytes show as base64');
      const bytes = object instanceof DataView ? new Uint8Array(object.buffer, object.byteOffset, object.byteLength) : new Uint8Array(object);
      return string(base64(bytes));
    }
    if (object instanceof Date) {
      const time = object.getTime();
      if (Number.isNaN(time)) {
        note('A date outside what JavaScript can show is the string "Invalid Date"');
        return string('Invalid Date');
      }
      return string(object.toISOString());
    }
    if (Array.isArray(object)) return arrayFrame(depth, object.length, (index) => object[index]);
    if (ArrayBuffer.isView(object)) {
      const typed = object as unknown as ArrayLike<number | bigint>;
      return arrayFrame(depth, typed.length, (index) => typed[index]);
    }
    if (object instanceof Set) {
      const items = object.values();
      return arrayFrame(depth, object.size, () => items.next().value);
    }
    if (object instanceof Map) {
      const entries = object.entries();
      return entriesFrame(depth, object.size, () => entries.next().value as [unknown, unknown]);
    }
    if (object instanceof KeyedEntries) return entriesFrame(depth, object.entries.length, (index) => object.entries[index]);
    const names = Object.keys(object);
    const record = object as Record<string, unknown>;
    const { objectKey } = options;
    return entriesFrame(depth, names.length, (index) => [objectKey ? objectKey(names[index]) : names[index], record[names[index]]]);
  };

  const place = (node: JsonNode) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.add(node);
    else result = node;
  };

  const first = convert(root, 0);
  if (first) place(first);
  while (stack.length) {
    const frame = stack[stack.length - 1];
    const child = frame.next();
    if (!child) {
      stack.pop();
      place(frame.node);
      continue;
    }
    const leaf = convert(child.value, frame.depth);
    if (leaf) frame.add(leaf);
  }
  const lines = [...notes].map(([what, { count: times, first: at }]) => `${what} (at ${at}${times > 1 ? `, ${times} times` : ''}).`);
  return { value: result!, notes: lines };
}
