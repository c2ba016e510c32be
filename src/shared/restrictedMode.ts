import { parse, type ParseError } from 'jsonc-parser';
import { isRecord } from './guards';

/**
 * Restricted Mode (VS Code's workspace trust), the parts that need no VS Code: which settings the
 * manifest restricts, and how a folder's settings file is read while the folder is not trusted.
 */

/** The settings `capabilities.untrustedWorkspaces.restrictedConfigurations` lists (full ids), one source with what VS Code enforces. */
export function restrictedSettings(manifest: unknown): ReadonlySet<string> {
  const capabilities = isRecord(manifest) ? manifest.capabilities : undefined;
  const untrusted = isRecord(capabilities) ? capabilities.untrustedWorkspaces : undefined;
  const list = isRecord(untrusted) ? untrusted.restrictedConfigurations : undefined;
  return new Set(Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : []);
}

/**
 * The value a settings text gives `key` (a full id such as "mqttExplorer.connections"): JSON with
 * comments and trailing commas (jsonc-parser, as VS Code parses settings), what parses of a broken
 * file, the last of repeated keys; a nested object under a prefix of the key
 * (`"mqttExplorer": { "connections": … }`) counts too. A workspace file (`.code-workspace`) keeps
 * its settings under "settings". Undefined when not set. Only for listing: nothing connects with it.
 */
export function settingInText(text: string, key: string, options: { workspaceFile?: boolean } = {}): unknown {
  const errors: ParseError[] = [];
  const parsed = parse(text, errors, { allowTrailingComma: true, disallowComments: false }) as unknown;
  const root = options.workspaceFile ? (isRecord(parsed) ? parsed.settings : undefined) : parsed;
  return valueAt(root, key);
}

function valueAt(tree: unknown, key: string): unknown {
  if (!isRecord(tree)) return undefined;
  let found: unknown;
  for (const [name, value] of Object.entries(tree)) {
    if (name === key) found = value;
    else if (key.startsWith(`${name}.`)) {
      const nested = valueAt(value, key.slice(name.length + 1));
      if (nested !== undefined) found = nested;
    }
  }
  return found;
}
