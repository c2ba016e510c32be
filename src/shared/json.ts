/**
 * A JSON parser that keeps what arrived: numbers as their literal text (a 64-bit id survives, where
 * JSON.parse would round it), and every key of an object in order, duplicates included. The
 * panel's JSON view renders this tree. No DOM.
 */

export type JsonNode =
  | { kind: 'object'; entries: [string, JsonNode][] }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'literal'; raw: 'true' | 'false' | 'null' };

/** Deeper nesting is refused (the payload then shows as text) rather than overflowing the stack. */
const MAX_DEPTH = 500;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
const STRING_BODY = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

export function parseJson(text: string): JsonNode {
  let at = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${at}`);
  };
  const skip = () => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const string = (): string => {
    STRING_BODY.lastIndex = at;
    const match = STRING_BODY.exec(text);
    if (!match) fail('Bad string');
    at = STRING_BODY.lastIndex;
    return JSON.parse(match![0]) as string;
  };
  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail('Nested too deeply');
    skip();
    const char = text[at];
    if (char === '{') {
      at++;
      const entries: [string, JsonNode][] = [];
      skip();
      if (text[at] === '}') {
        at++;
        return { kind: 'object', entries };
      }
      for (;;) {
        skip();
        if (text[at] !== '"') fail('Expected a key');
        const key = string();
        skip();
        if (text[at++] !== ':') fail('Expected ":"');
        entries.push([key, value(depth + 1)]);
        skip();
        const next = text[at++];
        if (next === '}') return { kind: 'object', entries };
        if (next !== ',') fail('Expected "," or "}"');
      }
    }
    if (char === '[') {
      at++;
      const items: JsonNode[] = [];
      skip();
      if (text[at] === ']') {
        at++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value(depth + 1));
        skip();
        const next = text[at++];
        if (next === ']') return { kind: 'array', items };
        if (next !== ',') fail('Expected "," or "]"');
      }
    }
    if (char === '"') return { kind: 'string', value: string() };
    for (const raw of ['true', 'false', 'null'] as const) {
      if (text.startsWith(raw, at)) {
        at += raw.length;
        return { kind: 'literal', raw };
      }
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (!number) fail('Unexpected character');
    at = NUMBER.lastIndex;
    return { kind: 'number', raw: number![0] };
  };
  const root = value(0);
  skip();
  if (at !== text.length) fail('Unexpected text after the value');
  return root;
}

/** The payload as JSON, or undefined when it is not (an empty payload is not JSON). */
export function tryParseJson(text: string | undefined): JsonNode | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

/** Pretty-printed text of a tree, two spaces per level, numbers as they arrived. */
export function formatJson(node: JsonNode, indent = ''): string {
  const inner = `${indent}  `;
  switch (node.kind) {
    case 'object':
      if (!node.entries.length) return '{}';
      return `{\n${node.entries.map(([key, child]) => `${inner}${JSON.stringify(key)}: ${formatJson(child, inner)}`).join(',\n')}\n${indent}}`;
    case 'array':
      if (!node.items.length) return '[]';
      return `[\n${node.items.map((child) => `${inner}${formatJson(child, inner)}`).join(',\n')}\n${indent}]`;
    case 'string':
      return JSON.stringify(node.value);
    default:
      return node.raw;
  }
}
