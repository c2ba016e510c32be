/**
 * What the editor offers and says in `.mqtt` files, without VS Code: where the cursor is (what to
 * complete), the completion lists, hover texts and the result line after a block. The VS Code side
 * (language.ts) turns these into items, hovers and decorations; unit tests check them here.
 */
// Plain Node (unit tests run it without VS Code): translated through @vscode/l10n, which activate configures.
// The texts are built when asked, not at load, so they come after that configuration.
import * as l10n from '@vscode/l10n';
import type { NodeSnapshot } from '../../shared/engineProtocol';
import { formatBytes } from '../../shared/format';
import { BLOCK_KEYWORDS, BLOCK_KINDS, findReferences, headerName, headersFor, VariableResolver, type BlockKind, type HeaderName, type MqttBlock, type MqttFileDocument, type Reference, type VariableOrigin, type VariableSources } from '../../shared/mqttFiles';
import type { PublishResult } from '../../shared/publish';

/** How far up completion looks for the line that says where the cursor is (a request line, a `###`). */
const MAX_LINES_UP = 2000;

const SEPARATOR = /^\s*###/;
const REQUEST = /^\s*(publish|request|subscribe|expect)(?:\s+(.*))?$/i;
const COMMENT = /^\s*(?:#|\/\/)/;

/** What the text before the cursor asks for; `start` is the column where the replaced text begins. */
export type CompletionContext =
  | { kind: 'variable'; start: number }
  | { kind: 'keyword'; start: number }
  | { kind: 'topic'; blockKind: BlockKind; start: number }
  | { kind: 'header-name'; blockKind: BlockKind; start: number; present: HeaderName[] }
  | { kind: 'header-value'; header: HeaderName; blockKind: BlockKind; start: number }
  | { kind: 'connection'; start: number };

type Zone = { kind: 'above-request' } | { kind: 'headers'; blockKind: BlockKind; requestLine: number } | { kind: 'body' };

function kindOf(word: string): BlockKind | undefined {
  const lower = word.toLowerCase();
  return BLOCK_KINDS.find((kind) => kind === lower);
}

/** Where line `line` is: above a block's request line (or in the file header), among its headers, or in its body. */
function zoneOf(lineAt: (line: number) => string, line: number): Zone {
  let blank = false;
  for (let index = line - 1; index >= 0 && index >= line - MAX_LINES_UP; index--) {
    const text = lineAt(index);
    if (SEPARATOR.test(text)) return { kind: 'above-request' };
    const request = REQUEST.exec(text);
    if (request) {
      const blockKind = kindOf(request[1])!;
      return blank ? { kind: 'body' } : { kind: 'headers', blockKind, requestLine: index };
    }
    if (text.trim() === '') blank = true;
  }
  return { kind: 'above-request' };
}

/**
 * What to complete at `line`:`character`. `lineAt` gives a line of the document (only lines at and
 * above `line` are read, and the headers below it up to a blank line).
 */
export function completionContext(lineAt: (line: number) => string, lineCount: number, line: number, character: number): CompletionContext | undefined {
  const text = lineAt(line);
  const before = text.slice(0, character);
  // An unclosed {{ before the cursor, on this line: a variable, wherever it is.
  const open = before.lastIndexOf('{{');
  if (open >= 0 && before.indexOf('}}', open) < 0 && /^\s*\$?[\w.-]*$/.test(before.slice(open + 2))) return { kind: 'variable', start: open + 2 };
  const connection = /^(\s*(?:#|\/\/)\s*@connection\s+)(.*)$/i.exec(before);
  if (connection) return { kind: 'connection', start: connection[1].length };
  if (SEPARATOR.test(before) || COMMENT.test(before)) return undefined;
  const zone = zoneOf(lineAt, line);
  if (zone.kind === 'body') return undefined;
  const request = /^(\s*(\S+)\s+)(.*)$/.exec(before);
  if (request && zone.kind === 'above-request') {
    const blockKind = kindOf(request[2]);
    return blockKind ? { kind: 'topic', blockKind, start: request[1].length } : undefined;
  }
  const word = /^(\s*)([A-Za-z-]*)$/.exec(before);
  if (word) {
    if (zone.kind === 'above-request') return { kind: 'keyword', start: word[1].length };
    const present: HeaderName[] = [];
    const collect = (index: number) => {
      const name = /^\s*([A-Za-z][\w-]*)\s*:/.exec(lineAt(index));
      const known = name ? headerName(name[1]) : undefined;
      if (known) present.push(known);
    };
    for (let index = zone.requestLine + 1; index < line; index++) collect(index);
    for (let index = line + 1; index < lineCount && index < line + 100 && lineAt(index).trim() !== '' && !SEPARATOR.test(lineAt(index)); index++) collect(index);
    return { kind: 'header-name', blockKind: zone.blockKind, start: word[1].length, present };
  }
  const value = /^(\s*([A-Za-z][\w-]*)\s*:\s*)(.*)$/.exec(before);
  if (value && zone.kind === 'headers') {
    const header = headerName(value[2]);
    if (header) return { kind: 'header-value', header, blockKind: zone.blockKind, start: value[1].length };
  }
  return undefined;
}

/** A completion as language.ts makes it into a CompletionItem. */
export interface Suggestion {
  label: string;
  /** What goes in; `label` when absent. */
  insert?: string;
  detail?: string;
  documentation?: string;
  /** Orders the list (VS Code sorts by it). */
  sort?: string;
  /** An item of the 'keyword' completion inserts a snippet (`PUBLISH ${1:topic}`). */
  snippet?: boolean;
}

const kindHelp = (): Record<BlockKind, string> => ({
  publish: l10n.t('Publishes the body to the topic.'),
  request: l10n.t('MQTT 5 request/response: publishes with a Response-Topic and Correlation-Data, and waits for the correlated reply.'),
  subscribe: l10n.t('Subscribes to the filter and shows what arrives (Count messages, or until Timeout).'),
  expect: l10n.t('A check: passes when a message that meets the conditions arrives in time (Within, Timeout).'),
});

export function keywordSuggestions(): Suggestion[] {
  const help = kindHelp();
  return BLOCK_KINDS.map((kind, index) => ({
    label: BLOCK_KEYWORDS[kind],
    insert: `${BLOCK_KEYWORDS[kind]} \${1:${kind === 'publish' || kind === 'request' ? 'topic' : 'topic/filter/#'}}`,
    snippet: true,
    detail: kind === 'publish' || kind === 'request' ? `${BLOCK_KEYWORDS[kind]} <topic>` : `${BLOCK_KEYWORDS[kind]} <filter>`,
    documentation: help[kind],
    sort: String(index),
  }));
}

const headerHelp = (): Record<HeaderName, string> => ({
  QoS: l10n.t('0, 1 or 2 (default 0).'),
  Retain: l10n.t('true: the broker keeps the message for new subscribers (default false).'),
  'Content-Type': l10n.t('MQTT 5 content type, e.g. application/json.'),
  'Response-Topic': l10n.t('MQTT 5 response topic (a REQUEST makes one when absent).'),
  'Correlation-Data': l10n.t('MQTT 5 correlation data, as UTF-8 text (a REQUEST makes a fresh one when absent).'),
  'Message-Expiry': l10n.t('MQTT 5 message expiry interval, in seconds.'),
  'Payload-Format': l10n.t('utf8 (payload format indicator 1) or bytes (0).'),
  'User-Property': l10n.t('name=value; repeat the header for more.'),
  Timeout: l10n.t('How long to wait, in ms (default 5000).'),
  Within: l10n.t('The matching message must arrive within this many ms.'),
  Count: l10n.t('How many messages to show before ending (default 1).'),
  Retained: l10n.t('include: retained messages sent on subscribing count; ignore: only messages published while listening.'),
  Format: l10n.t('How the body is read: json, text, hex, base64 or decoder (default: from the body).'),
  Schema: l10n.t('A JSON Schema file (relative path) the payload must satisfy.'),
  Correlation: l10n.t("The message's correlation data (UTF-8 text) must equal this."),
});

/** The headers `kind` takes that are not given yet (User-Property may repeat), each inserted as `Name: `. */
export function headerNameSuggestions(kind: BlockKind, present: readonly HeaderName[]): Suggestion[] {
  const help = headerHelp();
  const detail = l10n.t('{0} header', BLOCK_KEYWORDS[kind]);
  return headersFor(kind)
    .filter((name) => name === 'User-Property' || !present.includes(name))
    .map((name, index) => ({ label: name, insert: `${name}: `, detail, documentation: help[name], sort: String(index).padStart(2, '0') }));
}

const headerValues = (): Partial<Record<HeaderName, [string, string][]>> => ({
  QoS: [
    ['0', l10n.t('at most once')],
    ['1', l10n.t('at least once')],
    ['2', l10n.t('exactly once')],
  ],
  Retain: [
    ['false', l10n.t('not kept by the broker')],
    ['true', l10n.t('the broker keeps it for new subscribers')],
  ],
  Retained: [
    ['include', l10n.t('retained messages sent on subscribing count')],
    ['ignore', l10n.t('only messages published while listening')],
  ],
  Format: [
    ['json', l10n.t('JSON: checked; EXPECT matches partially')],
    ['text', l10n.t('UTF-8 text, as typed')],
    ['hex', l10n.t('hex digits')],
    ['base64', 'base64'],
    ['decoder', l10n.t("JSON encoded by the topic's bound decoder")],
  ],
  'Payload-Format': [
    ['utf8', l10n.t('payload format indicator 1: UTF-8 text')],
    ['bytes', l10n.t('payload format indicator 0')],
  ],
  'Content-Type': [
    ['application/json', ''],
    ['text/plain', ''],
    ['application/octet-stream', ''],
  ],
  Timeout: [
    ['1000', 'ms'],
    ['5000', l10n.t('ms (the default)')],
  ],
});

export function headerValueSuggestions(header: HeaderName, kind: BlockKind): Suggestion[] {
  const values = headerValues()[header] ?? [];
  // EXPECT ignores retained messages by default, SUBSCRIBE includes them: the default comes first.
  const ordered = header === 'Retained' && kind === 'expect' ? [...values].reverse() : values;
  return ordered.map(([value, detail], index) => ({ label: value, ...(detail ? { detail } : {}), sort: String(index) }));
}

const builtinHelp = (): [string, string, string][] => [
  ['$uuid', '$uuid', l10n.t('A new random UUID (version 4) at each use.')],
  ['$timestamp', '$timestamp', l10n.t('Milliseconds since 1970-01-01 UTC (one instant per block run).')],
  ['$isoTimestamp', '$isoTimestamp', l10n.t('The same instant as ISO 8601 UTC, 2024-01-02T03:04:05.678Z.')],
  ['$randomInt', '$randomInt ${1:0} ${2:100}', l10n.t('A random integer from min up to, not including, max.')],
];

function originLabel(origin: VariableOrigin): string {
  switch (origin) {
    case 'block':
      return l10n.t('this block');
    case 'file':
      return l10n.t('this file');
    case 'environment':
      return l10n.t('the environment');
    case 'shared':
      return l10n.t('$shared of mqtt.env.json');
    case 'settings':
      return l10n.t('settings (mqttExplorer.messageFiles.variables)');
  }
}

function entries(map: VariableSources['environment']): [string, string][] {
  if (!map) return [];
  return map instanceof Map ? [...map.entries()] : Object.entries(map);
}

/** Where `name` gets its value for `block` (absent: the file header), highest precedence first, as VariableResolver looks it up. */
export function variableOrigin(document: MqttFileDocument, block: MqttBlock | undefined, sources: VariableSources, name: string): { origin: VariableOrigin; value: string; line?: number } | undefined {
  const last = (definitions: MqttFileDocument['variables']) => [...definitions].reverse().find((definition) => definition.name === name);
  const local = (block && last(block.variables)) ?? last(document.variables);
  if (local) return { origin: block?.variables.includes(local) ? 'block' : 'file', value: local.value, line: local.range.start.line };
  for (const origin of ['environment', 'shared', 'settings'] as const) {
    const found = entries(sources[origin]).find(([key]) => key === name);
    if (found) return { origin, value: found[1] };
  }
  return undefined;
}

/** The variables a `{{` may name in `block` (or the file header), each once, with its value and origin, then the built-ins. */
export function variableSuggestions(document: MqttFileDocument, block: MqttBlock | undefined, sources: VariableSources): Suggestion[] {
  const names = new Set<string>();
  for (const definition of [...(block?.variables ?? []), ...document.variables]) names.add(definition.name);
  for (const origin of ['environment', 'shared', 'settings'] as const) for (const [name] of entries(sources[origin])) names.add(name);
  const suggestions: Suggestion[] = [];
  for (const name of names) {
    const found = variableOrigin(document, block, sources, name);
    if (!found) continue;
    suggestions.push({ label: name, insert: `${name}}}`, detail: `${shorten(found.value, 60)} · ${originLabel(found.origin)}`, sort: `0${name}` });
  }
  const builtIn = l10n.t('built-in');
  for (const [label, insert, documentation] of builtinHelp()) suggestions.push({ label, insert: `${insert}}}`, snippet: insert.includes('${'), detail: builtIn, documentation, sort: `1${label}` });
  return suggestions;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The `{{…}}` of `lineText` that `character` is in, with its offsets in the line. */
export function referenceAt(lineText: string, character: number): Reference | undefined {
  if (!lineText.includes('{{')) return undefined;
  return findReferences(lineText).find((reference) => character >= reference.start && character <= reference.end);
}

/** Markdown for a hover on a variable: its value filled in, what is written, and where it comes from. */
export function variableHoverText(document: MqttFileDocument, block: MqttBlock | undefined, sources: VariableSources, reference: Reference): string {
  if (reference.kind === 'invalid') return reference.problem;
  if (reference.kind === 'builtin') {
    return l10n.t('**{0}** (built-in): {1} Filled in fresh at each run.', `{{${reference.builtin}}}`, builtinHelp().find(([name]) => name === reference.builtin)?.[2] ?? '');
  }
  const found = variableOrigin(document, block, sources, reference.name);
  // The check clock: built-ins inside the value show as placeholders, not as a value of this instant.
  const resolver = new VariableResolver(document.variables, block?.variables ?? [], sources, { now: () => 0, random: () => 0 });
  const resolved = resolver.resolve(`{{${reference.name}}}`);
  if (!found || 'failure' in resolved) return `**{{${reference.name}}}**: ${'failure' in resolved ? resolved.failure.message : l10n.t('not defined.')}`;
  const where = found.line !== undefined ? l10n.t('{0}, line {1}', originLabel(found.origin), found.line + 1) : originLabel(found.origin);
  const from = found.origin === 'environment' && sources.environmentName ? l10n.t('From {0} "{1}".', where, sources.environmentName) : l10n.t('From {0}.', where);
  const lines = [`**{{${reference.name}}}** = \`${codeSafe(shorten(resolved.value, 500))}\``, '', from];
  if (found.value !== resolved.value) {
    const written = `\`${codeSafe(shorten(found.value, 200))}\``;
    lines.push('', /\{\{\s*\$/.test(found.value) ? l10n.t('Written as {0} (built-ins get a fresh value at each run).', written) : l10n.t('Written as {0}.', written));
  }
  return lines.join('\n');
}

/** A topic, name or value as literal text in Markdown: no emphasis, link or HTML of its own. */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&').replace(/[\r\n]+/g, ' ');
}

/** Backticks would end an inline code span: a topic or payload is shown as text, whatever it holds. */
function codeSafe(text: string): string {
  return text.replace(/`/g, 'ˋ').replace(/[\r\n]+/g, ' ');
}

/** Markdown for a hover on a topic: its last value on the connection, or that none was seen. */
export function topicHoverText(topic: string, connectionName: string, snapshot: NodeSnapshot | undefined, now: number): string {
  const head = l10n.t('**{0}** on {1}', markdownText(topic), markdownText(connectionName));
  if (!snapshot) return `${head}\n\n${l10n.t('No message seen on this topic yet (the explorer knows what its subscriptions received).')}`;
  const last = snapshot.last;
  if (!last) {
    const below = snapshot.topicCount;
    const text = snapshot.valueDropped
      ? below
        ? l10n.t('Its last value was dropped by the memory budget · {0} topics below.', below)
        : l10n.t('Its last value was dropped by the memory budget.')
      : below
        ? l10n.t('No message on this topic itself · {0} topics below.', below)
        : l10n.t('No message on this topic itself.');
    return `${head}\n\n${text}`;
  }
  const facts = [
    snapshot.messageCount === 1 ? l10n.t('1 message') : l10n.t('{0} messages', snapshot.messageCount),
    l10n.t('last {0}', ago(now - last.receivedAt)),
    `QoS ${last.qos}`,
    formatBytes(last.size),
    ...(last.retain || snapshot.retained ? [l10n.t('retained')] : []),
    ...(last.truncated ? [l10n.t('cut')] : []),
  ];
  const decoded = last.decodedBy ? `\n\n${l10n.t('Decoded by {0}', markdownText(last.decodedBy))}` : last.decodeError ? `\n\n${l10n.t('Not decoded: {0}', markdownText(last.decodeError))}` : '';
  return `${head}\n\n\`\`\`\n${last.preview.replace(/`{3,}/g, 'ˋˋˋ')}\n\`\`\`\n\n${facts.join(' · ')}${decoded}`;
}

function ago(ms: number): string {
  if (ms < 1000) return l10n.t('just now');
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return l10n.t('{0} s ago', seconds);
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? l10n.t('{0} min ago', minutes) : l10n.t('{0} h ago', Math.round(minutes / 60));
}

/** What happened when a block ran, for the line after it and the log. */
export type BlockOutcome =
  /** `notValid`: the JSON Schema bound to the topic refused the payload, which was sent anyway ("schemas/t.json: /temperature: must be <= 22.5"). */
  | { ok: true; kind: 'publish'; qos: 0 | 1 | 2; result: PublishResult; ms: number; bytes?: number; notValid?: string }
  | { ok: false; message: string; ms?: number }
  /** A runner's own words (REQUEST, SUBSCRIBE, EXPECT), shown as given. */
  | { ok: boolean; text: string };

/** The one line shown after a block: `✓ published QoS 1 · acknowledged in 12 ms`, or `✗ …`. */
export function outcomeText(outcome: BlockOutcome): string {
  if ('text' in outcome) return `${outcome.ok ? '✓' : '✗'} ${oneLine(outcome.text)}`;
  if (!outcome.ok) return `✗ ${oneLine(outcome.message)}`;
  const { result, qos, ms } = outcome;
  const size = outcome.bytes !== undefined ? ` · ${formatBytes(outcome.bytes)}` : '';
  if (result.reasonCode >= 0x80) return l10n.t('✗ refused by the broker: {0} (0x{1}) in {2} ms', result.reason, result.reasonCode.toString(16), ms);
  const note = result.reasonCode ? ` · ${result.reason}` : '';
  const schema = outcome.notValid ? ` · ${l10n.t('⚠ sent although not valid against {0}', outcome.notValid)}` : '';
  // {1}: " · 12 B" when the size is known; the note and the schema's warning follow as " · …" parts.
  if (result.ack === 'none') return oneLine(l10n.t('✓ published QoS {0}{1} · sent in {2} ms (QoS 0 is not acknowledged){3}', qos, size, ms, schema));
  return oneLine(l10n.t('✓ published QoS {0}{1} · acknowledged in {2} ms{3}{4}', qos, size, ms, note, schema));
}

/** At most one line of 200 characters: the decoration is one line after the block. */
function oneLine(text: string): string {
  return shorten(text.replace(/\s*[\r\n]+\s*/g, ' '), 200);
}

/** A connection named by `# @connection`: by id, then by name, then by name in any letter case. */
export function findConnection<T extends { id: string; name: string }>(connections: readonly T[], wanted: string): T | undefined {
  return connections.find((connection) => connection.id === wanted) ?? connections.find((connection) => connection.name === wanted) ?? connections.find((connection) => connection.name.toLowerCase() === wanted.toLowerCase());
}

/** A schema's refusal of a block's JSON in one line: "schemas/t.json: /temperature: must be <= 22.5 (and 1 more)". */
export function schemaRefusal(schema: string, errors: readonly { path: string; message: string }[], more: number): string {
  const first = errors[0] ? `${errors[0].path || l10n.t('(root)')}: ${errors[0].message}` : l10n.t('not valid');
  const others = errors.length - 1 + more;
  return others > 0 ? l10n.t('{0}: {1} (and {2} more)', schema, first, others) : `${schema}: ${first}`;
}
