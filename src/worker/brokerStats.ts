import {
  FIGURE_KEYS,
  MAX_EXTRAS,
  RATE_FIGURES,
  parseSysMessage,
  type BrokerKind,
  type BrokerStatsSnapshot,
  type FigureKey,
  type FigureSeries,
  type FigureValue,
  type RateFigure,
  type SysSubscriptionState,
} from '../shared/brokerStats';
import type { EngineEvent } from '../shared/engineProtocol';

/** Points kept per figure; when full, the older half is thinned to every other point (older points get sparser, the newest stay whole). */
export const MAX_POINTS_PER_FIGURE = 720;
/** A counter's change over less than this is no rate (retained values arriving with the live ones at subscribe). */
const MIN_RATE_INTERVAL_MS = 200;
/** A connection's broker figures go to the host at most this often, and only while a Broker view of it is open. */
export const BROKER_STATS_REPORT_MS = 1000;

/** One figure over time in two typed arrays: bounded, and its memory known. */
class BoundedSeries {
  private readonly t = new Float64Array(MAX_POINTS_PER_FIGURE);
  private readonly v = new Float64Array(MAX_POINTS_PER_FIGURE);
  length = 0;
  thinned = 0;

  push(at: number, value: number): void {
    if (this.length === MAX_POINTS_PER_FIGURE) this.thin();
    this.t[this.length] = at;
    this.v[this.length] = value;
    this.length++;
  }

  /** Every other point of the older half goes: a quarter of the points are freed. */
  private thin(): void {
    const half = this.length >> 1;
    let write = 0;
    for (let read = 0; read < half; read += 2, write++) {
      this.t[write] = this.t[read];
      this.v[write] = this.v[read];
    }
    this.thinned += half - write;
    this.t.copyWithin(write, half, this.length);
    this.v.copyWithin(write, half, this.length);
    this.length = write + (this.length - half);
  }

  toView(key: FigureKey): FigureSeries {
    return { key, t: Array.from(this.t.subarray(0, this.length)), v: Array.from(this.v.subarray(0, this.length)) };
  }

  static readonly bytes = MAX_POINTS_PER_FIGURE * 16;
}

/**
 * A connection's broker figures from its `$SYS` messages: the latest value of each, a bounded
 * series of each over the session, the broker recognised. Rates come from the broker's cumulative
 * counters (the change over the time between two arrivals); where a broker gives no counter, from
 * its own 1-minute load average. A counter that was not published again by the next uptime tick did
 * not change (mosquitto publishes only changed values): its rate is 0 then.
 */
export class BrokerStatsState {
  private broker: BrokerKind = 'unknown';
  private node: string | undefined;
  private version: string | undefined;
  private firstSysAt: number | undefined;
  private lastSysAt: number | undefined;
  private sysMessages = 0;
  private understood = 0;
  private rejected = 0;
  private resets = 0;
  private extrasDropped = 0;
  private readonly figures = new Map<FigureKey, FigureValue>();
  private readonly extras = new Map<string, string>();
  private readonly series = new Map<FigureKey, BoundedSeries>();
  private readonly counters = new Map<RateFigure, { value: number; at: number; retained?: boolean }>();
  private lastTickAt: number | undefined;
  /** Something changed since the last report. */
  changed = false;

  /**
   * `retained`: a value the broker kept from its last update (at subscribe): its time is not when
   * it was counted, so no rate is made from it, and it is no tick.
   */
  onMessage(topic: string, payload: Uint8Array, at: number, retained = false): void {
    this.sysMessages++;
    this.firstSysAt ??= at;
    this.lastSysAt = at;
    this.changed = true;
    const parsed = parseSysMessage(topic, payload);
    if (!parsed.ok) {
      if (parsed.known) this.rejected++;
      return;
    }
    // The figures are of one node: EMQX publishes each node's, aedes's id names its broker.
    if (parsed.node !== undefined) {
      this.node ??= parsed.node;
      if (parsed.node !== this.node) return;
    }
    this.understood++;
    this.recognise(parsed.broker);
    const reading = parsed.reading;
    switch (reading.kind) {
      case 'gauge':
        this.set(reading.figure, reading.value, at);
        if (reading.figure === 'uptime' && !retained) this.tick(at);
        break;
      case 'counter':
        if (retained) this.counters.set(reading.figure, { value: reading.value, at, retained: true });
        else this.count(reading.figure, reading.value, at);
        break;
      case 'load':
        // Only where the broker gives no counter of it: a rate from counters is exact.
        if (this.figures.get(reading.figure)?.source !== 'counters') this.set(reading.figure, reading.perSecond, at, 'load');
        break;
      case 'version':
        this.version = reading.text;
        if (/mosquitto/i.test(reading.text) && this.broker === 'hivemq') this.broker = 'mosquitto';
        break;
      case 'extra':
        if (this.extras.has(reading.label) || this.extras.size < MAX_EXTRAS) this.extras.set(reading.label, reading.text);
        else this.extrasDropped++;
        break;
      case 'marker':
        break;
    }
  }

  private recognise(broker: BrokerKind): void {
    if (this.broker === 'unknown') this.broker = broker;
    else if (broker === 'hivemq' && this.broker === 'mosquitto' && !/mosquitto/i.test(this.version ?? '')) this.broker = 'hivemq';
  }

  private set(key: FigureKey, value: number, at: number, source?: FigureValue['source']): void {
    this.figures.set(key, source ? { value, at, source } : { value, at });
    let series = this.series.get(key);
    if (!series) {
      series = new BoundedSeries();
      this.series.set(key, series);
    }
    series.push(at, value);
  }

  private count(key: RateFigure, value: number, at: number): void {
    const previous = this.counters.get(key);
    if (previous && value < previous.value) {
      // The broker restarted (or the counter wrapped): start again from this value.
      this.resets++;
      this.counters.set(key, { value, at });
      return;
    }
    if (previous && !previous.retained && at - previous.at < MIN_RATE_INTERVAL_MS) return;
    this.counters.set(key, { value, at });
    if (previous && !previous.retained) this.set(key, ((value - previous.value) * 1000) / (at - previous.at), at, 'counters');
  }

  /** An uptime update: the broker's $SYS interval turned. A counter not published since the previous turn did not change. */
  private tick(at: number): void {
    const previousTick = this.lastTickAt;
    this.lastTickAt = at;
    if (previousTick === undefined) return;
    for (const key of RATE_FIGURES) {
      const counter = this.counters.get(key);
      if (!counter || counter.at >= previousTick || this.figures.get(key)?.source !== 'counters') continue;
      this.set(key, 0, at, 'counters');
    }
  }

  snapshot(connectionId: string, connection: { connectedSince?: number; subscription: SysSubscriptionState }): BrokerStatsSnapshot {
    const series: FigureSeries[] = [];
    let points = 0;
    let thinned = 0;
    for (const key of FIGURE_KEYS) {
      const one = this.series.get(key);
      if (!one) continue;
      series.push(one.toView(key));
      points += one.length;
      thinned += one.thinned;
    }
    const figures: BrokerStatsSnapshot['figures'] = {};
    for (const [key, value] of this.figures) figures[key] = { ...value };
    const snapshot: BrokerStatsSnapshot = {
      connectionId,
      broker: this.broker,
      sysSeen: this.sysMessages > 0,
      sysMessages: this.sysMessages,
      understood: this.understood,
      rejected: this.rejected,
      figures,
      extras: [...this.extras].map(([label, text]) => ({ label, text })),
      extrasDropped: this.extrasDropped,
      series,
      points,
      thinned,
      bytes: this.bytes,
      resets: this.resets,
      subscription: connection.subscription,
    };
    if (this.node !== undefined) snapshot.node = this.node;
    if (this.version !== undefined) snapshot.version = this.version;
    if (this.firstSysAt !== undefined) snapshot.firstSysAt = this.firstSysAt;
    if (this.lastSysAt !== undefined) snapshot.lastSysAt = this.lastSysAt;
    if (connection.connectedSince !== undefined) snapshot.connectedSince = connection.connectedSince;
    return snapshot;
  }

  /** What the series hold (their typed arrays, allocated whole). */
  get bytes(): number {
    return this.series.size * BoundedSeries.bytes;
  }
}

/**
 * Every connection's BrokerStatsState, and their reports: while a Broker view of a connection is
 * open, its fresh snapshot is pushed at most once per BROKER_STATS_REPORT_MS when something changed.
 * A connection gets a state with its first `$SYS` message: others cost nothing.
 */
export class BrokerStatsReports {
  private readonly states = new Map<string, BrokerStatsState>();
  private watched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (event: EngineEvent) => void,
    /** The connection's side of a snapshot: connected since, and its `$SYS` subscription. */
    private readonly connectionOf: (connectionId: string) => { connectedSince?: number; subscription: SysSubscriptionState } | undefined,
  ) {}

  /** A `$SYS/…` message of a connection (the connection checks the prefix). */
  onSysMessage(connectionId: string, topic: string, payload: Uint8Array, at: number, retained = false): void {
    let state = this.states.get(connectionId);
    if (!state) {
      state = new BrokerStatsState();
      this.states.set(connectionId, state);
    }
    state.onMessage(topic, payload, at, retained);
    if (this.watched.has(connectionId)) this.schedule();
  }

  snapshot(connectionId: string): BrokerStatsSnapshot | undefined {
    const connection = this.connectionOf(connectionId);
    if (!connection) return undefined;
    return (this.states.get(connectionId) ?? new BrokerStatsState()).snapshot(connectionId, connection);
  }

  /** The connections whose Broker view is open (visible or not: the view keeps its charts). */
  setWatched(connectionIds: string[]): void {
    this.watched = new Set(connectionIds);
    // A view that opens gets the state as it is now, then changes.
    if ([...this.watched].some((id) => this.states.get(id)?.changed)) this.schedule();
  }

  /** The connection was made again or removed: its figures start over (a new session). */
  forget(connectionId: string): void {
    this.states.delete(connectionId);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.turn(), BROKER_STATS_REPORT_MS);
    this.timer.unref?.();
  }

  private turn(): void {
    this.timer = undefined;
    for (const id of this.watched) {
      const state = this.states.get(id);
      const connection = this.connectionOf(id);
      if (!state?.changed || !connection) continue;
      state.changed = false;
      this.emit({ kind: 'brokerStats', connectionId: id, snapshot: state.snapshot(id, connection) });
    }
  }

  /** Bytes held by every connection's series. */
  get bytes(): number {
    let total = 0;
    for (const state of this.states.values()) total += state.bytes;
    return total;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.states.clear();
  }
}
