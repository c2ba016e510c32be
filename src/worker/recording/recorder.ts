/**
 * Records what a connection receives to a file (docs/recordings.md), as it arrives. The message hook
 * only turns a message into its line and queues it: a bounded buffer drained asynchronously into a
 * file stream (gzip on the way when asked), with the stream's backpressure honoured. When the
 * buffer is over its bound the message is dropped and counted, never waited for: ingest is never
 * held up by a slow disk. A write error (a full disk, a file-size limit, a refused folder) stops the
 * recording with a sentence that names the file, the reason and what was written; nothing else
 * stops with it.
 */
import * as l10n from '@vscode/l10n';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import { headerLine, messageLine, RECORDING_EXTENSIONS } from '../../shared/recording/format';
import { topicMatchesFilter } from '../../shared/topicRules';
import type { MessageProperties } from '../topicTree';

/** What a recording takes of a connection's messages. */
export type RecordingScope =
  | { kind: 'all' }
  /** `topic` and everything below it (`a/b`: `a/b` and `a/b/#`). */
  | { kind: 'subtree'; topic: string }
  /** Topic filters (`+`, `#`), as a subscription reads them. */
  | { kind: 'filters'; filters: string[] };

export interface RecorderOptions {
  /** The first file's path, ending in `.mqtt-recording.jsonl` (or `.jsonl.gz` with gzip). Later parts are named after it (partPath). */
  path: string;
  scope: RecordingScope;
  gzip: boolean;
  /** A part ends when its file reaches this many bytes (as written: compressed with gzip). 0: no cap. */
  maxBytes: number;
  /** A part ends after this long. 0: no cap. */
  maxMs: number;
  /** At a cap: true starts the next part, false stops the recording. */
  rotate: boolean;
  /** The connection's name and broker address (no credentials), for the header. */
  connection?: string;
  broker?: string;
  /** Bytes of lines the buffer holds at most while the file catches up (default BUFFER_BYTES). */
  bufferBytes?: number;
  /** Time source (tests). */
  now?: () => number;
}

export type RecordingState = 'recording' | 'stopped' | 'failed';

/** A recording's figures, as the status bar and the `recording` event show them. */
export interface RecorderStatus {
  state: RecordingState;
  /** The file being written (the last one once stopped). */
  file: string;
  /** Every file written so far, parts in order. */
  files: string[];
  part: number;
  /** Messages whose lines reached the file stream. */
  messages: number;
  /** Bytes written to the files (compressed with gzip). */
  bytes: number;
  /** Messages not recorded because the buffer was full (the disk did not keep up), or a line alone was larger than the buffer. */
  dropped: number;
  startedAt: number;
  stoppedAt?: number;
  /** Why it stopped: the user, a cap, the connection removed. */
  reason?: string;
  /** Set when state is `failed`: which file, why, how many messages were written. */
  error?: string;
}

/** The buffer's default bound: about two seconds of a 100,000 messages/s flood of small messages. */
export const BUFFER_BYTES = 32 * 1024 * 1024;
/** At most this much is handed to the stream at once: lines are written in batches, not one call each. */
const BATCH_BYTES = 256 * 1024;

/** The file of part `part` (from 1): part 1 is `path` itself, part n `name.part<n>.mqtt-recording.jsonl[.gz]`. */
export function partPath(path: string, part: number): string {
  if (part <= 1) return path;
  const ending = [...RECORDING_EXTENSIONS].sort((a, b) => b.length - a.length).find((end) => path.endsWith(end));
  if (!ending) return `${path}.part${part}`;
  return `${path.slice(0, -ending.length)}.part${part}${ending}`;
}

/** The header's filters for a scope. */
export function scopeFilters(scope: RecordingScope): string[] {
  if (scope.kind === 'all') return ['#'];
  if (scope.kind === 'subtree') return [scope.topic, `${scope.topic}/#`];
  return [...scope.filters];
}

/** Why a scope cannot be recorded, or undefined when it can. */
export function scopeError(scope: RecordingScope): string | undefined {
  if (scope.kind === 'subtree') {
    if (scope.topic.length === 0) return l10n.t('A subtree to record needs a topic.');
    if (/[+#]/.test(scope.topic)) return l10n.t('"{0}" is a filter, not a topic: record it as a filter.', scope.topic);
  }
  if (scope.kind === 'filters') {
    if (scope.filters.length === 0) return l10n.t('Give at least one topic filter to record.');
    for (const filter of scope.filters) {
      if (filter.length === 0) return l10n.t('A topic filter cannot be empty.');
      const levels = filter.split('/');
      if (levels.some((level, i) => (level.includes('#') && (level !== '#' || i !== levels.length - 1)) || (level.includes('+') && level !== '+'))) {
        return l10n.t('"{0}" is not a valid topic filter (+ stands alone for a level, # only as the last level).', filter);
      }
    }
  }
  return undefined;
}

/** A matcher for a scope: one comparison per message for a subtree, none for everything. */
export function scopeMatcher(scope: RecordingScope): (topic: string) => boolean {
  if (scope.kind === 'all') return () => true;
  if (scope.kind === 'subtree') {
    const below = `${scope.topic}/`;
    return (topic) => topic === scope.topic || topic.startsWith(below);
  }
  const filters = [...scope.filters];
  return (topic) => filters.some((filter) => topicMatchesFilter(filter, topic));
}

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir never returns for a path under /proc
 * (seen with Node 20: it retries the ENOENT forever on a thread of the pool), and the path is the user's.
 */
async function makeFolder(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let current = folder; ; ) {
    try {
      if (!(await stat(current)).isDirectory()) throw Object.assign(new Error(`${current} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Node's error codes as a reader would say them. */
function describeWriteError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOSPC':
      return l10n.t('the disk is full (ENOSPC)');
    case 'EFBIG':
      return l10n.t('the file is larger than the system allows (EFBIG)');
    case 'EDQUOT':
      return l10n.t('the disk quota is used up (EDQUOT)');
    case 'EACCES':
    case 'EPERM':
      return l10n.t('permission denied ({0})', error.code);
    case 'EROFS':
      return l10n.t('the file system is read-only (EROFS)');
    case 'ENOENT':
      return l10n.t('the folder does not exist (ENOENT)');
    case 'EISDIR':
      return l10n.t('it is a folder (EISDIR)');
    case 'ENOTDIR':
      return l10n.t('a part of the path is a file, not a folder (ENOTDIR)');
    default:
      return error.code ? `${error.message}` : String(error.message ?? error);
  }
}

/** One part's open file: the stream lines go into (the gzip stream, or the file itself) and the file. */
interface PartStream {
  path: string;
  input: Writable;
  file: WriteStream;
  gzip?: Gzip;
  /** Resolves when the file is closed (rejects with its error). */
  closed: Promise<void>;
}

/**
 * One recording of one connection. `offer` is the message hook: synchronous, cheap when the topic is
 * out of scope, never waiting. Call `start` once, `stop` to end it (flushed and closed).
 */
export class Recorder {
  private readonly now: () => number;
  private readonly matches: (topic: string) => boolean;
  private readonly bound: number;
  /** Lines waiting for the file, and their size in characters (what the bound counts). */
  private queue: string[] = [];
  private queuedChars = 0;
  private current: PartStream | undefined;
  /** Bytes of the current part's lines handed to the stream (uncompressed): a plain file's size. */
  private partLineBytes = 0;
  private partMessages = 0;
  private partTimer: NodeJS.Timeout | undefined;
  /** The duration cap of the current part passed: the drain loop rotates or stops. */
  private timeCapReached = false;
  /** Bytes written by the parts already closed. */
  private closedBytes = 0;
  private drained: Promise<void> = Promise.resolve();
  /** Wakes the drain loop when it waits for lines. */
  private wake: (() => void) | undefined;
  /** Ends a write that waits for `drain`, when the file failed meanwhile. */
  private abortWrite: (() => void) | undefined;
  private readonly state: RecorderStatus;
  /** Called once when the recording ends by itself (a cap without rotation, a write error); not after `stop`. */
  onEnded: ((status: RecorderStatus) => void) | undefined;

  constructor(private readonly options: RecorderOptions) {
    this.now = options.now ?? Date.now;
    this.matches = scopeMatcher(options.scope);
    this.bound = options.bufferBytes ?? BUFFER_BYTES;
    this.state = { state: 'recording', file: options.path, files: [], part: 1, messages: 0, bytes: 0, dropped: 0, startedAt: this.now() };
  }

  get running(): boolean {
    return this.state.state === 'recording';
  }

  /** The figures now (bytes as the files have them so far). */
  status(): RecorderStatus {
    const bytes = this.closedBytes + (this.current ? this.current.file.bytesWritten : 0);
    return { ...this.state, files: [...this.state.files], bytes: Math.max(bytes, this.state.bytes) };
  }

  /** Opens the first file (its folder made when missing). Rejects with a clear sentence when it cannot be written. */
  async start(): Promise<void> {
    try {
      await makeFolder(dirname(this.options.path));
    } catch (error) {
      throw new Error(l10n.t('Cannot create the folder of {0}: {1}.', this.options.path, describeWriteError(error as NodeJS.ErrnoException)));
    }
    const part = this.openPart(1);
    // The file opens asynchronously: wait for it, so that a refused path is the caller's error, not a failed recording.
    try {
      await new Promise<void>((resolve, reject) => {
        part.file.once('ready', () => resolve());
        part.closed.catch(reject);
      });
    } catch (error) {
      this.state.state = 'failed';
      throw new Error(l10n.t('Cannot record to {0}: {1}.', this.options.path, describeWriteError(error as NodeJS.ErrnoException)));
    }
    this.drained = this.drainLoop();
  }

  /**
   * The message hook: queues the message's line when the topic is in scope. Never waits; when the
   * buffer is over its bound the message is dropped and counted.
   */
  offer(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean, time: number, properties: MessageProperties | undefined): void {
    if (this.state.state !== 'recording' || !this.matches(topic)) return;
    if (this.queuedChars >= this.bound) {
      this.state.dropped++;
      return;
    }
    const line = messageLine({ time, topic, qos, retain, payload, properties });
    // Characters, not bytes: cheap to count (a UTF-8 byte count would be a pass over each line).
    if (line.length > this.bound) {
      this.state.dropped++;
      return;
    }
    this.queue.push(line);
    this.queuedChars += line.length;
    if (this.wake) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
  }

  /** Stops: what is buffered is written, the file flushed and closed. Resolves when it is closed. */
  async stop(reason = 'stopped by the user'): Promise<void> {
    if (this.state.state === 'recording') {
      this.state.state = 'stopped';
      this.state.reason = reason;
      this.state.stoppedAt = this.now();
    }
    clearTimeout(this.partTimer);
    this.wake?.();
    await this.drained;
  }

  private openPart(part: number): PartStream {
    const path = partPath(this.options.path, part);
    const file = createWriteStream(path, { flags: 'w' });
    let input: Writable = file;
    let gzip: Gzip | undefined;
    if (this.options.gzip) {
      gzip = createGzip();
      gzip.pipe(file);
      input = gzip;
    }
    const stream: PartStream = { path, input, file, gzip, closed: Promise.resolve() };
    stream.closed = new Promise<void>((resolve, reject) => {
      file.once('close', () => resolve());
      // Always listened to: an error while no write waits (a close, a flush) must not go unhandled.
      const onError = (error: NodeJS.ErrnoException) => {
        reject(error);
        if (this.current === stream) this.fail(stream, error);
      };
      file.on('error', onError);
      gzip?.on('error', onError);
    });
    // Kept from rejecting unobserved: errors are handled by the listener above.
    stream.closed.catch(() => undefined);
    this.state.file = path;
    this.state.files.push(path);
    this.state.part = part;
    this.partMessages = 0;
    const header = headerLine({
      startedAt: this.now(),
      ...(this.options.connection !== undefined && { connection: this.options.connection }),
      ...(this.options.broker !== undefined && { broker: this.options.broker }),
      filters: scopeFilters(this.options.scope),
      // Every part of a recording that may rotate says which it is (the first too).
      ...(this.options.rotate && { part }),
    });
    input.write(header);
    this.partLineBytes = Buffer.byteLength(header);
    this.current = stream;
    clearTimeout(this.partTimer);
    this.timeCapReached = false;
    if (this.options.maxMs > 0) {
      this.partTimer = setTimeout(() => {
        this.timeCapReached = true;
        this.wake?.();
      }, this.options.maxMs);
    }
    return stream;
  }

  /** Writes the queue in batches, waiting for `drain` when the stream asks; rotates at the caps; closes at the end. */
  private async drainLoop(): Promise<void> {
    for (;;) {
      const part = this.current;
      if (!part) return;
      if (this.timeCapReached || this.overSizeCap(part)) {
        if (!(await this.atCap(part))) return;
        continue;
      }
      if (this.queue.length === 0) {
        if (this.state.state !== 'recording') break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.takeBatch();
      if (!batch) {
        // The next line does not fit in this part: the part is full.
        this.partLineBytes = Math.max(this.partLineBytes, this.options.maxBytes);
        continue;
      }
      if (!(await this.write(part, batch.text))) return;
      this.state.messages += batch.messages;
      this.partMessages += batch.messages;
      this.partLineBytes += batch.bytes;
    }
    await this.closePart(this.current);
  }

  private overSizeCap(part: PartStream): boolean {
    const max = this.options.maxBytes;
    if (max <= 0) return false;
    // Plain: the lines handed over are the file's size. Gzip: what the compressor has put out so far.
    return (this.options.gzip ? part.file.bytesWritten : this.partLineBytes) >= max;
  }

  /** A cap was reached: the next part, or the end. Returns whether recording goes on. */
  private async atCap(part: PartStream): Promise<boolean> {
    const timeCap = this.timeCapReached;
    if (!(await this.closePart(part))) return false;
    if (this.state.state === 'failed') return false;
    // Stopped meanwhile: what was queued before the stop still gets its part.
    if (this.state.state === 'stopped' && (this.queue.length === 0 || !this.options.rotate)) return false;
    if (!this.options.rotate) {
      this.state.state = 'stopped';
      this.state.reason = timeCap ? 'duration cap reached' : 'size cap reached';
      this.state.stoppedAt = this.now();
      // Lines queued after the cap are not recorded: the recording ended there.
      this.queue = [];
      this.queuedChars = 0;
      this.onEnded?.(this.status());
      return false;
    }
    this.openPart(this.state.part + 1);
    return true;
  }

  /**
   * Up to BATCH_BYTES of whole lines off the queue; with a plain file's size cap, none past the cap
   * (but a part has at least one message: a line larger than the cap is recorded alone). Undefined
   * when the next line does not fit in this part.
   */
  private takeBatch(): { text: string; messages: number; bytes: number } | undefined {
    const max = this.options.maxBytes;
    const room = max > 0 && !this.options.gzip ? max - this.partLineBytes : Infinity;
    let count = 0;
    let chars = 0;
    let bytes = 0;
    while (count < this.queue.length && chars < BATCH_BYTES) {
      const line = this.queue[count];
      // Only counted in bytes when a cap needs it.
      const lineBytes = room === Infinity ? line.length : Buffer.byteLength(line);
      if (bytes + lineBytes > room && (count > 0 || this.partMessages > 0)) break;
      count++;
      chars += line.length;
      bytes += lineBytes;
    }
    if (count === 0) return undefined;
    const lines = this.queue.splice(0, count);
    this.queuedChars -= chars;
    // `bytes` is exact only when a cap needs it (else it counts characters; nothing reads it then).
    return { text: count === 1 ? lines[0] : lines.join(''), messages: count, bytes };
  }

  /** Hands one batch to the stream; waits for `drain` when its buffer is full. False after a write error (the recording failed). */
  private write(part: PartStream, text: string): Promise<boolean> {
    if (this.current !== part) return Promise.resolve(false);
    if (part.input.write(text)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onDrain = () => {
        this.abortWrite = undefined;
        resolve(true);
      };
      part.input.once('drain', onDrain);
      this.abortWrite = () => {
        part.input.off('drain', onDrain);
        this.abortWrite = undefined;
        resolve(false);
      };
    });
  }

  /** Ends a part's file and waits until it is closed; false when that failed (the recording failed then). */
  private async closePart(part: PartStream | undefined): Promise<boolean> {
    if (!part) return true;
    part.input.end();
    try {
      await part.closed;
    } catch {
      return false;
    }
    if (this.current === part) this.current = undefined;
    this.closedBytes += part.file.bytesWritten;
    this.state.bytes = this.closedBytes;
    return true;
  }

  private fail(part: PartStream, error: NodeJS.ErrnoException): void {
    if (this.state.state === 'failed') return;
    const written = this.state.messages;
    const wasStopping = this.state.state === 'stopped';
    this.state.state = 'failed';
    this.state.stoppedAt = this.now();
    const why = describeWriteError(error);
    const count = written.toLocaleString('en-US');
    const dropped = this.state.dropped.toLocaleString('en-US');
    if (written === 1) {
      this.state.error = this.state.dropped
        ? l10n.t('Recording to {0} stopped: {1}. {2} message was written before, {3} dropped.', part.path, why, count, dropped)
        : l10n.t('Recording to {0} stopped: {1}. {2} message was written before.', part.path, why, count);
    } else {
      this.state.error = this.state.dropped
        ? l10n.t('Recording to {0} stopped: {1}. {2} messages were written before, {3} dropped.', part.path, why, count, dropped)
        : l10n.t('Recording to {0} stopped: {1}. {2} messages were written before.', part.path, why, count);
    }
    this.state.bytes = this.closedBytes + part.file.bytesWritten;
    this.queue = [];
    this.queuedChars = 0;
    clearTimeout(this.partTimer);
    this.current = undefined;
    part.gzip?.destroy();
    part.file.destroy();
    this.abortWrite?.();
    this.wake?.();
    if (!wasStopping) this.onEnded?.(this.status());
  }
}
