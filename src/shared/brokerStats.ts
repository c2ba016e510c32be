/**
 * Broker statistics from `$SYS` topics: what one `$SYS` message says (parseSysMessage), for
 * mosquitto, HiveMQ's SYS-topic extension (mosquitto's names), EMQX and aedes (with aedes-stats),
 * and the snapshot the engine keeps of a connection's figures (BrokerStatsSnapshot). Pure code: no
 * VS Code, no Node. docs/broker-statistics.md lists the topics understood.
 *
 * Payloads are untrusted: only short payloads are read (MAX_SYS_PAYLOAD_BYTES), numbers must be
 * finite and not negative, texts are cut and stripped of control characters; nothing throws.
 */

import * as l10n from '@vscode/l10n';

export type BrokerKind = 'mosquitto' | 'hivemq' | 'emqx' | 'aedes' | 'unknown';

// The texts of this file are functions, not tables: l10n.t must run after the webview configured its
// bundle (webview/localize.ts), never when the module loads.

/** A broker's product name, for the Broker view. */
export function brokerName(kind: BrokerKind): string {
  const names: Record<Exclude<BrokerKind, 'unknown'>, string> = { mosquitto: 'Mosquitto', hivemq: 'HiveMQ', emqx: 'EMQX', aedes: 'aedes' };
  return kind === 'unknown' ? l10n.t('Unknown broker') : names[kind];
}

/** The normalised figures. Rates are per second; `dropped` is the broker's total since it started; `uptime` is in seconds. */
export type FigureKey = 'clients' | 'messagesIn' | 'messagesOut' | 'bytesIn' | 'bytesOut' | 'subscriptions' | 'retained' | 'dropped' | 'uptime';
export type RateFigure = 'messagesIn' | 'messagesOut' | 'bytesIn' | 'bytesOut';
export type GaugeFigure = 'clients' | 'subscriptions' | 'retained' | 'dropped' | 'uptime';

export const FIGURE_KEYS: readonly FigureKey[] = ['clients', 'messagesIn', 'messagesOut', 'bytesIn', 'bytesOut', 'subscriptions', 'retained', 'dropped', 'uptime'];
export const RATE_FIGURES: readonly RateFigure[] = ['messagesIn', 'messagesOut', 'bytesIn', 'bytesOut'];

/** A figure's name on its tile, in the display language. */
export function figureLabel(key: FigureKey): string {
  switch (key) {
    case 'clients':
      return l10n.t('Clients connected');
    case 'messagesIn':
      return l10n.t('Messages received /s');
    case 'messagesOut':
      return l10n.t('Messages sent /s');
    case 'bytesIn':
      return l10n.t('Bytes received /s');
    case 'bytesOut':
      return l10n.t('Bytes sent /s');
    case 'subscriptions':
      return l10n.t('Subscriptions');
    case 'retained':
      return l10n.t('Retained messages');
    case 'dropped':
      return l10n.t('Dropped messages');
    case 'uptime':
      return l10n.t('Uptime');
  }
}

/**
 * The broker-specific figures' names. The engine reports an extra by its English name (its identity
 * across messages); the Broker view shows it through extraLabel. Typing the rules' labels as keys of
 * this table makes a figure without a translation a compile error.
 */
const EXTRA_LABELS = {
  Built: () => l10n.t('Built'),
  'Clients at most': () => l10n.t('Clients at most'),
  'Clients known': () => l10n.t('Clients known'),
  'Clients disconnected (persistent)': () => l10n.t('Clients disconnected (persistent)'),
  'Clients expired': () => l10n.t('Clients expired'),
  Heap: () => l10n.t('Heap'),
  'Heap at most': () => l10n.t('Heap at most'),
  'Messages stored': () => l10n.t('Messages stored'),
  'Messages in flight': () => l10n.t('Messages in flight'),
  'Stored messages': () => l10n.t('Stored messages'),
  'Shared subscriptions': () => l10n.t('Shared subscriptions'),
  'PUBLISH received (total)': () => l10n.t('PUBLISH received (total)'),
  'PUBLISH sent (total)': () => l10n.t('PUBLISH sent (total)'),
  'Connections /min (1 min)': () => l10n.t('Connections /min (1 min)'),
  'Broker time': () => l10n.t('Broker time'),
  Description: () => l10n.t('Description'),
  'Connections at most': () => l10n.t('Connections at most'),
  'Live connections': () => l10n.t('Live connections'),
  Sessions: () => l10n.t('Sessions'),
  Topics: () => l10n.t('Topics'),
  Subscribers: () => l10n.t('Subscribers'),
  'Subscription options': () => l10n.t('Subscription options'),
  'Retained messages received (total)': () => l10n.t('Retained messages received (total)'),
  'QoS 0 received (total)': () => l10n.t('QoS 0 received (total)'),
  'QoS 1 received (total)': () => l10n.t('QoS 1 received (total)'),
  'QoS 2 received (total)': () => l10n.t('QoS 2 received (total)'),
  'Heap used': () => l10n.t('Heap used'),
  'Heap total': () => l10n.t('Heap total'),
  'CPU %': () => l10n.t('CPU %'),
  'Load average (1 min)': () => l10n.t('Load average (1 min)'),
  'Load average (5 min)': () => l10n.t('Load average (5 min)'),
  'Load average (15 min)': () => l10n.t('Load average (15 min)'),
} satisfies Record<string, () => string>;

type ExtraLabel = keyof typeof EXTRA_LABELS;

/** A broker-specific figure's name (as the engine reports it) in the display language; an unknown one as it is. */
export function extraLabel(label: string): string {
  return Object.hasOwn(EXTRA_LABELS, label) ? EXTRA_LABELS[label as ExtraLabel]() : label;
}

/** Payload bytes read of a `$SYS` message; a longer one is no figure (counted as rejected). */
export const MAX_SYS_PAYLOAD_BYTES = 256;
/** Characters of a `$SYS` topic read; a longer one is not understood. */
export const MAX_SYS_TOPIC_CHARS = 512;
/** Characters kept of a text figure (version, description). */
export const MAX_SYS_TEXT = 120;

/** What one `$SYS` message says. */
export type SysReading =
  /** A current value: clients, subscriptions, retained, dropped (a total), uptime in seconds. */
  | { kind: 'gauge'; figure: GaugeFigure; value: number }
  /** A cumulative counter since the broker started: rates come from its changes over time. */
  | { kind: 'counter'; figure: RateFigure; value: number }
  /** The broker's own 1-minute load average, converted to per second (mosquitto and HiveMQ give it per minute). */
  | { kind: 'load'; figure: RateFigure; perSecond: number }
  | { kind: 'version'; text: string }
  /** A broker-specific figure shown as it is (heap, CPU, maximum clients…). */
  | { kind: 'extra'; label: string; text: string }
  /** Recognised, but no figure (heartbeats, client events). */
  | { kind: 'marker' };

export type SysParse =
  | { ok: true; broker: BrokerKind; node?: string; reading: SysReading }
  /** `known`: the topic is one this parser reads, but its payload is not a valid value (too long, not a number, negative…). */
  | { ok: false; known: boolean; broker?: BrokerKind };

type Shape = 'count' | 'rate' | 'seconds' | 'millis' | 'duration' | 'text' | 'number' | 'bytes' | 'marker';

interface TopicRule {
  shape: Shape;
  /** Where the value goes; extras have a label instead. */
  to?: { kind: 'gauge'; figure: GaugeFigure } | { kind: 'counter' | 'load'; figure: RateFigure } | { kind: 'version' };
  label?: ExtraLabel;
}

const gauge = (figure: GaugeFigure, shape: Shape = 'count'): TopicRule => ({ shape, to: { kind: 'gauge', figure } });
const counter = (figure: RateFigure): TopicRule => ({ shape: 'count', to: { kind: 'counter', figure } });
const load = (figure: RateFigure): TopicRule => ({ shape: 'rate', to: { kind: 'load', figure } });
const extra = (label: ExtraLabel, shape: Shape = 'number'): TopicRule => ({ shape, label });
const version: TopicRule = { shape: 'text', to: { kind: 'version' } };
const marker: TopicRule = { shape: 'marker' };

/** `$SYS/broker/…`: mosquitto 1.x and 2.x, and HiveMQ's SYS-topic extension (which took mosquitto's names). */
const MOSQUITTO: ReadonlyMap<string, TopicRule> = new Map([
  ['clients/connected', gauge('clients')],
  // mosquitto 1.x's older name of the same count.
  ['clients/active', gauge('clients')],
  ['messages/received', counter('messagesIn')],
  ['messages/sent', counter('messagesOut')],
  ['bytes/received', counter('bytesIn')],
  ['bytes/sent', counter('bytesOut')],
  // mosquitto 1.x and HiveMQ: the totals under load/.
  ['load/bytes/received', counter('bytesIn')],
  ['load/bytes/sent', counter('bytesOut')],
  ['load/messages/received/1min', load('messagesIn')],
  ['load/messages/sent/1min', load('messagesOut')],
  ['load/bytes/received/1min', load('bytesIn')],
  ['load/bytes/sent/1min', load('bytesOut')],
  ['subscriptions/count', gauge('subscriptions')],
  ['retained messages/count', gauge('retained')],
  ['messages/retained/count', gauge('retained')],
  ['publish/messages/dropped', gauge('dropped')],
  ['messages/publish/dropped', gauge('dropped')],
  ['uptime', gauge('uptime', 'seconds')],
  ['version', version],
  ['timestamp', extra('Built', 'text')],
  ['clients/maximum', extra('Clients at most')],
  ['clients/total', extra('Clients known')],
  ['clients/disconnected', extra('Clients disconnected (persistent)')],
  ['clients/expired', extra('Clients expired')],
  ['heap/current', extra('Heap', 'bytes')],
  ['heap/maximum', extra('Heap at most', 'bytes')],
  ['messages/stored', extra('Messages stored')],
  ['messages/inflight', extra('Messages in flight')],
  ['store/messages/bytes', extra('Stored messages', 'bytes')],
  ['shared_subscriptions/count', extra('Shared subscriptions')],
  ['publish/messages/received', extra('PUBLISH received (total)')],
  ['publish/messages/sent', extra('PUBLISH sent (total)')],
  ['messages/publish/received', extra('PUBLISH received (total)')],
  ['messages/publish/sent', extra('PUBLISH sent (total)')],
  ['load/connections/1min', extra('Connections /min (1 min)')],
]);

/** `$SYS/brokers/<node>/…`: EMQX 4 and 5 (stats and metrics with dots turned into levels). */
const EMQX: ReadonlyMap<string, TopicRule> = new Map([
  ['version', version],
  ['uptime', gauge('uptime', 'duration')],
  ['datetime', extra('Broker time', 'text')],
  ['sysdescr', extra('Description', 'text')],
  ['stats/connections/count', gauge('clients')],
  ['stats/subscriptions/count', gauge('subscriptions')],
  ['stats/retained/count', gauge('retained')],
  ['stats/connections/max', extra('Connections at most')],
  ['stats/live_connections/count', extra('Live connections')],
  ['stats/sessions/count', extra('Sessions')],
  ['stats/topics/count', extra('Topics')],
  ['stats/subscribers/count', extra('Subscribers')],
  ['stats/suboptions/count', extra('Subscription options')],
  ['metrics/messages/received', counter('messagesIn')],
  ['metrics/messages/sent', counter('messagesOut')],
  ['metrics/bytes/received', counter('bytesIn')],
  ['metrics/bytes/sent', counter('bytesOut')],
  ['metrics/messages/dropped', gauge('dropped')],
  ['metrics/messages/retained', extra('Retained messages received (total)')],
  ['metrics/messages/qos0/received', extra('QoS 0 received (total)')],
  ['metrics/messages/qos1/received', extra('QoS 1 received (total)')],
  ['metrics/messages/qos2/received', extra('QoS 2 received (total)')],
]);

/** `$SYS/<broker id>/…`: aedes itself (heartbeat, birth, client events) and the aedes-stats plugin. */
const AEDES: ReadonlyMap<string, TopicRule> = new Map([
  ['heartbeat', marker],
  ['birth', marker],
  ['new/clients', marker],
  ['disconnect/clients', marker],
  ['uptime', gauge('uptime', 'seconds')],
  ['clients/total', gauge('clients')],
  // aedes-stats counts every PUBLISH the broker handles (not $SYS) under this name: what clients published to it.
  ['messages/publish/sent', counter('messagesIn')],
  ['clients/maximum', extra('Clients at most')],
  ['time', extra('Broker time', 'text')],
  ['memory/heap/current', extra('Heap used', 'bytes')],
  ['memory/heap/maximum', extra('Heap total', 'bytes')],
  ['cpu/usage', extra('CPU %')],
  ['cpu/avg/last/1', extra('Load average (1 min)')],
  ['cpu/avg/last/5', extra('Load average (5 min)')],
  ['cpu/avg/last/15', extra('Load average (15 min)')],
]);

const NUMBER = /^\s*(\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE]([+-]?\d{1,4}))?\s*$/;
const SECONDS = /^\s*(\d{1,20})\s*(?:s|secs?|seconds?)?\s*$/i;
const DURATION_PART = /(\d{1,12})\s*(day|hour|minute|min|second|sec)s?/gi;
const UNIT_SECONDS: Record<string, number> = { day: 86_400, hour: 3600, minute: 60, min: 60, second: 1, sec: 1 };

/** A finite number ≥ 0, or undefined: no sign, no NaN, no Infinity, bounded digits (no regex backtracking: each part is bounded). */
export function parseFigure(text: string): number | undefined {
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const value = Number(match[2] === undefined ? match[1] : `${match[1]}e${match[2]}`);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Seconds from "12", "12 seconds" (mosquitto), or "1 days, 2 hours, 3 minutes, 4 seconds" (EMQX 4). */
export function parseDuration(text: string): number | undefined {
  const seconds = SECONDS.exec(text);
  if (seconds) return Number(seconds[1]);
  let total = 0;
  let parts = 0;
  DURATION_PART.lastIndex = 0;
  for (let match = DURATION_PART.exec(text); match && parts < 8; match = DURATION_PART.exec(text), parts++) {
    total += Number(match[1]) * UNIT_SECONDS[match[2].toLowerCase()];
  }
  return parts > 0 && Number.isFinite(total) ? total : undefined;
}

/** Printable text, cut to MAX_SYS_TEXT: control and formatting characters become spaces. */
export function cleanText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, ' ').trim().slice(0, MAX_SYS_TEXT);
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function formatBytes(value: number): string {
  if (value < 1024) return `${value} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value / 1024;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toFixed(1)} ${units[unit]}`;
}

function read(rule: TopicRule, text: string, broker: BrokerKind): SysReading | undefined {
  if (rule.shape === 'marker') return { kind: 'marker' };
  if (rule.to?.kind === 'version') {
    const clean = cleanText(text);
    return clean ? { kind: 'version', text: clean } : undefined;
  }
  if (rule.shape === 'text') {
    const clean = cleanText(text);
    return clean && rule.label ? { kind: 'extra', label: rule.label, text: clean } : undefined;
  }
  let value: number | undefined;
  if (rule.shape === 'seconds') value = parseDuration(text);
  else if (rule.shape === 'duration') {
    // EMQX 5 publishes its uptime in milliseconds (a bare number), EMQX 4 as "N hours, N minutes, N seconds".
    const millis = broker === 'emqx' && SECONDS.test(text) && !/[a-z]/i.test(text) ? parseFigure(text) : undefined;
    value = millis !== undefined ? Math.floor(millis / 1000) : parseDuration(text);
  } else value = parseFigure(text);
  if (value === undefined) return undefined;
  const to = rule.to;
  if (!to) return rule.label ? { kind: 'extra', label: rule.label, text: rule.shape === 'bytes' ? formatBytes(value) : String(value) } : undefined;
  if (to.kind === 'gauge') return { kind: 'gauge', figure: to.figure, value };
  if (to.kind === 'counter') return { kind: 'counter', figure: to.figure, value };
  if (to.kind === 'load') return { kind: 'load', figure: to.figure, perSecond: value / 60 };
  return undefined;
}

/**
 * What one `$SYS` message says, or why not. The broker is told by the topic's shape: `$SYS/broker/…`
 * mosquitto (HiveMQ when its version says so: see BrokerStatsState), `$SYS/brokers/<node>/…` EMQX,
 * `$SYS/<id>/…` with one of aedes's names aedes.
 */
export function parseSysMessage(topic: string, payload: Uint8Array): SysParse {
  if (topic.length > MAX_SYS_TOPIC_CHARS || !topic.startsWith('$SYS/')) return { ok: false, known: false };
  let broker: BrokerKind;
  let node: string | undefined;
  let rule: TopicRule | undefined;
  if (topic.startsWith('$SYS/broker/')) {
    broker = 'mosquitto';
    rule = MOSQUITTO.get(topic.slice('$SYS/broker/'.length));
  } else if (topic.startsWith('$SYS/brokers/')) {
    broker = 'emqx';
    const rest = topic.slice('$SYS/brokers/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return { ok: false, known: false };
    node = rest.slice(0, slash);
    const name = rest.slice(slash + 1);
    rule = EMQX.get(name) ?? (name.startsWith('clients/') ? marker : undefined);
  } else if (topic === '$SYS/brokers') {
    return { ok: true, broker: 'emqx', reading: { kind: 'marker' } };
  } else {
    const rest = topic.slice('$SYS/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return { ok: false, known: false };
    rule = AEDES.get(rest.slice(slash + 1));
    if (!rule) return { ok: false, known: false };
    broker = 'aedes';
    node = rest.slice(0, slash);
  }
  if (!rule) return { ok: false, known: false, broker };
  if (payload.length > MAX_SYS_PAYLOAD_BYTES) return { ok: false, known: true, broker };
  const text = rule.shape === 'marker' ? '' : decoder.decode(payload);
  const reading = read(rule, text, broker);
  if (!reading) return { ok: false, known: true, broker };
  if (broker === 'mosquitto') {
    // HiveMQ's extension took mosquitto's names: its version says HiveMQ, and its uptime is a bare number (mosquitto writes "N seconds").
    if (reading.kind === 'version' && /hivemq/i.test(reading.text)) broker = 'hivemq';
    if (reading.kind === 'gauge' && reading.figure === 'uptime' && !/[a-z]/i.test(text)) broker = 'hivemq';
  }
  return node === undefined ? { ok: true, broker, reading } : { ok: true, broker, node: cleanText(node), reading };
}

/** A figure's latest value. `source` for rates: from the broker's cumulative counters, or its own 1-minute load average. */
export interface FigureValue {
  value: number;
  at: number;
  source?: 'counters' | 'load';
}

/** One figure over the session: times (ms since the epoch) and values, oldest first. */
export interface FigureSeries {
  key: FigureKey;
  t: number[];
  v: number[];
}

/** Whether a subscription of the connection can bring `$SYS` messages. */
export type SysSubscriptionState =
  | { state: 'active'; filter: string }
  | { state: 'pending'; filter: string }
  | { state: 'refused'; filter: string; reason: string }
  /** No subscription starts with `$SYS` (`#` does not match `$SYS` topics). */
  | { state: 'absent' };

/** What the engine knows of a connection's broker from its `$SYS` messages (the `brokerStats` request and event). */
export interface BrokerStatsSnapshot {
  connectionId: string;
  broker: BrokerKind;
  /** EMQX's node, or aedes's broker id, that the figures are of (the first one seen). */
  node?: string;
  version?: string;
  /** Whether any `$SYS` message arrived since the connection was made (or the engine started). */
  sysSeen: boolean;
  firstSysAt?: number;
  lastSysAt?: number;
  /** `$SYS` messages seen; of those, understood (a figure, a version, a marker), and with a payload refused (too long, not a number, negative). */
  sysMessages: number;
  understood: number;
  rejected: number;
  /** The latest value of each figure seen. */
  figures: Partial<Record<FigureKey, FigureValue>>;
  /** Broker-specific figures, as text, in the order first seen (at most MAX_EXTRAS; `extrasDropped` counts the others). */
  extras: { label: string; text: string }[];
  extrasDropped: number;
  series: FigureSeries[];
  /** Points kept over all series, points dropped by thinning (older points halved), and the bytes the series hold. */
  points: number;
  thinned: number;
  bytes: number;
  /** Counter resets seen (the broker restarted): no rate is drawn across them. */
  resets: number;
  /** The connection: since when it is connected (undefined: not connected), and its `$SYS` subscription. */
  connectedSince?: number;
  subscription: SysSubscriptionState;
}

export const MAX_EXTRAS = 32;

/** How long the view waits after connecting for a first `$SYS` message before saying the broker publishes none (mosquitto's default interval is 10 s). */
export const SYS_WAIT_MS = 25_000;

/** A figure for a tile: "12", "3.4 k", "1.2 MiB/s", "2 d 03:04:05". */
export function formatFigure(key: FigureKey, value: number): string {
  if (key === 'uptime') {
    const days = Math.floor(value / 86_400);
    const rest = value - days * 86_400;
    const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
    const clock = `${pad(rest / 3600)}:${pad((rest % 3600) / 60)}:${pad(rest % 60)}`;
    return days ? `${days} d ${clock}` : clock;
  }
  if (key === 'bytesIn' || key === 'bytesOut') return `${formatBytes(Math.round(value))}/s`;
  if (key === 'messagesIn' || key === 'messagesOut') return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(value >= 10 ? 1 : 2);
  return Math.round(value).toLocaleString('en-US');
}

/** What to tell the user when the broker publishes no `$SYS`, by broker when known. */
export function howToEnableSys(): string {
  return l10n.t(
    'Mosquitto publishes $SYS every sys_interval seconds (10 by default; 0 turns it off: set sys_interval 10 in mosquitto.conf). EMQX allows $SYS to local clients only by default (sys_topics settings and the ACL). HiveMQ needs its SYS-topic extension. aedes publishes heartbeats only; figures need the aedes-stats plugin. The connection must subscribe to $SYS/# (the default subscriptions do; # alone does not match $SYS topics).',
  );
}
