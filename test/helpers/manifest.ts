import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (this file is compiled to out/test/helpers/). */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** A JSON file of the repository, parsed. */
export function readRepoJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as T;
}

/** A manifest text that is a `%key%` of package.nls.json, as VS Code replaces it. */
export const NLS_REFERENCE = /^%([\w.-]+)%$/;

/**
 * The English text a manifest field shows: package.json holds `%key%` references into
 * package.nls.json (VS Code reads package.nls.<language>.json for other display languages).
 * A value that is no reference is returned as it is.
 */
export function manifestText(value: unknown, nls: Record<string, string> = readRepoJson('package.nls.json')): string {
  const text = String(value);
  const key = NLS_REFERENCE.exec(text)?.[1];
  if (key === undefined) return text;
  if (!(key in nls)) throw new Error(`${text} is not in package.nls.json`);
  return nls[key];
}
