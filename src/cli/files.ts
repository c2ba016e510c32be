/**
 * The files the command line reads for a `.mqtt` file: payload and schema files it names, and
 * its `mqtt.env.json`. A shared `.mqtt` file must not be able to publish whatever it names on the
 * disk, so every path stays inside a root: the current folder when the `.mqtt` file is inside it
 * (a repository run from its top), else the `.mqtt` file's own folder. `..` may move within the
 * root, never out of it, and neither may a symbolic link.
 */
import { open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { relativePathProblem } from '../shared/mqttFiles';
import type { ReadRunFile } from '../runner/types';

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The folder whose tree a `.mqtt` file's paths must stay in (real paths, symbolic links resolved). */
export async function confinementRoot(mqttFile: string, cwd: string): Promise<string> {
  const realCwd = await realpath(cwd);
  const realFolder = await realpath(dirname(resolve(cwd, mqttFile)));
  return isInside(realCwd, realFolder) ? realCwd : realFolder;
}

function describe(error: unknown, shown: string): Error {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return new Error(`${shown}: no such file.`);
  if (code === 'EACCES' || code === 'EPERM') return new Error(`${shown}: not allowed to read it.`);
  if (code === 'EISDIR') return new Error(`${shown} is a folder, not a file.`);
  return new Error(`${shown}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Reads at most `maxBytes` of a regular file; a larger file is refused (its size said). */
export async function readCapped(path: string, maxBytes: number, shown: string): Promise<Uint8Array> {
  let handle;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error(''), { code: 'EISDIR' });
    if (info.size > maxBytes) throw new Error(`${shown} is ${info.size} bytes, more than the ${maxBytes} allowed.`);
    handle = await open(path, 'r');
    // The file may grow between stat and read: read one byte more than allowed to notice.
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled > maxBytes) throw new Error(`${shown} is larger than the ${maxBytes} bytes allowed.`);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
  } catch (error) {
    if (error instanceof Error && !(error as { code?: unknown }).code && error.message) throw error;
    throw describe(error, shown);
  } finally {
    await handle?.close();
  }
}

/**
 * A `ReadRunFile` for the `.mqtt` file in `folder`: paths relative to that folder, confined to
 * `root` (a real path), symbolic links included.
 */
export function confinedReader(folder: string, root: string): ReadRunFile {
  return async (relativePath, maxBytes) => {
    const problem = relativePathProblem(relativePath);
    if (problem) throw new Error(problem);
    const target = resolve(folder, relativePath);
    const outside = () => new Error(`${relativePath} is outside ${root}: a .mqtt file may only read files in its own folder tree (or, run from a folder that holds it, in that folder's tree).`);
    if (!isInside(root, target)) throw outside();
    let real: string;
    try {
      real = await realpath(target);
    } catch (error) {
      throw describe(error, relativePath);
    }
    if (!isInside(root, real)) throw new Error(`${relativePath} is a symbolic link to ${real}, outside ${root}: it is not read.`);
    return readCapped(real, maxBytes, relativePath);
  };
}

/** The nearest `name` in `folder` or a parent folder up to `root`, or undefined. */
export async function findUp(folder: string, root: string, name: string): Promise<string | undefined> {
  let current = resolve(folder);
  for (;;) {
    const candidate = join(current, name);
    try {
      const real = await realpath(candidate);
      if (isInside(root, real) && (await stat(real)).isFile()) return real;
    } catch {
      // Not here: look one folder up.
    }
    if (!isInside(root, current) || current === root) return undefined;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
