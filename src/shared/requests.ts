/**
 * Request/response tracing, as the engine reports it: MQTT 5 requests (a message with a response
 * topic, usually with correlation data) seen on a connection, paired with their replies. Shared by
 * the engine worker and the Requests view. Structured-clone data only; no VS Code.
 */
import * as l10n from '@vscode/l10n';

/** What became of a request. */
export type ExchangeState =
  /** No reply yet, within the timeout. */
  | 'open'
  | 'answered'
  /** No reply within the timeout. */
  | 'timedOut'
  /** Dropped while open: more open requests than the connection keeps. */
  | 'evicted';

/** One request and, when it came, its reply. Never a whole payload: short previews only. */
export interface RequestExchange {
  /** Unique within the connection's tracker. */
  id: number;
  requestTopic: string;
  /** The request's topic was too long to keep whole: `requestTopic` is its beginning (it cannot be opened from here). */
  requestTopicCut: boolean;
  /** Where the requester wants the reply (cut like `requestTopic` when very long). */
  responseTopic: string;
  /** Correlation data as text (or hex), at most REQUEST_PREVIEW_CORRELATION_BYTES; absent when the request had none. */
  correlation?: string;
  /** Bytes of correlation data the request carried (0: none). */
  correlationBytes: number;
  /** Date.now() when the request arrived. */
  requestedAt: number;
  state: ExchangeState;
  /** Milliseconds from the request's arrival to its reply's (answered only). */
  latencyMs?: number;
  /** The first bytes of the request's payload, one line. */
  requestPreview: string;
  replyPreview?: string;
  /** No subscription of the connection matches the response topic: its reply cannot be seen. */
  responseUnseen: boolean;
}

export interface LatencyStats {
  avgMs: number;
  /** Over the last LATENCY_SAMPLES replies of the topic. */
  p95Ms: number;
  maxMs: number;
}

/** One request topic: its counts and its recent exchanges. */
export interface RequestTopicSummary {
  /** Identifies the topic within the connection (the topic itself, unless it was cut). */
  key: string;
  topic: string;
  topicCut: boolean;
  total: number;
  answered: number;
  timedOut: number;
  evicted: number;
  open: number;
  /** Requests whose response topic no subscription of the connection matches. */
  responseUnseen: number;
  latency?: LatencyStats;
  /** The newest first, at most SNAPSHOT_RECENT_PER_TOPIC. */
  recent: RequestExchange[];
  /** Date.now() of the newest request. */
  lastAt: number;
}

export interface RequestTotals {
  requests: number;
  answered: number;
  timedOut: number;
  open: number;
  /** Open requests dropped because the connection had the most it keeps (the oldest go first). */
  evicted: number;
  /** A request seen again (same response topic and correlation data) while the first one was open: not counted twice. */
  duplicates: number;
  /** Messages on a response topic with open requests whose correlation data matched none of them. */
  unmatchedReplies: number;
  /** Requests whose response topic no subscription of the connection matches. */
  responseUnseen: number;
  /** Request topics whose counts were forgotten (more topics than the tracker keeps; the least recent go). */
  forgottenTopics: number;
}

/** What the Requests view shows of one connection. */
export interface RequestsSnapshot {
  connectionId: string;
  /** An open request becomes unanswered after this long. */
  timeoutMs: number;
  totals: RequestTotals;
  /** The most recently active request topics, at most SNAPSHOT_TOPICS, in name order. */
  topics: RequestTopicSummary[];
  /** Request topics with counts that the snapshot leaves out (beyond SNAPSHOT_TOPICS). */
  moreTopics: number;
  /** A few response topics that no subscription matches (replies there cannot be seen), newest first. */
  unseenResponseTopics: string[];
}

/** Request topics a snapshot carries (the most recently active). */
export const SNAPSHOT_TOPICS = 50;
/** Exchanges a snapshot carries per request topic (the newest). */
export const SNAPSHOT_RECENT_PER_TOPIC = 10;
/** Correlation data bytes shown. */
export const REQUEST_PREVIEW_CORRELATION_BYTES = 32;
/** Payload characters of a request's or reply's preview. */
export const REQUEST_PREVIEW_CHARS = 80;
/** Replies per topic whose latency is kept for its p95. */
export const LATENCY_SAMPLES = 256;

/** Bounds of the engine's request tracking, per connection; the timeout comes from the setting. */
export interface RequestTrackerOptions {
  timeoutMs: number;
  /** Open requests kept; beyond, the oldest is dropped and counted. */
  maxOpen: number;
  /** Finished exchanges kept (answered, timed out, evicted), newest. */
  maxCompleted: number;
  /** Request topics whose counts are kept; beyond, the least recently active is forgotten and counted. */
  maxTopics: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export const DEFAULT_REQUEST_OPTIONS: RequestTrackerOptions = {
  timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  maxOpen: 1000,
  maxCompleted: 500,
  maxTopics: 1000,
};

/** "no reply after 30 s", "12 ms", "1.2 s": how an exchange ended, in the view's words. */
export function describeExchange(exchange: RequestExchange, timeoutMs: number): string {
  switch (exchange.state) {
    case 'answered':
      return formatLatency(exchange.latencyMs ?? 0);
    case 'timedOut':
      return l10n.t('no reply after {0}', formatLatency(timeoutMs));
    case 'evicted':
      return l10n.t('dropped unanswered (too many open requests)');
    case 'open':
      return exchange.responseUnseen ? l10n.t('waiting (its response topic is outside the subscriptions)') : l10n.t('waiting for a reply');
  }
}

export function formatLatency(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${seconds < 10 ? seconds.toFixed(1).replace(/\.0$/, '') : Math.round(seconds)} s`;
}
