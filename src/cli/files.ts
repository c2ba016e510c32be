/**
 * The files the command line reads for a `.mqtt` file: payload and schema files it names, and
 * its `mqtt.env.json`. A shared `.mqtt` file must not be able to publish whatever it names on the
 * disk, so every path stays inside a root: the current folder when the `.mqtt` file is inside it
 * (a repository run from its top), else the `.mqtt` file's own folder. `..` may move within the
 * root, never out of it, and neither may a symbolic link.
 */
import { realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isInside } from '../runner/confinedFiles';

// The reading itself is the runner's, shared with the extension: bounded, confined, links resolved.
export { confinedReader, isInside, readCapped } from '../runner/confinedFiles';

/** The folder whose tree a `.mqtt` file's paths must stay in (real paths, symbolic links resolved). */
export async function confinementRoot(mqttFile: string, cwd: string): Promise<string> {
  const realCwd = await realpath(cwd);
  const realFolder = await realpath(dirname(resolve(cwd, mqttFile)));
  return isInside(realCwd, realFolder) ? realCwd : realFolder;
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
