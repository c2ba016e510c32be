import { createHash } from 'node:crypto';
import { oneLine, payloadAsText, hexPreview } from '../shared/format';
import {
  DEFAULT_REQUEST_OPTIONS,
  LATENCY_SAMPLES,
  REQUEST_PREVIEW_CHARS,
  REQUEST_PREVIEW_CORRELATION_BYTES,
  SNAPSHOT_RECENT_PER_TOPIC,
  SNAPSHOT_TOPICS,
  type ExchangeState,
  type RequestExchange,
  type RequestsSnapshot,
  type RequestTopicSummary,
  type RequestTotals,
  type RequestTrackerOptions,
} from '../shared/requests';

/** Longer topics are kept as their beginning plus a hash (a topic may be 64 KiB; a thousand of them would be 64 MiB). */
const MAX_KEPT_TOPIC_CHARS = 1024;
/** Correlation data up to this long is its own key (hex); longer is hashed (it may be 64 KiB). */
const MAX_PLAIN_CORRELATION_BYTES = 64;
/** Payload bytes read for a preview: never more is decoded or held. */
const PREVIEW_BYTES = 256;
/** Unseen response topics remembered for the view's hint. */
const MAX_UNSEEN_TOPICS = 5;

/** What the tracker needs of a message: MQTT 5's response topic and correlation data, and the first bytes of the payload. */
export interface TracedMessage {
  topic: string;
  payload: Uint8Array;
  responseTopic?: string;
  correlationData?: Uint8Array;
}

interface TopicKey {
  key: string;
  shown: string;
  cut: boolean;
}

interface OpenExchange extends RequestExchange {
  responseKey: string;
  /** Empty: the request had no correlation data (its reply is the next message on the response topic). */
  correlationKey: string;
  /** Its topic's counts (still updated when the topic was forgotten meanwhile: then nobody reads them). */
  counts: TopicCounts;
  /** The clock's reading at the request (fractional ms): latency is measured on it. */
  at: number;
}

interface ResponseWaiters {
  byCorrelation: Map<string, OpenExchange>;
  /** Requests without correlation data, oldest first: a message on the topic answers the oldest. */
  uncorrelated: OpenExchange[];
}

/** A finished exchange in the ring, with its topic's key. */
interface Finished {
  exchange: RequestExchange;
  topicKey: string;
}

interface TopicCounts {
  key: string;
  topic: string;
  cut: boolean;
  total: number;
  answered: number;
  timedOut: number;
  evicted: number;
  open: number;
  responseUnseen: number;
  latencySum: number;
  latencyMax: number;
  samples: Float64Array;
  sampleCount: number;
  lastAt: number;
}

function topicKey(topic: string): TopicKey {
  if (topic.length <= MAX_KEPT_TOPIC_CHARS) return { key: topic, shown: topic, cut: false };
  // A NUL cannot be part of a topic (MQTT §4.7.3), so no real topic equals a hashed key.
  const hash = createHash('sha256').update(topic).digest('base64');
  return { key: `\u0000${topic.length}:${hash}`, shown: `${topic.slice(0, MAX_KEPT_TOPIC_CHARS)}…`, cut: true };
}

function correlationKey(data: Uint8Array | undefined): string {
  if (!data || data.length === 0) return '';
  if (data.length <= MAX_PLAIN_CORRELATION_BYTES) return `x${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex')}`;
  return `h${data.length}:${createHash('sha256').update(data).digest('base64')}`;
}

/** Text when it is text, otherwise hex; at most REQUEST_PREVIEW_CORRELATION_BYTES, with the size when cut. */
export function correlationPreview(data: Uint8Array): string {
  const shown = data.subarray(0, REQUEST_PREVIEW_CORRELATION_BYTES);
  const cut = data.length > shown.length ? `… (${data.length.toLocaleString('en-US')} bytes)` : '';
  const text = textOf(shown, data.length > shown.length);
  return text !== undefined ? `${JSON.stringify(text)}${cut}` : `0x ${hexPreview(shown, REQUEST_PREVIEW_CORRELATION_BYTES)}${cut}`;
}

/** The bytes as text; a cut may split a UTF-8 character at the end, which is then left out. */
function textOf(bytes: Uint8Array, cut: boolean): string | undefined {
  for (let drop = 0; drop <= (cut ? 3 : 0) && drop < bytes.length; drop++) {
    const text = payloadAsText(bytes.subarray(0, bytes.length - drop));
    if (text !== undefined) return text;
  }
  return bytes.length === 0 ? '' : undefined;
}

export function payloadPreview(payload: Uint8Array): string {
  const shown = payload.subarray(0, PREVIEW_BYTES);
  if (shown.length < payload.length) {
    const text = textOf(shown, true);
    if (text !== undefined) return `${text.replace(/\s+/g, ' ').trim().slice(0, REQUEST_PREVIEW_CHARS - 1)}…`;
  }
  return oneLine(shown, REQUEST_PREVIEW_CHARS);
}

/**
 * Pairs a connection's MQTT 5 requests with their replies. A message with a response topic is a
 * request; a later message on that topic with the same correlation data is its reply (a request
 * without correlation data is answered by the next message on the topic, the oldest such request
 * first). Every bound counts what it drops: open requests (the oldest go), finished exchanges (a
 * ring of the newest), request topics with counts (the least recently active go). Only short
 * previews of payloads are kept. Per message, when no request is open and the message carries no
 * response topic, it costs one size check.
 */
export class RequestTracker {
  private options: RequestTrackerOptions;
  /** Open requests in arrival order: the oldest is the first to time out or be evicted. */
  private readonly open = new Map<number, OpenExchange>();
  private readonly waiters = new Map<string, ResponseWaiters>();
  private readonly completed: Finished[] = [];
  /** Where the next finished exchange goes in the ring. */
  private completedNext = 0;
  /** Per request topic key; a Map keeps insertion order, re-inserted on use: the first is the least recent. */
  private readonly topics = new Map<string, TopicCounts>();
  private readonly unseenTopics: string[] = [];
  private nextId = 1;
  private totals: RequestTotals = emptyTotals();
  /** Counts or exchanges changed since the last snapshot. */
  changed = false;

  constructor(
    /** Whether a subscription of the connection matches a topic (so its messages can be seen). */
    private readonly sees: (topic: string) => boolean,
    options: Partial<RequestTrackerOptions> = {},
    /** Milliseconds, fractional and never going back (latency is measured on it), as a wall-clock time. */
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {
    this.options = { ...DEFAULT_REQUEST_OPTIONS, ...options };
  }

  get openCount(): number {
    return this.open.size;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  set timeoutMs(value: number) {
    this.options = { ...this.options, timeoutMs: value };
  }

  /** Every message of the connection, in the order received. */
  onMessage(message: TracedMessage): void {
    if (this.open.size === 0 && message.responseTopic === undefined) return;
    const now = this.now();
    if (this.open.size) {
      this.expire(now);
      this.reply(message, now);
    }
    if (message.responseTopic !== undefined) this.request(message, message.responseTopic, now);
  }

  private reply(message: TracedMessage, now: number): void {
    const responseKey = topicKey(message.topic).key;
    const waiting = this.waiters.get(responseKey);
    if (!waiting) return;
    const correlation = correlationKey(message.correlationData);
    let exchange: OpenExchange | undefined;
    if (correlation) {
      exchange = waiting.byCorrelation.get(correlation);
      if (!exchange) {
        this.totals.unmatchedReplies++;
        this.changed = true;
        return;
      }
    } else {
      exchange = waiting.uncorrelated[0];
      if (!exchange) return;
    }
    exchange.latencyMs = Math.max(0, now - exchange.at);
    exchange.replyPreview = payloadPreview(message.payload);
    const counts = exchange.counts;
    counts.latencySum += exchange.latencyMs;
    counts.latencyMax = Math.max(counts.latencyMax, exchange.latencyMs);
    counts.samples[counts.sampleCount % LATENCY_SAMPLES] = exchange.latencyMs;
    counts.sampleCount++;
    this.finish(exchange, 'answered');
  }

  private request(message: TracedMessage, responseTopic: string, now: number): void {
    const response = topicKey(responseTopic);
    const correlation = correlationKey(message.correlationData);
    let waiting = this.waiters.get(response.key);
    if (correlation && waiting?.byCorrelation.has(correlation)) {
      // The same request again (a retry, or two subscriptions delivering one message): the first one is timed.
      this.totals.duplicates++;
      this.changed = true;
      return;
    }
    const topic = topicKey(message.topic);
    const responseUnseen = !this.sees(responseTopic);
    const counts = this.countsFor(topic, now);
    const exchange: OpenExchange = {
      id: this.nextId++,
      requestTopic: topic.shown,
      requestTopicCut: topic.cut,
      responseTopic: response.shown,
      correlationBytes: message.correlationData?.length ?? 0,
      requestedAt: now,
      state: 'open',
      requestPreview: payloadPreview(message.payload),
      responseUnseen,
      responseKey: response.key,
      correlationKey: correlation,
      counts,
      at: now,
    };
    if (message.correlationData?.length) exchange.correlation = correlationPreview(message.correlationData);
    if (!waiting) {
      waiting = { byCorrelation: new Map(), uncorrelated: [] };
      this.waiters.set(response.key, waiting);
    }
    if (correlation) waiting.byCorrelation.set(correlation, exchange);
    else waiting.uncorrelated.push(exchange);
    this.open.set(exchange.id, exchange);
    counts.total++;
    counts.open++;
    this.totals.requests++;
    this.totals.open++;
    if (responseUnseen) {
      counts.responseUnseen++;
      this.totals.responseUnseen++;
      this.noteUnseen(response.shown);
    }
    this.changed = true;
    // The bound: the oldest open request goes, counted.
    while (this.open.size > this.options.maxOpen) {
      const oldest = this.open.values().next().value as OpenExchange;
      this.finish(oldest, 'evicted');
    }
  }

  private noteUnseen(topic: string): void {
    const at = this.unseenTopics.indexOf(topic);
    if (at >= 0) this.unseenTopics.splice(at, 1);
    this.unseenTopics.unshift(topic);
    if (this.unseenTopics.length > MAX_UNSEEN_TOPICS) this.unseenTopics.pop();
  }

  private countsFor(topic: TopicKey, now: number): TopicCounts {
    let counts = this.topics.get(topic.key);
    if (counts) this.topics.delete(topic.key);
    else {
      counts = { key: topic.key, topic: topic.shown, cut: topic.cut, total: 0, answered: 0, timedOut: 0, evicted: 0, open: 0, responseUnseen: 0, latencySum: 0, latencyMax: 0, samples: new Float64Array(LATENCY_SAMPLES), sampleCount: 0, lastAt: now };
    }
    counts.lastAt = now;
    // Re-inserted: the Map's first entry is the least recently active topic.
    this.topics.set(topic.key, counts);
    while (this.topics.size > this.options.maxTopics) {
      const least = this.topics.keys().next().value as string;
      this.topics.delete(least);
      this.totals.forgottenTopics++;
    }
    return counts;
  }

  /** Moves an open request to the finished ring. */
  private finish(exchange: OpenExchange, state: Exclude<ExchangeState, 'open'>): void {
    this.open.delete(exchange.id);
    const waiting = this.waiters.get(exchange.responseKey);
    if (waiting) {
      if (exchange.correlationKey) waiting.byCorrelation.delete(exchange.correlationKey);
      else {
        const at = waiting.uncorrelated.indexOf(exchange);
        if (at >= 0) waiting.uncorrelated.splice(at, 1);
      }
      if (waiting.byCorrelation.size === 0 && waiting.uncorrelated.length === 0) this.waiters.delete(exchange.responseKey);
    }
    exchange.state = state;
    this.totals.open--;
    this.totals[state]++;
    exchange.counts.open--;
    exchange.counts[state]++;
    const finished: Finished = { exchange: publicExchange(exchange), topicKey: exchange.counts.key };
    if (this.completed.length < this.options.maxCompleted) this.completed.push(finished);
    else this.completed[this.completedNext] = finished;
    this.completedNext = (this.completedNext + 1) % this.options.maxCompleted;
    this.changed = true;
  }

  /** Open requests older than the timeout become unanswered. The oldest are first: it stops at the first that is not due. */
  expire(now: number = this.now()): void {
    for (const exchange of this.open.values()) {
      if (now - exchange.at < this.options.timeoutMs) return;
      this.finish(exchange, 'timedOut');
    }
  }

  /** Forgets everything (the Clear command), except the ids, which keep counting. */
  clear(): void {
    this.open.clear();
    this.waiters.clear();
    this.completed.length = 0;
    this.completedNext = 0;
    this.topics.clear();
    this.unseenTopics.length = 0;
    this.totals = emptyTotals();
    this.changed = true;
  }

  snapshot(connectionId: string): RequestsSnapshot {
    this.expire();
    this.changed = false;
    // The most recently active topics are the last ones of the Map.
    const all = [...this.topics.values()];
    const kept = all.slice(-SNAPSHOT_TOPICS);
    const byKey = new Map<string, RequestTopicSummary>();
    for (const counts of kept) {
      const summary: RequestTopicSummary = {
        key: counts.key,
        topic: counts.topic,
        topicCut: counts.cut,
        total: counts.total,
        answered: counts.answered,
        timedOut: counts.timedOut,
        evicted: counts.evicted,
        open: counts.open,
        responseUnseen: counts.responseUnseen,
        recent: [],
        lastAt: counts.lastAt,
      };
      if (counts.answered > 0) summary.latency = latencyOf(counts);
      byKey.set(counts.key, summary);
    }
    // Newest first: open requests (newest last in the Map), then the ring from its newest.
    const open = [...this.open.values()];
    for (let i = open.length - 1; i >= 0; i--) {
      const summary = byKey.get(open[i].counts.key);
      if (summary && summary.recent.length < SNAPSHOT_RECENT_PER_TOPIC) summary.recent.push(publicExchange(open[i]));
    }
    const ring = this.completed;
    for (let n = 1; n <= ring.length; n++) {
      const { exchange, topicKey: key } = ring[(this.completedNext - n + ring.length) % ring.length];
      const summary = byKey.get(key);
      if (summary && summary.recent.length < SNAPSHOT_RECENT_PER_TOPIC) summary.recent.push(exchange);
    }
    const topics = [...byKey.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    for (const topic of topics) topic.recent.sort((a, b) => b.requestedAt - a.requestedAt || b.id - a.id);
    return {
      connectionId,
      timeoutMs: this.options.timeoutMs,
      totals: { ...this.totals },
      topics,
      moreTopics: all.length - kept.length,
      unseenResponseTopics: [...this.unseenTopics],
    };
  }
}

/** The exchange without the tracker's own fields (structured clone carries every own field). */
function publicExchange(exchange: OpenExchange): RequestExchange {
  const copy: RequestExchange = {
    id: exchange.id,
    requestTopic: exchange.requestTopic,
    requestTopicCut: exchange.requestTopicCut,
    responseTopic: exchange.responseTopic,
    correlationBytes: exchange.correlationBytes,
    requestedAt: exchange.requestedAt,
    state: exchange.state,
    requestPreview: exchange.requestPreview,
    responseUnseen: exchange.responseUnseen,
  };
  if (exchange.correlation !== undefined) copy.correlation = exchange.correlation;
  if (exchange.latencyMs !== undefined) copy.latencyMs = exchange.latencyMs;
  if (exchange.replyPreview !== undefined) copy.replyPreview = exchange.replyPreview;
  return copy;
}

function latencyOf(counts: TopicCounts): { avgMs: number; p95Ms: number; maxMs: number } {
  const n = Math.min(counts.sampleCount, LATENCY_SAMPLES);
  const sorted = Array.from(counts.samples.subarray(0, n)).sort((a, b) => a - b);
  // Nearest rank: the smallest sample with at least 95 % of the samples at or below it.
  const p95 = sorted[Math.max(0, Math.ceil(0.95 * n) - 1)];
  return { avgMs: counts.latencySum / counts.answered, p95Ms: p95, maxMs: counts.latencyMax };
}

function emptyTotals(): RequestTotals {
  return { requests: 0, answered: 0, timedOut: 0, open: 0, evicted: 0, duplicates: 0, unmatchedReplies: 0, responseUnseen: 0, forgottenTopics: 0 };
}
