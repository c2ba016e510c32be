/**
 * A JSON parser that keeps what arrived: numbers as their literal text (a 64-bit id survives, where
 * JSON.parse would round it), and every key of an object in order, duplicates included. The
 * panel's JSON view renders this tree. No DOM.
 */
import * as l10n from '@vscode/l10n';

export type JsonNode =
  | { kind: 'object'; entries: [string, JsonNode][] }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'literal'; raw: 'true' | 'false' | 'null' };

/**
 * Deeper nesting is refused: the payload then shows as text with a note. The walks below use explicit
 * stacks and would not overflow, but a view of 100,000 levels helps nobody, and its pretty-printed
 * text grows with the square of the depth.
 */
export const MAX_JSON_DEPTH = 500;
/** Views parse at most this much text as JSON; a longer payload shows as text (parsing 10 MB would freeze the page). */
export const MAX_VIEW_JSON_CHARS = 1024 * 1024;

/** The JSON nests deeper than MAX_JSON_DEPTH. */
export class JsonTooDeepError extends SyntaxError {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
const STRING_BODY = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

type Container = { node: Extract<JsonNode, { kind: 'object' }>; key: string } | { node: Extract<JsonNode, { kind: 'array' }> };

/** Parses JSON text; throws a SyntaxError (a JsonTooDeepError past MAX_JSON_DEPTH levels). An explicit stack of open containers, no recursion. */
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
    const literal = match![0];
    // Most strings have no escape: no need for JSON.parse to decode them.
    return literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
  };
  const key = (): string => {
    skip();
    if (text[at] !== '"') fail('Expected a key');
    const name = string();
    skip();
    if (text[at++] !== ':') fail('Expected ":"');
    return name;
  };
  const scalar = (): JsonNode => {
    const char = text[at];
    if (char === '"') return { kind: 'string', value: string() };
    const raw = char === 't' ? 'true' : char === 'f' ? 'false' : char === 'n' ? 'null' : undefined;
    if (raw !== undefined) {
      if (!text.startsWith(raw, at)) fail('Unexpected character');
      at += raw.length;
      return { kind: 'literal', raw };
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (!number) fail('Unexpected character');
    at = NUMBER.lastIndex;
    return { kind: 'number', raw: number![0] };
  };
  const open: Container[] = [];
  for (;;) {
    // A value starts here: a scalar, an empty container, or a container whose first value comes next.
    skip();
    let value: JsonNode;
    const char = text[at];
    if (char === '{' || char === '[') {
      if (open.length >= MAX_JSON_DEPTH) throw new JsonTooDeepError(`Nested deeper than ${MAX_JSON_DEPTH} levels at position ${at}`);
      at++;
      skip();
      if (char === '{') {
        if (text[at] === '}') {
          at++;
          value = { kind: 'object', entries: [] };
        } else {
          open.push({ node: { kind: 'object', entries: [] }, key: key() });
          continue;
        }
      } else if (text[at] === ']') {
        at++;
        value = { kind: 'array', items: [] };
      } else {
        open.push({ node: { kind: 'array', items: [] } });
        continue;
      }
    } else value = scalar();
    // The value is complete: add it to its container, then close every container that ends here.
    for (;;) {
      const container = open[open.length - 1];
      if (!container) {
        skip();
        if (at !== text.length) fail('Unexpected text after the value');
        return value;
      }
      if ('key' in container) container.node.entries.push([container.key, value]);
      else container.node.items.push(value);
      skip();
      const next = text[at++];
      if (next === ',') {
        if ('key' in container) container.key = key();
        break;
      }
      if (next !== (container.node.kind === 'object' ? '}' : ']')) fail(container.node.kind === 'object' ? 'Expected "," or "}"' : 'Expected "," or "]"');
      open.pop();
      value = container.node;
    }
  }
}

/**
 * Whether the brackets of `text` (outside strings) nest deeper than `limit`: a scan without
 * allocation, to turn down a payload before JSON.parse builds 100,000 levels of objects.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++; // a backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

/** The text starts like a JSON object or array (whitespace aside). */
export function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text.slice(0, 1024))?.[0];
  return first === '{' || first === '[';
}

/** A view's note for JSON it shows as text: "Nested deeper than 500 levels: shown as text." `how` ends the sentence. */
export function jsonNote(reason: 'deep' | 'large', how: string, maxChars = MAX_VIEW_JSON_CHARS): string {
  // `how` comes translated from the caller.
  if (reason === 'deep') return l10n.t('Nested deeper than {0} levels: {1}.', MAX_JSON_DEPTH, how);
  const size = maxChars % (1024 * 1024) === 0 ? `${maxChars / 1024 / 1024} MiB` : `${Math.ceil(maxChars / 1024)} KiB`;
  return l10n.t('Larger than {0}: {1}.', size, how);
}

/** What a view shows of a payload: its tree, or text with, when it looks like JSON, a note that says why. */
export interface JsonReading {
  tree?: JsonNode;
  note?: string;
}

/** The payload as a tree for a view, within the view's bounds (MAX_JSON_DEPTH levels, `maxChars` of text). */
export function readJson(text: string | undefined, maxChars = MAX_VIEW_JSON_CHARS): JsonReading {
  if (text === undefined || text.trim() === '') return {};
  if (text.length > maxChars) return looksLikeJson(text) ? { note: jsonNote('large', l10n.t('shown as text'), maxChars) } : {};
  try {
    return { tree: parseJson(text) };
  } catch (error) {
    return error instanceof JsonTooDeepError ? { note: jsonNote('deep', l10n.t('shown as text')) } : {};
  }
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

/** Pretty-printed text of a tree, two spaces per level, numbers as they arrived. An explicit stack, no recursion. */
export function formatJson(root: JsonNode, indent = ''): string {
  let out = '';
  const frames: { node: Extract<JsonNode, { kind: 'object' | 'array' }>; next: number; indent: string }[] = [];
  const write = (node: JsonNode, at: string) => {
    switch (node.kind) {
      case 'object':
      case 'array': {
        const empty = node.kind === 'object' ? !node.entries.length : !node.items.length;
        const [open, close] = node.kind === 'object' ? ['{', '}'] : ['[', ']'];
        if (empty) out += open + close;
        else {
          out += `${open}\n`;
          frames.push({ node, next: 0, indent: at });
        }
        return;
      }
      case 'string':
        out += JSON.stringify(node.value);
        return;
      default:
        out += node.raw;
    }
  };
  write(root, indent);
  while (frames.length) {
    const frame = frames[frames.length - 1];
    const { node } = frame;
    const count = node.kind === 'object' ? node.entries.length : node.items.length;
    if (frame.next === count) {
      out += `\n${frame.indent}${node.kind === 'object' ? '}' : ']'}`;
      frames.pop();
      continue;
    }
    if (frame.next > 0) out += ',\n';
    const inner = `${frame.indent}  `;
    out += inner;
    let child: JsonNode;
    if (node.kind === 'object') {
      const [key, value] = node.entries[frame.next];
      out += `${JSON.stringify(key)}: `;
      child = value;
    } else child = node.items[frame.next];
    frame.next++;
    write(child, inner);
  }
  return out;
}

/**
 * One line of compact JSON (no spaces, as JSON.stringify writes it), numbers as they arrived, at
 * most about `maxChars` characters: the walk stops there and the text ends with "…", so a preview
 * of a decoded value costs what it shows, not what the value holds. An explicit stack, no recursion.
 */
export function compactJson(root: JsonNode, maxChars = Infinity): string {
  let out = '';
  const frames: { node: Extract<JsonNode, { kind: 'object' | 'array' }>; next: number }[] = [];
  const write = (node: JsonNode) => {
    switch (node.kind) {
      case 'object':
      case 'array':
        out += node.kind === 'object' ? '{' : '[';
        frames.push({ node, next: 0 });
        return;
      case 'string':
        out += JSON.stringify(node.value);
        return;
      default:
        out += node.raw;
    }
  };
  write(root);
  while (frames.length && out.length <= maxChars) {
    const frame = frames[frames.length - 1];
    const { node } = frame;
    const count = node.kind === 'object' ? node.entries.length : node.items.length;
    if (frame.next === count) {
      out += node.kind === 'object' ? '}' : ']';
      frames.pop();
      continue;
    }
    if (frame.next > 0) out += ',';
    let child: JsonNode;
    if (node.kind === 'object') {
      const [key, value] = node.entries[frame.next];
      out += `${JSON.stringify(key)}:`;
      child = value;
    } else child = node.items[frame.next];
    frame.next++;
    write(child);
  }
  return out.length > maxChars ? `${out.slice(0, Math.max(0, maxChars - 1))}…` : out;
}
