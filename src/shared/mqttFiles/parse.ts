/**
 * The `.mqtt` parser (docs/mqtt-files.md): text in, a typed document out, with every problem as a
 * diagnostic for people. It never throws, reads each line once with anchored, linear patterns,
 * and caps what a file can make it do (size, lines, blocks, body size, diagnostics).
 */
import * as l10n from '@vscode/l10n';
import { validateSubscriptionFilter } from '../profile';
import { encodePayload } from '../publish';
import { validatePublishTopic } from '../topicRules';
import { bodyFormat, checkJsonLines } from './body';
import { closestHeader, headerAllowed, type HeaderValues, headerName, headerRepeatable, headersFor, notForKind, readHeader, relativePathProblem } from './headers';
import {
  BLOCK_KEYWORDS,
  BLOCK_KINDS,
  MAX_BLOCKS,
  MAX_BODY_CHARS,
  MAX_DIAGNOSTICS,
  MAX_FILE_CHARS,
  MAX_LINES,
  type BlockKind,
  type BodyLine,
  type DiagnosticCode,
  type HeaderLine,
  type HeaderName,
  type MqttBlock,
  type MqttBody,
  type MqttFileDiagnostic,
  type MqttFileDocument,
  type Range,
  type Severity,
  type TextSpan,
  type VariableDefinition,
} from './types';
import { findReferences, variableNameProblem } from './variables';

const KIND_WORD = /^([A-Za-z]+)(?:[ \t]+|$)/;
const HEADER = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:/;
const CONNECTION = /^(?:#|\/\/)[ \t]*@connection(?=[ \t]|$)/i;
const BODY_PREFIX = /^(hex|base64):/i;
const FILE_REFERENCE = /^<[ \t]+\S/;
const KIND_LIST = 'PUBLISH, REQUEST, SUBSCRIBE or EXPECT';

function range(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** The line's text from its first to its last non-blank character (the whole line when blank). */
function lineRange(line: number, text: string): Range {
  const start = text.length - text.trimStart().length;
  const end = text.trimEnd().length;
  return end > start ? range(line, start, end) : range(line, 0, text.length);
}

function isComment(trimmed: string): boolean {
  return (trimmed.startsWith('#') && !trimmed.startsWith('###')) || trimmed.startsWith('//');
}

function kindOf(word: string): BlockKind | undefined {
  const lower = word.toLowerCase();
  return BLOCK_KINDS.find((kind) => kind === lower);
}

/** A split of `text` into lines the way VS Code counts them (`\r\n`, `\r` or `\n`). */
function countLines(text: string): number {
  let count = 1;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x0a) count++;
    else if (code === 0x0d) {
      count++;
      if (text.charCodeAt(index + 1) === 0x0a) index++;
    }
  }
  return count;
}

interface Builder {
  separatorLine?: number;
  name?: string;
  startLine: number;
  lastLine: number;
  section: 'preamble' | 'headers' | 'body' | 'skip';
  kind?: BlockKind;
  keywordRange?: Range;
  requestRange?: Range;
  topic?: TextSpan;
  variables: VariableDefinition[];
  headers: HeaderLine[];
  seen: Map<HeaderName, number>;
  bodyLines: { text: string; line: number }[];
  hasErrors: boolean;
  /** Its diagnostics, given the block's index once it is kept. */
  diagnostics: MqttFileDiagnostic[];
}

class Parser {
  private readonly diagnostics: MqttFileDiagnostic[] = [];
  private dropped = 0;
  private readonly fileVariables: VariableDefinition[] = [];
  private connection?: TextSpan;
  private readonly blocks: MqttBlock[] = [];
  private block: Builder | undefined;
  private started = 0;

  constructor(private readonly lines: readonly string[]) {}

  private push(diagnostic: MqttFileDiagnostic): void {
    if (this.diagnostics.length < MAX_DIAGNOSTICS) this.diagnostics.push(diagnostic);
    else this.dropped++;
  }

  /** A problem of the current block, or of the file header when there is none. */
  private report(severity: Severity, code: DiagnosticCode, message: string, where: Range): void {
    const diagnostic: MqttFileDiagnostic = { severity, code, message, range: where };
    if (this.block) {
      if (severity === 'error') this.block.hasErrors = true;
      // Held until the block is kept; a block alone cannot hold more than the file may show.
      if (this.block.diagnostics.length < MAX_DIAGNOSTICS) this.block.diagnostics.push(diagnostic);
      else this.dropped++;
    } else this.push(diagnostic);
  }

  /** Bad `{{…}}` in a one-line text that starts at `line`:`character`. */
  private checkReferences(value: string, line: number, character: number): void {
    if (!value.includes('{{')) return;
    // Worded only while there is room to show it (past the cap a problem is only counted): a
    // hostile line holds hundreds of thousands of them, and l10n.t costs ten times a template literal.
    for (const reference of findReferences(value, false)) {
      if (reference.kind !== 'invalid') continue;
      const room = (this.block ? this.block.diagnostics.length : this.diagnostics.length) < MAX_DIAGNOSTICS;
      const worded = room ? findReferences(value.slice(reference.start, reference.end))[0] : undefined;
      const message = worded?.kind === 'invalid' ? worded.problem : '';
      this.report('error', 'bad-reference', message, range(line, character + reference.start, character + reference.end));
    }
  }

  run(): MqttFileDocument {
    for (let index = 0; index < this.lines.length; index++) {
      const line = this.lines[index];
      const trimmed = line.trim();
      if (trimmed.startsWith('###')) {
        this.finishBlock();
        if (this.started >= MAX_BLOCKS) {
          this.push({
            severity: 'error',
            code: 'too-many-blocks',
            message: l10n.t('This file has more than {0} blocks: this one and the rest are not read. Split it into several files.', MAX_BLOCKS.toLocaleString('en-US')),
            range: lineRange(index, line),
          });
          break;
        }
        this.startBlock(index, index);
        const nameText = trimmed.replace(/^#+/, '').trim();
        if (nameText) this.block!.name = nameText;
        continue;
      }
      if (!this.block) this.fileHeaderLine(index, line, trimmed);
      else this.blockLine(this.block, index, line, trimmed);
    }
    this.finishBlock();
    this.checkNames();
    if (this.dropped) {
      const last = this.diagnostics[this.diagnostics.length - 1];
      this.diagnostics.push({ severity: 'warning', code: 'too-many-problems', message: l10n.t('{0} more problems are not listed: fix the ones shown first.', this.dropped.toLocaleString('en-US')), range: last.range });
    }
    const document: MqttFileDocument = { variables: this.fileVariables, blocks: this.blocks, diagnostics: this.diagnostics, lineCount: this.lines.length };
    if (this.connection) document.connection = this.connection;
    return document;
  }

  private startBlock(startLine: number, separatorLine: number | undefined): void {
    this.started++;
    this.block = { startLine, lastLine: startLine, section: 'preamble', variables: [], headers: [], seen: new Map(), bodyLines: [], hasErrors: false, diagnostics: [] };
    if (separatorLine !== undefined) this.block.separatorLine = separatorLine;
  }

  private fileHeaderLine(index: number, line: string, trimmed: string): void {
    if (trimmed === '') return;
    if (CONNECTION.test(trimmed)) return this.connectionLine(index, line, trimmed);
    if (isComment(trimmed)) return;
    if (trimmed.startsWith('@')) {
      const definition = this.variableLine(index, line);
      if (definition) this.define(this.fileVariables, definition);
      return;
    }
    const word = KIND_WORD.exec(trimmed);
    if (word && kindOf(word[1])) {
      // A first block may go without ###, as in .http files.
      this.startBlock(index, undefined);
      this.blockLine(this.block!, index, line, trimmed);
      return;
    }
    this.report(
      'error',
      'not-understood',
      l10n.t('This line is not understood. Above the first block a file holds @name = value variables, # @connection <name>, and comments (# or //); a message starts with ### and a line such as PUBLISH <topic>.'),
      lineRange(index, line),
    );
  }

  private connectionLine(index: number, line: string, trimmed: string): void {
    const at = line.indexOf(trimmed);
    if (this.block) {
      this.report('warning', 'misplaced-connection', l10n.t('# @connection names the connection of the whole file: move it above the first block. Here it is ignored.'), lineRange(index, line));
      return;
    }
    const keyword = CONNECTION.exec(trimmed)![0];
    const valueRaw = trimmed.slice(keyword.length);
    const value = valueRaw.trim();
    const start = at + keyword.length + (valueRaw.length - valueRaw.trimStart().length);
    if (!value) {
      this.report('error', 'bad-header-value', l10n.t('Name the connection: # @connection <its name or id>, as in the Connections view.'), lineRange(index, line));
      return;
    }
    if (this.connection) {
      this.report('error', 'duplicate-connection', l10n.t('The connection is already named on line {0}: a file uses one connection. Keep one of the lines.', this.connection.range.start.line + 1), lineRange(index, line));
      return;
    }
    this.connection = { text: value, range: range(index, start, start + value.length) };
  }

  /** `@name = value`, or undefined (with a diagnostic) when it is not one. */
  private variableLine(index: number, line: string): VariableDefinition | undefined {
    const at = line.indexOf('@');
    const equals = line.indexOf('=', at);
    if (equals < 0) {
      this.report('error', 'bad-variable', l10n.t('Write a variable as @name = value.'), lineRange(index, line));
      return undefined;
    }
    const nameRaw = line.slice(at + 1, equals);
    const name = nameRaw.trim();
    const nameStart = at + 1 + (nameRaw.length - nameRaw.trimStart().length);
    const problem = name === '' ? l10n.t('Write a variable as @name = value: the name is missing.') : variableNameProblem(name);
    if (problem) {
      this.report('error', 'bad-variable', problem, name === '' ? range(index, at, at + 1) : range(index, at, nameStart + name.length));
      return undefined;
    }
    const valueRaw = line.slice(equals + 1);
    const value = valueRaw.trim();
    const valueStart = equals + 1 + (valueRaw.length - valueRaw.trimStart().length);
    this.checkReferences(value, index, valueStart);
    return { name, value, range: lineRange(index, line), nameRange: range(index, nameStart, nameStart + name.length), valueRange: range(index, valueStart, valueStart + value.length) };
  }

  private define(scope: VariableDefinition[], definition: VariableDefinition): void {
    const earlier = scope.find((candidate) => candidate.name === definition.name);
    if (earlier) {
      this.report('warning', 'duplicate-variable', `@${definition.name} is already defined on line ${earlier.range.start.line + 1}: this value replaces it. Keep one of the two.`, definition.nameRange);
    }
    scope.push(definition);
  }

  private blockLine(block: Builder, index: number, line: string, trimmed: string): void {
    if (trimmed !== '' && block.section !== 'body') block.lastLine = index;
    switch (block.section) {
      case 'skip':
        return;
      case 'body':
        block.bodyLines.push({ text: line, line: index });
        return;
      case 'preamble':
        return this.preambleLine(block, index, line, trimmed);
      case 'headers':
        return this.headerLine(block, index, line, trimmed);
    }
  }

  private preambleLine(block: Builder, index: number, line: string, trimmed: string): void {
    if (trimmed === '') return;
    if (CONNECTION.test(trimmed)) return this.connectionLine(index, line, trimmed);
    if (isComment(trimmed)) return;
    if (trimmed.startsWith('@')) {
      const definition = this.variableLine(index, line);
      if (definition) this.define(block.variables, definition);
      return;
    }
    const word = KIND_WORD.exec(trimmed);
    const kind = word ? kindOf(word[1]) : undefined;
    if (!word || !kind) {
      block.section = 'skip';
      const unknown = word && word[0].length < trimmed.length && !HEADER.test(trimmed);
      this.report(
        'error',
        unknown ? 'unknown-kind' : 'missing-kind',
        unknown
          ? `"${word![1]}" is not a kind of block: start the block with ${KIND_LIST} and the topic, e.g. PUBLISH devices/lamp/set.`
          : `A block starts with ${KIND_LIST} and the topic, e.g. PUBLISH devices/lamp/set; this block is not read until it does.`,
        lineRange(index, line),
      );
      return;
    }
    const indent = line.length - line.trimStart().length;
    const keywordEnd = indent + word[1].length;
    const topicStart = indent + word[0].length;
    const topic = trimmed.slice(word[0].length);
    block.kind = kind;
    block.keywordRange = range(index, indent, keywordEnd);
    block.requestRange = range(index, indent, indent + trimmed.length);
    block.topic = { text: topic, range: topic ? range(index, topicStart, topicStart + topic.length) : range(index, keywordEnd, keywordEnd) };
    block.section = 'headers';
    if (!topic) {
      const publishing = kind === 'publish' || kind === 'request';
      const message = publishing
        ? l10n.t('{0} needs a topic: {0} {1}.', BLOCK_KEYWORDS[kind], 'devices/lamp/set')
        : l10n.t('{0} needs a topic filter: {0} {1}.', BLOCK_KEYWORDS[kind], 'devices/+/status');
      this.report('error', 'missing-topic', message, block.requestRange);
      return;
    }
    this.checkReferences(topic, index, topicStart);
    this.checkTopic(kind, topic, block.topic.range);
  }

  private checkTopic(kind: BlockKind, topic: string, where: Range): void {
    // Each {{reference}} stands for a plain level: what the file wrote itself is checked now, the
    // filled-in topic again when the block runs.
    let literal = topic;
    if (topic.includes('{{')) {
      let at = 0;
      const parts: string[] = [];
      for (const reference of findReferences(topic, false)) {
        parts.push(topic.slice(at, reference.start), 'x');
        at = reference.end;
      }
      parts.push(topic.slice(at));
      literal = parts.join('');
    }
    const problem = kind === 'publish' || kind === 'request' ? validatePublishTopic(literal) : validateSubscriptionFilter(literal);
    if (!problem) return;
    const hint = (kind === 'publish' || kind === 'request') && /[+#]/.test(literal);
    this.report('error', 'bad-topic', hint ? l10n.t('{0} To listen on a filter, use SUBSCRIBE or EXPECT.', problem) : problem, where);
  }

  private headerLine(block: Builder, index: number, line: string, trimmed: string): void {
    const kind = block.kind!;
    if (trimmed === '') {
      block.section = 'body';
      return;
    }
    if (CONNECTION.test(trimmed)) return this.connectionLine(index, line, trimmed);
    if (isComment(trimmed)) return;
    if (trimmed.startsWith('@')) {
      this.report('error', 'misplaced-variable', l10n.t('Variables go above the request line (for this block) or at the top of the file (for all blocks): move this line above {0}.', BLOCK_KEYWORDS[kind]), lineRange(index, line));
      return;
    }
    const word = KIND_WORD.exec(trimmed);
    if (word && word[0].length < trimmed.length && kindOf(word[1]) && !HEADER.test(trimmed)) {
      this.report('error', 'extra-request-line', l10n.t('One message per block: start a new block with a ### line above this one.'), lineRange(index, line));
      block.section = 'skip';
      return;
    }
    const first = trimmed[0];
    if (BODY_PREFIX.test(trimmed) || first === '{' || first === '[' || first === '<' || first === '"') {
      this.report('error', 'missing-blank-line', l10n.t('The body starts after a blank line: add an empty line above this one.'), lineRange(index, line));
      block.section = 'body';
      block.bodyLines.push({ text: line, line: index });
      return;
    }
    const header = HEADER.exec(trimmed);
    if (!header) {
      this.report('error', 'not-understood', l10n.t('Not a header: write Name: value (e.g. QoS: 1). The body starts after a blank line.'), lineRange(index, line));
      return;
    }
    const indent = line.length - line.trimStart().length;
    const typed = header[1];
    const nameRange = range(index, indent, indent + typed.length);
    const name = headerName(typed);
    if (!name) {
      const guess = closestHeader(typed, kind);
      this.report(
        'error',
        'unknown-header',
        guess
          ? l10n.t('Unknown header "{0}". Did you mean {1}? {2} takes: {3}.', typed, guess, BLOCK_KEYWORDS[kind], headersFor(kind).join(', '))
          : l10n.t('Unknown header "{0}". {1} takes: {2}.', typed, BLOCK_KEYWORDS[kind], headersFor(kind).join(', ')),
        nameRange,
      );
      return;
    }
    if (!headerAllowed(name, kind)) {
      this.report('error', 'header-not-for-kind', notForKind(name, kind), nameRange);
      return;
    }
    const valueRaw = trimmed.slice(header[0].length);
    const value = valueRaw.trim();
    const valueStart = indent + header[0].length + (valueRaw.length - valueRaw.trimStart().length);
    const valueRange = value ? range(index, valueStart, valueStart + value.length) : range(index, indent + header[0].length, indent + header[0].length);
    const earlier = block.seen.get(name);
    if (earlier !== undefined && !headerRepeatable(name)) {
      this.report('error', 'duplicate-header', l10n.t('{0} is already given on line {1}: keep one of the two.', name, earlier + 1), nameRange);
      return;
    }
    block.seen.set(name, index);
    if (value.includes('{{')) this.checkReferences(value, index, valueStart);
    else {
      const result = readHeader(name, value);
      if ('error' in result) this.report('error', 'bad-header-value', result.error, value ? valueRange : nameRange);
    }
    block.headers.push({ name, value, range: lineRange(index, line), nameRange, valueRange });
  }

  private finishBlock(): void {
    const block = this.block;
    this.block = undefined;
    if (!block) return;
    if (!block.kind) {
      // Not kept: its diagnostics stay, without a block index.
      if (block.section !== 'skip' && block.name !== undefined && block.separatorLine !== undefined) {
        block.diagnostics.push({
          severity: 'warning',
          code: 'missing-kind',
          message: `"${block.name}" has no message yet: add a line such as PUBLISH <topic> below it.`,
          range: lineRange(block.separatorLine, this.lines[block.separatorLine]),
        });
      }
      for (const diagnostic of block.diagnostics) this.push(diagnostic);
      return;
    }
    // The block exists from here on, so later reports about it count for its hasErrors.
    this.block = block;
    const body = this.body(block);
    if (body) block.lastLine = Math.max(block.lastLine, body.range.end.line);
    this.checkBlock(block, body);
    this.block = undefined;
    const index = this.blocks.length;
    const lastText = this.lines[block.lastLine];
    const mqttBlock: MqttBlock = {
      index,
      range: { start: { line: block.startLine, character: 0 }, end: { line: block.lastLine, character: lastText.trimEnd().length } },
      kind: block.kind,
      requestRange: block.requestRange!,
      keywordRange: block.keywordRange!,
      topic: block.topic!,
      variables: block.variables,
      headers: block.headers,
      hasErrors: block.hasErrors,
    };
    if (block.name !== undefined) mqttBlock.name = block.name;
    if (block.separatorLine !== undefined) mqttBlock.separatorLine = block.separatorLine;
    if (body) mqttBlock.body = body;
    this.blocks.push(mqttBlock);
    for (const diagnostic of block.diagnostics) this.push({ ...diagnostic, block: index });
  }

  private body(block: Builder): MqttBody | undefined {
    const lines = block.bodyLines;
    let first = 0;
    let last = lines.length - 1;
    while (first <= last && lines[first].text.trim() === '') first++;
    while (last >= first && lines[last].text.trim() === '') last--;
    if (first > last) return undefined;
    const kept = lines.slice(first, last + 1);
    let size = 0;
    for (const line of kept) size += line.text.length + 1;
    if (size > MAX_BODY_CHARS) {
      this.report('error', 'body-too-large', l10n.t('This body is larger than {0} MiB: put it in a file and write < ./that-file instead.', MAX_BODY_CHARS / 1024 / 1024), lineRange(kept[0].line, kept[0].text));
    }
    const head = kept[0].text.trimStart();
    const prefix = BODY_PREFIX.exec(head);
    let kind: MqttBody['kind'] = 'text';
    let bodyLines: BodyLine[];
    if (prefix) {
      kind = prefix[1].toLowerCase() as 'hex' | 'base64';
      bodyLines = [];
      for (const line of kept) {
        const start = line.text.length - line.text.trimStart().length;
        const rest = line.text.slice(start);
        if (rest.trim() === '') continue;
        if (!rest.toLowerCase().startsWith(`${kind}:`)) {
          this.report('error', 'bad-body-line', l10n.t('Every line of a {0} body starts with {0}: (this one does not). For text, use a body without prefixes.', kind), lineRange(line.line, line.text));
          continue;
        }
        const dataRaw = rest.slice(kind.length + 1);
        const data = dataRaw.trim();
        bodyLines.push({ text: data, line: line.line, character: start + kind.length + 1 + (dataRaw.length - dataRaw.trimStart().length) });
      }
    } else if (FILE_REFERENCE.test(head)) {
      kind = 'file';
      const start = kept[0].text.length - head.length;
      const pathRaw = head.slice(1);
      const path = pathRaw.trim();
      const pathStart = start + 1 + (pathRaw.length - pathRaw.trimStart().length);
      bodyLines = [{ text: path, line: kept[0].line, character: pathStart }];
      if (kept.length > 1) {
        this.report('error', 'bad-body-line', 'A body that names a file (< path) holds nothing else: remove this line, or the < line.', lineRange(kept[1].line, kept[1].text));
      }
    } else bodyLines = kept.map((line) => ({ text: line.text, line: line.line, character: 0 }));
    for (const line of bodyLines) this.checkReferences(line.text, line.line, line.character);
    const lastKept = kept[kept.length - 1];
    const firstIndent = kept[0].text.length - head.length;
    return {
      kind,
      text: bodyLines.map((line) => line.text).join('\n'),
      lines: bodyLines,
      range: { start: { line: kept[0].line, character: firstIndent }, end: { line: lastKept.line, character: lastKept.text.trimEnd().length } },
    };
  }

  private header(block: Builder, name: HeaderName): HeaderLine | undefined {
    return block.headers.find((header) => header.name === name);
  }

  /** A literal header's typed value, or undefined (absent, a variable, or wrong: already reported). */
  private literal<N extends HeaderName>(block: Builder, name: N): HeaderValues[N] | undefined {
    const header = this.header(block, name);
    if (!header || header.value.includes('{{')) return undefined;
    const result = readHeader(name, header.value);
    return 'value' in result ? result.value : undefined;
  }

  private checkBlock(block: Builder, body: MqttBody | undefined): void {
    const kind = block.kind!;
    const formatHeader = this.header(block, 'Format');
    const declared = this.literal(block, 'Format');
    if (body && (body.kind === 'hex' || body.kind === 'base64') && declared && declared !== body.kind) {
      this.report('error', 'format-conflict', l10n.t('The body is {0} (its lines start with {0}:), so Format cannot be {1}: remove the Format line or the {0}: prefixes.', body.kind, declared), formatHeader!.valueRange);
      return;
    }
    if (body?.kind === 'file') {
      const path = body.lines[0].text;
      const problem = path.includes('{{') ? (/^[/\\~]/.test(path) ? relativePathProblem(path) : undefined) : relativePathProblem(path);
      if (problem) this.report('error', 'bad-path', problem, range(body.lines[0].line, body.lines[0].character, body.lines[0].character + path.length));
    }
    if (!body && (declared === 'json' || declared === 'decoder')) {
      this.report('error', 'invalid-json', l10n.t('Format is {0}, but the block has no body: add the JSON after a blank line, or remove the Format line.', declared), formatHeader!.valueRange);
    } else if (formatHeader && formatHeader.value.includes('{{')) {
      // Known when the block runs; the body is checked then.
    } else if (body && body.kind !== 'file') {
      const { format, inferred } = bodyFormat(declared, body);
      if (format === 'json' || format === 'decoder') {
        const problem = checkJsonLines(body.lines);
        if (problem) {
          // One character wide, or an empty range at the end of the line (JSON that ends too early).
          const lineLength = this.lines[problem.position.line]?.length ?? 0;
          const character = Math.min(problem.position.character, lineLength);
          const where = range(problem.position.line, character, Math.min(character + 1, lineLength));
          if (inferred) {
            this.report('warning', 'json-like-text', l10n.t('This body starts like JSON but is not valid JSON ({0}), so it is sent as text. Fix the JSON, or add Format: text to say that it is text.', problem.message), where);
          } else this.report('error', 'invalid-json', l10n.t('The body is not valid JSON: {0}. Fix it, or change Format.', problem.message), where);
        }
      } else if ((format === 'hex' || format === 'base64') && !body.text.includes('{{')) {
        const encoded = encodePayload(body.text, format);
        if ('error' in encoded) this.report('error', 'invalid-payload', encoded.error, body.range);
      }
    }
    if (kind === 'request') {
      const correlation = this.header(block, 'Correlation-Data');
      if (correlation && correlation.value !== '' && !correlation.value.includes('{{')) {
        this.report('warning', 'fixed-correlation', l10n.t('A fixed Correlation-Data also matches a late reply to an earlier run: {{$uuid}} gives each run its own (or leave the header out: a REQUEST then makes one).'), correlation.valueRange);
      }
    }
    if (kind === 'expect') {
      const within = this.literal(block, 'Within');
      const timeout = this.literal(block, 'Timeout');
      if (within !== undefined && timeout !== undefined && timeout < within) {
        this.report('warning', 'timeout-before-within', l10n.t('Timeout ({0} ms) ends the wait before Within ({1} ms) has passed: make Timeout at least {1}, or leave it out.', timeout, within), this.header(block, 'Timeout')!.valueRange);
      }
    }
  }

  private checkNames(): void {
    const first = new Map<string, MqttBlock>();
    for (const block of this.blocks) {
      if (block.name === undefined) continue;
      const earlier = first.get(block.name);
      if (!earlier) {
        first.set(block.name, block);
        continue;
      }
      this.push({
        severity: 'warning',
        code: 'duplicate-block-name',
        message: l10n.t('Another block is named "{0}" (line {1}): results, tests and the command line tell blocks apart by name. Rename one.', block.name, earlier.range.start.line + 1),
        range: lineRange(block.separatorLine!, this.lines[block.separatorLine!]),
        block: block.index,
      });
    }
  }
}

function fileProblem(code: DiagnosticCode, message: string): MqttFileDocument {
  return { variables: [], blocks: [], lineCount: 0, diagnostics: [{ severity: 'error', code, message, range: range(0, 0, 0) }] };
}

/** Parses a `.mqtt` file. Never throws: whatever the text, the answer is a document with diagnostics. */
export function parseMqttFile(text: string): MqttFileDocument {
  try {
    if (typeof text !== 'string') return fileProblem('internal-error', l10n.t('There is no text to read.'));
    if (text.length > MAX_FILE_CHARS) {
      return fileProblem('file-too-large', l10n.t('This file is {0} MiB; a .mqtt file is read up to {1} MiB. Move large payloads into files of their own (< ./payload.bin).', (text.length / 1024 / 1024).toFixed(1), MAX_FILE_CHARS / 1024 / 1024));
    }
    const lineCount = countLines(text);
    if (lineCount > MAX_LINES) {
      return fileProblem('too-many-lines', l10n.t('This file has {0} lines; a .mqtt file is read up to {1}. Split it into several files.', lineCount.toLocaleString('en-US'), MAX_LINES.toLocaleString('en-US')));
    }
    return new Parser(text.split(/\r\n|\r|\n/)).run();
  } catch (error) {
    // A bug, not the file's fault: say so rather than take the editor down with it.
    return fileProblem('internal-error', l10n.t('This file could not be read because of a bug in the extension ({0}). Please report it.', error instanceof Error ? error.message : String(error)));
  }
}

/** The block whose range (its ### line to its last non-blank line) holds 0-based `line`, or undefined. */
export function blockAt(document: MqttFileDocument, line: number): MqttBlock | undefined {
  let low = 0;
  let high = document.blocks.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const block = document.blocks[middle];
    if (line < block.range.start.line) high = middle - 1;
    else if (line > block.range.end.line) low = middle + 1;
    else return block;
  }
  return undefined;
}

/** What a block is called in results and lists: its name, else its request line. */
export function blockLabel(block: MqttBlock): string {
  return block.name ?? `${BLOCK_KEYWORDS[block.kind]} ${block.topic.text}`.trimEnd();
}
