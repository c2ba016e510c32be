/**
 * Replays a recording (docs/recordings.md) to a connection: the file is streamed line by line
 * (readRecordingLines, never read whole), each message is published when its turn comes by the
 * file's `time` fields against a monotonic clock, and QoS 1 and 2 publishes wait for the broker's
 * acknowledgement before the next one goes. No VS Code; the clock and the target are injected, so
 * the timing is unit-tested without waiting.
 *
 * A publish the broker refuses is counted (with its reason) and the replay goes on. A connection
 * that is not connected pauses the replay with a message that says so; the message that could not
 * go is kept and sent first on resume, so nothing is lost silently.
 */
import * as l10n from '@vscode/l10n';
import { stat } from 'node:fs/promises';
import type { MessageProperties } from '../topicTree';
import { isGzipFile, readRecordingLines } from '../../shared/recording/reader';
import type { RecordedMessage } from '../../shared/recording/format';
import { topicMatchesFilter, validatePublishTopic } from '../../shared/topicRules';
import { validateTopicFilter } from '../../shared/profile';

/** How the messages are spaced: as recorded, sped up or slowed down, or one after the other. */
export type ReplayTiming = { kind: 'original' } | { kind: 'speed'; factor: number } | { kind: 'asap' };

/** The speed factors a replay accepts (0.1×: ten times slower; 100×: a hundred times faster). */
export const MIN_SPEED = 0.1;
export const MAX_SPEED = 100;

export interface ReplayOptions {
  /** The recording file (`.mqtt-recording.jsonl`, or gzip-compressed). */
  path: string;
  /** Only messages whose topic matches one of these filters (MQTT `+`, `#`); absent or empty: every topic. */
  topics?: string[];
  /** Only messages with `from` ≤ time < `to` (epoch milliseconds, the file's `time` fields). */
  from?: number;
  to?: number;
  timing: ReplayTiming;
  /** Start again from the beginning after the last message, until cancelled. */
  loop?: boolean;
  /** Topic rewrite: a topic that starts with `replace` gets `with` instead of it; without `replace`, `with` is put before every topic. */
  prefix?: { replace?: string; with: string };
  /** `strip`: every message is published not retained. */
  retain: 'keep' | 'strip';
  /** Reads and counts what would be sent, publishing nothing, as fast as it can (the size of a replay, before asking). */
  dryRun?: boolean;
}

export type ReplayState = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

/** The bad lines a progress report names, newest last; all of them are counted. */
export const REPORTED_SKIPS = 10;

/** What a replay has done so far: every message of the selection is sent, refused, or counted apart. */
export interface ReplayProgress {
  state: ReplayState;
  /** Messages published (acknowledged at QoS 1 and 2). A dry run: messages that would be. */
  sent: number;
  /** Payload bytes of those. */
  bytes: number;
  /** The `time` of the last message sent (epoch ms): where the replay is in the recording. */
  position?: number;
  /** The first and last `time` of the selection seen so far (the whole selection once a pass ended). */
  firstTime?: number;
  lastTime?: number;
  /** Passes completed (a loop). */
  passes: number;
  /** Lines that are no message (not JSON, a field of the wrong type, too long), with the newest reasons. */
  skipped: number;
  skippedLines: { line: number; reason: string }[];
  /** Publishes the broker or the topic rules refused, and the newest reason. */
  refused: number;
  lastRefusal?: string;
  /** A message handed to the connection whose acknowledgement had not come when the replay was cancelled (it may still arrive). */
  unacknowledged: number;
  /** Messages on `$` topics (the broker's own, such as `$SYS`): not published. */
  systemTopics: number;
  /** Messages whose MQTT 5 properties were not sent (the target is MQTT 3.1.1). */
  propertiesDropped: number;
  /** Plain files: bytes of the file read, and its size (a gzip file's reading cannot be measured against its size). */
  fileOffset?: number;
  fileSize?: number;
  /** Why it paused by itself (the connection is not connected), or why it failed. */
  reason?: string;
}

/** Where a replay publishes: a connection of the engine (or a test's recorder). */
export interface ReplayTarget {
  /** 5: MQTT 5 properties are sent; 4: they are dropped (and counted). */
  readonly mqttVersion: 4 | 5;
  /** Undefined when connected, else why the replay cannot publish now ("… is reconnecting"): it pauses. */
  notReady(): string | undefined;
  /** Why the target is gone for good (the connection was removed): the replay fails. */
  gone?(): string | undefined;
  /** Resolves once the broker acknowledged (QoS 1: PUBACK, QoS 2: PUBCOMP); rejects when it refused. */
  publish(topic: string, payload: Uint8Array, options: { qos: 0 | 1 | 2; retain: boolean; properties?: MessageProperties }): Promise<unknown>;
}

/** A monotonic clock: `now` in ms, and a wait that ends early when `signal` aborts. */
export interface ReplayClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const MONOTONIC_CLOCK: ReplayClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** At most this many progress reports a second (and one at each change of state). */
const REPORT_INTERVAL_MS = 250;
/** The worker answers other requests while a replay reads: a turn of the event loop every this many lines (buffered lines resolve without one). */
const YIELD_EVERY = 500;

/** Why these options cannot replay, or undefined. */
export function replayOptionsProblem(options: ReplayOptions): string | undefined {
  const { timing } = options;
  if (timing.kind === 'speed' && !(Number.isFinite(timing.factor) && timing.factor >= MIN_SPEED && timing.factor <= MAX_SPEED)) {
    return l10n.t('The speed factor must be from {0} to {1}, not {2}.', MIN_SPEED, MAX_SPEED, timing.factor);
  }
  for (const filter of options.topics ?? []) {
    const problem = validateTopicFilter(filter);
    if (problem) return l10n.t('Topic filter "{0}": {1}', filter, problem);
  }
  if (options.from !== undefined && options.to !== undefined && !(options.from < options.to)) return l10n.t('The time range is empty: its start must come before its end.');
  if (options.prefix) {
    if (/[+#\u0000]/.test(options.prefix.with) || (options.prefix.replace !== undefined && /[+#\u0000]/.test(options.prefix.replace))) {
      return l10n.t('A topic prefix cannot contain +, # or the null character.');
    }
    if (options.prefix.replace === '') return l10n.t('The prefix to replace cannot be empty (to add a prefix, give none to replace).');
  }
  return undefined;
}

/** The topic a message is published to after the prefix rewrite. */
export function rewriteTopic(topic: string, prefix: ReplayOptions['prefix']): string {
  if (!prefix) return topic;
  if (prefix.replace === undefined) return prefix.with + topic;
  return topic.startsWith(prefix.replace) ? prefix.with + topic.slice(prefix.replace.length) : topic;
}

/**
 * One replay: `start()` reads the header (and rejects when the file is no recording), then plays in
 * the background; `done` settles with the final progress. Progress goes to `report` at most a few
 * times a second and at every change of state.
 */
export class Replay {
  private readonly progress: ReplayProgress = { state: 'running', sent: 0, bytes: 0, passes: 0, skipped: 0, skippedLines: [], refused: 0, unacknowledged: 0, systemTopics: 0, propertiesDropped: 0 };
  private readonly cancelled = new AbortController();
  /** Resolves false once cancelled: raced against a publish's acknowledgement. */
  private readonly cancelledWait = new Promise<false>((resolve) => this.cancelled.signal.addEventListener('abort', () => resolve(false), { once: true }));
  /** Aborted to end a wait early (pause, cancel). */
  private wake = new AbortController();
  private paused = false;
  /** The clock's time when the replay paused: the time paused is added to the anchor on resume. */
  private pausedAt = 0;
  private resumed: (() => void) | undefined;
  private lastReport = -Infinity;
  private pendingReport: ReturnType<typeof setTimeout> | undefined;
  /** The clock's time at which the file's time `anchorTime` is due. */
  private anchorClock = 0;
  private anchorTime: number | undefined;
  readonly done: Promise<ReplayProgress>;
  private settle!: (progress: ReplayProgress) => void;
  private started!: { resolve: () => void; reject: (error: Error) => void };
  private readonly startedPromise: Promise<void>;

  constructor(
    private readonly options: ReplayOptions,
    private readonly target: ReplayTarget | undefined,
    private readonly report: (progress: ReplayProgress) => void,
    private readonly clock: ReplayClock = MONOTONIC_CLOCK,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.startedPromise = new Promise((resolve, reject) => (this.started = { resolve, reject }));
  }

  /** Starts; resolves once the file's first line was read as a recording's header, rejects when not. */
  start(): Promise<void> {
    const problem = replayOptionsProblem(this.options);
    if (problem) return Promise.reject(new Error(problem));
    if (!this.target && !this.options.dryRun) return Promise.reject(new Error(l10n.t('A replay needs a connection to publish to.')));
    void this.run();
    return this.startedPromise;
  }

  get state(): ReplayState {
    return this.progress.state;
  }

  snapshot(): ReplayProgress {
    return { ...this.progress, skippedLines: [...this.progress.skippedLines] };
  }

  pause(reason?: string): void {
    if (this.progress.state !== 'running') return;
    this.paused = true;
    this.progress.state = 'paused';
    if (reason) this.progress.reason = reason;
    else delete this.progress.reason;
    this.pausedAt = this.clock.now();
    this.wake.abort();
    this.emit(true);
  }

  resume(): void {
    if (this.progress.state !== 'paused') return;
    this.paused = false;
    this.progress.state = 'running';
    delete this.progress.reason;
    // The time spent paused does not count: what was due 2 s after the pause is due 2 s after the resume.
    this.anchorClock += this.clock.now() - this.pausedAt;
    this.emit(true);
    this.resumed?.();
  }

  cancel(): void {
    if (this.progress.state === 'done' || this.progress.state === 'failed' || this.progress.state === 'cancelled') return;
    this.cancelled.abort();
    this.wake.abort();
    this.resumed?.();
  }

  private emit(now = false): void {
    const at = this.clock.now();
    if (now || at - this.lastReport >= REPORT_INTERVAL_MS) {
      clearTimeout(this.pendingReport);
      this.pendingReport = undefined;
      this.lastReport = at;
      this.report(this.snapshot());
    } else if (!this.pendingReport) {
      // The last change still gets reported, a little later, even if nothing follows it.
      this.pendingReport = setTimeout(() => {
        this.pendingReport = undefined;
        this.lastReport = this.clock.now();
        this.report(this.snapshot());
      }, REPORT_INTERVAL_MS);
    }
  }

  private finish(state: ReplayState, reason?: string): void {
    this.progress.state = state;
    if (reason) this.progress.reason = reason;
    clearTimeout(this.pendingReport);
    this.pendingReport = undefined;
    const final = this.snapshot();
    this.report(final);
    this.settle(final);
  }

  /** Waits while paused; false when cancelled meanwhile. */
  private async whilePaused(): Promise<boolean> {
    while (this.paused && !this.cancelled.signal.aborted) {
      await new Promise<void>((resolve) => (this.resumed = resolve));
      this.resumed = undefined;
    }
    if (this.wake.signal.aborted) this.wake = new AbortController();
    return !this.cancelled.signal.aborted;
  }

  /** Waits until the file's `time` is due (or at once: as fast as possible, a dry run); false when cancelled. */
  private async waitFor(time: number): Promise<boolean> {
    const timing = this.options.timing;
    if (this.options.dryRun || timing.kind === 'asap') return this.whilePaused();
    const speed = timing.kind === 'speed' ? timing.factor : 1;
    if (this.anchorTime === undefined) {
      this.anchorTime = time;
      this.anchorClock = this.clock.now();
    }
    for (;;) {
      if (!(await this.whilePaused())) return false;
      // A time before the anchor (the recording's clock stepped back) is due at once.
      const due = this.anchorClock + Math.max(0, time - this.anchorTime) / speed;
      const wait = due - this.clock.now();
      if (wait < 1) return true;
      await this.clock.sleep(wait, this.wake.signal);
      if (this.cancelled.signal.aborted) return false;
      // Woken by a pause: wait for the resume, then for what is left of the time (the anchor moved).
    }
  }

  private wanted(message: RecordedMessage): boolean {
    const { from, to, topics } = this.options;
    if (from !== undefined && message.time < from) return false;
    if (to !== undefined && message.time >= to) return false;
    if (topics?.length && !topics.some((filter) => topicMatchesFilter(filter, message.topic))) return false;
    return true;
  }

  private async run(): Promise<void> {
    const { path } = this.options;
    let started = false;
    try {
      const size = (await stat(path)).size;
      const gzip = await isGzipFile(path);
      for (let pass = 0; ; pass++) {
        // Each pass of a loop starts its timing over: its first message goes right after the last one of the pass before.
        this.anchorTime = undefined;
        let sawMessage = false;
        for await (const line of readRecordingLines(path, { signal: this.cancelled.signal })) {
          if (this.cancelled.signal.aborted) break;
          if (line.line % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
          const parsed = line.parsed;
          if (!started) {
            if (parsed.kind !== 'header') {
              throw new Error(
                parsed.kind === 'error'
                  ? l10n.t('{0} is not a recording: its first line is no recording header ({1}).', path, parsed.error)
                  : l10n.t('{0} is not a recording: its first line is no recording header.', path),
              );
            }
            started = true;
            this.started.resolve();
            this.emit(true);
          }
          if (!gzip) {
            // A gzip file's offsets are in the inflated text: they say nothing against its size.
            this.progress.fileOffset = Math.min(size, line.offset + line.bytes + 1);
            this.progress.fileSize = size;
          }
          if (parsed.kind === 'header') continue;
          if (parsed.kind === 'error') {
            if (pass === 0) {
              this.progress.skipped++;
              this.progress.skippedLines.push({ line: line.line, reason: parsed.error });
              if (this.progress.skippedLines.length > REPORTED_SKIPS) this.progress.skippedLines.shift();
              this.emit();
            }
            continue;
          }
          const message = parsed.message;
          if (!this.wanted(message)) continue;
          sawMessage = true;
          if (!(await this.waitFor(message.time))) break;
          await this.send(message);
          if (this.cancelled.signal.aborted) break;
        }
        if (!started) throw new Error(l10n.t('{0} is empty: a recording starts with its header line.', path));
        if (this.cancelled.signal.aborted) return this.finish('cancelled');
        this.progress.passes++;
        // A loop over a selection with no message would spin: it ends like a single pass.
        if (!this.options.loop || this.options.dryRun || !sawMessage) return this.finish('done');
        this.emit();
      }
    } catch (error) {
      const reason = (error as Error).message ?? String(error);
      if (!started) {
        this.started.reject(error instanceof Error ? error : new Error(reason));
        this.progress.state = 'failed';
        this.progress.reason = reason;
        this.settle(this.snapshot());
        return;
      }
      this.finish('failed', reason);
    }
  }

  /** Publishes one message (or counts it apart); a connection that is not ready pauses the replay and the message waits. */
  private async send(message: RecordedMessage): Promise<void> {
    const topic = rewriteTopic(message.topic, this.options.prefix);
    const count = (): void => {
      this.progress.sent++;
      this.progress.bytes += message.payload.byteLength;
      this.progress.position = message.time;
      this.progress.firstTime = Math.min(this.progress.firstTime ?? message.time, message.time);
      this.progress.lastTime = Math.max(this.progress.lastTime ?? message.time, message.time);
      this.emit();
    };
    if (topic.startsWith('$')) {
      this.progress.systemTopics++;
      this.emit();
      return;
    }
    const invalid = validatePublishTopic(topic);
    if (invalid) {
      this.refuse(`${topic.slice(0, 200)}: ${invalid}`);
      return;
    }
    const target = this.target;
    if (this.options.dryRun || !target) {
      count();
      return;
    }
    for (;;) {
      const gone = target.gone?.();
      if (gone) throw new Error(gone);
      const notReady = target.notReady();
      if (notReady) {
        this.pause(`${notReady} The replay is paused; resume it once the connection is back.`);
        if (!(await this.whilePaused())) return;
        continue;
      }
      let properties = message.properties;
      if (properties && target.mqttVersion !== 5) {
        this.progress.propertiesDropped++;
        properties = undefined;
      }
      try {
        // Cancel ends the wait for an acknowledgement at once (a connection that dropped meanwhile
        // keeps a QoS 1/2 message and sends it when it reconnects: that one may still arrive).
        const acknowledged = target.publish(topic, message.payload, { qos: message.qos, retain: this.options.retain === 'keep' && message.retain, ...(properties ? { properties } : {}) }).then(() => true);
        let sent = await Promise.race([acknowledged, this.cancelledWait]);
        // Cancelled: it counts as sent only if its acknowledgement had come already (an already
        // settled promise wins a race against one settled after it).
        if (!sent) sent = await Promise.race([acknowledged, Promise.resolve(false)]).catch(() => false);
        if (!sent) {
          this.progress.unacknowledged++;
          return;
        }
        count();
        return;
      } catch (error) {
        const reason = (error as Error).message ?? String(error);
        // Not connected any more: the message was not sent; it goes first once resumed.
        const lost = target.notReady();
        if (lost) {
          if (properties !== message.properties) this.progress.propertiesDropped--;
          this.pause(`${lost} (${reason}) The replay is paused; resume it once the connection is back.`);
          if (!(await this.whilePaused())) return;
          continue;
        }
        this.refuse(`${topic.slice(0, 200)}: ${reason}`);
        return;
      }
    }
  }

  private refuse(reason: string): void {
    this.progress.refused++;
    this.progress.lastRefusal = reason;
    this.emit();
  }
}

/** The replays running in an engine, by id. */
export class Replays {
  private readonly replays = new Map<string, Replay>();

  constructor(private readonly report: (replayId: string, progress: ReplayProgress) => void) {}

  async start(replayId: string, options: ReplayOptions, target: ReplayTarget | undefined, clock?: ReplayClock): Promise<void> {
    if (this.replays.has(replayId)) throw new Error(l10n.t('A replay {0} is running already.', replayId));
    const replay = new Replay(options, target, (progress) => this.report(replayId, progress), clock);
    this.replays.set(replayId, replay);
    void replay.done.then(() => this.replays.delete(replayId));
    try {
      await replay.start();
    } catch (error) {
      // Refused before it began (bad options, no recording): nothing runs under this id.
      this.replays.delete(replayId);
      throw error;
    }
  }

  private require(replayId: string): Replay {
    const replay = this.replays.get(replayId);
    if (!replay) throw new Error(l10n.t('No replay {0} is running.', replayId));
    return replay;
  }

  pause(replayId: string): void {
    this.require(replayId).pause();
  }

  resume(replayId: string): void {
    this.require(replayId).resume();
  }

  cancel(replayId: string): void {
    // Cancelling one that ended meanwhile is no error: it has stopped either way.
    this.replays.get(replayId)?.cancel();
  }

  /** Cancels every replay of a connection (it is being removed). */
  cancelAll(): void {
    for (const replay of this.replays.values()) replay.cancel();
  }
}
