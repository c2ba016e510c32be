import * as l10n from '@vscode/l10n';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Why a file could not be read, as a kind (for the sentence in the display language) and its detail. */
type Problem =
  | { kind: 'missing' | 'pathThroughFile' | 'denied' | 'loop' | 'notRegular' | 'tooLarge' }
  | { kind: 'notRegularKind'; what: FileKind }
  | { kind: 'unreadable'; detail: string };

type FileKind = 'folder' | 'pipe' | 'characterDevice' | 'blockDevice' | 'socket' | 'other';

/** Why a file could not be read, in words that follow its name ("does not exist", "is not a regular file (a named pipe)"). */
export class BoundedFileError extends Error {
  override name = 'BoundedFileError';
  /** English, for the runner and logs (the command line's output stays English). */
  readonly reason: string;
  constructor(
    private readonly problem: Problem,
    /** Set when the file was larger than allowed: its size as far as it was seen. */
    readonly size?: number,
  ) {
    const reason = englishReason(problem);
    super(reason);
    this.reason = reason;
  }

  /** One sentence in the display language: `named` followed by why ("CA file: ./ca.pem does not exist."). */
  describe(named: string): string {
    const problem = this.problem;
    switch (problem.kind) {
      case 'missing':
        return l10n.t('{0} does not exist.', named);
      case 'pathThroughFile':
        return l10n.t('{0} does not exist (a folder on its path is a file).', named);
      case 'denied':
        return l10n.t('{0} cannot be read: permission denied.', named);
      case 'loop':
        return l10n.t('{0} cannot be read: too many symbolic links.', named);
      case 'notRegular':
        return l10n.t('{0} is not a regular file.', named);
      case 'notRegularKind':
        return l10n.t('{0} is not a regular file ({1}).', named, kindText(problem.what));
      case 'tooLarge':
        return l10n.t('{0} is too large.', named);
      case 'unreadable':
        return l10n.t('{0} cannot be read: {1}.', named, problem.detail);
    }
  }
}

function englishReason(problem: Problem): string {
  switch (problem.kind) {
    case 'missing':
      return 'does not exist';
    case 'pathThroughFile':
      return 'does not exist (a folder on its path is a file)';
    case 'denied':
      return 'cannot be read: permission denied';
    case 'loop':
      return 'cannot be read: too many symbolic links';
    case 'notRegular':
      return 'is not a regular file';
    case 'notRegularKind':
      return `is not a regular file (${ENGLISH_KINDS[problem.what]})`;
    case 'tooLarge':
      return 'is too large';
    case 'unreadable':
      return `cannot be read: ${problem.detail}`;
  }
}

const ENGLISH_KINDS: Record<FileKind, string> = {
  folder: 'a folder',
  pipe: 'a named pipe',
  characterDevice: 'a character device',
  blockDevice: 'a block device',
  socket: 'a socket',
  other: 'not a file',
};

function kindText(kind: FileKind): string {
  switch (kind) {
    case 'folder':
      return l10n.t('a folder');
    case 'pipe':
      return l10n.t('a named pipe');
    case 'characterDevice':
      return l10n.t('a character device');
    case 'blockDevice':
      return l10n.t('a block device');
    case 'socket':
      return l10n.t('a socket');
    case 'other':
      return l10n.t('not a file');
  }
}

/**
 * Reads a file that a setting or a shared file names, so that no path can tie up the engine:
 * opened non-blocking (a FIFO with no writer does not wait), checked on the open handle (no race
 * between a check and the open), only a regular file, at most `maxBytes`, and never more than that
 * many bytes plus one read however the file grows meanwhile. Rejects with a BoundedFileError.
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<Buffer> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK is Unix's: Windows has no FIFOs to open, and its constant is undefined there.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new BoundedFileError(openFailure(error as NodeJS.ErrnoException));
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new BoundedFileError({ kind: 'notRegularKind', what: kindOf(stat) });
    if (stat.size > maxBytes) throw new BoundedFileError({ kind: 'tooLarge' }, stat.size);
    // One byte more than allowed tells a file that grew past the cap after fstat.
    let buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new BoundedFileError({ kind: 'tooLarge' }, length);
        const larger = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new BoundedFileError({ kind: 'tooLarge' }, length);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof BoundedFileError) throw error;
    throw new BoundedFileError({ kind: 'unreadable', detail: (error as Error).message });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function openFailure(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'ENOENT':
      return { kind: 'missing' };
    case 'ENOTDIR':
      return { kind: 'pathThroughFile' };
    case 'EACCES':
    case 'EPERM':
      return { kind: 'denied' };
    case 'ELOOP':
      return { kind: 'loop' };
    case 'ENXIO':
      // A FIFO or socket that nobody serves, on systems that refuse a non-blocking open of one.
      return { kind: 'notRegular' };
    default:
      return { kind: 'unreadable', detail: error.message };
  }
}

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): FileKind {
  if (stat.isDirectory()) return 'folder';
  if (stat.isFIFO()) return 'pipe';
  if (stat.isCharacterDevice()) return 'characterDevice';
  if (stat.isBlockDevice()) return 'blockDevice';
  if (stat.isSocket()) return 'socket';
  return 'other';
}
