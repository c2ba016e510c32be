/**
 * Numeric series for the chart: a plain numeric payload is one series ("value"); a JSON payload
 * gives one series per numeric leaf, named by its path. Keys with dots or brackets are quoted in
 * the path (`a["b.c"]`), array elements indexed (`list[0]`). No DOM.
 */
import { jsonDepthExceeds, MAX_JSON_DEPTH, MAX_VIEW_JSON_CHARS, type JsonNode } from './json';

export interface Point {
  t: number;
  v: number;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

export function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (PLAIN_KEY.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Every numeric leaf of a JSON value, by path, in document order. An explicit stack: a value may nest 100,000 levels. */
export function numericLeaves(value: unknown, path = '', into = new Map<string, number>()): Map<string, number> {
  const stack: [unknown, string][] = [[value, path]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [item, at] = top;
    if (typeof item === 'number' && Number.isFinite(item)) into.set(at || 'value', item);
    else if (typeof item === 'boolean') into.set(at || 'value', item ? 1 : 0);
    else if (item && typeof item === 'object') {
      const children: [unknown, string][] = Array.isArray(item) ? item.map((child, index) => [child, pathOf(at, index)]) : Object.entries(item).map(([key, child]) => [child, pathOf(at, key)]);
      // Reversed onto the stack, so that the first child comes off first.
      for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
    }
  }
  return into;
}

/**
 * numericLeaves for a decoded value (a JsonNode from a decoder): numbers from their literal text,
 * true and false as 1 and 0, paths as pathOf names them. An explicit stack.
 */
export function jsonNodeLeaves(value: JsonNode, path = '', into = new Map<string, number>()): Map<string, number> {
  const stack: [JsonNode, string][] = [[value, path]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [item, at] = top;
    if (item.kind === 'number') {
      const number = Number(item.raw);
      if (Number.isFinite(number)) into.set(at || 'value', number);
    } else if (item.kind === 'literal') {
      if (item.raw !== 'null') into.set(at || 'value', item.raw === 'true' ? 1 : 0);
    } else if (item.kind === 'object') {
      for (let index = item.entries.length - 1; index >= 0; index--) stack.push([item.entries[index][1], pathOf(at, item.entries[index][0])]);
    } else if (item.kind === 'array') {
      for (let index = item.items.length - 1; index >= 0; index--) stack.push([item.items[index], pathOf(at, index)]);
    }
  }
  return into;
}

/** Splits a path made by pathOf back into keys and indices. */
export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const pattern = /([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(path))) {
    if (match[1] !== undefined) parts.push(match[1]);
    else if (match[2] !== undefined) parts.push(Number(match[2]));
    else if (match[3] !== undefined) parts.push(JSON.parse(match[3]) as string);
    if (pattern.lastIndex === path.length) break;
  }
  if (pattern.lastIndex !== path.length && path !== '') throw new Error(`Not a path: ${path}`);
  return parts;
}

export function valueAt(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of parsePath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** Payloads longer than this are not searched for fields: the worker parses every kept message for a chart. */
export const MAX_FIELDS_TEXT = MAX_VIEW_JSON_CHARS;

/**
 * The numeric fields of one payload: a plain number is "value", JSON gives its numeric leaves; anything
 * else none. JSON nested deeper than MAX_JSON_DEPTH, or longer than MAX_FIELDS_TEXT, gives none.
 */
export function extractFields(text: string | undefined): Map<string, number> {
  if (text === undefined || text.length > MAX_FIELDS_TEXT) return new Map();
  const trimmed = text.trim();
  if (trimmed === '') return new Map();
  const number = Number(trimmed);
  if (Number.isFinite(number)) return new Map([['value', number]]);
  if (trimmed[0] !== '{' && trimmed[0] !== '[') return new Map();
  // Checked before JSON.parse, which would build every level first.
  if (jsonDepthExceeds(trimmed, MAX_JSON_DEPTH)) return new Map();
  try {
    return numericLeaves(JSON.parse(trimmed));
  } catch {
    return new Map();
  }
}

/** Series from a topic's history: text payloads that are numbers, and numeric JSON fields. */
export function extractSeries(messages: { text: string | undefined; receivedAt: number }[]): Map<string, Point[]> {
  const series = new Map<string, Point[]>();
  for (const message of messages) {
    for (const [path, v] of extractFields(message.text)) {
      let points = series.get(path);
      if (!points) series.set(path, (points = []));
      points.push({ t: message.receivedAt, v });
    }
  }
  return series;
}

/**
 * At most about `maxPoints` points that still show every peak: the points are cut into buckets in
 * order, and each bucket keeps its lowest and highest point, in time order.
 */
export function downsample(points: Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return points;
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = points.length / buckets;
  const result: Point[] = [];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor(bucket * size);
    const end = Math.min(points.length, Math.floor((bucket + 1) * size));
    if (start >= end) continue;
    let low = start;
    let high = start;
    for (let index = start + 1; index < end; index++) {
      if (points[index].v < points[low].v) low = index;
      if (points[index].v > points[high].v) high = index;
    }
    if (low === high) result.push(points[low]);
    else result.push(points[Math.min(low, high)], points[Math.max(low, high)]);
  }
  return result;
}
