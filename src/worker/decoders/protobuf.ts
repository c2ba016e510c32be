import * as l10n from '@vscode/l10n';
import * as protobuf from 'protobufjs';
import type { JsonNode } from '../../shared/json';
import { JsonValueError, messageOf, parseUserJson, setOwn } from './fromJsonNode';
import { DecodeLimitError, toJsonNode } from './toJsonNode';
import type { DecodeLimits, DecodeResult, EncodeResult } from './types';

/**
 * Protobuf with protobufjs 8, from .proto source texts (the host reads the workspace's files and
 * sends their text; nothing here reads the disk).
 *
 * A schema set parses each file on its own first (a syntax error names the file and line), resolves
 * its imports among the given files (an import matches a file of that name, or one whose path ends
 * with "/" + the import) and protobufjs's bundled well-known types (google/protobuf/any, duration,
 * empty, field_mask, struct, timestamp, wrappers), then loads every file whose imports are all
 * usable into one Root. A file whose types do not resolve (an unknown field type, a name defined twice
 * across files) is left out with its error, and so is every file that imports it.
 *
 * protobufjs's decoder, toObject and encoder stop at 100 levels of nested messages
 * (`util.recursionLimit`, protoc's default), so a deep payload is refused before the stack is at risk.
 * Decoded: 64-bit integers exact (Long → their decimal text), enums by name (an unknown number stays a
 * number), bytes as base64, fields left at their default not shown (defaults off).
 */

export interface ProtoFileError {
  file: string;
  /** 1-based, when the error points at a line. */
  line?: number;
  message: string;
}

export interface ProtoSchemaSet {
  /** Every .proto file given, in name order. */
  readonly files: readonly string[];
  /** The files that loaded. */
  readonly loaded: readonly string[];
  readonly errors: readonly ProtoFileError[];
  /** Full names of the message types (no leading dot), in name order. */
  readonly messageTypes: readonly string[];
  readonly root: protobuf.Root;
}

/** How a file error reads: "sensors.proto line 4: illegal token '}'". */
export function formatProtoError(error: ProtoFileError): string {
  return `${error.file}${error.line ? ` line ${error.line}` : ''}: ${error.message}`;
}

const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };

/** Runs protobufjs's parser with `file` as the name in its messages. */
function parseInto(file: string, text: string, root: protobuf.Root): protobuf.IParserResult {
  const parseFunction = protobuf.parse as typeof protobuf.parse & { filename: string | null };
  parseFunction.filename = file;
  try {
    return protobuf.parse(text, root, PARSE_OPTIONS);
  } finally {
    parseFunction.filename = null;
  }
}

/** A protobufjs parse error as file, line and reason ("illegal token '}', ';' expected"). */
function parseError(file: string, error: unknown): ProtoFileError {
  const message = messageOf(error);
  const match = /^(.*?) \((?:[^,()]*, )?line (\d+)\)$/.exec(message);
  return match ? { file, line: Number(match[2]), message: match[1] } : { file, message };
}

/** The 1-based line of the first `"name"` in a file's text (where an import is). */
function lineOf(text: string, quoted: string): number | undefined {
  const at = text.indexOf(`"${quoted}"`);
  if (at < 0) return undefined;
  let line = 1;
  for (let index = text.indexOf('\n'); index >= 0 && index < at; index = text.indexOf('\n', index + 1)) line++;
  return line;
}

/** Builds the schema set from `sources`: file name (workspace-relative) → .proto text. */
export function buildProtoSchemaSet(sources: Readonly<Record<string, string>>): ProtoSchemaSet {
  const files = Object.keys(sources)
    .filter((name) => Object.prototype.hasOwnProperty.call(sources, name))
    .sort();
  const errors: ProtoFileError[] = [];
  const broken = new Set<string>();
  /** Each file's imports, resolved: a given file's name, or a bundled well-known file. */
  const imports = new Map<string, { given: string[]; bundled: string[] }>();
  const common = protobuf.common as unknown as Record<string, protobuf.INamespace | undefined>;

  const resolveImport = (path: string): string | undefined => {
    if (files.includes(path)) return path;
    const suffix = `/${path}`;
    const matches = files.filter((file) => file.endsWith(suffix));
    return matches.length === 1 ? matches[0] : undefined;
  };

  for (const file of files) {
    let result: protobuf.IParserResult;
    try {
      result = parseInto(file, sources[file], new protobuf.Root());
    } catch (error) {
      errors.push(parseError(file, error));
      broken.add(file);
      continue;
    }
    const given: string[] = [];
    const bundled: string[] = [];
    for (const path of [...(result.imports ?? []), ...(result.weakImports ?? [])]) {
      const found = resolveImport(path);
      if (found) given.push(found);
      else if (path.startsWith('google/protobuf/') && common[path]) bundled.push(path);
      else {
        errors.push({ file, line: lineOf(sources[file], path), message: `imports "${path}", which is not among the .proto files given` });
        broken.add(file);
      }
    }
    imports.set(file, { given, bundled });
  }

  for (;;) {
    // Leave out every file that imports a broken one, until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      for (const file of files) {
        if (broken.has(file)) continue;
        const bad = imports.get(file)!.given.find((name) => broken.has(name));
        if (bad !== undefined) {
          errors.push({ file, line: lineOf(sources[file], bad.split('/').pop()!) ?? undefined, message: `imports ${bad}, which has errors` });
          broken.add(file);
          changed = true;
        }
      }
    }
    const usable = files.filter((file) => !broken.has(file));
    const root = new protobuf.Root();
    const bundled = new Set(usable.flatMap((file) => imports.get(file)!.bundled));
    for (const path of bundled) root.addJSON(common[path]!.nested!);
    let failed: ProtoFileError | undefined;
    for (const file of usable) {
      try {
        parseInto(file, sources[file], root);
      } catch (error) {
        failed = parseError(file, error);
        break;
      }
    }
    if (!failed) {
      try {
        root.resolveAll();
      } catch (error) {
        failed = { file: fileOfResolveError(root, messageOf(error)) ?? usable[0], message: messageOf(error) };
      }
    }
    if (failed && usable.includes(failed.file)) {
      errors.push(failed);
      broken.add(failed.file);
      continue;
    }
    if (failed) {
      // Not attributable to one file: report it on every usable file, load none.
      for (const file of usable) {
        errors.push({ file, message: failed.message });
        broken.add(file);
      }
      continue;
    }
    return { files, loaded: usable, errors, messageTypes: messageTypesOf(root), root };
  }
}

/** protobufjs says "no such Type or Enum 'X' in Type .pkg.Name": the file that defines .pkg.Name. */
function fileOfResolveError(root: protobuf.Root, message: string): string | undefined {
  const match = / in (?:Type|Enum|Service|Namespace|Root|Field|OneOf|Method) (\S+)$/.exec(message);
  if (!match) return undefined;
  try {
    const found = root.lookup(match[1]);
    return found?.filename ?? undefined;
  } catch {
    return undefined;
  }
}

/** Full names of the message types in `root`: an explicit stack of namespaces. */
function messageTypesOf(root: protobuf.Root): string[] {
  const names: string[] = [];
  const pending: protobuf.NamespaceBase[] = [root];
  while (pending.length) {
    const namespace = pending.pop()!;
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) {
        if (!(nested as { group?: boolean }).group && !isMapEntry(nested)) names.push(nested.fullName.slice(1));
        pending.push(nested);
      } else if (nested instanceof protobuf.Namespace && !(nested instanceof protobuf.Service)) pending.push(nested);
    }
  }
  return names.sort();
}

function isMapEntry(type: protobuf.Type): boolean {
  return type.options?.map_entry === true;
}

function fileOf(type: protobuf.Type): string {
  if (type.filename) return type.filename;
  const name = type.fullName.slice(1);
  return name.startsWith('google.protobuf.') ? `google/protobuf (bundled)` : '(unknown file)';
}

/** The message type `typeName`, or the sentence that says why there is none. */
function findType(set: ProtoSchemaSet, typeName: string, file: string | undefined): protobuf.Type | string {
  const name = typeName.startsWith('.') ? typeName.slice(1) : typeName;
  let found: protobuf.ReflectionObject | null = null;
  try {
    found = name ? set.root.lookup(name) : null;
  } catch {
    found = null;
  }
  if (file !== undefined && !set.files.includes(file)) {
    return set.files.length ? l10n.t('{0} is not among the .proto files ({1})', file, set.files.join(', ')) : l10n.t('{0} is not among the .proto files (none)', file);
  }
  const fileErrors = (names: readonly string[]) => {
    const bad = set.errors.filter((error) => names.includes(error.file));
    if (!bad.length) return '';
    const shown = bad.slice(0, 3).map(formatProtoError).join('; ');
    return bad.length > 3 ? l10n.t('; not loaded: {0} and {1} more', shown, bad.length - 3) : l10n.t('; not loaded: {0}', shown);
  };
  if (!(found instanceof protobuf.Type) || isMapEntry(found)) {
    const known = set.messageTypes.slice(0, 12).join(', ') + (set.messageTypes.length > 12 ? `, … (${l10n.t('{0} in all', set.messageTypes.length)})` : '');
    const where = file ?? (set.files.join(', ') || l10n.t('no .proto files'));
    const missing = known ? l10n.t('no message type {0} in {1} (known: {2})', name, where, known) : l10n.t('no message type {0} in {1} (known: none)', name, where);
    return missing + fileErrors(file ? [file] : set.files);
  }
  if (file !== undefined && found.filename !== file) return l10n.t('{0} is defined in {1}, not in {2}', name, fileOf(found), file);
  return found;
}

function describeWireError(message: string): string {
  const range = /^index out of range: (\d+) \+ (\d+) > (\d+)$/.exec(message);
  if (range) return l10n.t('unexpected end of data at byte {0} (the payload has {1} bytes)', range[1], range[3]);
  if (message === 'max depth exceeded') return l10n.t("nested deeper than {0} levels (protobufjs's limit)", protobuf.util.recursionLimit);
  return message;
}

/** Decodes `bytes` as the message type `typeName` (from `file` when given). */
export function decodeProtobuf(bytes: Uint8Array, typeName: string, set: ProtoSchemaSet, limits: DecodeLimits, file?: string): DecodeResult {
  const type = findType(set, typeName, file);
  if (typeof type === 'string') return { ok: false, error: `Protobuf: ${type}` };
  let object: Record<string, unknown>;
  try {
    const message = type.decode(bytes);
    object = type.toObject(message, { enums: String, bytes: String, defaults: false });
  } catch (error) {
    return { ok: false, error: `Protobuf: ${type.fullName.slice(1)}: ${describeWireError(messageOf(error))}` };
  }
  try {
    const converted = toJsonNode(object, limits);
    const decodedBy = `Protobuf ${type.fullName.slice(1)} (${fileOf(type)})`;
    return { ok: true, value: converted.value, decodedBy, ...(converted.notes.length ? { notes: converted.notes } : {}) };
  } catch (error) {
    if (error instanceof DecodeLimitError) return { ok: false, error: `Protobuf: ${error.message}` };
    throw error;
  }
}

const INT32: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
};
const INT64: Record<string, [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
/** long.js, as protobufjs loads it (its typings only declare the instance). */
const LONG = protobuf.util.Long as unknown as { fromString(text: string, unsigned: boolean): protobuf.Long };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

function kindOf(node: JsonNode): string {
  return node.kind === 'literal' ? (node.raw === 'null' ? 'null' : 'a boolean') : node.kind === 'number' ? 'a number' : `a${node.kind === 'array' || node.kind === 'object' ? 'n' : ''} ${node.kind}`;
}

/** An integer in [low, high] from a number literal or (as proto3 JSON allows) a string of one. */
function integerOf(node: JsonNode, [low, high]: [bigint, bigint]): bigint | undefined {
  const raw = node.kind === 'number' ? node.raw : node.kind === 'string' ? node.value : undefined;
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  const value = BigInt(raw);
  return value >= low && value <= high ? value : undefined;
}

/**
 * The JSON the user typed as the plain object protobufjs's `verify` and `fromObject` take, led by
 * the message type: enum names to numbers, 64-bit integers to Long (exact), bytes checked as base64,
 * a field the type does not have refused (verify would ignore it). Recursive over the message's
 * nesting, which parseJson has bounded to MAX_JSON_DEPTH levels.
 */
function objectFor(node: JsonNode, type: protobuf.Type, path: string): Record<string, unknown> {
  if (node.kind !== 'object') throw new JsonValueError(`${path || type.name}: an object expected for ${type.fullName.slice(1)}, got ${kindOf(node)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of node.entries) {
    const field = type.fields[key] ?? type.fieldsArray.find((candidate) => candidate.name === key || (candidate as { jsonName?: string }).jsonName === key);
    const at = path ? `${path}.${key}` : key;
    if (!field) throw new JsonValueError(`${at}: ${type.fullName.slice(1)} has no field "${key}" (fields: ${type.fieldsArray.map((f) => f.name).join(', ')})`);
    if (value.kind === 'literal' && value.raw === 'null') continue;
    field.resolve();
    if (field.map) {
      if (value.kind !== 'object') throw new JsonValueError(`${at}: an object (a map) expected, got ${kindOf(value)}`);
      const map: Record<string, unknown> = {};
      for (const [mapKey, mapValue] of value.entries) setOwn(map, mapKey, valueFor(mapValue, field, `${at}[${JSON.stringify(mapKey)}]`));
      setOwn(out, field.name, map);
    } else if (field.repeated) {
      if (value.kind !== 'array') throw new JsonValueError(`${at}: an array expected (a repeated field), got ${kindOf(value)}`);
      setOwn(out, field.name, value.items.map((item, index) => valueFor(item, field, `${at}[${index}]`)));
    } else setOwn(out, field.name, valueFor(value, field, at));
  }
  return out;
}

function valueFor(node: JsonNode, field: protobuf.Field, at: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return objectFor(node, resolved, at);
  if (resolved instanceof protobuf.Enum) {
    if (node.kind === 'string') {
      const number = Object.prototype.hasOwnProperty.call(resolved.values, node.value) ? resolved.values[node.value] : undefined;
      if (number === undefined) throw new JsonValueError(`${at}: "${node.value}" is not a value of ${resolved.fullName.slice(1)} (${Object.keys(resolved.values).join(', ')})`);
      return number;
    }
    const number = integerOf(node, INT32.int32);
    if (number === undefined) throw new JsonValueError(`${at}: a name of ${resolved.fullName.slice(1)} expected, got ${kindOf(node)}`);
    return Number(number);
  }
  const type = field.type;
  if (INT32[type]) {
    const value = integerOf(node, INT32[type]);
    if (value === undefined) throw new JsonValueError(`${at}: an integer from ${INT32[type][0]} to ${INT32[type][1]} expected (${type})`);
    return Number(value);
  }
  if (INT64[type]) {
    const value = integerOf(node, INT64[type]);
    if (value === undefined) throw new JsonValueError(`${at}: an integer from ${INT64[type][0]} to ${INT64[type][1]} expected (${type})`);
    return LONG.fromString(value.toString(), type === 'uint64' || type === 'fixed64');
  }
  switch (type) {
    case 'double':
    case 'float':
      if (node.kind === 'number') return Number(node.raw);
      if (node.kind === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(node.value)) return Number(node.value);
      throw new JsonValueError(`${at}: a number expected (${type}), got ${kindOf(node)}`);
    case 'bool':
      if (node.kind === 'literal' && node.raw !== 'null') return node.raw === 'true';
      throw new JsonValueError(`${at}: true or false expected, got ${kindOf(node)}`);
    case 'string':
      if (node.kind === 'string') return node.value;
      throw new JsonValueError(`${at}: a string expected, got ${kindOf(node)}`);
    case 'bytes':
      if (node.kind === 'string' && BASE64.test(node.value)) return node.value;
      throw new JsonValueError(`${at}: base64 text expected (bytes), got ${node.kind === 'string' ? 'text that is not base64' : kindOf(node)}`);
  }
  throw new JsonValueError(`${at}: the field type ${type} is not known`);
}

/** The JSON text as the message type `typeName`, checked field by field (errors name the field's path). */
export function encodeProtobuf(jsonText: string, typeName: string, set: ProtoSchemaSet, file?: string): EncodeResult {
  const type = findType(set, typeName, file);
  if (typeof type === 'string') return { ok: false, error: `Protobuf: ${type}` };
  try {
    const object = objectFor(parseUserJson(jsonText), type, '');
    const problem = type.verify(object);
    if (problem) return { ok: false, error: `Protobuf: ${type.fullName.slice(1)}: ${problem}` };
    return { ok: true, bytes: type.encode(type.fromObject(object)).finish() };
  } catch (error) {
    return { ok: false, error: `Protobuf: ${type.fullName.slice(1)}: ${describeWireError(messageOf(error))}` };
  }
}
