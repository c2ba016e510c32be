import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Why a file could not be read, in words that follow its name ("does not exist", "is not a regular file (a named pipe)"). */
export class BoundedFileError extends Error {
  override name = 'BoundedFileError';
  constructor(
    readonly reason: string,
    /** Set when the file was larger than allowed: its size as far as it was seen. */
    readonly size?: number,
  ) {
    super(reason);
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
    if (!stat.isFile()) throw new BoundedFileError(`is not a regular file (${kindOf(stat)})`);
    if (stat.size > maxBytes) throw new BoundedFileError('is too large', stat.size);
    // One byte more than allowed tells a file that grew past the cap after fstat.
    let buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new BoundedFileError('is too large', length);
        const larger = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new BoundedFileError('is too large', length);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof BoundedFileError) throw error;
    throw new BoundedFileError(`cannot be read: ${(error as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function openFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a folder on its path is a file)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'ELOOP':
      return 'cannot be read: too many symbolic links';
    case 'ENXIO':
      // A FIFO or socket that nobody serves, on systems that refuse a non-blocking open of one.
      return 'is not a regular file';
    default:
      return `cannot be read: ${error.message}`;
  }
}

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}
