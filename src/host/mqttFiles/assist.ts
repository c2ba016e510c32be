/**
 * What the editor offers and says in `.mqtt` files, without VS Code: where the cursor is (what to
 * complete), the completion lists, hover texts and the result line after a block. The VS Code side
 * (language.ts) turns these into items, hovers and decorations; unit tests check them here.
 */
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

const KIND_HELP: Record<BlockKind, string> = {
  publish: 'Publishes the body to the topic.',
  request: 'MQTT 5 request/response: publishes with a Response-Topic and Correlation-Data, and waits for the correlated reply.',
  subscribe: 'Subscribes to the filter and shows what arrives (Count messages, or until Timeout).',
  expect: 'A check: passes when a message that meets the conditions arrives in time (Within, Timeout).',
};

export function keywordSuggestions(): Suggestion[] {
  return BLOCK_KINDS.map((kind, index) => ({
    label: BLOCK_KEYWORDS[kind],
    insert: `${BLOCK_KEYWORDS[kind]} \${1:${kind === 'publish' || kind === 'request' ? 'topic' : 'topic/filter/#'}}`,
    snippet: true,
    detail: kind === 'publish' || kind === 'request' ? `${BLOCK_KEYWORDS[kind]} <topic>` : `${BLOCK_KEYWORDS[kind]} <filter>`,
    documentation: KIND_HELP[kind],
    sort: String(index),
  }));
}

const HEADER_HELP: Record<HeaderName, string> = {
  QoS: '0, 1 or 2 (default 0).',
  Retain: 'true: the broker keeps the message for new subscribers (default false).',
  'Content-Type': 'MQTT 5 content type, e.g. application/json.',
  'Response-Topic': 'MQTT 5 response topic (a REQUEST makes one when absent).',
  'Correlation-Data': 'MQTT 5 correlation data, as UTF-8 text (a REQUEST makes a fresh one when absent).',
  'Message-Expiry': 'MQTT 5 message expiry interval, in seconds.',
  'Payload-Format': 'utf8 (payload format indicator 1) or bytes (0).',
  'User-Property': 'name=value; repeat the header for more.',
  Timeout: 'How long to wait, in ms (default 5000).',
  Within: 'The matching message must arrive within this many ms.',
  Count: 'How many messages to show before ending (default 1).',
  Retained: 'include: retained messages sent on subscribing count; ignore: only messages published while listening.',
  Format: 'How the body is read: json, text, hex, base64 or decoder (default: from the body).',
  Schema: 'A JSON Schema file (relative path) the payload must satisfy.',
  Correlation: "The message's correlation data (UTF-8 text) must equal this.",
};

/** The headers `kind` takes that are not given yet (User-Property may repeat), each inserted as `Name: `. */
export function headerNameSuggestions(kind: BlockKind, present: readonly HeaderName[]): Suggestion[] {
  return headersFor(kind)
    .filter((name) => name === 'User-Property' || !present.includes(name))
    .map((name, index) => ({ label: name, insert: `${name}: `, detail: `${BLOCK_KEYWORDS[kind]} header`, documentation: HEADER_HELP[name], sort: String(index).padStart(2, '0') }));
}

const HEADER_VALUES: Partial<Record<HeaderName, [string, string][]>> = {
  QoS: [
    ['0', 'at most once'],
    ['1', 'at least once'],
    ['2', 'exactly once'],
  ],
  Retain: [
    ['false', 'not kept by the broker'],
    ['true', 'the broker keeps it for new subscribers'],
  ],
  Retained: [
    ['include', 'retained messages sent on subscribing count'],
    ['ignore', 'only messages published while listening'],
  ],
  Format: [
    ['json', 'JSON: checked; EXPECT matches partially'],
    ['text', 'UTF-8 text, as typed'],
    ['hex', 'hex digits'],
    ['base64', 'base64'],
    ['decoder', "JSON encoded by the topic's bound decoder"],
  ],
  'Payload-Format': [
    ['utf8', 'payload format indicator 1: UTF-8 text'],
    ['bytes', 'payload format indicator 0'],
  ],
  'Content-Type': [
    ['application/json', ''],
    ['text/plain', ''],
    ['application/octet-stream', ''],
  ],
  Timeout: [
    ['1000', 'ms'],
    ['5000', 'ms (the default)'],
  ],
};

export function headerValueSuggestions(header: HeaderName, kind: BlockKind): Suggestion[] {
  const values = HEADER_VALUES[header] ?? [];
  // EXPECT ignores retained messages by default, SUBSCRIBE includes them: the default comes first.
  const ordered = header === 'Retained' && kind === 'expect' ? [...values].reverse() : values;
  return ordered.map(([value, detail], index) => ({ label: value, ...(detail ? { detail } : {}), sort: String(index) }));
}

const BUILTIN_HELP: [string, string, string][] = [
  ['$uuid', '$uuid', 'A new random UUID (version 4) at each use.'],
  ['$timestamp', '$timestamp', 'Milliseconds since 1970-01-01 UTC (one instant per block run).'],
  ['$isoTimestamp', '$isoTimestamp', 'The same instant as ISO 8601 UTC, 2024-01-02T03:04:05.678Z.'],
  ['$randomInt', '$randomInt ${1:0} ${2:100}', 'A random integer from min up to, not including, max.'],
];

const ORIGIN_LABELS: Record<VariableOrigin, string> = { block: 'this block', file: 'this file', environment: 'the environment', shared: '$shared of mqtt.env.json', settings: 'settings (mqttExplorer.messageFiles.variables)' };

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
    suggestions.push({ label: name, insert: `${name}}}`, detail: `${shorten(found.value, 60)} · ${ORIGIN_LABELS[found.origin]}`, sort: `0${name}` });
  }
  for (const [label, insert, documentation] of BUILTIN_HELP) suggestions.push({ label, insert: `${insert}}}`, snippet: insert.includes('${'), detail: 'built-in', documentation, sort: `1${label}` });
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
  if (reference.kind === 'builtin') return `**{{${reference.builtin}}}** (built-in): ${BUILTIN_HELP.find(([name]) => name === reference.builtin)?.[2] ?? ''} Filled in fresh at each run.`;
  const found = variableOrigin(document, block, sources, reference.name);
  // The check clock: built-ins inside the value show as placeholders, not as a value of this instant.
  const resolver = new VariableResolver(document.variables, block?.variables ?? [], sources, { now: () => 0, random: () => 0 });
  const resolved = resolver.resolve(`{{${reference.name}}}`);
  if (!found || 'failure' in resolved) return `**{{${reference.name}}}**: ${'failure' in resolved ? resolved.failure.message : 'not defined.'}`;
  const where = found.line !== undefined ? `${ORIGIN_LABELS[found.origin]}, line ${found.line + 1}` : ORIGIN_LABELS[found.origin];
  const environment = found.origin === 'environment' && sources.environmentName ? ` "${sources.environmentName}"` : '';
  const lines = [`**{{${reference.name}}}** = \`${codeSafe(shorten(resolved.value, 500))}\``, '', `From ${where}${environment}.`];
  if (found.value !== resolved.value) lines.push('', `Written as \`${codeSafe(shorten(found.value, 200))}\`${/\{\{\s*\$/.test(found.value) ? ' (built-ins get a fresh value at each run)' : ''}.`);
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
  const head = `**${markdownText(topic)}** on ${markdownText(connectionName)}`;
  if (!snapshot) return `${head}\n\nNo message seen on this topic yet (the explorer knows what its subscriptions received).`;
  const last = snapshot.last;
  if (!last) return `${head}\n\n${snapshot.valueDropped ? 'Its last value was dropped by the memory budget.' : 'No message on this topic itself'}${snapshot.topicCount ? ` · ${snapshot.topicCount} topics below` : ''}.`;
  const facts = [`${snapshot.messageCount} message${snapshot.messageCount === 1 ? '' : 's'}`, `last ${ago(now - last.receivedAt)}`, `QoS ${last.qos}`, formatBytes(last.size), ...(last.retain || snapshot.retained ? ['retained'] : []), ...(last.truncated ? ['cut'] : [])];
  const decoded = last.decodedBy ? `\n\nDecoded by ${markdownText(last.decodedBy)}` : last.decodeError ? `\n\nNot decoded: ${markdownText(last.decodeError)}` : '';
  return `${head}\n\n\`\`\`\n${last.preview.replace(/`{3,}/g, 'ˋˋˋ')}\n\`\`\`\n\n${facts.join(' · ')}${decoded}`;
}

function ago(ms: number): string {
  if (ms < 1000) return 'just now';
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
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
  if (result.reasonCode >= 0x80) return `✗ refused by the broker: ${result.reason} (0x${result.reasonCode.toString(16)}) in ${ms} ms`;
  const note = result.reasonCode ? ` · ${result.reason}` : '';
  const schema = outcome.notValid ? ` · ⚠ sent although not valid against ${outcome.notValid}` : '';
  if (result.ack === 'none') return oneLine(`✓ published QoS ${qos}${size} · sent in ${ms} ms (QoS 0 is not acknowledged)${schema}`);
  return oneLine(`✓ published QoS ${qos}${size} · acknowledged in ${ms} ms${note}${schema}`);
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
  const first = errors[0] ? `${errors[0].path || '(root)'}: ${errors[0].message}` : 'not valid';
  const others = errors.length - 1 + more;
  return `${schema}: ${first}${others > 0 ? ` (and ${others} more)` : ''}`;
}
