/**
 * What a block's body is: its format (given by `Format:`, by `hex:` / `base64:` lines, or seen in
 * the text), and where a JSON body goes wrong, also while it still holds `{{references}}`.
 */
import * as l10n from '@vscode/l10n';
import { JsonTooDeepError, MAX_JSON_DEPTH, parseJson, type JsonNode } from '../json';
import type { PayloadFormat } from '../publish';
import type { BodyLine, MqttBody, Position } from './types';
import { findReferences } from './variables';

/** A text body is read as JSON without a Format header when it starts with `{` or `[`. */
export function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

/**
 * The format a body is read in: the Format header when there is one, else hex or base64 for such
 * lines, else json for a text that starts with `{` or `[` (`inferred`: a failed JSON check is then
 * only a warning and the text is sent as it is), else text. A file's bytes are read as they are
 * unless Format says otherwise (`undefined`).
 */
export function bodyFormat(header: PayloadFormat | undefined, body: MqttBody | undefined): { format: PayloadFormat | undefined; inferred: boolean } {
  if (header) return { format: header, inferred: false };
  if (!body) return { format: 'text', inferred: false };
  if (body.kind === 'hex' || body.kind === 'base64') return { format: body.kind, inferred: false };
  if (body.kind === 'file') return { format: undefined, inferred: false };
  return looksLikeJson(body.text) ? { format: 'json', inferred: true } : { format: 'text', inferred: false };
}

/** The parser's messages end with "at position N": that part becomes a line and column. */
const POSITION_SUFFIX = / at position (\d+)$/;

/** `error` of parseJson without its position, as a sentence. */
function jsonProblem(error: unknown, length: number): { message: string; offset: number | undefined } {
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof JsonTooDeepError) return { message: `it nests deeper than ${MAX_JSON_DEPTH} levels`, offset: Number(POSITION_SUFFIX.exec(text)?.[1]) };
  const match = POSITION_SUFFIX.exec(text);
  const offset = match ? Number(match[1]) : undefined;
  if (offset !== undefined && offset >= length) return { message: 'it ends before the JSON is complete', offset: length };
  const what = (match ? text.slice(0, match.index) : text).replace(/^./, (first) => first.toLowerCase());
  return { message: what, offset };
}

/** A JSON problem at a position of the file. */
export interface JsonBodyProblem {
  message: string;
  position: Position;
}

/**
 * Checks the body lines as JSON with each `{{reference}}` standing for `1` (a value that fits in a
 * string, a number or a key), so a body that only becomes JSON once filled in still gets its
 * syntax checked; the problem's position is mapped back to the file.
 */
export function checkJsonLines(lines: readonly BodyLine[]): JsonBodyProblem | undefined {
  // Anchors: an offset in the checked text and the file position it came from.
  const anchors: { offset: number; line: number; character: number }[] = [];
  const parts: string[] = [];
  let offset = 0;
  for (const [index, bodyLine] of lines.entries()) {
    if (index > 0) {
      parts.push('\n');
      offset++;
    }
    anchors.push({ offset, line: bodyLine.line, character: bodyLine.character });
    let at = 0;
    for (const reference of findReferences(bodyLine.text, false)) {
      parts.push(bodyLine.text.slice(at, reference.start), '1');
      offset += reference.start - at;
      anchors.push({ offset, line: bodyLine.line, character: bodyLine.character + reference.start });
      offset++;
      anchors.push({ offset, line: bodyLine.line, character: bodyLine.character + reference.end });
      at = reference.end;
    }
    parts.push(bodyLine.text.slice(at));
    offset += bodyLine.text.length - at;
  }
  const checked = parts.join('');
  try {
    parseJson(checked);
    return undefined;
  } catch (error) {
    const { message, offset: at } = jsonProblem(error, checked.length);
    let position: Position = anchors.length ? { line: anchors[0].line, character: anchors[0].character } : { line: 0, character: 0 };
    if (at !== undefined && Number.isFinite(at)) {
      let low = 0;
      let high = anchors.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (anchors[middle].offset <= at) low = middle;
        else high = middle - 1;
      }
      const anchor = anchors[low];
      if (anchor) position = { line: anchor.line, character: anchor.character + (at - anchor.offset) };
    }
    return { message, position };
  }
}

/** Parses JSON text (after variables) into the tree that keeps numbers as written; why not, as words. */
export function readJson(text: string): { json: JsonNode } | { error: string } {
  try {
    return { json: parseJson(text) };
  } catch (error) {
    const { message, offset } = jsonProblem(error, text.length);
    if (offset === undefined || !Number.isFinite(offset)) return { error: message };
    let line = 1;
    let lineStart = 0;
    for (let index = text.indexOf('\n'); index >= 0 && index < offset; index = text.indexOf('\n', index + 1)) {
      line++;
      lineStart = index + 1;
    }
    return { error: l10n.t('{0} (line {1}, column {2})', message, line, offset - lineStart + 1) };
  }
}
