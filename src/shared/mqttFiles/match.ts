/**
 * Whether a received message meets an EXPECT's (or a SUBSCRIBE's) conditions, and if not, why, in
 * words. The received payload is untrusted and may nest deeply: every walk here uses an explicit
 * stack, and only as deep as the expected JSON (which comes from the file) goes.
 */
import type { JsonNode } from '../json';
import { readJson } from './body';
import type { ExpectedPayload, Expectation } from './resolve';

export type MatchResult = { ok: true } | { ok: false; reason: string };

/** A message as the caller received it. */
export interface ReceivedMessage {
  payload: Uint8Array;
  /** MQTT 5 correlation data. */
  correlationData?: Uint8Array | string;
  /** Set on a retained message the broker sent because of the subscription. */
  retained?: boolean;
  /** The JSON the topic's bound decoder made of the payload, for `Format: decoder`. */
  decodedJson?: string;
}

const INTEGER_LITERAL = /^-?\d+$/;

/** JSON numbers compare by value: `1.0` equals `1`; integers beyond 2^53 exactly. */
function sameNumber(a: string, b: string): boolean {
  if (a === b) return true;
  if (INTEGER_LITERAL.test(a) && INTEGER_LITERAL.test(b)) return BigInt(a) === BigInt(b);
  return Number(a) === Number(b);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pathText(path: readonly (string | number)[]): string {
  let text = '$';
  for (const step of path) text += typeof step === 'number' ? `[${step}]` : IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  return text;
}

/** Compact JSON of `node`, cut after about `max` characters; an explicit stack, so any depth is fine. */
export function previewJson(node: JsonNode, max = 80): string {
  let out = '';
  type Item = { node: JsonNode } | { text: string };
  const stack: Item[] = [{ node }];
  while (stack.length && out.length <= max) {
    const item = stack.pop()!;
    if ('text' in item) {
      out += item.text;
      continue;
    }
    const current = item.node;
    switch (current.kind) {
      case 'string':
        out += JSON.stringify(current.value.length > max ? `${current.value.slice(0, max)}…` : current.value);
        break;
      case 'number':
      case 'literal':
        out += current.raw;
        break;
      case 'array': {
        out += '[';
        stack.push({ text: ']' });
        for (let index = Math.min(current.items.length, max) - 1; index >= 0; index--) {
          stack.push({ node: current.items[index] });
          if (index > 0) stack.push({ text: ',' });
        }
        break;
      }
      case 'object': {
        out += '{';
        stack.push({ text: '}' });
        for (let index = Math.min(current.entries.length, max) - 1; index >= 0; index--) {
          stack.push({ node: current.entries[index][1] }, { text: `${JSON.stringify(current.entries[index][0])}:` });
          if (index > 0) stack.push({ text: ',' });
        }
        break;
      }
    }
  }
  return out.length > max || stack.length ? `${out.slice(0, max)}…` : out;
}

const KIND_WORDS: Record<JsonNode['kind'], string> = { object: 'an object', array: 'an array', string: 'a string', number: 'a number', literal: 'a literal' };

function kindWord(node: JsonNode): string {
  return node.kind === 'literal' ? (node.raw === 'null' ? 'null' : 'a boolean') : KIND_WORDS[node.kind];
}

/**
 * The partial match of docs/mqtt-files.md: every key the expected object names must be in the
 * received object with a matching value (more keys are fine; with a key given twice, the last
 * counts, as JSON.parse does); arrays match item by item and must have the same length; strings,
 * booleans and null must be equal; numbers equal by value.
 */
export function matchJson(expected: JsonNode, actual: JsonNode): MatchResult {
  const stack: { expected: JsonNode; actual: JsonNode; path: (string | number)[] }[] = [{ expected, actual, path: [] }];
  while (stack.length) {
    const { expected: want, actual: got, path } = stack.pop()!;
    const differ = (why: string): MatchResult => ({ ok: false, reason: `At ${pathText(path)}: ${why}` });
    if (want.kind === 'object') {
      if (got.kind !== 'object') return differ(`expected an object, got ${kindWord(got)} ${previewJson(got)}`);
      const values = new Map<string, JsonNode>();
      for (const [key, value] of got.entries) values.set(key, value);
      const wanted = new Map<string, JsonNode>();
      for (const [key, value] of want.entries) wanted.set(key, value);
      // Reversed so that the first key is compared first (a stack).
      for (const [key, value] of [...wanted].reverse()) {
        const found = values.get(key);
        if (found === undefined) return { ok: false, reason: `At ${pathText(path)}: the key ${JSON.stringify(key)} is missing (expected ${previewJson(value)})` };
        stack.push({ expected: value, actual: found, path: [...path, key] });
      }
      continue;
    }
    if (want.kind === 'array') {
      if (got.kind !== 'array') return differ(`expected an array, got ${kindWord(got)} ${previewJson(got)}`);
      if (got.items.length !== want.items.length) return differ(`expected ${want.items.length} items, got ${got.items.length}: ${previewJson(got)}`);
      for (let index = want.items.length - 1; index >= 0; index--) stack.push({ expected: want.items[index], actual: got.items[index], path: [...path, index] });
      continue;
    }
    const equal =
      want.kind === 'string' ? got.kind === 'string' && got.value === want.value : want.kind === 'number' ? got.kind === 'number' && sameNumber(want.raw, got.raw) : got.kind === 'literal' && got.raw === want.raw;
    if (!equal) return differ(`expected ${previewJson(want)}, got ${previewJson(got)}`);
  }
  return { ok: true };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

function hexPreview(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 32), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > 32 ? `${shown} … (${bytes.length} bytes)` : shown || '(empty)';
}

/** Whether `message` meets `expected` (a file reference must be turned into an expectation first: expectedFromFile). */
export function matchPayload(expected: ExpectedPayload, message: ReceivedMessage): MatchResult {
  switch (expected.kind) {
    case 'file':
      return { ok: false, reason: `The expected payload is the file ${expected.path}, which was not read.` };
    case 'bytes': {
      const got = message.payload;
      const same = got.length === expected.bytes.length && got.every((byte, index) => byte === expected.bytes[index]);
      return same ? { ok: true } : { ok: false, reason: `Expected the bytes ${hexPreview(expected.bytes)}, got ${hexPreview(got)}.` };
    }
    case 'text': {
      const got = new TextDecoder().decode(message.payload);
      return got === expected.text ? { ok: true } : { ok: false, reason: `Expected the text ${quote(expected.text)}, got ${quote(got)}.` };
    }
    case 'json': {
      if (expected.decoded && message.decodedJson === undefined) return { ok: false, reason: 'The payload was not decoded: no decoder is bound to its topic, or it did not decode.' };
      const text = expected.decoded ? message.decodedJson! : new TextDecoder().decode(message.payload);
      const actual = readJson(text);
      if ('error' in actual) return { ok: false, reason: `The payload is not JSON (${actual.error}): ${quote(text)}.` };
      return matchJson(expected.json, actual.json);
    }
  }
}

/** Whether `message` meets the expectation's conditions, except its JSON Schema, which the caller checks. */
export function matchExpectation(expectation: Expectation, message: ReceivedMessage): MatchResult {
  try {
    if (message.retained && expectation.retained === 'ignore') return { ok: false, reason: 'A retained message sent on subscribing; this block waits for a new one (Retained: include takes retained messages too).' };
    if (expectation.correlation !== undefined) {
      const data = message.correlationData;
      if (data === undefined) return { ok: false, reason: 'The message carries no correlation data.' };
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
      if (text !== expectation.correlation) return { ok: false, reason: `The correlation data is ${quote(text)}, not ${quote(expectation.correlation)}.` };
    }
    return expectation.payload ? matchPayload(expectation.payload, message) : { ok: true };
  } catch (error) {
    return { ok: false, reason: `The message could not be compared because of a bug in the extension (${error instanceof Error ? error.message : String(error)}).` };
  }
}
