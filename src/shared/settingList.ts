/**
 * Reading a list setting whose entries bind topic filters to workspace files (mqttExplorer.decoders,
 * mqttExplorer.schemas). Such a setting can come from a folder's settings file, so it is untrusted:
 * every entry is checked, an entry with any problem is left out with errors that name its index and
 * field, and the list is capped. Pure code.
 */
import * as l10n from '@vscode/l10n';
import { isRecord } from './guards';

const MAX_WORKSPACE_PATH = 1024;

export interface SettingListRead<T> {
  /** The entries without problems, in their order. */
  entries: T[];
  /** One sentence per problem: "mqttExplorer.decoders[2].type: …". */
  errors: string[];
}

export interface SettingListShape<T> {
  /** The setting's name, which every error starts with. */
  setting: string;
  /** More entries than this are not used (the first ones are). */
  max: number;
  /** The fields an entry may have, and how an error names the entry ("a binding (topic, format, type, schema)"). */
  fields: ReadonlySet<string>;
  entryName: string;
  /** Reads one entry (an object with only known fields): the entry, or problems added to `problems`. */
  read(entry: Record<string, unknown>, at: string, problems: string[]): T | undefined;
}

export function readSettingList<T>(value: unknown, shape: SettingListShape<T>): SettingListRead<T> {
  const entries: T[] = [];
  const errors: string[] = [];
  const { setting, max } = shape;
  if (value === undefined || value === null) return { entries, errors };
  if (!Array.isArray(value)) return { entries, errors: [`${setting}: ${l10n.t('a list of bindings expected, got {0}', typeof value)}`] };
  if (value.length > max) errors.push(`${setting}: ${l10n.t('{0} bindings, only the first {1} are used', value.length, max)}`);
  const count = Math.min(value.length, max);
  for (let index = 0; index < count; index++) {
    const entry: unknown = value[index];
    const at = `${setting}[${index}]`;
    if (!isRecord(entry)) {
      errors.push(`${at}: ${Array.isArray(entry) ? l10n.t('an object expected, got a list') : l10n.t('an object expected, got {0}', entry === null ? 'null' : typeof entry)}`);
      continue;
    }
    const problems: string[] = [];
    // A key is cut: a folder's settings file could hold a megabyte-long one.
    for (const key of Object.keys(entry)) if (!shape.fields.has(key)) problems.push(`${at}.${key.slice(0, 80)}: ${l10n.t('not a field of {0}', shape.entryName)}`);
    const read = shape.read(entry, at, problems);
    if (problems.length || read === undefined) errors.push(...problems);
    else entries.push(read);
  }
  return { entries, errors };
}

/** Why `path` is not a workspace-relative, `/`-separated path of a file ending in `extension`, or undefined. */
export function workspacePathProblem(path: string, extension: string): string | undefined {
  if (path.length === 0) return l10n.t('cannot be empty');
  if (path.length > MAX_WORKSPACE_PATH) return l10n.t('can be at most {0} characters', MAX_WORKSPACE_PATH);
  if (path.includes('\u0000')) return l10n.t('cannot contain the null character');
  if (path.includes('\\')) return l10n.t('separates folders with {0}, not {1}', '/', '\\');
  if (path.startsWith('/') || path.startsWith('~') || /^[A-Za-z]:/.test(path) || /^[a-z][a-z0-9+.-]*:/i.test(path)) return l10n.t('must be relative to the workspace folder');
  if (path.split('/').some((part) => part === '..' || part === '' || part === '.')) return l10n.t('cannot contain ., .. or empty folder names');
  if (!path.endsWith(extension)) return l10n.t('must be a {0} file', extension);
  return undefined;
}
