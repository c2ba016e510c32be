/**
 * The files a `.mqtt` file names (`< ./frame.bin`, `Schema: ./state.schema.json`), read from disk:
 * relative to the `.mqtt` file's folder and only inside a root (the workspace folder in the
 * extension; on the command line the working folder, or the file's own), so that a file from someone
 * else's repository cannot read or publish whatever it names on your disk. `..` may move within the
 * root, never out of it, and neither may a symbolic link. The bytes come through the one bounded
 * reader (src/worker/boundedFile.ts: non-blocking open, regular files only, capped). Node only: the
 * engine worker, the editor and the command line use it.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { formatBytes } from '../shared/format';
import { relativePathProblem } from '../shared/mqttFiles';
import { BoundedFileError, readBoundedFile } from '../worker/boundedFile';
import type { ReadRunFile } from './types';

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Reads at most `maxBytes` of a regular file through the bounded reader; errors start with `shown`. */
export async function readCapped(path: string, maxBytes: number, shown: string): Promise<Uint8Array> {
  try {
    const bytes = await readBoundedFile(path, maxBytes);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (error) {
    if (!(error instanceof BoundedFileError)) throw error;
    if (error.size !== undefined) throw new Error(`${shown} is ${formatBytes(error.size)}; at most ${formatBytes(maxBytes)} is read.`);
    throw new Error(`${shown} ${error.reason}.`);
  }
}

/** A reader of paths relative to `folder` that refuses any file whose path, or real path, is outside `root`. */
export function confinedReader(folder: string, root: string): ReadRunFile {
  return async (relativePath, maxBytes) => {
    const problem = relativePathProblem(relativePath);
    if (problem) throw new Error(problem);
    const shown = `"${relativePath}"`;
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      throw new Error(`${shown}: the folder files are read from (${root}) does not exist.`);
    }
    const outside = `${shown} is outside ${realRoot}: a message file reads only files in its own folder tree, and follows no link out of it.`;
    const target = resolve(folder, relativePath);
    if (!isInside(resolve(root), target) && !isInside(realRoot, target)) throw new Error(outside);
    let real: string;
    try {
      real = await realpath(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' || code === 'ENOTDIR' ? `There is no file ${shown} (looked for ${target}).` : `${shown} cannot be read: ${(error as Error).message}`);
    }
    if (!isInside(realRoot, real)) throw new Error(`${shown} is a symbolic link to ${real}, outside ${realRoot}: it is not read.`);
    return readCapped(real, maxBytes, shown);
  };
}
