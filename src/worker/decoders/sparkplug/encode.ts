import { parseJson, type JsonNode } from '../../../shared/json';
import type { MetricDefinition } from './decode';
import { DataType, dataTypeName, dataTypeOf, PayloadType } from './schema';
import { sparkplugTopic } from './topic';
import { fromBase64, INTEGER_TYPES, integerRange, isArrayType, longBits, packArray, readFloat, readInteger } from './values';

/**
 * JSON typed by a user → Sparkplug B payload bytes. The accepted shape (field names as the decoder
 * prints them, so a decoded message can be edited and sent back):
 *
 *   { "timestamp"?: uint64 (default: now), "seq"?: 0–255, "uuid"?: string, "body"?: base64,
 *     "metrics": [ { "name"?: string, "alias"?: uint64 (one of the two at least),
 *                    "datatype": "Double" | 10 (also spelled "dataType" or "type"),
 *                    "value"?: …, "isNull"?: boolean, "timestamp"?: uint64,
 *                    "isHistorical"?: boolean, "isTransient"?: boolean,
 *                    "metadata"?: { isMultiPart, contentType, size, seq, fileName, fileType, md5, description },
 *                    "properties"?: { "<key>": { "type": "String", "value": … } } } ] }
 *
 * Values by datatype: integers (Int8 … UInt64) as JSON numbers or decimal strings, exact at any size
 * and checked against the type's range; DateTime as milliseconds (number or string) or an ISO 8601
 * date; Float/Double as numbers (or "NaN", "Infinity", "-Infinity"); Boolean; String/Text/UUID as
 * strings; Bytes/File as base64; the array types as JSON arrays; DataSet as
 * { columns, types, rows[, numOfColumns] }; Template as { version?, templateRef?, isDefinition?,
 * metrics?, parameters?: [{ name, type, value }] }. `"value": null` is `isNull: true`.
 *
 * Where the values go on the wire follows Eclipse Tahu: Int8/Int16/Int32 in int_value as their 32-bit
 * two's complement, UInt8/UInt16 in int_value, UInt32/Int64/UInt64/DateTime in long_value.
 */

/**
 * Templates and property sets nested deeper than this are refused, with the path. The encoder recurses
 * over what the user typed (at most MAX_JSON_DEPTH levels of it), and so does protobufjs's, which
 * stops at 100 nested messages: a level here is at most three messages (a property set in a list in a
 * property value), so 32 levels stay within it.
 */
export const MAX_ENCODE_NESTING = 32;

/** A mistake in the typed JSON, with where it is: `metrics[2].value`. */
export class SparkplugEncodeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

export interface EncodeOptions {
  /** Definitions from births: a metric without a datatype takes its birth's (by alias or name). */
  resolve?: (alias: string | undefined, name: string | undefined) => MetricDefinition | undefined;
  /** The seq to write when the JSON has none (the tracker's next seq); none is written when undefined. */
  seq?: number;
  /** The clock for a payload's default timestamp. */
  now?: () => number;
}

export type SparkplugEncodeResult = { ok: true; bytes: Uint8Array; seq?: number } | { ok: false; error: string };

type ObjectNode = Extract<JsonNode, { kind: 'object' }>;
type Long = { low: number; high: number; unsigned: boolean };
type Message = Record<string, unknown>;

const describe = (node: JsonNode): string => (node.kind === 'literal' ? node.raw : node.kind === 'number' ? 'a number' : `a${node.kind === 'array' ? 'n' : ''} ${node.kind}`);

/** The entries of an object node as a Map, refusing duplicates and keys outside `allowed`. */
function fields(node: JsonNode, path: string, allowed: readonly string[]): Map<string, JsonNode> {
  if (node.kind !== 'object') throw new SparkplugEncodeError(path, `expected an object, got ${describe(node)}`);
  const found = new Map<string, JsonNode>();
  for (const [key, value] of node.entries) {
    const at = path ? `${path}.${key}` : key;
    if (!allowed.includes(key)) throw new SparkplugEncodeError(at, `unknown field (expected ${allowed.join(', ')})`);
    if (found.has(key)) throw new SparkplugEncodeError(at, 'given twice');
    found.set(key, value);
  }
  return found;
}

function long(value: bigint, unsigned: boolean): Long {
  return { ...longBits(value), unsigned };
}

function integer(node: JsonNode, path: string, bits: number, signed: boolean, what: string): bigint {
  const value = readInteger(node);
  if (value === undefined) throw new SparkplugEncodeError(path, `expected an integer (${what}), got ${node.kind === 'number' ? node.raw : describe(node)}`);
  const [min, max] = integerRange(bits, signed);
  if (value < min || value > max) throw new SparkplugEncodeError(path, `${value} is out of range for ${what} (${min} to ${max})`);
  return value;
}

const uint64 = (node: JsonNode, path: string) => long(integer(node, path, 64, false, 'UInt64'), true);

function text(node: JsonNode, path: string): string {
  if (node.kind !== 'string') throw new SparkplugEncodeError(path, `expected a string, got ${describe(node)}`);
  return node.value;
}

function boolean(node: JsonNode, path: string): boolean {
  if (node.kind !== 'literal' || node.raw === 'null') throw new SparkplugEncodeError(path, `expected true or false, got ${describe(node)}`);
  return node.raw === 'true';
}

function bytes(node: JsonNode, path: string): Uint8Array {
  const decoded = fromBase64(text(node, path));
  if (!decoded) throw new SparkplugEncodeError(path, 'expected base64 text');
  return decoded;
}

function float(node: JsonNode, path: string, single: boolean): number {
  const value = readFloat(node);
  if (value === undefined) throw new SparkplugEncodeError(path, `expected a number, got ${describe(node)}`);
  if (single && Number.isFinite(value) && !Number.isFinite(Math.fround(value))) throw new SparkplugEncodeError(path, `${value} is out of range for Float`);
  return value;
}

/** A datatype by name ("Double", any case) or number (10). */
function datatype(node: JsonNode, path: string): number {
  const type = node.kind === 'string' ? dataTypeOf(node.value) : node.kind === 'number' ? dataTypeOf(Number(node.raw)) : undefined;
  if (type === undefined) throw new SparkplugEncodeError(path, `not a Sparkplug datatype: ${node.kind === 'string' ? JSON.stringify(node.value) : node.kind === 'number' ? node.raw : describe(node)}`);
  return type;
}

/** A DateTime: milliseconds since the epoch (number or decimal string) or an ISO 8601 date. */
function dateTime(node: JsonNode, path: string): bigint {
  if (node.kind === 'string' && !/^\s*-?\d+\s*$/.test(node.value)) {
    const ms = Date.parse(node.value);
    if (Number.isNaN(ms) || ms < 0) throw new SparkplugEncodeError(path, 'expected milliseconds since 1970 or an ISO 8601 date');
    return BigInt(ms);
  }
  return integer(node, path, 64, false, 'DateTime');
}

/**
 * Puts `node`, a value of `type`, into `into`: a Metric, a PropertyValue, or a Template.Parameter or
 * DataSet.DataSetValue (`scalar`: numbers, booleans and strings only).
 */
function setValue(into: Message, type: number, node: JsonNode, path: string, holder: 'metric' | 'property' | 'scalar', nesting: number): void {
  const integerType = INTEGER_TYPES.get(type);
  if (integerType) {
    const value = type === DataType.DateTime ? dateTime(node, path) : integer(node, path, integerType.bits, integerType.signed, dataTypeName(type));
    if (integerType.bits <= 16 || type === DataType.Int32) into.intValue = Number(BigInt.asUintN(32, value));
    else into.longValue = long(value, true);
    return;
  }
  // Bytes, data sets, templates and arrays only a metric can carry; property sets only a property.
  const only = (kind: 'metric' | 'property') => {
    if (holder === kind) return;
    const what = holder === 'metric' ? 'a metric (it has no field for it)' : holder === 'property' ? 'a property' : 'a template parameter or a data set cell';
    throw new SparkplugEncodeError(path, `${dataTypeName(type)} cannot be the value of ${what}`);
  };
  switch (type) {
    case DataType.Float:
      into.floatValue = float(node, path, true);
      return;
    case DataType.Double:
      into.doubleValue = float(node, path, false);
      return;
    case DataType.Boolean:
      into.booleanValue = boolean(node, path);
      return;
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      into.stringValue = text(node, path);
      return;
    case DataType.Bytes:
    case DataType.File:
      only('metric');
      into.bytesValue = bytes(node, path);
      return;
    case DataType.DataSet:
      only('metric');
      into.datasetValue = dataSet(node, path);
      return;
    case DataType.Template:
      only('metric');
      into.templateValue = template(node, path, nesting + 1);
      return;
    case DataType.PropertySet:
    case DataType.PropertySetList:
      only('property');
      if (type === DataType.PropertySet) into.propertysetValue = propertySet(node, path, nesting + 1);
      else {
        if (node.kind !== 'array') throw new SparkplugEncodeError(path, `expected an array of property sets, got ${describe(node)}`);
        into.propertysetsValue = { propertyset: node.items.map((item, index) => propertySet(item, `${path}[${index}]`, nesting + 1)) };
      }
      return;
    default:
      if (isArrayType(type)) {
        only('metric');
        into.bytesValue = arrayBytes(type, node, path);
        return;
      }
      throw new SparkplugEncodeError(path, `datatype ${type} has no value Sparkplug defines`);
  }
}

function arrayBytes(type: number, node: JsonNode, path: string): Uint8Array {
  if (node.kind !== 'array') throw new SparkplugEncodeError(path, `expected an array for ${dataTypeName(type)}, got ${describe(node)}`);
  const element = type - DataType.Int8Array; // Int8Array … DateTimeArray follow Int8 … in this order:
  const elementType = [
    DataType.Int8,
    DataType.Int16,
    DataType.Int32,
    DataType.Int64,
    DataType.UInt8,
    DataType.UInt16,
    DataType.UInt32,
    DataType.UInt64,
    DataType.Float,
    DataType.Double,
    DataType.Boolean,
    DataType.String,
    DataType.DateTime,
  ][element];
  const items = node.items.map((item, index) => {
    const at = `${path}[${index}]`;
    const integerType = INTEGER_TYPES.get(elementType);
    if (elementType === DataType.DateTime) return dateTime(item, at);
    if (integerType) return integer(item, at, integerType.bits, integerType.signed, dataTypeName(elementType));
    if (elementType === DataType.Float || elementType === DataType.Double) return float(item, at, elementType === DataType.Float);
    if (elementType === DataType.Boolean) return boolean(item, at);
    const value = text(item, at);
    if (value.includes('\0')) throw new SparkplugEncodeError(at, 'a StringArray element cannot contain a NUL character (it ends each string)');
    return value;
  });
  return packArray(type, items);
}

const DATASET_FIELDS = ['numOfColumns', 'columns', 'types', 'rows'];

function dataSet(node: JsonNode, path: string): Message {
  const given = fields(node, path, DATASET_FIELDS);
  const columnsNode = given.get('columns');
  const typesNode = given.get('types');
  if (columnsNode?.kind !== 'array') throw new SparkplugEncodeError(`${path}.columns`, 'expected an array of column names');
  if (typesNode?.kind !== 'array') throw new SparkplugEncodeError(`${path}.types`, 'expected an array of datatypes, one per column');
  const columns = columnsNode.items.map((column, index) => text(column, `${path}.columns[${index}]`));
  const types = typesNode.items.map((type, index) => datatype(type, `${path}.types[${index}]`));
  if (types.length !== columns.length) throw new SparkplugEncodeError(`${path}.types`, `${types.length} types for ${columns.length} columns`);
  const count = given.get('numOfColumns');
  if (count && integer(count, `${path}.numOfColumns`, 64, false, 'UInt64') !== BigInt(columns.length)) {
    throw new SparkplugEncodeError(`${path}.numOfColumns`, `says ${count.kind === 'number' ? count.raw : '?'}, there are ${columns.length} columns`);
  }
  const rowsNode = given.get('rows') ?? { kind: 'array', items: [] };
  if (rowsNode.kind !== 'array') throw new SparkplugEncodeError(`${path}.rows`, 'expected an array of rows');
  const rows = rowsNode.items.map((row, index) => {
    const at = `${path}.rows[${index}]`;
    if (row.kind !== 'array') throw new SparkplugEncodeError(at, `expected an array of ${columns.length} values, got ${describe(row)}`);
    if (row.items.length !== columns.length) throw new SparkplugEncodeError(at, `${row.items.length} values for ${columns.length} columns`);
    return {
      elements: row.items.map((cell, column) => {
        const element: Message = {};
        setValue(element, types[column], cell, `${at}[${column}]`, 'scalar', 0);
        return element;
      }),
    };
  });
  return { numOfColumns: long(BigInt(columns.length), true), columns, types, rows };
}

const TEMPLATE_FIELDS = ['version', 'templateRef', 'isDefinition', 'metrics', 'parameters'];
const PARAMETER_FIELDS = ['name', 'type', 'value'];

function template(node: JsonNode, path: string, nesting: number): Message {
  if (nesting > MAX_ENCODE_NESTING) throw new SparkplugEncodeError(path, `templates and property sets nest deeper than ${MAX_ENCODE_NESTING} levels`);
  const given = fields(node, path, TEMPLATE_FIELDS);
  const out: Message = { metrics: [], parameters: [] };
  const version = given.get('version');
  if (version) out.version = text(version, `${path}.version`);
  const ref = given.get('templateRef');
  if (ref) out.templateRef = text(ref, `${path}.templateRef`);
  const definition = given.get('isDefinition');
  if (definition) out.isDefinition = boolean(definition, `${path}.isDefinition`);
  const metricsNode = given.get('metrics');
  if (metricsNode) {
    if (metricsNode.kind !== 'array') throw new SparkplugEncodeError(`${path}.metrics`, `expected an array, got ${describe(metricsNode)}`);
    out.metrics = metricsNode.items.map((item, index) => metric(item, `${path}.metrics[${index}]`, {}, nesting));
  }
  const parametersNode = given.get('parameters');
  if (parametersNode) {
    if (parametersNode.kind !== 'array') throw new SparkplugEncodeError(`${path}.parameters`, `expected an array, got ${describe(parametersNode)}`);
    out.parameters = parametersNode.items.map((item, index) => {
      const at = `${path}.parameters[${index}]`;
      const parameter = fields(item, at, PARAMETER_FIELDS);
      const result: Message = {};
      const name = parameter.get('name');
      if (name) result.name = text(name, `${at}.name`);
      const typeNode = parameter.get('type');
      if (!typeNode) throw new SparkplugEncodeError(`${at}.type`, 'missing (a parameter needs its datatype)');
      result.type = datatype(typeNode, `${at}.type`);
      const value = parameter.get('value');
      if (value && !(value.kind === 'literal' && value.raw === 'null')) setValue(result, result.type as number, value, `${at}.value`, 'scalar', nesting);
      return result;
    });
  }
  return out;
}

const PROPERTY_FIELDS = ['type', 'value', 'isNull'];

function propertySet(node: JsonNode, path: string, nesting: number): Message {
  if (nesting > MAX_ENCODE_NESTING) throw new SparkplugEncodeError(path, `templates and property sets nest deeper than ${MAX_ENCODE_NESTING} levels`);
  if (node.kind !== 'object') throw new SparkplugEncodeError(path, `expected an object of properties, got ${describe(node)}`);
  const keys: string[] = [];
  const values: Message[] = [];
  for (const [key, propertyNode] of (node as ObjectNode).entries) {
    const at = `${path}.${key}`;
    const property = fields(propertyNode, at, PROPERTY_FIELDS);
    const typeNode = property.get('type');
    if (!typeNode) throw new SparkplugEncodeError(`${at}.type`, 'missing (a property needs its datatype)');
    const value: Message = { type: datatype(typeNode, `${at}.type`) };
    const isNull = property.get('isNull');
    const given = property.get('value');
    if ((isNull && boolean(isNull, `${at}.isNull`)) || (given?.kind === 'literal' && given.raw === 'null')) value.isNull = true;
    else if (given) setValue(value, value.type as number, given, `${at}.value`, 'property', nesting);
    keys.push(key);
    values.push(value);
  }
  return { keys, values };
}

const METRIC_FIELDS = ['name', 'alias', 'timestamp', 'datatype', 'dataType', 'type', 'value', 'isNull', 'isHistorical', 'isTransient', 'metadata', 'properties'];
const METADATA_FIELDS = ['isMultiPart', 'contentType', 'size', 'seq', 'fileName', 'fileType', 'md5', 'description'];

function metric(node: JsonNode, path: string, options: EncodeOptions, nesting: number): Message {
  const given = fields(node, path, METRIC_FIELDS);
  const out: Message = {};
  const nameNode = given.get('name');
  const aliasNode = given.get('alias');
  if (nameNode) out.name = text(nameNode, `${path}.name`);
  let alias: bigint | undefined;
  if (aliasNode) {
    alias = integer(aliasNode, `${path}.alias`, 64, false, 'UInt64');
    out.alias = long(alias, true);
  }
  if (!nameNode && !aliasNode) throw new SparkplugEncodeError(path, 'a metric needs a name or an alias');
  const spellings = (['datatype', 'dataType', 'type'] as const).filter((key) => given.has(key));
  if (spellings.length > 1) throw new SparkplugEncodeError(`${path}.${spellings[1]}`, `the datatype is given twice (${spellings.join(' and ')})`);
  let type: number | undefined;
  if (spellings.length) type = datatype(given.get(spellings[0]) as JsonNode, `${path}.${spellings[0]}`);
  else type = options.resolve?.(alias?.toString(), out.name as string | undefined)?.datatype;
  if (type === undefined) throw new SparkplugEncodeError(`${path}.datatype`, 'missing (name it, e.g. "Double"; no birth defines this metric)');
  out.datatype = type;
  const timestamp = given.get('timestamp');
  if (timestamp) out.timestamp = uint64(timestamp, `${path}.timestamp`);
  for (const flag of ['isHistorical', 'isTransient'] as const) {
    const flagNode = given.get(flag);
    if (flagNode) out[flag] = boolean(flagNode, `${path}.${flag}`);
  }
  const isNullNode = given.get('isNull');
  const isNull = isNullNode ? boolean(isNullNode, `${path}.isNull`) : false;
  const value = given.get('value');
  const valueIsNull = value?.kind === 'literal' && value.raw === 'null';
  if (isNull || valueIsNull) {
    if (value && !valueIsNull) throw new SparkplugEncodeError(`${path}.value`, 'isNull is true: leave the value out or make it null');
    out.isNull = true;
  } else if (isNullNode) out.isNull = false;
  if (value && !valueIsNull) setValue(out, type, value, `${path}.value`, 'metric', nesting);
  const metadata = given.get('metadata');
  if (metadata) {
    const at = `${path}.metadata`;
    const entries = fields(metadata, at, METADATA_FIELDS);
    const result: Message = {};
    for (const [key, item] of entries) {
      if (key === 'isMultiPart') result[key] = boolean(item, `${at}.${key}`);
      else if (key === 'size' || key === 'seq') result[key] = uint64(item, `${at}.${key}`);
      else result[key] = text(item, `${at}.${key}`);
    }
    out.metadata = result;
  }
  const properties = given.get('properties');
  if (properties) out.properties = propertySet(properties, `${path}.properties`, nesting + 1);
  return out;
}

const PAYLOAD_FIELDS = ['timestamp', 'seq', 'uuid', 'body', 'metrics'];

/** The typed JSON as a Payload message (throws a SparkplugEncodeError); the seq written, if any. */
export function payloadFromJson(root: JsonNode, options: EncodeOptions = {}): { message: Message; seq?: number } {
  const given = fields(root, '', PAYLOAD_FIELDS);
  const message: Message = {};
  const timestamp = given.get('timestamp');
  message.timestamp = timestamp ? uint64(timestamp, 'timestamp') : long(BigInt(Math.trunc((options.now ?? Date.now)())), true);
  const seqNode = given.get('seq');
  const seq = seqNode ? Number(integer(seqNode, 'seq', 8, false, 'a seq, 0 to 255')) : options.seq;
  if (seq !== undefined) message.seq = long(BigInt(seq), true);
  const uuid = given.get('uuid');
  if (uuid) message.uuid = text(uuid, 'uuid');
  const body = given.get('body');
  if (body) message.body = bytes(body, 'body');
  const metricsNode = given.get('metrics') ?? { kind: 'array', items: [] };
  if (metricsNode.kind !== 'array') throw new SparkplugEncodeError('metrics', `expected an array, got ${describe(metricsNode)}`);
  message.metrics = metricsNode.items.map((item, index) => metric(item, `metrics[${index}]`, options, 0));
  return { message, seq };
}

/** The bytes of a Payload message built by payloadFromJson. */
export function encodeMessage(message: Message): Uint8Array {
  return PayloadType.encode(message).finish();
}

/** Typed JSON (text or an already parsed tree) → Sparkplug B bytes; errors name the field: `metrics[2].value: …`. */
export function encodeSparkplugPayload(input: string | JsonNode, options: EncodeOptions = {}): SparkplugEncodeResult {
  try {
    const root = typeof input === 'string' ? parseJson(input) : input;
    const { message, seq } = payloadFromJson(root, options);
    const bytes = encodeMessage(message);
    return seq === undefined ? { ok: true, bytes } : { ok: true, bytes, seq };
  } catch (error) {
    if (error instanceof SparkplugEncodeError) return { ok: false, error: error.message };
    if (error instanceof SyntaxError) return { ok: false, error: `Not JSON: ${error.message}` };
    if (error instanceof Error && error.message === 'max depth exceeded') return { ok: false, error: 'Nested deeper than protobufjs encodes (100 messages)' };
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Why a group, edge node or device id cannot be used in a topic, or undefined when it can. */
export function idProblem(what: string, id: string): string | undefined {
  if (!id) return `the ${what} id is empty`;
  if (/[/+#]/.test(id)) return `the ${what} id "${id}" contains /, + or #`;
  return undefined;
}

export const REBIRTH_METRIC = 'Node Control/Rebirth';

/**
 * The "Request Rebirth" command for an edge node: NCMD on spBv1.0/<group>/NCMD/<node> with the metric
 * `Node Control/Rebirth` (Boolean true), timestamped now. Commands carry no seq.
 */
export function rebirthRequest(group: string, node: string, now: number = Date.now()): { ok: true; topic: string; bytes: Uint8Array } | { ok: false; error: string } {
  const problem = idProblem('group', group) ?? idProblem('edge node', node);
  if (problem) return { ok: false, error: `Cannot request a rebirth: ${problem}` };
  const timestamp = long(BigInt(Math.trunc(now)), true);
  const bytes = encodeMessage({ timestamp, metrics: [{ name: REBIRTH_METRIC, timestamp, datatype: DataType.Boolean, booleanValue: true }] });
  return { ok: true, topic: sparkplugTopic('NCMD', group, node), bytes };
}
