/**
 * The files a `.mqtt` file names (`< ./frame.bin`, `Schema: ./state.schema.json`), read for a run
 * from disk: relative to the `.mqtt` file's folder and only inside a root (the workspace folder in
 * the extension, the working folder on the command line), symbolic links followed before the check,
 * through the one bounded reader. Node only: the engine worker and the command line use it.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { formatBytes } from '../shared/format';
import { BoundedFileError, readBoundedFile } from '../worker/boundedFile';
import type { ReadRunFile } from './types';

/** A reader of paths relative to `folder` that refuses any file whose real path is outside `root`. */
export function confinedReader(folder: string, root: string): ReadRunFile {
  return async (relativePath, maxBytes) => {
    if (!relativePath || isAbsolute(relativePath) || /^[\\/~]|^[A-Za-z]:/.test(relativePath)) {
      throw new Error(`${relativePath || '(empty path)'}: only a path relative to the .mqtt file is read.`);
    }
    let real: string;
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      throw new Error(`${relativePath}: the folder files are read from (${root}) does not exist.`);
    }
    try {
      real = await realpath(resolve(folder, relativePath));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`${relativePath} ${code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read: ${(error as Error).message}`}.`);
    }
    const inside = relative(realRoot, real);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new Error(`${relativePath} is outside ${realRoot}: a .mqtt file reads only files in its folder's tree (a link out of it is refused too).`);
    }
    try {
      return await readBoundedFile(real, maxBytes);
    } catch (error) {
      if (!(error instanceof BoundedFileError)) throw error;
      if (error.size !== undefined) throw new Error(`${relativePath} is ${formatBytes(error.size)}; at most ${formatBytes(maxBytes)} is read.`);
      throw new Error(`${relativePath} ${error.reason}.`);
    }
  };
}
