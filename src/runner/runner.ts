/**
 * Runs the blocks of a `.mqtt` file as a flow over an `MqttPort` (docs/mqtt-files.md, "Running a
 * file"). A SUBSCRIBE or EXPECT listens from the start of the block before it, so the answer to a
 * PUBLISH is never missed however fast it comes; a failed check or a REQUEST without a reply ends
 * the run. Every wait has a deadline and ends on abort, every subscription is released, and what
 * is kept of received messages is bounded and counted. No VS Code, no Node.
 */
import { documentText, hexDump } from '../shared/format';
import { formatJson, jsonDepthExceeds, MAX_JSON_DEPTH } from '../shared/json';
import { blockLabel, expectedFromFile, matchExpectation, resolveBlock, SYSTEM_CLOCK } from '../shared/mqttFiles';
import type { Expectation, ExpectedPayload, MqttBlock, ReceivedMessage, ResolvedBlock, ResolvedExpect, ResolvedPublish, ResolvedRequest, ResolvedSubscribe } from '../shared/mqttFiles';
import { encodePayload, reasonText } from '../shared/publish';
import { topicMatchesFilter } from '../shared/topicRules';
import { createSchemaValidator } from './jsonSchema';
import {
  DEFAULT_BROKER_TIMEOUT_MS,
  MAX_BUFFERED_MESSAGES,
  MAX_PREVIEW_BYTES,
  MAX_RUN_FILE_BYTES,
  MAX_SHOWN_MESSAGES,
  type BlockResult,
  type BlockStatus,
  type Clock,
  type Disposer,
  type Lease,
  type MatchResult,
  type MessagePreview,
  type MqttFileDocument,
  type PortMessage,
  type PortMessageProperties,
  type PortPublishResult,
  type QoS,
  type RunEvent,
  type RunOptions,
  type RunResult,
  type RunSelection,
  type ValidateSchema,
} from './types';

/** Bytes waiting in one listening block's buffer; past this, messages are dropped and counted. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** The `expected` and `actual` texts of a result are cut here. */
const MAX_DIFF_CHARS = 64 * 1024;
/** A payload larger than this is not parsed for a JSON Schema check (it fails, saying so). */
const MAX_SCHEMA_PAYLOAD_BYTES = 4 * 1024 * 1024;
/** Releasing a subscription may take this long at the end of a run before it is given up. */
const RELEASE_TIMEOUT_MS = 5000;

/** The run was aborted: not a failure of the block. */
class Cancelled extends Error {
  constructor() {
    super('Cancelled.');
  }
}

/** The block could not run (not a failed check): its status is `error`. */
class BlockError extends Error {}

interface Arrival {
  topic: string;
  message: PortMessage;
  /** The run's clock at arrival. */
  at: number;
}

/**
 * The messages that arrive for one listening block, in order, bounded in count and bytes (what is
 * dropped is counted), from `origin` on.
 */
class Inbox {
  private readonly queue: Arrival[] = [];
  private bytes = 0;
  private wake: (() => void) | undefined;
  dropped = 0;
  lease: Lease | undefined;

  constructor(
    readonly filter: string,
    readonly origin: number,
  ) {}

  offer(arrival: Arrival): void {
    const size = arrival.message.payload.length;
    if (this.queue.length >= MAX_BUFFERED_MESSAGES || this.bytes + size > MAX_BUFFERED_BYTES) {
      this.dropped++;
      return;
    }
    this.queue.push(arrival);
    this.bytes += size;
    this.wake?.();
  }

  /** The next message, or `undefined` once `deadline` (the run's clock) has passed with none waiting. */
  async next(deadline: number, clock: Clock, signal: AbortSignal | undefined): Promise<Arrival | undefined> {
    for (;;) {
      if (signal?.aborted) throw new Cancelled();
      const arrival = this.queue.shift();
      if (arrival) {
        this.bytes -= arrival.message.payload.length;
        return arrival;
      }
      const wait = deadline - clock.now();
      if (wait <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, wait);
        signal?.addEventListener('abort', done);
        this.wake = done;
      });
    }
  }
}

/** Rejects with `Cancelled` on abort and a `BlockError` after `ms`; `promise`'s later outcome is ignored. */
function bounded<T>(promise: Promise<T>, ms: number, what: string, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      promise.catch(() => undefined);
      reject(new Cancelled());
      return;
    }
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(new Cancelled());
    };
    const timer = setTimeout(() => {
      finish();
      reject(new BlockError(`${what}: no answer from the broker in ${ms} ms.`));
    }, ms);
    signal?.addEventListener('abort', onAbort);
    promise.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(error instanceof Cancelled || error instanceof BlockError ? error : new BlockError(`${what}: ${errorText(error)}`));
      },
    );
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function cut(text: string, max = MAX_DIFF_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters not shown)` : text;
}

/** The payload for people: pretty JSON, text, or a hex dump; bounded. */
function payloadText(payload: Uint8Array, how: 'auto' | 'text' | 'bytes' = 'auto'): string {
  if (payload.length === 0) return '(empty payload)';
  const shown = payload.length > MAX_DIFF_CHARS * 4 ? payload.subarray(0, MAX_DIFF_CHARS) : payload;
  const more = shown.length < payload.length ? `\n… (${payload.length} bytes in all)` : '';
  if (how === 'bytes') return cut(hexDump(shown.subarray(0, MAX_DIFF_CHARS / 4))) + (payload.length > MAX_DIFF_CHARS / 4 ? `\n… (${payload.length} bytes in all)` : '');
  if (how === 'text') return cut(new TextDecoder().decode(shown)) + more;
  return cut(documentText(shown).text.replace(/\n$/, '')) + more;
}

function copyProperties(properties: PortMessageProperties | undefined): PortMessageProperties | undefined {
  if (!properties) return undefined;
  const copy: PortMessageProperties = { ...properties };
  if (properties.correlationData) copy.correlationData = properties.correlationData.slice();
  if (properties.userProperties) copy.userProperties = properties.userProperties.map(([name, value]) => [name, value]);
  return copy;
}

function preview(arrival: Arrival, from: number): MessagePreview {
  const { payload } = arrival.message;
  const result: MessagePreview = {
    topic: arrival.topic,
    // A copy: the preview must not hold (or, posted to another thread, carry) the whole buffer.
    payload: payload.slice(0, MAX_PREVIEW_BYTES),
    size: payload.length,
    truncated: payload.length > MAX_PREVIEW_BYTES,
    text: payloadText(payload.length > MAX_PREVIEW_BYTES * 16 ? payload.subarray(0, MAX_PREVIEW_BYTES * 16) : payload),
    qos: arrival.message.qos,
    retain: arrival.message.retain,
    receivedAt: arrival.message.receivedAt,
    elapsedMs: Math.max(0, arrival.at - from),
  };
  const properties = copyProperties(arrival.message.properties);
  if (properties) result.properties = properties;
  return result;
}

/** The expected side of a diff, in the same representation as `actualText` gives the message. */
function expectedText(expectation: Expectation, payload: ExpectedPayload | undefined): string {
  const lines: string[] = [];
  if (payload?.kind === 'json') lines.push(cut(formatJson(payload.json)));
  else if (payload?.kind === 'text') lines.push(cut(payload.text));
  else if (payload?.kind === 'bytes') lines.push(payloadText(payload.bytes, 'bytes'));
  if (expectation.schema !== undefined) lines.push(`(valid against the JSON Schema ${expectation.schema})`);
  if (expectation.correlation !== undefined) lines.push(`(correlation data ${JSON.stringify(expectation.correlation)})`);
  return lines.length ? lines.join('\n') : '(any message)';
}

function actualText(payload: ExpectedPayload | undefined, arrival: Arrival | undefined, decodedJson?: string): string {
  if (!arrival) return '(no message)';
  const bytes = payload?.kind === 'json' && payload.decoded && decodedJson !== undefined ? new TextEncoder().encode(decodedJson) : arrival.message.payload;
  return payloadText(bytes, payload?.kind === 'bytes' ? 'bytes' : payload?.kind === 'text' ? 'text' : 'auto');
}

function describePublish(result: PortPublishResult): string {
  if (result.ack === 'none') return result.ok ? 'Sent (QoS 0: the broker does not acknowledge).' : `Not sent: ${result.reason}`;
  const code = result.reasonCode !== undefined && result.reasonCode !== 0 ? ` (0x${result.reasonCode.toString(16).padStart(2, '0')})` : '';
  return `${result.ack === 'puback' ? 'PUBACK' : 'PUBCOMP'}: ${result.reason || (result.reasonCode !== undefined ? reasonText(result.reasonCode) : '')}${code}.`;
}

/** A listening block (SUBSCRIBE, EXPECT) prepared early: resolved, subscribed, its messages buffering. */
type Prepared = { ok: true; block: ResolvedSubscribe | ResolvedExpect; inbox: Inbox } | { ok: false; status: BlockStatus; message: string; topic?: string };

interface Outcome {
  status: BlockStatus;
  message: string;
  topic?: string;
  publish?: PortPublishResult;
  latencyMs?: number;
  reply?: MessagePreview;
  received?: { messages: MessagePreview[]; dropped: number };
  expected?: string;
  actual?: string;
}

function isListening(block: MqttBlock | undefined): boolean {
  return block?.kind === 'subscribe' || block?.kind === 'expect';
}

class FlowRun {
  private readonly clock: Clock;
  private readonly signal: AbortSignal | undefined;
  private readonly brokerTimeoutMs: number;
  private readonly validateSchema: ValidateSchema;
  private readonly inboxes = new Set<Inbox>();
  private readonly leases = new Set<Lease>();
  private readonly prepared = new Map<number, Promise<Prepared>>();
  /** Subscriptions granted after their wait was given up (abort, timeout): released as they come. */
  private readonly lateReleases = new Set<Promise<void>>();

  constructor(
    private readonly document: MqttFileDocument,
    private readonly options: RunOptions,
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.signal = options.signal;
    this.brokerTimeoutMs = options.brokerTimeoutMs ?? DEFAULT_BROKER_TIMEOUT_MS;
    this.validateSchema = options.validateSchema ?? createSchemaValidator(options.readFile);
  }

  private emit(event: RunEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not stop the run (nor leave subscriptions behind).
    }
  }

  async run(selection: RunSelection): Promise<RunResult> {
    const startedAt = this.clock.now();
    const indices = this.selected(selection);
    const alone = selection.only !== undefined;
    const results: BlockResult[] = [];
    let stopReason: string | undefined;
    let cancelled = false;
    let subscription: Disposer;
    try {
      subscription = this.options.port.onMessage((topic, message) => {
        if (!this.inboxes.size) return;
        const at = this.clock.now();
        for (const inbox of this.inboxes) if (topicMatchesFilter(inbox.filter, topic)) inbox.offer({ topic, message, at });
      });
    } catch (error) {
      // A port that cannot deliver messages (a closed connection): nothing runs, and the result says why.
      const reason = `The connection cannot deliver messages: ${errorText(error)}`;
      for (const [position, index] of indices.entries()) {
        const block = this.document.blocks[index];
        const result = this.result(block, position === 0 ? { status: 'error', message: reason } : { status: 'skipped', message: 'Not run: the connection cannot deliver messages.' }, this.clock.now());
        results.push(result);
        this.emit({ type: 'blockFinished', result });
      }
      return { blocks: results, passed: results.length === 0, cancelled: false, startedAt, durationMs: Math.max(0, this.clock.now() - startedAt) };
    }
    try {
      for (let position = 0; position < indices.length; position++) {
        const block = this.document.blocks[indices[position]];
        if (!cancelled && this.signal?.aborted) {
          cancelled = true;
          stopReason = 'Not run: the run was cancelled.';
        }
        if (stopReason !== undefined) {
          const skipped = this.result(block, { status: 'skipped', message: stopReason }, this.clock.now());
          results.push(skipped);
          this.emit({ type: 'blockFinished', result: skipped });
          continue;
        }
        const blockStart = this.clock.now();
        this.emit({ type: 'blockStarted', index: block.index, label: blockLabel(block), kind: block.kind, startedAt: blockStart });
        let outcome: Outcome;
        try {
          // The next block listens from now on, so that it sees what this one causes.
          const following = alone ? undefined : this.document.blocks[indices[position + 1]];
          if (following && indices[position + 1] === block.index + 1 && isListening(following) && !this.prepared.has(following.index)) {
            const preparing = this.prepareListening(following, blockStart);
            this.prepared.set(following.index, preparing);
            // Subscribed (SUBACK) before this block publishes anything; a failure is the next block's to report.
            await preparing;
          }
          outcome = await this.runBlock(block, blockStart);
        } catch (error) {
          if (error instanceof Cancelled) {
            cancelled = true;
            outcome = { status: 'skipped', message: 'Cancelled while it ran.' };
          } else if (error instanceof BlockError) outcome = { status: 'error', message: error.message };
          else outcome = { status: 'error', message: `This block could not run because of a bug in the runner (${errorText(error)}). Please report it.` };
        }
        const result = this.result(block, outcome, blockStart);
        results.push(result);
        this.emit({ type: 'blockFinished', result });
        if (cancelled) stopReason = 'Not run: the run was cancelled.';
        else if (result.status === 'failed' || result.status === 'error') stopReason = `Not run: block ${result.index + 1} (${result.label}) ${result.status === 'failed' ? 'failed' : 'could not run'}.`;
      }
    } finally {
      subscription.dispose();
      this.inboxes.clear();
      // Subscriptions made early for blocks that never ran are still pending or held.
      await Promise.all([...this.prepared.values()].map((prepared) => prepared.catch(() => undefined)));
      await Promise.all([...this.leases].map((lease) => this.release(lease)));
      await Promise.all(this.lateReleases);
    }
    const passed = !cancelled && results.every((result) => result.status === 'passed');
    return { blocks: results, passed, cancelled, startedAt, durationMs: Math.max(0, this.clock.now() - startedAt) };
  }

  private selected(selection: RunSelection): number[] {
    const count = this.document.blocks.length;
    if (selection.only !== undefined) return Number.isInteger(selection.only) && selection.only >= 0 && selection.only < count ? [selection.only] : [];
    const last = selection.upTo !== undefined && Number.isInteger(selection.upTo) ? Math.min(selection.upTo, count - 1) : count - 1;
    return Array.from({ length: Math.max(0, last + 1) }, (_, index) => index);
  }

  private result(block: MqttBlock, outcome: Outcome, startedAt: number): BlockResult {
    const result: BlockResult = {
      index: block.index,
      label: blockLabel(block),
      kind: block.kind,
      status: outcome.status,
      message: outcome.message,
      startedAt,
      durationMs: Math.max(0, this.clock.now() - startedAt),
      range: { start: { ...block.range.start }, end: { ...block.range.end } },
    };
    if (block.name !== undefined) result.name = block.name;
    for (const key of ['topic', 'publish', 'latencyMs', 'reply', 'received', 'expected', 'actual'] as const) {
      if (outcome[key] !== undefined) (result as unknown as Record<string, unknown>)[key] = outcome[key];
    }
    return result;
  }

  private async release(lease: Lease): Promise<void> {
    if (!this.leases.delete(lease)) return;
    try {
      await bounded(lease.release(), RELEASE_TIMEOUT_MS, 'Unsubscribing', undefined);
    } catch {
      // The port logs its own failures; the run's outcome stands.
    }
  }

  /** Subscribes within the broker timeout; a lease granted after the wait was given up is released, never leaked. */
  private async subscribeTo(filter: string, qos: QoS, what: string): Promise<Lease> {
    const pending = this.options.port.subscribe(filter, { qos });
    try {
      const lease = await bounded(pending, this.brokerTimeoutMs, what, this.signal);
      this.leases.add(lease);
      return lease;
    } catch (error) {
      const late = bounded(pending, RELEASE_TIMEOUT_MS, what, undefined).then(
        (lease) => lease.release().catch(() => undefined),
        () => undefined,
      );
      this.lateReleases.add(late);
      throw error;
    }
  }

  private resolve(block: MqttBlock): ResolvedBlock {
    const resolved = resolveBlock(this.document, block, { variables: this.options.variables, clock: this.clock, mqttVersion: this.options.port.mqttVersion });
    if (!resolved.ok) {
      const first = resolved.errors[0];
      const more = resolved.errors.length > 1 ? ` (and ${plural(resolved.errors.length - 1, 'more problem')})` : '';
      throw new BlockError(`Line ${first.range.start.line + 1}: ${first.message}${more}`);
    }
    return resolved.block;
  }

  /** Resolves a SUBSCRIBE or EXPECT and starts listening (origin: `origin`); never rejects. */
  private async prepareListening(block: MqttBlock, origin: number): Promise<Prepared> {
    let resolved: ResolvedBlock;
    try {
      resolved = this.resolve(block);
    } catch (error) {
      return { ok: false, status: 'error', message: errorText(error) };
    }
    if (resolved.kind !== 'subscribe' && resolved.kind !== 'expect') return { ok: false, status: 'error', message: 'Not a listening block.' };
    const inbox = new Inbox(resolved.filter, origin);
    this.inboxes.add(inbox);
    try {
      inbox.lease = await this.subscribeTo(resolved.filter, resolved.qos, `Subscribing to ${resolved.filter}`);
      return { ok: true, block: resolved, inbox };
    } catch (error) {
      this.inboxes.delete(inbox);
      return { ok: false, status: error instanceof Cancelled ? 'skipped' : 'error', message: errorText(error), topic: resolved.filter };
    }
  }

  private async runBlock(block: MqttBlock, blockStart: number): Promise<Outcome> {
    if (isListening(block)) {
      let prepared = this.prepared.get(block.index);
      if (!prepared) {
        prepared = this.prepareListening(block, blockStart);
        this.prepared.set(block.index, prepared);
      }
      const ready = await prepared;
      if (!ready.ok) {
        if (ready.status === 'skipped') throw new Cancelled();
        return { status: ready.status, message: ready.message, ...(ready.topic !== undefined ? { topic: ready.topic } : {}) };
      }
      try {
        return ready.block.kind === 'expect' ? await this.expect(ready.block, ready.inbox) : await this.subscribe(ready.block, ready.inbox);
      } finally {
        this.inboxes.delete(ready.inbox);
        if (ready.inbox.lease) await this.release(ready.inbox.lease);
      }
    }
    const resolved = this.resolve(block);
    if (resolved.kind === 'publish') return this.publish(resolved);
    if (resolved.kind === 'request') return this.request(resolved);
    throw new BlockError('This block could not be prepared.');
  }

  private async payloadOf(block: ResolvedPublish | ResolvedRequest): Promise<Uint8Array> {
    if ('file' in block.payload) return this.readFile(block.payload.file, MAX_RUN_FILE_BYTES);
    const encoded = encodePayload(block.payload.text, block.format);
    if ('bytes' in encoded) return encoded.bytes;
    if ('error' in encoded) throw new BlockError(encoded.error);
    const decoders = this.options.decoders;
    if (!decoders) throw new BlockError('Format: decoder needs the decoders bound in the extension (mqttExplorer.decoders); they are not available here.');
    return bounded(decoders.encode(block.topic, encoded.encodeJson), this.brokerTimeoutMs, `Encoding for ${block.topic}`, this.signal);
  }

  private async readFile(path: string, maxBytes: number): Promise<Uint8Array> {
    // The reader's messages name the file already (ReadRunFile): kept as they are.
    const reading = this.options.readFile(path, maxBytes).catch((error: unknown) => {
      throw new BlockError(errorText(error));
    });
    return bounded(reading, this.brokerTimeoutMs, `Reading ${path}`, this.signal);
  }

  private async send(topic: string, payload: Uint8Array, block: ResolvedPublish | ResolvedRequest): Promise<PortPublishResult> {
    const properties = Object.keys(block.properties).length ? block.properties : undefined;
    const options = { qos: block.qos, retain: block.kind === 'publish' ? block.retain : false, ...(properties ? { properties } : {}) };
    return bounded(this.options.port.publish(topic, payload, options), this.brokerTimeoutMs, `Publishing to ${topic}`, this.signal);
  }

  private async publish(block: ResolvedPublish): Promise<Outcome> {
    const payload = await this.payloadOf(block);
    const result = await this.send(block.topic, payload, block);
    return { status: result.ok ? 'passed' : 'failed', message: result.ok ? describePublish(result) : `The broker refused it: ${describePublish(result)}`, topic: block.topic, publish: result };
  }

  private async request(block: ResolvedRequest): Promise<Outcome> {
    const payload = await this.payloadOf(block);
    const { responseTopic, correlationData } = block.properties;
    const wanted = new TextEncoder().encode(correlationData);
    const inbox = new Inbox(responseTopic, this.clock.now());
    this.inboxes.add(inbox);
    try {
      inbox.lease = await this.subscribeTo(responseTopic, block.qos, `Subscribing to the response topic ${responseTopic}`);
      const sentAt = this.clock.now();
      const result = await this.send(block.topic, payload, block);
      if (!result.ok) return { status: 'failed', message: `The broker refused the request: ${describePublish(result)}`, topic: block.topic, publish: result };
      const deadline = sentAt + block.timeoutMs;
      let closest: { arrival: Arrival; reason: string } | undefined;
      for (;;) {
        const arrival = await inbox.next(deadline, this.clock, this.signal);
        if (!arrival) break;
        const data = arrival.message.properties?.correlationData;
        if (data && data.length === wanted.length && data.every((byte, index) => byte === wanted[index])) {
          const latencyMs = Math.max(0, arrival.at - sentAt);
          return { status: 'passed', message: `Reply in ${latencyMs} ms.`, topic: block.topic, publish: result, latencyMs, reply: preview(arrival, sentAt) };
        }
        closest = { arrival, reason: data ? `its correlation data is ${JSON.stringify(new TextDecoder().decode(data))}, not ${JSON.stringify(correlationData)}` : 'it carries no correlation data' };
      }
      const dropped = inbox.dropped ? ` ${plural(inbox.dropped, 'message')} on it were dropped unexamined (too many at once).` : '';
      const message = closest
        ? `No reply in ${block.timeoutMs} ms: a message came on ${responseTopic}, but ${closest.reason}.${dropped}`
        : `No reply on ${responseTopic} in ${block.timeoutMs} ms.${dropped}`;
      return {
        status: 'failed',
        message,
        topic: block.topic,
        publish: result,
        expected: `A reply on ${responseTopic} with the correlation data ${JSON.stringify(correlationData)}`,
        actual: closest ? payloadText(closest.arrival.message.payload) : '(no message)',
      };
    } finally {
      this.inboxes.delete(inbox);
      if (inbox.lease) await this.release(inbox.lease);
    }
  }

  /** The expected payload, with a file read and made an expectation (expectedFromFile). */
  private async expectedPayload(expectation: Expectation): Promise<ExpectedPayload | undefined> {
    const payload = expectation.payload;
    if (payload?.kind !== 'file') return payload;
    const bytes = await this.readFile(payload.path, MAX_RUN_FILE_BYTES);
    const made = expectedFromFile(bytes, payload.format);
    if ('error' in made) throw new BlockError(`${payload.path}: ${made.error}`);
    return made;
  }

  /** Whether a message meets the block's conditions, JSON Schema included; a schema that cannot be used is a BlockError. */
  private async check(expectation: Expectation, payload: ExpectedPayload | undefined, arrival: Arrival): Promise<MatchResult & { decodedJson?: string }> {
    const { message } = arrival;
    const received: ReceivedMessage = { payload: message.payload, retained: message.retain };
    if (message.properties?.correlationData) received.correlationData = message.properties.correlationData;
    const wantsDecoded = payload?.kind === 'json' && payload.decoded;
    if (wantsDecoded && this.options.decoders) {
      const decoded = await bounded(this.options.decoders.decode(arrival.topic, message.payload), this.brokerTimeoutMs, `Decoding ${arrival.topic}`, this.signal);
      if (decoded !== undefined) received.decodedJson = decoded;
    } else if (wantsDecoded) throw new BlockError('Format: decoder needs the decoders bound in the extension (mqttExplorer.decoders); they are not available here.');
    const verdict = matchExpectation({ ...expectation, ...(payload ? { payload } : {}) }, received);
    const decodedJson = received.decodedJson !== undefined ? { decodedJson: received.decodedJson } : {};
    if (!verdict.ok || expectation.schema === undefined) return { ...verdict, ...decodedJson };
    const json = this.jsonForSchema(received.decodedJson, message.payload);
    if ('reason' in json) return { ok: false, reason: json.reason, ...decodedJson };
    let checked: MatchResult;
    try {
      checked = await bounded(this.validateSchema(expectation.schema, json.value), this.brokerTimeoutMs, `Checking against ${expectation.schema}`, this.signal);
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      throw new BlockError(error instanceof BlockError ? error.message.replace(/^Checking against [^:]*: /, `${expectation.schema}: `) : `${expectation.schema}: ${errorText(error)}`);
    }
    return { ...checked, ...decodedJson };
  }

  private jsonForSchema(decodedJson: string | undefined, payload: Uint8Array): { value: unknown } | { reason: string } {
    if (decodedJson === undefined && payload.length > MAX_SCHEMA_PAYLOAD_BYTES) return { reason: `The payload is larger than ${MAX_SCHEMA_PAYLOAD_BYTES / 1024 / 1024} MiB: it is not checked against a JSON Schema.` };
    let text: string;
    try {
      text = decodedJson ?? new TextDecoder('utf-8', { fatal: true }).decode(payload);
    } catch {
      return { reason: 'The payload is not UTF-8 text, so not JSON for its JSON Schema.' };
    }
    // The validator walks the value recursively: refuse what nests deeper than any view shows.
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return { reason: `The payload nests deeper than ${MAX_JSON_DEPTH} levels: it is not checked against a JSON Schema.` };
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      return { reason: `The payload is not JSON (${errorText(error)}), so it cannot satisfy its JSON Schema.` };
    }
  }

  private async expect(block: ResolvedExpect, inbox: Inbox): Promise<Outcome> {
    const payload = await this.expectedPayload(block.expectation);
    const deadline = inbox.origin + block.timeoutMs;
    const expected = expectedText(block.expectation, payload);
    // The closest miss: a new message over a retained one sent on subscribing, then the latest.
    let closest: { arrival: Arrival; reason: string; decodedJson?: string } | undefined;
    let examined = 0;
    for (;;) {
      const arrival = await inbox.next(deadline, this.clock, this.signal);
      if (!arrival) break;
      examined++;
      const verdict = await this.check(block.expectation, payload, arrival);
      if (verdict.ok) {
        const elapsed = Math.max(0, arrival.at - inbox.origin);
        if (block.withinMs !== undefined && elapsed > block.withinMs) {
          return {
            status: 'failed',
            message: `A matching message arrived after ${elapsed} ms; Within is ${block.withinMs} ms.`,
            topic: block.filter,
            reply: preview(arrival, inbox.origin),
            expected,
            actual: actualText(payload, arrival, verdict.decodedJson),
          };
        }
        return { status: 'passed', message: `Matched after ${elapsed} ms${arrival.topic !== block.filter ? ` (on ${arrival.topic})` : ''}.`, topic: block.filter, reply: preview(arrival, inbox.origin) };
      }
      if (!closest || !(arrival.message.retain && !closest.arrival.message.retain)) closest = { arrival, reason: verdict.reason, ...(verdict.decodedJson !== undefined ? { decodedJson: verdict.decodedJson } : {}) };
    }
    const waited = Math.max(0, Math.min(this.clock.now(), deadline) - inbox.origin);
    const dropped = inbox.dropped ? ` ${plural(inbox.dropped, 'more message')} were dropped unexamined (too many at once).` : '';
    const message = closest
      ? `No matching message on ${block.filter} in ${waited} ms (${plural(examined, 'message')} did not match). The closest, on ${closest.arrival.topic}: ${closest.reason}${dropped}`
      : `No message on ${block.filter} in ${waited} ms.${dropped}`;
    return { status: 'failed', message, topic: block.filter, expected, actual: actualText(payload, closest?.arrival, closest?.decodedJson) };
  }

  private async subscribe(block: ResolvedSubscribe, inbox: Inbox): Promise<Outcome> {
    const payload = await this.expectedPayload(block.expectation);
    const deadline = inbox.origin + block.timeoutMs;
    const shown: MessagePreview[] = [];
    let counted = 0;
    let dropped = 0;
    while (counted < block.count) {
      const arrival = await inbox.next(deadline, this.clock, this.signal);
      if (!arrival) break;
      const verdict = await this.check(block.expectation, payload, arrival);
      if (!verdict.ok) continue;
      counted++;
      if (shown.length < MAX_SHOWN_MESSAGES) shown.push(preview(arrival, inbox.origin));
      else dropped++;
    }
    dropped += inbox.dropped;
    const lost = inbox.dropped ? `; ${plural(inbox.dropped, 'message')} dropped unexamined (too many at once)` : '';
    const message = counted === 0 ? `No message on ${block.filter} in ${block.timeoutMs} ms${lost}.` : `${plural(counted, 'message')} on ${block.filter}${lost}.`;
    return { status: 'passed', message, topic: block.filter, received: { messages: shown, dropped } };
  }
}

/**
 * Runs the document's blocks in order as a flow (all of them, those `upTo` a block, or `only`
 * one), reporting each as it starts and finishes. Never rejects: a problem becomes a block's
 * `error`; an abort ends the run with the rest skipped. Subscriptions are released in every case.
 */
export async function runFile(document: MqttFileDocument, options: RunOptions, selection: RunSelection = {}): Promise<RunResult> {
  return new FlowRun(document, options).run(selection);
}
