/**
 * Reads a recording file line by line as a stream: a 1 GB file never sits in memory, a line longer
 * than the bound is skipped (counted, not held), a gzip file is inflated on the way. Plain files can
 * start at a byte offset (an index's checkpoint); gzip files cannot be entered in the middle.
 */
import * as l10n from '@vscode/l10n';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { MAX_RECORDING_LINE_BYTES, parseLine, type ParsedLine } from './format';

export interface RecordingLine {
  /** 1-based; from `startLine` when reading starts at an offset. */
  line: number;
  /** Where the line starts in the file (plain files), or in the inflated text (gzip). */
  offset: number;
  /** The line's length in bytes, without its `\n`. */
  bytes: number;
  parsed: ParsedLine;
}

export interface ReadOptions {
  /** Start at this byte offset (the start of a line), plain files only. */
  start?: number;
  /** The line number the line at `start` has. */
  startLine?: number;
  /** Stop before this offset (plain files). */
  end?: number;
  /** Lines longer than this are skipped with an error (tests lower it). */
  maxLineBytes?: number;
  signal?: AbortSignal;
}

/** gzip's magic bytes: a compressed recording is recognised by its content, not only by its name. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Every line of the file, in order. An empty line (a trailing `\n`) is not reported. A line longer
 * than `maxLineBytes` is reported as an error without its text ever being held whole.
 */
export async function* readRecordingLines(path: string, options: ReadOptions = {}): AsyncGenerator<RecordingLine> {
  const gzip = await isGzipFile(path);
  if (gzip && options.start) throw new Error(l10n.t('A gzip-compressed recording can only be read from its start.'));
  const maxLine = options.maxLineBytes ?? MAX_RECORDING_LINE_BYTES;
  const file = createReadStream(path, { start: options.start ?? 0, end: options.end !== undefined ? options.end - 1 : undefined, highWaterMark: 256 * 1024 });
  const source = gzip ? file.pipe(createGunzip()) : file;
  const onAbort = (): void => {
    source.destroy();
    file.destroy();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** The current line is too long: drop bytes until its end. */
  let skipping = false;
  let offset = options.start ?? 0;
  let lineStart = offset;
  let line = (options.startLine ?? 1) - 1;
  /** Ends the line held so far with `end` (the bytes before its `\n`). */
  const finish = (end: Buffer): RecordingLine | undefined => {
    line++;
    const bytes = pendingBytes + end.length;
    let result: RecordingLine | undefined;
    if (skipping || bytes > maxLine) {
      result = { line, offset: lineStart, bytes, parsed: { kind: 'error', error: `longer than ${maxLine} bytes` } };
    } else if (bytes > 0) {
      const whole = pending.length === 0 ? end : Buffer.concat([...pending, end], bytes);
      let text = whole.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      // A blank line is no message and no mistake (a file ending in a blank line, an editor's save).
      if (text.trim() !== '') result = { line, offset: lineStart, bytes, parsed: parseLine(text) };
    }
    pending = [];
    pendingBytes = 0;
    skipping = false;
    return result;
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) return;
      let from = 0;
      for (;;) {
        const newline = chunk.indexOf(0x0a, from);
        if (newline < 0) break;
        const result = finish(chunk.subarray(from, newline));
        if (result) yield result;
        offset += newline - from + 1;
        lineStart = offset;
        from = newline + 1;
        if (options.signal?.aborted) return;
      }
      const rest = chunk.subarray(from);
      offset += rest.length;
      if (skipping || pendingBytes + rest.length > maxLine) {
        skipping = true;
        pendingBytes += rest.length;
        pending = [];
      } else if (rest.length > 0) {
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
    }
    if (pendingBytes > 0 || skipping) {
      const result = finish(Buffer.alloc(0));
      if (result) yield result;
    }
  } catch (error) {
    // Aborting destroys the streams under the loop: that ends the reading, it is no failure.
    if (!options.signal?.aborted) throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    source.destroy();
    file.destroy();
  }
}
