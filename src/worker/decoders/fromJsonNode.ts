import { parseJson, type JsonNode } from '../../shared/json';

/**
 * The reverse of toJsonNode, for publishing: the JSON the user typed (parsed by `parseJson`, so at
 * most MAX_JSON_DEPTH levels and numbers as their literal text) as plain JavaScript values for an
 * encoder. An explicit stack, no recursion.
 *
 * - An integer literal becomes what `integers` makes of it; by default a number when a double holds
 *   it exactly and a bigint beyond 2^53, so 9007199254740993 is not rounded.
 * - Other numbers are doubles; one a double cannot hold (1e400) is an error, not Infinity.
 * - Objects are plain objects whose keys are defined, not assigned: a key `__proto__` is an own
 *   property, not a new prototype. A duplicate key keeps its last value, as JSON.parse does.
 */

/** What an encoder wants for an integer literal ("-12", "9007199254740993"). */
export type IntegerAs = (literal: string) => unknown;

/** A number literal the encoder cannot take, with the literal. */
export class JsonValueError extends Error {}

const INTEGER = /^-?\d+$/;

/** An integer literal as a number when a double holds it exactly, else as a bigint. */
export const safeNumberOrBigint: IntegerAs = (literal) => {
  const value = Number(literal);
  return Number.isSafeInteger(value) ? value : BigInt(literal);
};

/** A number literal as a number, or as `integers` makes an integer literal. */
export function numberValue(raw: string, integers: IntegerAs = safeNumberOrBigint): unknown {
  if (INTEGER.test(raw)) return integers(raw);
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new JsonValueError(`the number ${raw} is too large for a 64-bit float`);
  return value;
}

export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type Frame = { node: Extract<JsonNode, { kind: 'array' }>; out: unknown[]; next: number } | { node: Extract<JsonNode, { kind: 'object' }>; out: Record<string, unknown>; next: number };

/** Plain JavaScript values for `node`; throws JsonValueError for a number no double holds. */
export function fromJsonNode(root: JsonNode, integers: IntegerAs = safeNumberOrBigint): unknown {
  const stack: Frame[] = [];
  let result: unknown;
  const start = (node: JsonNode): { value: unknown } | undefined => {
    switch (node.kind) {
      case 'string':
        return { value: node.value };
      case 'literal':
        return { value: node.raw === 'null' ? null : node.raw === 'true' };
      case 'number':
        return { value: numberValue(node.raw, integers) };
      case 'array':
        stack.push({ node, out: [], next: 0 });
        return undefined;
      case 'object':
        stack.push({ node, out: {}, next: 0 });
        return undefined;
    }
  };
  const place = (value: unknown) => {
    const parent = stack[stack.length - 1];
    if (!parent) result = value;
    else if (parent.node.kind === 'array') (parent.out as unknown[]).push(value);
    else setOwn(parent.out as Record<string, unknown>, parent.node.entries[parent.next - 1][0], value);
  };
  const first = start(root);
  if (first) place(first.value);
  while (stack.length) {
    const frame = stack[stack.length - 1];
    const length = frame.node.kind === 'array' ? frame.node.items.length : frame.node.entries.length;
    if (frame.next === length) {
      stack.pop();
      place(frame.out);
      continue;
    }
    const child = frame.node.kind === 'array' ? frame.node.items[frame.next] : frame.node.entries[frame.next][1];
    frame.next++;
    const leaf = start(child);
    if (leaf) place(leaf.value);
  }
  return result;
}

/** The user's JSON text as a tree; a JsonValueError that says where it is not JSON. */
export function parseUserJson(text: string): JsonNode {
  try {
    return parseJson(text);
  } catch (error) {
    throw new JsonValueError(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
