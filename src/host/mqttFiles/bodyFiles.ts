/**
 * Files a `.mqtt` block names (`< ./payloads/frame.bin`): read relative to the `.mqtt` file and
 * only from inside its workspace folder, so a file from someone else's repository cannot publish
 * whatever it names on your disk (docs/mqtt-files.md, "The body"). Plain Node, no VS Code.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { formatBytes } from '../../shared/format';
import { relativePathProblem } from '../../shared/mqttFiles';

/** Largest body file sent, as "Publish File": far below MQTT's 256 MiB packet limit. */
export const MAX_BODY_FILE_BYTES = 64 * 1024 * 1024;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The bytes of `path` (as written after `<`, relative to `mqttFile`'s folder), refused with a reason
 * when it is absolute, leaves `root` (by `..` or through a symbolic link), is not a regular file,
 * or is larger than `maxBytes`.
 */
export async function readBodyFile(mqttFile: string, path: string, root: string, maxBytes = MAX_BODY_FILE_BYTES): Promise<Uint8Array> {
  const problem = relativePathProblem(path);
  if (problem) throw new Error(problem);
  const target = resolve(dirname(mqttFile), path);
  const outside = `"${path}" is outside the workspace folder: a message file only sends files from its own folder tree.`;
  if (!inside(root, target)) throw new Error(outside);
  let real: string;
  try {
    real = await realpath(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `There is no file "${path}" (looked for ${target}).` : `"${path}" cannot be read: ${(error as Error).message}`);
  }
  // A symbolic link inside the folder may point anywhere: where it leads must be inside too.
  if (!inside(await realpath(root), real)) throw new Error(outside);
  // O_NOFOLLOW: the checked path cannot be swapped for a link between the check and the read.
  const handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`"${path}" is not a file.`);
    if (stat.size > maxBytes) throw new Error(`"${path}" is ${formatBytes(stat.size)}: too big to publish from a message file (at most ${formatBytes(maxBytes)}).`);
    const buffer = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < stat.size) {
      const { bytesRead } = await handle.read(buffer, offset, stat.size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, offset);
  } finally {
    await handle.close();
  }
}
