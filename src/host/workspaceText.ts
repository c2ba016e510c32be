import * as vscode from 'vscode';
import { formatBytes } from '../shared/format';
import { BoundedFileError, readBoundedFile } from '../worker/boundedFile';

/**
 * A file's text, never reading more than `maxBytes` (plus one, to tell a file that grew): on this
 * machine's disk through the one bounded reader (src/worker/boundedFile.ts: a named pipe does not wait),
 * elsewhere (a virtual workspace) through VS Code's file system after the caller's stat.
 */
export async function readText(uri: vscode.Uri, maxBytes: number): Promise<string> {
  const tooBig = (size: number) => new Error(vscode.l10n.t('{0}, more than the {1} read', formatBytes(size), formatBytes(maxBytes)));
  if (uri.scheme !== 'file') {
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (bytes.length > maxBytes) throw tooBig(bytes.length);
    return new TextDecoder().decode(bytes);
  }
  try {
    return new TextDecoder().decode(await readBoundedFile(uri.fsPath, maxBytes));
  } catch (error) {
    if (!(error instanceof BoundedFileError)) throw error;
    // Callers write "path: reason": "not a regular file (a named pipe)".
    throw error.size !== undefined ? tooBig(error.size) : new Error(error.reason.replace(/^is /, ''));
  }
}
