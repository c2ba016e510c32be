import * as avro from 'avsc';
import type { JsonNode } from '../../shared/json';
import { JsonValueError, messageOf, parseUserJson, setOwn } from './fromJsonNode';
import { DecodeLimitError, toJsonNode } from './toJsonNode';
import type { DecodeLimits, DecodeResult, EncodeResult } from './types';

/**
 * Avro with avsc, one schema per .avsc file (its JSON text, sent by the host), each parsed on its
 * own (a named type of another file is not visible). Longs are a custom long type holding bigint, so
 * every 64-bit value is exact. Unions are avsc's default: unwrapped where that is unambiguous
 * (["null", "string"] decodes to the string), wrapped as {"branch": value} where not.
 *
 * avsc reads recursively and trusts declared counts: an array of a zero-byte type (null, an empty
 * record) declaring 2^31 items in 6 bytes would fill the memory, and a recursive record nested
 * 100,000 levels overflows the stack. So every payload is first walked here against the schema,
 * with an explicit stack, counting values (maxNodes) and levels (maxDepth), and checking that it
 * is exactly one datum; avsc reads it only after that.
 */

export interface AvroSchema {
  file: string;
  type: avro.Type;
}

export type AvroSchemaEntry = { ok: true; schema: AvroSchema } | { ok: false; error: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** avsc's long as a bigint (its default long refuses values beyond 2^53). */
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string | number),
  toJSON: (value: bigint) => value.toString(),
  isValid: (value: unknown) => typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX,
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** The schema in `text` (the content of `file`), or the sentence that says why it is not one. */
export function parseAvroSchema(file: string, text: string): AvroSchemaEntry {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Avro: ${file} is not JSON: ${messageOf(error)}` };
  }
  try {
    return { ok: true, schema: { file, type: avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigintLong } as unknown as avro.ForSchemaOptions['registry'] }) } };
  } catch (error) {
    return { ok: false, error: `Avro: ${file} is not a valid schema: ${messageOf(error)}` };
  }
}

function nameOf(type: avro.Type): string {
  return type.name ?? (type.typeName === 'abstract:long' ? 'long' : type.typeName);
}

type Task = { type: avro.Type; depth: number } | { block: avro.Type; isMap: boolean; left: number; depth: number };

/** Why `bytes` is not exactly one datum of `type` within `limits`, or undefined when it is. */
export function scanAvro(type: avro.Type, bytes: Uint8Array, limits: DecodeLimits): string | undefined {
  let pos = 0;
  let values = 0;
  const end = (what: string) => `unexpected end of data reading ${what} at byte ${pos} (the payload has ${bytes.length} bytes)`;
  class Stop extends Error {}
  const need = (count: number, what: string) => {
    if (pos + count > bytes.length) throw new Stop(end(what));
    pos += count;
  };
  const long = (what: string): bigint => {
    let result = 0n;
    let shift = 0n;
    const start = pos;
    for (;;) {
      if (pos >= bytes.length) throw new Stop(end(what));
      const byte = bytes[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
      shift += 7n;
      if (shift > 63n) throw new Stop(`a variable-length integer at byte ${start} is longer than 10 bytes`);
    }
    return (result >> 1n) ^ -(result & 1n);
  };
  const length = (what: string): number => {
    const at = pos;
    const value = long(what);
    if (value < 0n) throw new Stop(`${what} at byte ${at} has a negative length (${value})`);
    if (value > BigInt(bytes.length - pos)) throw new Stop(`unexpected end of data: ${what} at byte ${at} declares ${value} bytes, only ${bytes.length - pos} follow`);
    return Number(value);
  };

  const tasks: Task[] = [{ type, depth: 0 }];
  try {
    while (tasks.length) {
      const task = tasks[tasks.length - 1];
      if ('block' in task) {
        if (task.left === 0) {
          const at = pos;
          let count = long('a block count');
          if (count === 0n) {
            tasks.pop();
            continue;
          }
          if (count < 0n) {
            count = -count;
            length('a block size');
          }
          if (count > BigInt(limits.maxNodes - values)) throw new Stop(`a block at byte ${at} declares ${count} items, more than a view shows (${limits.maxNodes})`);
          task.left = Number(count);
        }
        task.left--;
        if (task.isMap) need(length('a map key'), 'a map key');
        tasks.push({ type: task.block, depth: task.depth });
        continue;
      }
      tasks.pop();
      if (++values > limits.maxNodes) throw new Stop(`more than ${limits.maxNodes} values (the limit for a view)`);
      const current = task.type as avro.Type & Record<string, unknown>;
      const typeName = current.typeName;
      if (typeName.startsWith('logical:')) {
        values--;
        tasks.push({ type: current.underlyingType as avro.Type, depth: task.depth });
        continue;
      }
      switch (typeName) {
        case 'null':
          break;
        case 'boolean':
          need(1, 'a boolean');
          break;
        case 'int':
        case 'long':
        case 'abstract:long':
          long(`an ${typeName === 'int' ? 'int' : 'long'}`);
          break;
        case 'float':
          need(4, 'a float');
          break;
        case 'double':
          need(8, 'a double');
          break;
        case 'bytes':
        case 'string':
          need(length(typeName), typeName);
          break;
        case 'fixed':
          need(current.size as number, `a fixed ${nameOf(current)}`);
          break;
        case 'enum': {
          const at = pos;
          const index = long(`an enum ${nameOf(current)}`);
          const symbols = current.symbols as string[];
          if (index < 0n || index >= BigInt(symbols.length)) throw new Stop(`the enum ${nameOf(current)} at byte ${at} has no symbol ${index} (it has ${symbols.length})`);
          break;
        }
        case 'array':
        case 'map':
          if (task.depth >= limits.maxDepth) throw new Stop(`nested deeper than ${limits.maxDepth} levels`);
          tasks.push({ block: (typeName === 'array' ? current.itemsType : current.valuesType) as avro.Type, isMap: typeName === 'map', left: 0, depth: task.depth + 1 });
          break;
        case 'record':
        case 'error': {
          if (task.depth >= limits.maxDepth) throw new Stop(`nested deeper than ${limits.maxDepth} levels`);
          const fields = current.fields as { type: avro.Type }[];
          for (let index = fields.length - 1; index >= 0; index--) tasks.push({ type: fields[index].type, depth: task.depth + 1 });
          break;
        }
        case 'union:unwrapped':
        case 'union:wrapped': {
          values--;
          const at = pos;
          const index = long('a union branch');
          const branches = current.types as avro.Type[];
          if (index < 0n || index >= BigInt(branches.length)) throw new Stop(`a union at byte ${at} has no branch ${index} (it has ${branches.length})`);
          const wrapped = typeName === 'union:wrapped' && branches[Number(index)].typeName !== 'null';
          if (wrapped && task.depth >= limits.maxDepth) throw new Stop(`nested deeper than ${limits.maxDepth} levels`);
          tasks.push({ type: branches[Number(index)], depth: task.depth + (wrapped ? 1 : 0) });
          break;
        }
        default:
          throw new Stop(`the type ${typeName} is not supported`);
      }
    }
  } catch (error) {
    if (error instanceof Stop) return error.message;
    throw error;
  }
  if (pos < bytes.length) return `${bytes.length - pos} bytes remain after the datum (from byte ${pos}); a payload must be exactly one datum`;
  return undefined;
}

function label(schema: AvroSchema): string {
  return `Avro ${nameOf(schema.type)} (${schema.file})`;
}

export function decodeAvro(bytes: Uint8Array, schema: AvroSchema, limits: DecodeLimits): DecodeResult {
  const problem = scanAvro(schema.type, bytes, limits);
  if (problem) return { ok: false, error: `Avro: ${problem} (schema ${schema.file})` };
  let value: unknown;
  try {
    value = schema.type.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    return { ok: false, error: `Avro: ${messageOf(error)} (schema ${schema.file})` };
  }
  try {
    const converted = toJsonNode(value, limits);
    return { ok: true, value: converted.value, decodedBy: label(schema), ...(converted.notes.length ? { notes: converted.notes } : {}) };
  } catch (error) {
    if (error instanceof DecodeLimitError) return { ok: false, error: `Avro: ${error.message}` };
    throw error;
  }
}

function kindOf(node: JsonNode): string {
  return node.kind === 'literal' ? (node.raw === 'null' ? 'null' : 'a boolean') : node.kind === 'number' ? 'a number' : node.kind === 'string' ? 'a string' : `an ${node.kind}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The JSON the user typed as the value avsc writes for `type`, led by the schema: bytes and fixed
 * from base64 (as they are shown), longs as bigint, an unwrapped union's branch chosen as the first
 * that takes the value, a wrapped union from {"branch": value}. Recursive over the schema's nesting,
 * which parseJson has bounded to MAX_JSON_DEPTH levels.
 */
function valueFor(node: JsonNode, type: avro.Type, at: string): unknown {
  const current = type as avro.Type & Record<string, unknown>;
  const typeName = current.typeName;
  const where = at || '(the value)';
  const expected = (what: string) => new JsonValueError(`${where}: ${what} expected (${nameOf(type)}), got ${kindOf(node)}`);
  if (typeName.startsWith('logical:')) return valueFor(node, current.underlyingType as avro.Type, at);
  switch (typeName) {
    case 'null':
      if (node.kind === 'literal' && node.raw === 'null') return null;
      throw expected('null');
    case 'boolean':
      if (node.kind === 'literal' && node.raw !== 'null') return node.raw === 'true';
      throw expected('true or false');
    case 'int': {
      const value = node.kind === 'number' && /^-?\d+$/.test(node.raw) ? Number(node.raw) : NaN;
      if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value;
      throw expected('a 32-bit integer');
    }
    case 'long':
    case 'abstract:long': {
      const raw = node.kind === 'number' ? node.raw : node.kind === 'string' ? node.value : '';
      if (/^-?\d+$/.test(raw)) {
        const value = BigInt(raw);
        if (value >= INT64_MIN && value <= INT64_MAX) return value;
      }
      throw expected('a 64-bit integer');
    }
    case 'float':
    case 'double':
      if (node.kind === 'number') return Number(node.raw);
      if (node.kind === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(node.value)) return Number(node.value);
      throw expected('a number');
    case 'string':
      if (node.kind === 'string') return node.value;
      throw expected('a string');
    case 'bytes':
    case 'fixed': {
      if (node.kind !== 'string' || !BASE64.test(node.value)) throw expected('base64 text');
      const bytes = Buffer.from(node.value, 'base64');
      if (typeName === 'fixed' && bytes.length !== current.size) throw new JsonValueError(`${where}: ${current.size} bytes expected (${nameOf(type)}), got ${bytes.length}`);
      return bytes;
    }
    case 'enum': {
      const symbols = current.symbols as string[];
      if (node.kind === 'string' && symbols.includes(node.value)) return node.value;
      throw new JsonValueError(`${where}: one of ${symbols.join(', ')} expected (${nameOf(type)}), got ${node.kind === 'string' ? JSON.stringify(node.value) : kindOf(node)}`);
    }
    case 'array':
      if (node.kind !== 'array') throw expected('an array');
      return node.items.map((item, index) => valueFor(item, current.itemsType as avro.Type, `${at}[${index}]`));
    case 'map': {
      if (node.kind !== 'object') throw expected('an object (a map)');
      const out: Record<string, unknown> = {};
      for (const [key, value] of node.entries) setOwn(out, key, valueFor(value, current.valuesType as avro.Type, `${at}[${JSON.stringify(key)}]`));
      return out;
    }
    case 'record':
    case 'error': {
      if (node.kind !== 'object') throw expected('an object');
      const fields = current.fields as { name: string; type: avro.Type; defaultValue(): unknown }[];
      const given = new Map(node.entries);
      for (const key of given.keys()) if (!fields.some((field) => field.name === key)) throw new JsonValueError(`${at ? `${at}.` : ''}${key}: ${nameOf(type)} has no field "${key}" (fields: ${fields.map((field) => field.name).join(', ')})`);
      const out: Record<string, unknown> = {};
      for (const field of fields) {
        const value = given.get(field.name);
        const path = at ? `${at}.${field.name}` : field.name;
        if (value === undefined) {
          const fallback = field.defaultValue();
          if (fallback === undefined) throw new JsonValueError(`${path}: missing (${nameOf(type)} has no default for it)`);
          setOwn(out, field.name, fallback);
        } else setOwn(out, field.name, valueFor(value, field.type, path));
      }
      return out;
    }
    case 'union:unwrapped': {
      const branches = current.types as avro.Type[];
      for (const branch of branches) {
        let value: unknown;
        try {
          value = valueFor(node, branch, at);
        } catch {
          continue;
        }
        if (branch.isValid(value)) return value;
      }
      throw new JsonValueError(`${where}: no branch of ${branches.map(nameOf).join(' | ')} takes ${kindOf(node)}`);
    }
    case 'union:wrapped': {
      const branches = current.types as (avro.Type & { branchName?: string })[];
      if (node.kind === 'literal' && node.raw === 'null' && branches.some((branch) => branch.typeName === 'null')) return null;
      const names = branches.map((branch) => branch.branchName ?? nameOf(branch));
      if (node.kind !== 'object' || node.entries.length !== 1) throw new JsonValueError(`${where}: {"branch": value} expected for the union ${names.join(' | ')}, got ${kindOf(node)}`);
      const [name, value] = node.entries[0];
      const index = names.indexOf(name);
      if (index < 0) throw new JsonValueError(`${where}: the union has no branch "${name}" (branches: ${names.join(', ')})`);
      const wrapped: Record<string, unknown> = {};
      setOwn(wrapped, name, valueFor(value, branches[index], `${at}.${name}`));
      return wrapped;
    }
  }
  throw new JsonValueError(`${where}: the type ${typeName} is not supported`);
}

/** The JSON text as one datum of the schema; errors name the path of the field. */
export function encodeAvro(jsonText: string, schema: AvroSchema): EncodeResult {
  try {
    const value = valueFor(parseUserJson(jsonText), schema.type, '');
    const problems: string[] = [];
    const valid = schema.type.isValid(value, { errorHook: (path: string[], _value: unknown, type: avro.Type) => void problems.push(`${path.join('.') || '(the value)'}: not a valid ${nameOf(type)}`) });
    if (!valid) return { ok: false, error: `Avro: ${problems[0] ?? 'the value does not fit the schema'} (schema ${schema.file})` };
    return { ok: true, bytes: new Uint8Array(schema.type.toBuffer(value)) };
  } catch (error) {
    return { ok: false, error: `Avro: ${messageOf(error)} (schema ${schema.file})` };
  }
}
