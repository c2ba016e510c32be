import { Type } from 'protobufjs/light';
import { MAX_JSON_DEPTH, type JsonNode } from '../../../shared/json';
import type { DecodeLimits, DecodeResult } from '../types';
import {
  DataType,
  dataTypeName,
  PayloadType,
  type PbDataSet,
  type PbMetaData,
  type PbMetric,
  type PbPayload,
  type PbPropertySet,
  type PbPropertySetList,
  type PbTemplate,
  type ScalarHolder,
} from './schema';
import { arrayLength, base64, bool, doubleNode, floatNode, INTEGER_TYPES, integerFromWire, isArrayType, NULL, number, string, toBigUint, unpackArray } from './values';

/**
 * Sparkplug B payload bytes → a JsonNode, without state (the tracker in state.ts adds what births
 * define). Two passes, neither recursive over the bytes:
 *  1. `checkStructure` walks the protobuf wire format with an explicit stack: every known field has the
 *     wire type the schema gives it, every length fits in its message, and messages (and groups) nest
 *     no deeper than MAX_MESSAGE_NESTING. A Template nests a Metric that nests a Template…: 100,000
 *     levels fit in 1 MB. Only after this does protobufjs decode, whose decoder recurses once per
 *     nested message, now a bounded number of times (and within its own recursion limit, whose
 *     "max depth exceeded" would say less).
 *  2. `payloadToJson` turns the decoded messages into a JsonNode with a stack of pending jobs, counting
 *     nodes and depth against the limits.
 */

/** Default bounds: 16 MiB of payload, a million nodes, the JSON view's depth. */
export const SPARKPLUG_LIMITS: DecodeLimits = { maxBytes: 16 * 1024 * 1024, maxNodes: 1_000_000, maxDepth: MAX_JSON_DEPTH };

/** What the panel shows as "decoded by". */
export const DECODED_BY = 'Sparkplug B';

/**
 * Messages nested below the Payload that are decoded: protobufjs's own limit (`Reader.recursionLimit`,
 * protoc's default), which is 49 Template levels (a Template and its Metric are two messages).
 */
export const MAX_MESSAGE_NESTING = 100;

/** The bytes are not a Sparkplug B payload, or one past the limits; the message says which and where. */
export class SparkplugDecodeError extends Error {}

/** The wire type each field of each message type must arrive with, and the message type of a nested message. */
interface FieldShape {
  wire: number;
  /** Repeated numbers may also arrive packed (wire type 2). */
  packable: boolean;
  message?: Type;
}
const shapes = new Map<Type, Map<number, FieldShape>>();

function shapeOf(type: Type): Map<number, FieldShape> {
  let shape = shapes.get(type);
  if (!shape) {
    shape = new Map();
    for (const field of type.fieldsArray) {
      const message = field.resolvedType instanceof Type ? field.resolvedType : undefined;
      const wire = message || field.type === 'string' || field.type === 'bytes' ? 2 : field.type === 'double' ? 1 : field.type === 'float' ? 5 : 0;
      shape.set(field.id, { wire, packable: field.repeated && wire !== 2, message });
    }
    shapes.set(type, shape);
  }
  return shape;
}

interface Frame {
  /** The message type being read; undefined inside an unknown group. */
  type: Type | undefined;
  end: number;
  /** The field number of a group (wire type 3) this frame reads until its end-group tag. */
  group?: number;
}

/**
 * Checks the wire format of a Sparkplug payload before protobufjs decodes it: tags, lengths, wire
 * types of known fields, and nesting (`maxDepth` messages deep). An explicit stack; throws a
 * SparkplugDecodeError that names the byte offset. `maxNesting`: messages (and groups) below the Payload.
 */
export function checkStructure(bytes: Uint8Array, maxNesting: number): void {
  let at = 0;
  const varint = (): number => {
    // Up to 10 bytes; the value is only needed for tags and lengths (which fit in 32 bits).
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= bytes.length) throw new SparkplugDecodeError(`truncated: a number runs past the end at byte ${at}`);
      const byte = bytes[at++];
      if (shift < 35) value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new SparkplugDecodeError(`malformed: a number longer than 10 bytes ending at byte ${at}`);
  };
  const frames: Frame[] = [{ type: PayloadType, end: bytes.length }];
  const enter = (frame: Frame) => {
    // frames holds the Payload and what is open below it: after this push, frames.length nested levels.
    if (frames.length > maxNesting) throw new SparkplugDecodeError(`nested deeper than ${maxNesting} levels (at byte ${at}): not decoded`);
    frames.push(frame);
  };
  for (;;) {
    let top = frames[frames.length - 1];
    while (at === top.end && top.group === undefined) {
      frames.pop();
      if (!frames.length) return;
      top = frames[frames.length - 1];
    }
    if (at >= top.end) throw new SparkplugDecodeError(`truncated: group ${top.group} has no end at byte ${at}`);
    const tagAt = at;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0 || field > 536870911) throw new SparkplugDecodeError(`malformed: field number ${field} at byte ${tagAt}`);
    const shape = top.type && shapeOf(top.type).get(field);
    if (shape && wire !== 4 && wire !== shape.wire && !(wire === 2 && shape.packable)) {
      throw new SparkplugDecodeError(`malformed: field ${field} of ${top.type?.name} has wire type ${wire}, expected ${shape.wire} (byte ${tagAt})`);
    }
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
      case 5:
        at += wire === 1 ? 8 : 4;
        if (at > top.end) throw new SparkplugDecodeError(`truncated: field ${field} at byte ${tagAt} runs past the end of its message`);
        break;
      case 2: {
        const length = varint();
        if (at + length > top.end) throw new SparkplugDecodeError(`truncated: field ${field} at byte ${tagAt} declares ${length} bytes, ${top.end - at} remain`);
        if (shape?.message) enter({ type: shape.message, end: at + length });
        else at += length;
        break;
      }
      case 3:
        enter({ type: undefined, end: top.end, group: field });
        break;
      case 4:
        if (top.group !== field) throw new SparkplugDecodeError(`malformed: end of group ${field} at byte ${tagAt} without its start`);
        frames.pop();
        break;
      default:
        throw new SparkplugDecodeError(`malformed: wire type ${wire} at byte ${tagAt}`);
    }
  }
}

/** Decodes the bytes as a Sparkplug payload within the limits; throws a SparkplugDecodeError. */
export function readPayload(bytes: Uint8Array, limits: DecodeLimits = SPARKPLUG_LIMITS): PbPayload {
  if (bytes.length > limits.maxBytes) throw new SparkplugDecodeError(`${bytes.length} bytes is more than the ${limits.maxBytes} decoded`);
  // Each nested message is at least one JSON level: nesting beyond the JSON depth could not be shown anyway.
  checkStructure(bytes, Math.min(limits.maxDepth, MAX_MESSAGE_NESTING));
  try {
    return PayloadType.decode(bytes) as unknown as PbPayload;
  } catch (error) {
    throw new SparkplugDecodeError(`malformed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const has = <T extends object>(message: T, key: keyof T & string): boolean => Object.prototype.hasOwnProperty.call(message, key);

/** What a birth defined for a metric: the tracker resolves aliases and missing datatypes with it. */
export interface MetricDefinition {
  name: string;
  /** The alias as decimal text. */
  alias?: string;
  datatype: number;
  /** The birth's properties (engineering units, limits…), as the panel shows them. */
  properties?: JsonNode;
}

export interface ToJsonOptions {
  limits?: DecodeLimits;
  /** A top-level metric's definition by alias (decimal text) or name, from its birth. */
  resolve?: (alias: string | undefined, name: string | undefined) => MetricDefinition | undefined;
  /** The note for aliases with nothing to resolve them; by default "alias 7 has no birth; request a rebirth". */
  unresolvedNote?: (aliases: string[]) => string;
}

export interface PayloadJson {
  value: JsonNode;
  notes: string[];
  /** Top-level metrics whose alias had no definition (their aliases, decimal text). */
  unresolvedAliases: string[];
  /** Top-level metrics named from a definition (alias only on the wire). */
  namedFromBirth: number;
}

/** "alias 7", "aliases 7, 8 and 9", "aliases 1, 2, 3, 4, 5 and 20 more". */
export function aliasList(aliases: string[]): string {
  if (aliases.length === 1) return `alias ${aliases[0]}`;
  const shown = aliases.slice(0, 5);
  const rest = aliases.length - shown.length;
  return rest ? `aliases ${shown.join(', ')} and ${rest} more` : `aliases ${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

const defaultUnresolvedNote = (aliases: string[]) => `${aliasList(aliases)} ${aliases.length === 1 ? 'has' : 'have'} no birth; request a rebirth`;

type ObjectNode = Extract<JsonNode, { kind: 'object' }>;
type ArrayNode = Extract<JsonNode, { kind: 'array' }>;

/** The fields a value of each data type travels in. */
function expectedFields(type: number): readonly string[] {
  if (INTEGER_TYPES.has(type)) return ['intValue', 'longValue'];
  if (isArrayType(type)) return ['bytesValue'];
  switch (type) {
    case DataType.Float:
      return ['floatValue'];
    case DataType.Double:
      return ['doubleValue'];
    case DataType.Boolean:
      return ['booleanValue'];
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return ['stringValue'];
    case DataType.Bytes:
    case DataType.File:
      return ['bytesValue'];
    case DataType.DataSet:
      return ['datasetValue'];
    case DataType.Template:
      return ['templateValue'];
    case DataType.PropertySet:
      return ['propertysetValue'];
    case DataType.PropertySetList:
      return ['propertysetsValue'];
    default:
      return [];
  }
}

const VALUE_FIELDS = [
  'intValue',
  'longValue',
  'floatValue',
  'doubleValue',
  'booleanValue',
  'stringValue',
  'bytesValue',
  'datasetValue',
  'templateValue',
  'propertysetValue',
  'propertysetsValue',
  'extensionValue',
] as const;
type ValueField = (typeof VALUE_FIELDS)[number];
/** Metric, DataSetValue, Template.Parameter and PropertyValue: the union of their value fields. */
type AnyHolder = ScalarHolder & {
  bytesValue?: Uint8Array;
  datasetValue?: PbDataSet;
  templateValue?: PbTemplate;
  propertysetValue?: PbPropertySet;
  propertysetsValue?: PbPropertySetList;
};

/** The protobuf field name as the specification's .proto spells it (int_value), for notes. */
const wireName = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Converts decoded messages to JsonNodes within the limits: a stack of pending jobs, nodes and depth counted. */
class Converter {
  readonly notes: string[] = [];
  private readonly jobs: (() => void)[] = [];
  private nodes = 0;

  constructor(private readonly limits: DecodeLimits) {}

  /** Runs the pending jobs (each may queue more) until none is left. */
  drain(): void {
    for (let job = this.jobs.pop(); job; job = this.jobs.pop()) job();
  }

  private charge(): void {
    if (++this.nodes > this.limits.maxNodes) throw new SparkplugDecodeError(`more than ${this.limits.maxNodes} values: not decoded`);
  }

  object(depth: number): ObjectNode {
    if (depth > this.limits.maxDepth) throw new SparkplugDecodeError(`nested deeper than ${this.limits.maxDepth} levels: not decoded`);
    return { kind: 'object', entries: [] };
  }

  array(depth: number): ArrayNode {
    if (depth > this.limits.maxDepth) throw new SparkplugDecodeError(`nested deeper than ${this.limits.maxDepth} levels: not decoded`);
    return { kind: 'array', items: [] };
  }

  set(into: ObjectNode, key: string, value: JsonNode): void {
    this.charge();
    into.entries.push([key, value]);
  }

  push(into: ArrayNode, value: JsonNode): void {
    this.charge();
    into.items.push(value);
  }

  note(text: string): void {
    if (this.notes.length < 50) this.notes.push(text);
    else if (this.notes.length === 50) this.notes.push('more notes left out');
  }

  uint64(into: ObjectNode, key: string, message: object, field: string): void {
    if (has(message as Record<string, unknown>, field)) this.set(into, key, number(toBigUint((message as Record<string, never>)[field]).toString()));
  }

  /**
   * The value of `holder` read as `type` says, added to `into` as "value". Containers (data sets,
   * templates, property sets) are filled by jobs. A value in a field its type does not use is shown
   * as that field has it, with a note.
   */
  value(into: ObjectNode, holder: AnyHolder, type: number | undefined, depth: number, where: string): void {
    const present = VALUE_FIELDS.filter((field) => has(holder, field));
    if (!present.length) return;
    const expected = type === undefined ? [] : expectedFields(type);
    const field: ValueField = present.find((name) => expected.includes(name)) ?? present[0];
    if (type !== undefined && !expected.includes(field)) {
      this.note(`${where}: ${dataTypeName(type)} value in ${wireName(field)}${expected.length ? `, expected ${expected.map(wireName).join(' or ')}` : ''}`);
    }
    const integer = type === undefined ? undefined : INTEGER_TYPES.get(type);
    switch (field) {
      case 'intValue':
      case 'longValue': {
        const raw = field === 'intValue' ? BigInt((holder.intValue ?? 0) >>> 0) : toBigUint(holder.longValue ?? 0);
        if (!integer) {
          this.set(into, 'value', number(raw.toString()));
          return;
        }
        const read = integerFromWire(raw, field === 'intValue' ? 32 : 64, integer.bits, integer.signed);
        if (read.outOfRange) this.note(`${where}: ${raw} does not fit ${dataTypeName(type ?? 0)}`);
        this.set(into, 'value', number(read.value.toString()));
        return;
      }
      case 'floatValue':
        this.set(into, 'value', floatNode(holder.floatValue ?? 0));
        return;
      case 'doubleValue':
        this.set(into, 'value', doubleNode(holder.doubleValue ?? 0));
        return;
      case 'booleanValue':
        this.set(into, 'value', bool(holder.booleanValue === true));
        return;
      case 'stringValue':
        this.set(into, 'value', string(holder.stringValue ?? ''));
        return;
      case 'bytesValue': {
        const bytes = holder.bytesValue ?? new Uint8Array();
        if (type !== undefined && isArrayType(type)) {
          const length = arrayLength(type, bytes);
          if (typeof length === 'number') {
            const items = this.array(depth + 1);
            this.set(into, 'value', items);
            for (const item of unpackArray(type, bytes)) this.push(items, item);
            return;
          }
          this.note(`${where}: ${dataTypeName(type)} malformed (${length}); shown as base64`);
        }
        this.set(into, 'value', string(base64(bytes)));
        return;
      }
      case 'datasetValue': {
        const node = this.object(depth + 1);
        this.set(into, 'value', node);
        const dataset = holder.datasetValue;
        if (dataset) this.jobs.push(() => this.dataset(node, dataset, depth + 1, where));
        return;
      }
      case 'templateValue': {
        const node = this.object(depth + 1);
        this.set(into, 'value', node);
        const template = holder.templateValue;
        if (template) this.jobs.push(() => this.template(node, template, depth + 1, where));
        return;
      }
      case 'propertysetValue': {
        const node = this.object(depth + 1);
        this.set(into, 'value', node);
        const set = holder.propertysetValue;
        if (set) this.jobs.push(() => this.propertySet(node, set, depth + 1, where));
        return;
      }
      case 'propertysetsValue': {
        const node = this.array(depth + 1);
        this.set(into, 'value', node);
        for (const set of holder.propertysetsValue?.propertyset ?? []) {
          const item = this.object(depth + 2);
          this.push(node, item);
          this.jobs.push(() => this.propertySet(item, set, depth + 2, where));
        }
        return;
      }
      default:
        this.note(`${where}: an extension value, not decoded`);
    }
  }

  /** A metric's entries; `definition` (from a birth) names it and types it when the wire does not. */
  metric(into: ObjectNode, metric: PbMetric, depth: number, where: string, definition?: MetricDefinition): void {
    const name = has(metric, 'name') ? metric.name : definition?.name;
    const label = name === undefined ? where : `${where} (${name})`;
    if (name !== undefined) this.set(into, 'name', string(name));
    this.uint64(into, 'alias', metric, 'alias');
    this.uint64(into, 'timestamp', metric, 'timestamp');
    const type = has(metric, 'datatype') ? metric.datatype : definition?.datatype;
    if (type !== undefined) this.set(into, 'datatype', dataTypeNode(type));
    if (metric.isNull === true) {
      this.set(into, 'value', NULL);
      this.set(into, 'isNull', bool(true));
    } else this.value(into, metric, type, depth, label);
    if (has(metric, 'isHistorical')) this.set(into, 'isHistorical', bool(metric.isHistorical === true));
    if (has(metric, 'isTransient')) this.set(into, 'isTransient', bool(metric.isTransient === true));
    if (metric.metadata) this.set(into, 'metadata', this.metadata(metric.metadata, depth + 1));
    if (metric.properties) {
      const node = this.object(depth + 1);
      this.set(into, 'properties', node);
      const set = metric.properties;
      this.jobs.push(() => this.propertySet(node, set, depth + 1, `${label}.properties`));
    }
  }

  private metadata(metadata: PbMetaData, depth: number): JsonNode {
    const node = this.object(depth);
    if (has(metadata, 'isMultiPart')) this.set(node, 'isMultiPart', bool(metadata.isMultiPart === true));
    for (const key of ['contentType', 'fileName', 'fileType', 'md5', 'description'] as const) {
      if (has(metadata, key)) this.set(node, key, string(metadata[key] ?? ''));
    }
    this.uint64(node, 'size', metadata, 'size');
    this.uint64(node, 'seq', metadata, 'seq');
    return node;
  }

  private dataset(into: ObjectNode, dataset: PbDataSet, depth: number, where: string): void {
    this.uint64(into, 'numOfColumns', dataset, 'numOfColumns');
    const columns = this.array(depth + 1);
    this.set(into, 'columns', columns);
    for (const column of dataset.columns) this.push(columns, string(column));
    const types = this.array(depth + 1);
    this.set(into, 'types', types);
    for (const type of dataset.types) this.push(types, dataTypeNode(type));
    const rows = this.array(depth + 1);
    this.set(into, 'rows', rows);
    dataset.rows.forEach((row, index) => {
      const cells = this.array(depth + 2);
      this.push(rows, cells);
      if (row.elements.length !== dataset.types.length) this.note(`${where}: row ${index} has ${row.elements.length} values for ${dataset.types.length} columns`);
      row.elements.forEach((element, column) => {
        // Each cell goes through value() as a metric's would, then comes out of its holder object.
        const holder: ObjectNode = { kind: 'object', entries: [] };
        this.value(holder, element, dataset.types[column], depth + 2, `${where} row ${index} column ${column}`);
        this.push(cells, holder.entries[0]?.[1] ?? NULL);
      });
    });
  }

  private template(into: ObjectNode, template: PbTemplate, depth: number, where: string): void {
    if (has(template, 'version')) this.set(into, 'version', string(template.version ?? ''));
    if (has(template, 'templateRef')) this.set(into, 'templateRef', string(template.templateRef ?? ''));
    if (has(template, 'isDefinition')) this.set(into, 'isDefinition', bool(template.isDefinition === true));
    const metrics = this.array(depth + 1);
    this.set(into, 'metrics', metrics);
    template.metrics.forEach((metric, index) => {
      const node = this.object(depth + 2);
      this.push(metrics, node);
      this.jobs.push(() => this.metric(node, metric, depth + 2, `${where}.metrics[${index}]`));
    });
    const parameters = this.array(depth + 1);
    this.set(into, 'parameters', parameters);
    template.parameters.forEach((parameter, index) => {
      const node = this.object(depth + 2);
      this.push(parameters, node);
      if (has(parameter, 'name')) this.set(node, 'name', string(parameter.name ?? ''));
      const type = has(parameter, 'type') ? parameter.type : undefined;
      if (type !== undefined) this.set(node, 'type', dataTypeNode(type));
      this.value(node, parameter, type, depth + 2, `${where}.parameters[${index}]`);
    });
  }

  private propertySet(into: ObjectNode, set: PbPropertySet, depth: number, where: string): void {
    if (set.keys.length !== set.values.length) this.note(`${where}: ${set.keys.length} keys for ${set.values.length} values`);
    set.values.forEach((property, index) => {
      const key = set.keys[index] ?? `(no key ${index})`;
      const node = this.object(depth + 1);
      this.set(into, key, node);
      const type = has(property, 'type') ? property.type : undefined;
      if (type !== undefined) this.set(node, 'type', dataTypeNode(type));
      if (property.isNull === true) {
        this.set(node, 'value', NULL);
        this.set(node, 'isNull', bool(true));
      } else this.value(node, property, type, depth + 1, `${where}.${key}`);
    });
  }
}

/** A data type as JSON: its name, or its number when the specification does not name it. */
function dataTypeNode(type: number): JsonNode {
  const name = dataTypeName(type);
  return name.startsWith('DataType ') ? number(String(type)) : string(name);
}

/**
 * The payload as a JsonNode: `timestamp`, `seq`, `uuid`, `body` (base64) when present, then
 * `metrics`, each with `name`, `alias`, `timestamp`, `datatype` (by name), `value` (typed by the
 * datatype: 64-bit integers exact, DataSet as { numOfColumns, columns, types, rows }, Template as
 * { version, templateRef, isDefinition, metrics, parameters }, arrays unpacked), `isNull`,
 * `isHistorical`, `isTransient`, `metadata`, `properties` ({ key: { type, value } }). Field names
 * are protobuf's JSON names (lowerCamelCase). Throws a SparkplugDecodeError past the limits.
 */
export function payloadToJson(payload: PbPayload, options: ToJsonOptions = {}): PayloadJson {
  const converter = new Converter(options.limits ?? SPARKPLUG_LIMITS);
  const root = converter.object(1);
  converter.uint64(root, 'timestamp', payload, 'timestamp');
  converter.uint64(root, 'seq', payload, 'seq');
  if (has(payload, 'uuid')) converter.set(root, 'uuid', string(payload.uuid ?? ''));
  if (has(payload, 'body')) converter.set(root, 'body', string(base64(payload.body ?? new Uint8Array())));
  const metrics = converter.array(2);
  converter.set(root, 'metrics', metrics);
  const unresolvedAliases: string[] = [];
  let namedFromBirth = 0;
  payload.metrics.forEach((metric, index) => {
    const alias = has(metric, 'alias') ? toBigUint(metric.alias ?? 0).toString() : undefined;
    const name = has(metric, 'name') ? metric.name : undefined;
    // A birth answers for a metric that lacks its name (alias only) or its datatype (DATA messages should leave it out).
    const definition = name === undefined || !has(metric, 'datatype') ? options.resolve?.(alias, name) : undefined;
    if (name === undefined && alias !== undefined) {
      if (definition) namedFromBirth++;
      else unresolvedAliases.push(alias);
    }
    const node = converter.object(3);
    converter.push(metrics, node);
    converter.metric(node, metric, 3, `metrics[${index}]`, definition);
  });
  converter.drain();
  const notes = [...converter.notes];
  if (unresolvedAliases.length) notes.unshift((options.unresolvedNote ?? defaultUnresolvedNote)(unresolvedAliases));
  return { value: root, notes, unresolvedAliases, namedFromBirth };
}

/** A note for a failed decode: "Not a Sparkplug B payload: truncated: …". */
export function decodeError(error: unknown): string {
  if (error instanceof SparkplugDecodeError) return `Not decoded as Sparkplug B: ${error.message}`;
  return `Not decoded as Sparkplug B: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/**
 * One payload on its own, without births: aliases stay numbers (noted). The state tracker
 * (`SparkplugState.decode`) is what names them; this is for a preview or a payload off any topic.
 */
export function decodeSparkplugPayload(bytes: Uint8Array, options: ToJsonOptions = {}): DecodeResult {
  try {
    const { value, notes } = payloadToJson(readPayload(bytes, options.limits), options);
    return notes.length ? { ok: true, value, decodedBy: DECODED_BY, notes } : { ok: true, value, decodedBy: DECODED_BY };
  } catch (error) {
    return { ok: false, error: decodeError(error) };
  }
}
