/**
 * Recordings opened as offline connections (issue 15): a connection whose topic tree is fed from a
 * recording file (docs/recordings.md) instead of a broker, through the same `ingest` path as a live
 * client's messages, so every view, decoder, schema check and filter works on it unchanged.
 *
 * Opening reads the file once, as a stream (src/shared/recording/reader.ts), and builds a small
 * index on the way (checkpoints every few MiB, the time range, counts, skipped lines) while the tree
 * fills; the tree's memory budget bounds what is kept, so a 1 GB file never sits in memory. Scrubbing
 * ("the tree as it was at time t") applies every message received at or before t: forwards it goes on
 * from where the tree is; backwards the tree starts over from the file's first message (the last
 * value of each topic depends on all earlier ones). The index says where to stop reading.
 */
import * as l10n from '@vscode/l10n';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ConnectionPool } from './connectionPool';
import type { OfflineState } from './connection';
import { isGzipFile, readRecordingLines, type RecordingLine } from '../shared/recording/reader';
import type { RecordingHeader } from '../shared/recording/format';

/** A checkpoint every this many bytes of (inflated) text… */
export const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/** …or every this many messages, whichever comes first. */
export const CHECKPOINT_MESSAGES = 100_000;
/** Distinct topics counted by name up to this many (beyond, the count says "at least"): the index stays small. */
export const MAX_COUNTED_TOPICS = 100_000;
/** Skipped lines reported with their line number and reason (all are counted). */
export const SKIPPED_EXAMPLES = 10;
/** The views hear of the reading's progress at most this often. */
const PROGRESS_INTERVAL_MS = 200;

/** Where reading can resume: the start of a message line, what came before it, and when. */
export interface RecordingCheckpoint {
  /** Byte offset of the line (in the inflated text for gzip files). */
  offset: number;
  /** Its line number (1-based). */
  line: number;
  /** Messages before it. */
  count: number;
  /** Its message's time. */
  time: number;
  /** The earliest time of any message from here to the end: reading for "at t" can stop at the first checkpoint where this is after t. */
  minTimeFromHere: number;
}

/** What one pass over a recording found: small whatever the file's size. */
export interface RecordingIndex {
  path: string;
  gzip: boolean;
  /** The file's size on disk. */
  fileBytes: number;
  /** The bytes of text read (the inflated size for gzip). */
  textBytes: number;
  header?: RecordingHeader;
  /** The earliest and latest message times; undefined without any message. */
  from?: number;
  to?: number;
  messages: number;
  /** Distinct topics (at most MAX_COUNTED_TOPICS: `topicsCapped` says there were more). */
  topics: number;
  topicsCapped: boolean;
  /** Lines that are not messages of the format (counted; the first SKIPPED_EXAMPLES with their reason). */
  skipped: number;
  skippedExamples: { line: number; reason: string }[];
  /** Message times never go back in file order (a recorder's clock can): seeking forwards can then go on from where it is. */
  monotonic: boolean;
  checkpoints: RecordingCheckpoint[];
}

/** What the host is told of an opened recording (the index without its checkpoints). */
export type RecordingSummary = Omit<RecordingIndex, 'checkpoints'> & { checkpoints: number };

export interface IndexOptions {
  signal?: AbortSignal;
  checkpointBytes?: number;
  checkpointMessages?: number;
  /** Each message line, in file order, as it is read (opening feeds the tree in the same pass). */
  onMessage?: (line: RecordingLine & { parsed: { kind: 'message' } }) => void;
  /** Every PROGRESS_INTERVAL_MS at most: bytes of text read so far and messages. */
  onProgress?: (bytesRead: number, messages: number) => void;
}

/**
 * One streaming pass over a recording: the index. Resolves with what was read when `signal` aborts
 * (the caller checks it); throws only when the file cannot be read.
 */
export async function buildRecordingIndex(path: string, options: IndexOptions = {}): Promise<RecordingIndex> {
  const fileBytes = (await stat(path)).size;
  const gzip = await isGzipFile(path);
  const everyBytes = options.checkpointBytes ?? CHECKPOINT_BYTES;
  const everyMessages = options.checkpointMessages ?? CHECKPOINT_MESSAGES;
  const index: RecordingIndex = { path, gzip, fileBytes, textBytes: 0, messages: 0, topics: 0, topicsCapped: false, skipped: 0, skippedExamples: [], monotonic: true, checkpoints: [] };
  const topics = new Set<string>();
  let lastCheckpointOffset = -Infinity;
  let previousTime = -Infinity;
  let reportedAt = Date.now();
  for await (const line of readRecordingLines(path, { signal: options.signal })) {
    index.textBytes = line.offset + line.bytes + 1;
    const parsed = line.parsed;
    if (parsed.kind === 'error') {
      index.skipped++;
      if (index.skippedExamples.length < SKIPPED_EXAMPLES) index.skippedExamples.push({ line: line.line, reason: parsed.error });
      continue;
    }
    if (parsed.kind === 'header') {
      // The first header says what the file is; a later one (parts joined with cat) changes nothing.
      index.header ??= parsed.header;
      continue;
    }
    const { time, topic } = parsed.message;
    if (index.messages % everyMessages === 0 || line.offset - lastCheckpointOffset >= everyBytes) {
      index.checkpoints.push({ offset: line.offset, line: line.line, count: index.messages, time, minTimeFromHere: time });
      lastCheckpointOffset = line.offset;
    }
    // Until the pass ends, a checkpoint holds the earliest time of its own segment.
    const segment = index.checkpoints[index.checkpoints.length - 1];
    if (time < segment.minTimeFromHere) segment.minTimeFromHere = time;
    index.messages++;
    if (time < previousTime) index.monotonic = false;
    previousTime = time;
    if (index.from === undefined || time < index.from) index.from = time;
    if (index.to === undefined || time > index.to) index.to = time;
    if (!index.topicsCapped && !topics.has(topic)) {
      if (topics.size >= MAX_COUNTED_TOPICS) index.topicsCapped = true;
      else topics.add(topic);
    }
    options.onMessage?.(line as RecordingLine & { parsed: { kind: 'message' } });
    if (options.onProgress) {
      const now = Date.now();
      if (now - reportedAt >= PROGRESS_INTERVAL_MS) {
        reportedAt = now;
        options.onProgress(index.textBytes, index.messages);
      }
    }
  }
  index.topics = topics.size;
  // The earliest time from each checkpoint to the end: each checkpoint held its segment's earliest.
  let min = Infinity;
  for (let i = index.checkpoints.length - 1; i >= 0; i--) {
    const checkpoint = index.checkpoints[i];
    min = Math.min(min, checkpoint.minTimeFromHere);
    checkpoint.minTimeFromHere = min;
  }
  return index;
}

/** How many bytes a gzip file inflates to, from its trailer (modulo 4 GiB: an estimate for progress only). */
export async function gzipInflatedSize(path: string, fileBytes: number): Promise<number> {
  if (fileBytes < 18) return fileBytes;
  const handle = await open(path, 'r');
  try {
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, fileBytes - 4);
    return tail.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

/** Where the tree of an opened recording stands: every message before `line`/`offset` read, those at or before `at` applied. */
interface Position {
  /** The tree holds every message with a time ≤ at… */
  at: number;
  applied: number;
  /** …and none after it (false after a seek that a newer one stopped half-way). */
  exact: boolean;
}

/** A reading of the file in progress, held between seeks so that a forward seek goes on from it. */
interface Cursor {
  lines: AsyncGenerator<RecordingLine>;
  /** A message read but not applied (after the time shown): the next seek forwards starts with it. */
  peeked?: RecordingLine;
  done: boolean;
}

export interface SeekResult {
  at: number;
  applied: number;
  /** A newer seek (or a close) took over before this one reached its time. */
  superseded: boolean;
  /** The tree started over from the file's first message (a seek backwards, or a file whose times go back). */
  rebuilt: boolean;
}

/** One recording opened as an offline connection. */
class OfflineRecording {
  readonly abort = new AbortController();
  index: RecordingIndex | undefined;
  position: Position = { at: -Infinity, applied: 0, exact: true };
  private cursor: Cursor | undefined;
  private loading: OfflineState['loading'];
  /** Seeks run one at a time; a newer one makes the running one stop at its next line. */
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  totalBytes = 0;

  constructor(
    readonly connectionId: string,
    readonly path: string,
    readonly name: string,
    private readonly pool: ConnectionPool,
    private readonly views: RebuiltViews,
  ) {}

  publish(): void {
    const state: OfflineState = { path: this.path, applied: this.position.applied };
    if (this.index?.from !== undefined) state.from = this.index.from;
    if (this.index?.to !== undefined) state.to = this.index.to;
    if (Number.isFinite(this.position.at)) state.at = this.position.at;
    if (this.loading) state.loading = this.loading;
    this.pool.get(this.connectionId)?.connection.setOffline(state);
  }

  private progress(what: 'opening' | 'seeking', bytesRead: number, messages: number): void {
    this.loading = { what, bytesRead, totalBytes: this.totalBytes, messages };
    this.publish();
  }

  private apply(line: RecordingLine): void {
    // Closed meanwhile: the reading stops at its next line; nothing is left to feed.
    const model = this.pool.get(this.connectionId);
    if (line.parsed.kind !== 'message' || !model) return;
    const { topic, payload, qos, retain, time, properties } = line.parsed.message;
    model.connection.ingest(topic, payload, qos, retain, time, properties);
    this.position.applied++;
  }

  /** Reads the whole file once: the index, and the tree as it was at the end. */
  async open(options: Pick<IndexOptions, 'checkpointBytes' | 'checkpointMessages'>): Promise<RecordingSummary> {
    const info = await stat(this.path).catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === 'ENOENT' ? l10n.t('{0} does not exist.', this.path) : l10n.t('{0} cannot be read: {1}', this.path, error.message));
    });
    if (!info.isFile()) throw new Error(l10n.t('{0} is not a file.', this.path));
    const gzip = await isGzipFile(this.path);
    this.totalBytes = gzip ? await gzipInflatedSize(this.path, info.size) : info.size;
    this.pool.openOffline(this.connectionId, this.name);
    this.loading = { what: 'opening', bytesRead: 0, totalBytes: this.totalBytes, messages: 0 };
    this.publish();
    const cancelled = (): Error => new Error(l10n.t('Opening {0} was cancelled.', basename(this.path)));
    const index = await buildRecordingIndex(this.path, {
      ...options,
      signal: this.abort.signal,
      onMessage: (line) => {
        this.apply(line);
        this.position.at = Math.max(this.position.at, line.parsed.message.time);
      },
      onProgress: (bytesRead, messages) => this.progress('opening', bytesRead, messages),
    }).catch((error: unknown) => {
      throw this.abort.signal.aborted ? cancelled() : error;
    });
    if (this.abort.signal.aborted) throw cancelled();
    this.index = index;
    // Every message is applied: the tree shows the recording as it ended. No cursor is left open.
    this.position = { at: index.to ?? -Infinity, applied: index.messages, exact: true };
    this.loading = undefined;
    this.publish();
    const { checkpoints, ...rest } = index;
    return { ...rest, checkpoints: checkpoints.length };
  }

  /** Shows the tree as it was at `time` (clamped to the recording's range). */
  seek(time: number): Promise<SeekResult> {
    const generation = ++this.generation;
    const run = this.queue.then(() => this.seekNow(time, generation));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async seekNow(requested: number, generation: number): Promise<SeekResult> {
    const index = this.index;
    if (!index) throw new Error(l10n.t('{0} is still opening.', this.name));
    if (index.from === undefined || index.to === undefined) return { at: requested, applied: 0, superseded: false, rebuilt: false };
    const t = Math.min(Math.max(requested, index.from), index.to);
    const superseded = (): boolean => generation !== this.generation || this.abort.signal.aborted;
    if (superseded()) return { at: this.position.at, applied: this.position.applied, superseded: true, rebuilt: false };
    if (t === this.position.at && this.position.exact) return { at: t, applied: this.position.applied, superseded: false, rebuilt: false };
    // Forwards from where the tree is, when the file's times never go back (otherwise a message at
    // or before t may lie behind the cursor, not yet applied); backwards always from the start.
    const forward = index.monotonic && t > this.position.at && this.cursor !== undefined && !this.cursor.done;
    const fromEnd = index.monotonic && t > this.position.at && this.position.applied === index.messages;
    if (fromEnd) {
      this.position.at = t;
      this.position.exact = true;
      this.publish();
      return { at: t, applied: this.position.applied, superseded: false, rebuilt: false };
    }
    let rebuilt = false;
    if (!forward) {
      rebuilt = true;
      await this.cursor?.lines.return(undefined);
      this.pool.openOffline(this.connectionId, this.name);
      // Nothing is reported until the new tree is at t (or this seek gives way): the views do not list it half built.
      this.views.hold(this.connectionId);
      this.position = { at: -Infinity, applied: 0, exact: true };
      this.cursor = { lines: readRecordingLines(this.path, { signal: this.abort.signal }), done: false };
    }
    const cursor = this.cursor as Cursor;
    // Past the first checkpoint whose messages are all after t, nothing more is applied.
    const stopAt = index.checkpoints.find((checkpoint) => checkpoint.minTimeFromHere > t)?.offset ?? Infinity;
    let reportedAt = Date.now();
    this.loading = { what: 'seeking', bytesRead: 0, totalBytes: this.totalBytes, messages: this.position.applied };
    this.publish();
    try {
      for (;;) {
        if (superseded()) {
          // The tree holds every message up to the last one applied, in file order (in a monotonic
          // file the tree at about that message's time); the next seek knows it is not exact.
          this.position.exact = false;
          if (!index.monotonic) this.position.at = NaN;
          return { at: this.position.at, applied: this.position.applied, superseded: true, rebuilt };
        }
        let line = cursor.peeked;
        cursor.peeked = undefined;
        if (!line) {
          const next = await cursor.lines.next();
          if (next.done) {
            cursor.done = true;
            break;
          }
          line = next.value;
        }
        if (line.parsed.kind !== 'message') continue;
        if (line.offset >= stopAt || (index.monotonic && line.parsed.message.time > t)) {
          cursor.peeked = line;
          break;
        }
        if (line.parsed.message.time <= t) {
          this.apply(line);
          // In a monotonic file the tree is at this message's time; otherwise only once the stop is reached.
          if (index.monotonic) this.position.at = line.parsed.message.time;
        }
        const now = Date.now();
        if (now - reportedAt >= PROGRESS_INTERVAL_MS) {
          reportedAt = now;
          this.progress('seeking', line.offset, this.position.applied);
        }
      }
      this.position.at = t;
      this.position.exact = true;
      return { at: t, applied: this.position.applied, superseded: false, rebuilt };
    } finally {
      this.loading = undefined;
      this.publish();
      if (rebuilt) this.views.reset(this.connectionId);
    }
  }

  async close(): Promise<void> {
    this.generation++;
    this.abort.abort();
    await this.cursor?.lines.return(undefined).catch(() => undefined);
  }
}

/** What the views are told of a tree rebuilt by a seek backwards. */
export interface RebuiltViews {
  /** The tree is being rebuilt: nothing of it is reported yet. */
  hold(connectionId: string): void;
  /** The rebuilt tree is ready: rows and panels of the connection start over. */
  reset(connectionId: string): void;
}

/** The engine's opened recordings, by connection id. */
export class OfflineRecordings {
  private readonly recordings = new Map<string, OfflineRecording>();

  constructor(
    private readonly pool: ConnectionPool,
    private readonly views: RebuiltViews,
    /** Forgets the connection everywhere (views, requests) and removes it from the pool. */
    private readonly removeConnection: (connectionId: string) => Promise<void>,
  ) {}

  has(connectionId: string): boolean {
    return this.recordings.has(connectionId);
  }

  async open(params: { connectionId: string; path: string; name?: string; checkpointBytes?: number; checkpointMessages?: number }): Promise<RecordingSummary> {
    if (this.recordings.has(params.connectionId)) throw new Error(l10n.t('A recording is already open as {0}.', params.connectionId));
    if (this.pool.get(params.connectionId)) throw new Error(l10n.t('{0} is a broker connection.', params.connectionId));
    const recording = new OfflineRecording(params.connectionId, params.path, params.name ?? basename(params.path), this.pool, this.views);
    this.recordings.set(params.connectionId, recording);
    try {
      return await recording.open(params);
    } catch (error) {
      // Cancelled or failed: nothing of it stays.
      if (this.recordings.get(params.connectionId) === recording) await this.close(params.connectionId);
      throw error;
    }
  }

  seek(params: { connectionId: string; time: number }): Promise<SeekResult> {
    if (!Number.isFinite(params.time)) throw new Error(l10n.t('A time to show must be a number of milliseconds, not {0}.', params.time));
    return this.require(params.connectionId).seek(params.time);
  }

  /** Stops any reading at once (an opening in progress is cancelled) and removes the offline connection. */
  async close(connectionId: string): Promise<void> {
    const recording = this.recordings.get(connectionId);
    if (!recording) return;
    this.recordings.delete(connectionId);
    await recording.close();
    await this.removeConnection(connectionId);
  }

  private require(connectionId: string): OfflineRecording {
    const recording = this.recordings.get(connectionId);
    if (!recording) throw new Error(l10n.t('No recording is open as {0}.', connectionId));
    return recording;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.recordings.keys()].map((id) => this.close(id)));
  }
}
