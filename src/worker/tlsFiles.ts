import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { formatBytes } from '../shared/format';
import { TLS_FILE_TITLES } from '../shared/profile';

/** The largest CA certificate, client certificate or key file read: PEM chains of a few hundred certificates fit. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

export type TlsFileField = keyof typeof TLS_FILE_TITLES;

/** Where relative TLS paths lead: the first workspace folder (none open: undefined), and the user's home for `~`. */
export interface TlsFileBase {
  workspaceFolder?: string;
  home?: string;
}

/** A TLS file that cannot be used; the message names the field, the path and why. */
export class TlsFileError extends Error {
  override name = 'TlsFileError';
}

/**
 * The absolute path of a TLS file as the profile writes it: absolute as it is, `~` and `~/…` in the
 * user's home, anything else relative to the workspace folder. Throws a TlsFileError when there is
 * no folder to resolve against.
 */
export function resolveTlsPath(field: TlsFileField, path: string, base: TlsFileBase = {}): string {
  const title = TLS_FILE_TITLES[field];
  if (path === '~' || path.startsWith('~/') || (process.platform === 'win32' && path.startsWith('~\\'))) {
    return join(base.home ?? homedir(), path.slice(1));
  }
  if (path.startsWith('~')) throw new TlsFileError(`${title}: ${path} names another user's home (~name), which is not supported: use ~/… or an absolute path.`);
  if (isAbsolute(path)) return path;
  if (!base.workspaceFolder) throw new TlsFileError(`${title}: ${path} is a relative path, which is read from the first workspace folder, but no folder (on this machine's disk) is open. Open the folder, or use an absolute path or ~/….`);
  return resolve(base.workspaceFolder, path);
}

/**
 * Reads a CA certificate, client certificate or key file, so that no path can tie up the engine:
 * opened non-blocking (a FIFO with no writer does not wait), checked on the open handle (no race
 * between a check and the open), only a regular file, at most MAX_TLS_FILE_BYTES, and never more
 * than that many bytes plus one read however the file grows meanwhile.
 */
export async function readTlsFile(field: TlsFileField, path: string, base: TlsFileBase = {}, maxBytes = MAX_TLS_FILE_BYTES): Promise<Buffer> {
  const resolved = resolveTlsPath(field, path, base);
  const named = `${TLS_FILE_TITLES[field]}: ${resolved === path ? path : `${path} (${resolved})`}`;
  let handle: FileHandle;
  try {
    // O_NONBLOCK is Unix's: Windows has no FIFOs to open, and its constant is undefined there.
    handle = await open(resolved, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new TlsFileError(`${named} ${openFailure(error as NodeJS.ErrnoException)}.`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new TlsFileError(`${named} is not a regular file (${kindOf(stat)}).`);
    const tooBig = (size: number) => new TlsFileError(`${named} is ${formatBytes(size)}; a certificate or key file is at most ${formatBytes(maxBytes)}.`);
    if (stat.size > maxBytes) throw tooBig(stat.size);
    // One byte more than allowed tells a file that grew past the cap after fstat.
    let buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw tooBig(length);
        const larger = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooBig(length);
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof TlsFileError) throw error;
    throw new TlsFileError(`${named} cannot be read: ${(error as Error).message}.`);
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
