import * as l10n from '@vscode/l10n';
import { parseTree, type Node } from 'jsonc-parser';
import { MAX_DECODER_BINDINGS, readDecoderBindings, type DecoderBinding } from './decoderBindings';
import { isRecord } from './guards';

/**
 * The decoders' schema files and setting as the host handles them, without VS Code: the caps both
 * sides apply, where in a file a problem the engine reports is, and the setting's list with a
 * binding added. Pure code (the host reads the files and the setting; the engine parses them).
 */

/** Schema files a set may hold: a folder's files are untrusted input. */
export const MAX_SCHEMA_FILES = 200;
/** Bytes (UTF-8) of one schema file; a larger file is not loaded. */
export const MAX_SCHEMA_FILE_BYTES = 1024 * 1024;
/** Bytes (UTF-8) of all schema files of a set together; a larger set loads none. */
export const MAX_SCHEMA_TOTAL_BYTES = 8 * 1024 * 1024;

export const DECODERS_SETTING = 'mqttExplorer.decoders';

/** 0-based, as VS Code's positions. */
export interface TextPosition {
  line: number;
  character: number;
}

/** A problem and the part of a file it is about. */
export interface LocatedProblem {
  start: TextPosition;
  end: TextPosition;
  message: string;
}

/** The 0-based line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): TextPosition {
  const at = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index >= 0 && index < at; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, character: at - lineStart };
}

/** The text of a 0-based line, from its first non-blank character (whole line when blank). */
function lineSpan(text: string, line: number): { start: TextPosition; end: TextPosition } {
  let start = 0;
  for (let current = 0; current < line; current++) {
    const next = text.indexOf('\n', start);
    if (next < 0) break;
    start = next + 1;
  }
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  if (end > start && text.charCodeAt(end - 1) === 0x0d) end--;
  const lineText = text.slice(start, end);
  const indent = lineText.length - lineText.trimStart().length;
  const at = positionAt(text, start);
  return { start: { line: at.line, character: lineText.trim() ? indent : 0 }, end: { line: at.line, character: lineText.length } };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where an error the engine reports for a schema file (`setDecoders`' schemaErrors) is in that file.
 * Protobuf errors read "sensors.proto line 4: illegal token '}'" (formatProtoError): the line, and the
 * message without the file's name, which the file already shows. JSON errors of an .avsc name a
 * position or a line and column, depending on Node's version. With no place named: the first line.
 */
export function locateSchemaError(file: string, error: string, text = ''): LocatedProblem {
  let message = error;
  let line: number | undefined;
  const named = new RegExp(`^${escapeRegExp(file)}(?: line (\\d+))?: `).exec(error);
  if (named) {
    message = error.slice(named[0].length);
    if (named[1] !== undefined) line = Number(named[1]) - 1;
  }
  if (line === undefined) {
    const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
    const position = /at position (\d+)/.exec(message);
    if (lineColumn) {
      const at = { line: Number(lineColumn[1]) - 1, character: Math.max(0, Number(lineColumn[2]) - 1) };
      return { start: at, end: { line: at.line, character: at.character + 1 }, message };
    }
    if (position) {
      const at = positionAt(text, Number(position[1]));
      return { start: at, end: { line: at.line, character: at.character + 1 }, message };
    }
  }
  return { ...lineSpan(text, line ?? 0), message };
}

/** The property of `key` in an object node (the last one, as JSON parsers keep it). */
function propertyOf(node: Node | undefined, key: string): Node | undefined {
  if (node?.type !== 'object') return undefined;
  let found: Node | undefined;
  for (const property of node.children ?? []) if (property.children?.[0]?.value === key) found = property;
  return found;
}

/** The setting's property in a settings text: `"mqttExplorer.decoders": …` or `"mqttExplorer": { "decoders": … }`, the last that counts. */
function settingProperty(root: Node | undefined, setting: string): Node | undefined {
  if (root?.type !== 'object') return undefined;
  let found: Node | undefined;
  for (const property of root.children ?? []) {
    const key = property.children?.[0]?.value as unknown;
    if (typeof key !== 'string') continue;
    if (key === setting) found = property;
    else if (setting.startsWith(`${key}.`)) found = settingProperty(property.children?.[1], setting.slice(key.length + 1)) ?? found;
  }
  return found;
}

/**
 * Where an error of the decoders setting ("mqttExplorer.decoders[2].type: …", readDecoderBindings)
 * is in the settings file that holds the setting: the field's name, else the entry's first line, else
 * the setting's name. `workspaceFile`: a .code-workspace file, which keeps its settings under
 * "settings". Undefined when the text does not hold the setting.
 */
export function locateBindingError(settingsText: string, error: string, options: { workspaceFile?: boolean; setting?: string } = {}): LocatedProblem | undefined {
  const setting = options.setting ?? DECODERS_SETTING;
  const tree = parseTree(settingsText, [], { allowTrailingComma: true, disallowComments: false });
  const root = options.workspaceFile ? propertyOf(tree, 'settings')?.children?.[1] : tree;
  const property = settingProperty(root, setting);
  if (!property) return undefined;
  const span = (node: Node, firstLineOnly = false) => {
    const start = positionAt(settingsText, node.offset);
    let endOffset = node.offset + node.length;
    if (firstLineOnly) {
      const lineEnd = settingsText.indexOf('\n', node.offset);
      if (lineEnd >= 0 && lineEnd < endOffset) endOffset = lineEnd;
    }
    return { start, end: positionAt(settingsText, endOffset), message: error };
  };
  const keyNode = property.children?.[0] ?? property;
  const path = new RegExp(`^${escapeRegExp(setting)}\\[(\\d+)\\](?:\\.([^:]*))?: `).exec(error);
  if (!path) return span(keyNode);
  const list = property.children?.[1];
  const entry = list?.type === 'array' ? list.children?.[Number(path[1])] : undefined;
  if (!entry) return span(keyNode);
  const field = path[2] === undefined ? undefined : propertyOf(entry, path[2]);
  return field ? span(field.children?.[0] ?? field) : span(entry, true);
}

/**
 * Problems of bindings that the engine cannot see in the bindings alone: a schema file that is not
 * among the workspace's files, a Protobuf type that no loaded .proto defines. Named as
 * readDecoderBindings names its errors (index into the setting's list, field). Only entries that are
 * otherwise valid; `filesRead` false (Restricted Mode) says the folder's files were not read instead.
 */
export function bindingReferenceErrors(value: unknown, loaded: { files: ReadonlySet<string>; messageTypes: ReadonlySet<string>; filesRead: boolean }, setting = DECODERS_SETTING): string[] {
  if (!Array.isArray(value)) return [];
  const errors: string[] = [];
  const count = Math.min(value.length, MAX_DECODER_BINDINGS);
  for (let index = 0; index < count; index++) {
    const [binding] = readDecoderBindings([value[index]]).bindings;
    if (!binding) continue;
    const at = `${setting}[${index}]`;
    if (binding.schema !== undefined && !loaded.files.has(binding.schema)) {
      errors.push(
        loaded.filesRead
          ? `${at}.schema: ${l10n.t('no file {0} among the workspace\'s .proto and .avsc files', binding.schema)}`
          : `${at}.schema: ${l10n.t('{0} is not read: the folder\'s schema files are read only once it is trusted', binding.schema)}`,
      );
    } else if (binding.format === 'protobuf' && binding.type !== undefined && loaded.filesRead) {
      const type = binding.type.startsWith('.') ? binding.type.slice(1) : binding.type;
      if (!loaded.messageTypes.has(type)) errors.push(`${at}.type: ${l10n.t('no message type {0} among those the .proto files define', type)}`);
    }
  }
  return errors;
}

/**
 * The setting's list with `binding` first (the first binding that matches a topic wins), and without
 * any other entry for the same topic filter (it could never match first again). Throws when the
 * binding is not valid, when the current value is not a list, or when the list would hold more than
 * `max` bindings.
 */
export function withBindingFirst(current: unknown, binding: DecoderBinding, max = MAX_DECODER_BINDINGS, setting = DECODERS_SETTING): unknown[] {
  const checked = readDecoderBindings([binding], 'the binding');
  if (checked.errors.length) throw new Error(checked.errors.join('; '));
  if (current !== undefined && current !== null && !Array.isArray(current)) throw new Error(l10n.t('{0} is not a list of bindings: correct it in the settings first', setting));
  const rest = ((current ?? []) as unknown[]).filter((entry) => !(isRecord(entry) && entry.topic === binding.topic));
  if (rest.length + 1 > max) throw new Error(l10n.t('{0} already has {1} bindings, the most that are used is {2}: remove one before adding another', setting, rest.length, max));
  const added: DecoderBinding = { topic: binding.topic, format: binding.format };
  if (binding.type !== undefined) added.type = binding.type;
  if (binding.schema !== undefined) added.schema = binding.schema;
  return [added, ...rest];
}
