/**
 * From a parsed block to what runs: variables filled in, every value typed and checked again, the
 * defaults applied (docs/mqtt-files.md, "Running a block"). The caller publishes, subscribes and
 * reads referenced files; nothing here does I/O.
 */
import * as l10n from '@vscode/l10n';
import type { JsonNode } from '../json';
import type { QoS } from '../profile';
import { encodePayload, type PayloadFormat, type PublishDraft, type PublishProperties } from '../publish';
import { validateSubscriptionFilter } from '../profile';
import { validatePublishTopic } from '../topicRules';
import { bodyFormat, readJson } from './body';
import { readHeader, relativePathProblem, type HeaderValues, type RetainedPolicy } from './headers';
import { DEFAULT_TIMEOUT_MS, MAX_RESOLVED_CHARS, type DiagnosticCode, type MqttBlock, type MqttBody, type MqttFileDiagnostic, type MqttFileDocument, type Range } from './types';
import { failureRange, findReferences, SYSTEM_CLOCK, uuidFrom, VariableResolver, type Clock, type ResolveFailure, type VariableSources } from './variables';

/** Where REQUEST blocks without a Response-Topic get their replies: this prefix and a fresh UUID. */
export const DEFAULT_RESPONSE_TOPIC_PREFIX = 'mqtt-explorer/replies/';

export interface ResolveContext {
  variables?: VariableSources;
  /** Time and randomness for the built-ins and the generated ids; the system's when absent. */
  clock?: Clock;
  /** The connection's MQTT version when known: with 4 (3.1.1), a REQUEST or a Correlation condition is an error and MQTT 5 properties a warning. */
  mqttVersion?: 4 | 5;
}

/** A payload to send: text in `format` (see encodePayload), or the bytes of a file relative to the `.mqtt` file, sent as they are. */
export type OutgoingPayload = { text: string } | { file: string };

export interface ResolvedPublish {
  kind: 'publish';
  name?: string;
  topic: string;
  qos: QoS;
  retain: boolean;
  /** How `payload.text` becomes bytes (encodePayload: text and json as UTF-8, hex and base64 decoded, decoder by the topic's bound decoder). */
  format: PayloadFormat;
  payload: OutgoingPayload;
  properties: PublishProperties;
}

export interface ResolvedRequest {
  kind: 'request';
  name?: string;
  topic: string;
  qos: QoS;
  format: PayloadFormat;
  payload: OutgoingPayload;
  /** Always with the response topic (subscribed to before publishing) and the correlation data the reply must carry. */
  properties: PublishProperties & { responseTopic: string; correlationData: string };
  timeoutMs: number;
}

/** What a received message must be. The caller checks `schema` (a JSON Schema file relative to the `.mqtt` file). */
export interface Expectation {
  /** Absent: any payload. */
  payload?: ExpectedPayload;
  schema?: string;
  /** The message's correlation data, as UTF-8 text, must equal this. */
  correlation?: string;
  retained: RetainedPolicy;
}

export type ExpectedPayload =
  /** Partial match (match.ts). `decoded`: against the JSON the topic's bound decoder makes of the payload. */
  | { kind: 'json'; json: JsonNode; decoded: boolean }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  /** The caller reads the file and makes an expectation of it with `expectedFromFile`. */
  | { kind: 'file'; path: string; format: PayloadFormat | undefined };

export interface ResolvedSubscribe {
  kind: 'subscribe';
  name?: string;
  filter: string;
  qos: QoS;
  timeoutMs: number;
  count: number;
  /** How to show what arrives (undefined: as the panel would choose). */
  format: PayloadFormat | undefined;
  expectation: Expectation;
}

export interface ResolvedExpect {
  kind: 'expect';
  name?: string;
  filter: string;
  qos: QoS;
  /** How long to listen in all. */
  timeoutMs: number;
  /** The matching message must arrive within this many ms of the start of the block before (see the documentation). */
  withinMs?: number;
  format: PayloadFormat | undefined;
  expectation: Expectation;
}

export type ResolvedBlock = ResolvedPublish | ResolvedRequest | ResolvedSubscribe | ResolvedExpect;

export type ResolveResult = { ok: true; block: ResolvedBlock; warnings: MqttFileDiagnostic[] } | { ok: false; errors: MqttFileDiagnostic[] };

type Typed = { [N in keyof HeaderValues]?: HeaderValues[N] };

class BlockResolution {
  readonly errors: MqttFileDiagnostic[] = [];
  readonly warnings: MqttFileDiagnostic[] = [];
  private readonly resolver: VariableResolver;

  constructor(
    document: MqttFileDocument,
    private readonly block: MqttBlock,
    context: ResolveContext,
    private readonly clock: Clock,
  ) {
    this.resolver = new VariableResolver(document.variables, block.variables, context.variables, clock);
  }

  error(code: DiagnosticCode, message: string, range: Range): void {
    this.errors.push({ severity: 'error', code, message, range, block: this.block.index });
  }

  warn(code: DiagnosticCode, message: string, range: Range): void {
    this.warnings.push({ severity: 'warning', code, message, range, block: this.block.index });
  }

  private failed(failure: ResolveFailure, line: number, character: number): void {
    this.error(failure.code, failure.message, failureRange(failure, line, character));
  }

  /** A one-line text of the file filled in, or undefined (reported). */
  line(text: string, at: Range): string | undefined {
    if (!text.includes('{{')) return text;
    if (this.resolver.exhausted) return undefined;
    const result = this.resolver.resolve(text);
    if ('failure' in result) {
      this.failed(result.failure, at.start.line, at.start.character);
      return undefined;
    }
    return result.value;
  }

  /** The body's text filled in, line by line (a reference never spans lines). */
  body(body: MqttBody): string | undefined {
    const parts: string[] = [];
    let length = 0;
    for (const line of body.lines) {
      if (this.resolver.exhausted) return undefined;
      const result = line.text.includes('{{') ? this.resolver.resolve(line.text) : { value: line.text };
      if ('failure' in result) {
        this.failed(result.failure, line.line, line.character);
        return undefined;
      }
      parts.push(result.value);
      length += result.value.length + 1;
      if (length > MAX_RESOLVED_CHARS) {
        this.error('variable-too-long', l10n.t('Once its variables are filled in, the body is longer than {0} MiB: put a payload that big in a file (< ./file).', MAX_RESOLVED_CHARS / 1024 / 1024), body.range);
        return undefined;
      }
    }
    return parts.join('\n');
  }

  headers(): { typed: Typed; userProperties: [string, string][] } {
    const typed: Typed = {};
    const userProperties: [string, string][] = [];
    for (const header of this.block.headers) {
      const value = this.line(header.value, header.valueRange);
      if (value === undefined) continue;
      const result = readHeader(header.name, value);
      if ('error' in result) {
        this.error('bad-header-value', header.value === value ? result.error : l10n.t('Once its variables are filled in: {0}', result.error), header.value ? header.valueRange : header.nameRange);
        continue;
      }
      if (header.name === 'User-Property') userProperties.push(result.value as [string, string]);
      else (typed as Record<string, unknown>)[header.name] = result.value;
    }
    return { typed, userProperties };
  }

  topic(): string | undefined {
    const { topic, kind } = this.block;
    const value = this.line(topic.text, topic.range);
    if (value === undefined) return undefined;
    const problem = kind === 'publish' || kind === 'request' ? validatePublishTopic(value) : validateSubscriptionFilter(value);
    if (problem) {
      this.error('bad-topic', value === topic.text ? problem : l10n.t('Once its variables are filled in, the topic is "{0}": {1}', value.length > 200 ? `${value.slice(0, 200)}…` : value, problem), topic.range);
      return undefined;
    }
    return value;
  }

  uuid(): string {
    return uuidFrom(this.clock);
  }
}

function expectedOf(resolution: BlockResolution, body: MqttBody | undefined, text: string | undefined, format: PayloadFormat | undefined, inferred: boolean): ExpectedPayload | undefined {
  if (!body || text === undefined) return undefined;
  if (body.kind === 'file') return { kind: 'file', path: text, format };
  if (format === 'json' || format === 'decoder') {
    const json = readJson(text);
    if ('json' in json) return { kind: 'json', json: json.json, decoded: format === 'decoder' };
    if (!inferred) {
      resolution.error('invalid-json', l10n.t('Once its variables are filled in, the body is not valid JSON: {0}.', json.error), body.range);
      return undefined;
    }
    return { kind: 'text', text };
  }
  if (format === 'hex' || format === 'base64') {
    const encoded = encodePayload(text, format);
    if ('bytes' in encoded) return { kind: 'bytes', bytes: encoded.bytes };
    resolution.error('invalid-payload', 'error' in encoded ? encoded.error : l10n.t('Not bytes.'), body.range);
    return undefined;
  }
  return { kind: 'text', text };
}

/**
 * A block ready to run: its variables filled in (a fresh `{{$uuid}}` each time), its values typed
 * and checked, the defaults applied. Never throws; a block with parse errors is refused with them.
 */
export function resolveBlock(document: MqttFileDocument, block: MqttBlock, context: ResolveContext = {}): ResolveResult {
  try {
    return resolveUnguarded(document, block, context);
  } catch (error) {
    return {
      ok: false,
      errors: [{ severity: 'error', code: 'internal-error', message: l10n.t('This block could not be prepared because of a bug in the extension ({0}). Please report it.', error instanceof Error ? error.message : String(error)), range: block.requestRange, block: block.index }],
    };
  }
}

function resolveUnguarded(document: MqttFileDocument, block: MqttBlock, context: ResolveContext): ResolveResult {
  if (block.hasErrors) {
    const errors = document.diagnostics.filter((diagnostic) => diagnostic.block === block.index && diagnostic.severity === 'error');
    return { ok: false, errors: errors.length ? errors : [{ severity: 'error', code: 'not-understood', message: l10n.t('This block has problems to fix before it can run.'), range: block.requestRange, block: block.index }] };
  }
  const clock = context.clock ?? SYSTEM_CLOCK;
  const resolution = new BlockResolution(document, block, context, clock);
  const topic = resolution.topic();
  const { typed, userProperties } = resolution.headers();
  const body = block.body;
  const text = body ? resolution.body(body) : '';
  if (body?.kind === 'file' && text !== undefined) {
    const problem = relativePathProblem(text);
    if (problem) resolution.error('bad-path', problem, body.range);
  }
  const { format: bodyFormatValue, inferred } = bodyFormat(typed.Format, body);
  const named = block.name !== undefined ? { name: block.name } : {};
  const v4 = context.mqttVersion === 4;

  let resolved: ResolvedBlock | undefined;
  if (block.kind === 'publish' || block.kind === 'request') {
    let format: PayloadFormat = bodyFormatValue ?? 'text';
    let payload: OutgoingPayload | undefined;
    if (body?.kind === 'file') payload = text === undefined ? undefined : { file: text };
    else if (!body && (format === 'json' || format === 'decoder')) {
      // Only reachable with a Format written as a variable: the parser reports the literal case.
      const header = block.headers.find((candidate) => candidate.name === 'Format')!;
      resolution.error('invalid-json', l10n.t('Once its variables are filled in, Format is {0}, but the block has no body: add the JSON after a blank line.', format), header.valueRange);
    } else if (text !== undefined) {
      payload = { text };
      if (format === 'json' || format === 'decoder' || format === 'hex' || format === 'base64') {
        const checked = format === 'decoder' ? encodePayload(text, 'json') : encodePayload(text, format);
        if ('error' in checked) {
          // Text that only looked like JSON goes as it is (the parser warned where it could).
          if (inferred) format = 'text';
          else resolution.error(format === 'json' || format === 'decoder' ? 'invalid-json' : 'invalid-payload', l10n.t('Once its variables are filled in, the body is not valid: {0}', checked.error), body!.range);
        }
      }
    }
    const properties: PublishProperties = {};
    if (typed['Content-Type'] !== undefined) properties.contentType = typed['Content-Type'];
    if (typed['Payload-Format'] !== undefined) properties.payloadFormatIndicator = typed['Payload-Format'];
    if (typed['Message-Expiry'] !== undefined) properties.messageExpiryInterval = typed['Message-Expiry'];
    if (typed['Response-Topic'] !== undefined) properties.responseTopic = typed['Response-Topic'];
    if (typed['Correlation-Data'] !== undefined) properties.correlationData = typed['Correlation-Data'];
    if (userProperties.length) properties.userProperties = userProperties;
    const qos = typed.QoS ?? 0;
    if (block.kind === 'publish') {
      if (v4 && Object.keys(properties).length) {
        resolution.warn('needs-mqtt5', l10n.t('This connection speaks MQTT 3.1.1: the MQTT 5 properties of this block (Content-Type, Response-Topic, Correlation-Data, Message-Expiry, Payload-Format, User-Property) are not sent.'), block.requestRange);
      }
      if (topic !== undefined && payload) resolved = { kind: 'publish', ...named, topic, qos, retain: typed.Retain ?? false, format, payload, properties };
    } else {
      if (v4) {
        resolution.error('needs-mqtt5', 'A REQUEST needs an MQTT 5 connection: the reply is found by its correlation data, which MQTT 3.1.1 does not carry. On MQTT 3.1.1, PUBLISH the request and EXPECT the reply in the next block.', block.requestRange);
      }
      const responseTopic = properties.responseTopic ?? `${DEFAULT_RESPONSE_TOPIC_PREFIX}${resolution.uuid()}`;
      const correlationData = properties.correlationData ?? resolution.uuid();
      if (topic !== undefined && payload) {
        resolved = { kind: 'request', ...named, topic, qos, format, payload, properties: { ...properties, responseTopic, correlationData }, timeoutMs: typed.Timeout ?? DEFAULT_TIMEOUT_MS };
      }
    }
  } else {
    const expectation: Expectation = { retained: typed.Retained ?? (block.kind === 'subscribe' ? 'include' : 'ignore') };
    const expected = expectedOf(resolution, body, text, bodyFormatValue, inferred);
    if (expected) expectation.payload = expected;
    if (typed.Schema !== undefined) expectation.schema = typed.Schema;
    if (typed.Correlation !== undefined) {
      expectation.correlation = typed.Correlation;
      if (v4) resolution.error('needs-mqtt5', l10n.t('Correlation needs an MQTT 5 connection: MQTT 3.1.1 messages carry no correlation data, so nothing would ever match.'), block.headers.find((header) => header.name === 'Correlation')!.nameRange);
    }
    const format = typed.Format ?? (body?.kind === 'hex' || body?.kind === 'base64' ? body.kind : undefined);
    const qos = typed.QoS ?? 0;
    if (topic !== undefined) {
      if (block.kind === 'subscribe') {
        resolved = { kind: 'subscribe', ...named, filter: topic, qos, timeoutMs: typed.Timeout ?? DEFAULT_TIMEOUT_MS, count: typed.Count ?? 1, format, expectation };
      } else {
        resolved = { kind: 'expect', ...named, filter: topic, qos, timeoutMs: typed.Timeout ?? typed.Within ?? DEFAULT_TIMEOUT_MS, format, expectation };
        if (typed.Within !== undefined) resolved.withinMs = typed.Within;
        if (typed.Within !== undefined && typed.Timeout !== undefined && typed.Timeout < typed.Within) {
          resolution.warn('timeout-before-within', l10n.t('Timeout ({0} ms) ends the wait before Within ({1} ms) has passed.', typed.Timeout, typed.Within), block.requestRange);
        }
      }
    }
  }
  if (resolution.errors.length || !resolved) {
    return { ok: false, errors: resolution.errors.length ? resolution.errors : [{ severity: 'error', code: 'not-understood', message: l10n.t('This block could not be prepared.'), range: block.requestRange, block: block.index }] };
  }
  return { ok: true, block: resolved, warnings: resolution.warnings };
}

/** A resolved PUBLISH or REQUEST as the publish path takes it, or undefined when its payload is a file (read it first). */
export function toPublishDraft(block: ResolvedPublish | ResolvedRequest): PublishDraft | undefined {
  if (!('text' in block.payload)) return undefined;
  const draft: PublishDraft = { topic: block.topic, payload: block.payload.text, format: block.format, qos: block.qos, retain: block.kind === 'publish' ? block.retain : false };
  if (Object.keys(block.properties).length) draft.properties = block.properties;
  return draft;
}

/** The expectation a referenced file makes, once the caller has read it: JSON (partial match) when Format says json or decoder, text for text, else its bytes. */
export function expectedFromFile(bytes: Uint8Array, format: PayloadFormat | undefined): ExpectedPayload | { error: string } {
  if (format === 'json' || format === 'decoder') {
    const json = readJson(new TextDecoder().decode(bytes));
    return 'json' in json ? { kind: 'json', json: json.json, decoded: format === 'decoder' } : { error: l10n.t('The file is not valid JSON: {0}.', json.error) };
  }
  if (format === 'text') return { kind: 'text', text: new TextDecoder().decode(bytes) };
  if (format === 'hex' || format === 'base64') {
    const encoded = encodePayload(new TextDecoder().decode(bytes), format);
    return 'bytes' in encoded ? { kind: 'bytes', bytes: encoded.bytes } : { error: 'error' in encoded ? encoded.error : l10n.t('Not bytes.') };
  }
  return { kind: 'bytes', bytes };
}

const VARIABLE_CODES = new Set<DiagnosticCode>(['unknown-variable', 'variable-cycle', 'variable-too-deep', 'variable-too-long', 'bad-reference']);
const CHECK_CLOCK: Clock = { now: () => 0, random: () => 0 };

/**
 * The variable problems of a whole file with the given sources (unknown names, cycles, depth,
 * size), each at the reference in the block that leads to it: for the editor's diagnostics, which
 * change with the chosen environment. References that are malformed in themselves are the parser's.
 */
export function checkVariables(document: MqttFileDocument, sources: VariableSources = {}): MqttFileDiagnostic[] {
  const problems: MqttFileDiagnostic[] = [];
  try {
    for (const block of document.blocks) {
      const resolver = new VariableResolver(document.variables, block.variables, sources, CHECK_CLOCK);
      // A name fails the same way wherever the block uses it: checked once, reported at each use.
      const verdicts = new Map<string, ResolveFailure | undefined>();
      const check = (text: string, line: number, character: number) => {
        if (!text.includes('{{')) return;
        for (const reference of findReferences(text, false)) {
          if (reference.kind !== 'variable') continue;
          let verdict = verdicts.get(reference.name);
          if (!verdicts.has(reference.name)) {
            if (resolver.exhausted) continue;
            const result = resolver.resolve(`{{${reference.name}}}`);
            verdict = 'failure' in result && VARIABLE_CODES.has(result.failure.code) ? result.failure : undefined;
            verdicts.set(reference.name, verdict);
          }
          if (verdict) {
            problems.push({ severity: 'error', code: verdict.code, message: verdict.message, range: failureRange({ ...verdict, start: reference.start, end: reference.end }, line, character), block: block.index });
          }
          if (problems.length >= 1000) return;
        }
      };
      for (const definition of block.variables) check(definition.value, definition.valueRange.start.line, definition.valueRange.start.character);
      check(block.topic.text, block.topic.range.start.line, block.topic.range.start.character);
      for (const header of block.headers) check(header.value, header.valueRange.start.line, header.valueRange.start.character);
      for (const line of block.body?.lines ?? []) check(line.text, line.line, line.character);
      if (problems.length >= 1000) break;
    }
  } catch (error) {
    // A bug, not the file's fault: said once, rather than taking the editor's diagnostics down.
    problems.push({ severity: 'error', code: 'internal-error', message: l10n.t('The variables could not be checked because of a bug in the extension ({0}). Please report it.', error instanceof Error ? error.message : String(error)), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
  }
  return problems;
}
