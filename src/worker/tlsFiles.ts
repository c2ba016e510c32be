import * as l10n from '@vscode/l10n';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { formatBytes } from '../shared/format';
import { BoundedFileError, readBoundedFile } from './boundedFile';
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
  if (path.startsWith('~')) throw new TlsFileError(l10n.t("{0}: {1} names another user's home (~name), which is not supported: use ~/… or an absolute path.", title, path));
  if (isAbsolute(path)) return path;
  if (!base.workspaceFolder) throw new TlsFileError(l10n.t("{0}: {1} is a relative path, which is read from the first workspace folder, but no folder (on this machine's disk) is open. Open the folder, or use an absolute path or ~/….", title, path));
  return resolve(base.workspaceFolder, path);
}

/**
 * Reads a CA certificate, client certificate or key file through the one bounded reader
 * (boundedFile.ts: non-blocking open, regular files only, at most `maxBytes`).
 */
export async function readTlsFile(field: TlsFileField, path: string, base: TlsFileBase = {}, maxBytes = MAX_TLS_FILE_BYTES): Promise<Buffer> {
  const resolved = resolveTlsPath(field, path, base);
  const named = `${TLS_FILE_TITLES[field]}: ${resolved === path ? path : `${path} (${resolved})`}`;
  try {
    return await readBoundedFile(resolved, maxBytes);
  } catch (error) {
    if (!(error instanceof BoundedFileError)) throw error;
    if (error.size !== undefined) throw new TlsFileError(l10n.t('{0} is {1}; a certificate or key file is at most {2}.', named, formatBytes(error.size), formatBytes(maxBytes)));
    throw new TlsFileError(error.describe(named));
  }
}
