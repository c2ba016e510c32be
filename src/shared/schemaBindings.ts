/**
 * The `mqttExplorer.schemas` setting: which JSON Schema file a topic's JSON payloads are checked
 * against. Pure code for the host (reading the setting, finding the files), the engine worker
 * (checking messages) and the tests.
 *
 * The setting can come from a folder's settings file, so it is untrusted input: every entry is
 * checked and an entry with any problem is left out, with an error that names its index and field.
 */
import { topicMatches } from './decoderBindings';
import { isRecord } from './guards';
import { validateTopicFilter } from './profile';

export const SCHEMAS_SETTING = 'mqttExplorer.schemas';

export interface SchemaBinding {
  /** An MQTT topic filter (`+` one level, `#` the rest). */
  filter: string;
  /** The JSON Schema file: workspace-relative, `/`-separated, ending in `.json`. */
  schema: string;
}

/** More bindings than this are not used (the first ones are). */
export const MAX_SCHEMA_BINDINGS = 100;
/** A schema file larger than this is not read (the host checks before reading, the engine again). */
export const MAX_JSON_SCHEMA_FILE_BYTES = 1024 * 1024;
/** All schema files together: beyond, none is loaded. */
export const MAX_JSON_SCHEMA_TOTAL_BYTES = 8 * 1024 * 1024;
const MAX_SCHEMA_PATH = 1024;

export interface SchemaBindingsRead {
  bindings: SchemaBinding[];
  /** One sentence per problem: "mqttExplorer.schemas[2].schema: …". */
  errors: string[];
}

const FIELDS = new Set(['filter', 'schema']);

/** Why `path` is not a workspace-relative `.json` file path, or undefined. */
export function schemaPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'cannot be empty';
  if (path.length > MAX_SCHEMA_PATH) return `can be at most ${MAX_SCHEMA_PATH} characters`;
  if (path.includes('\u0000')) return 'cannot contain the null character';
  if (path.includes('\\')) return 'separates folders with /, not \\';
  if (path.startsWith('/') || path.startsWith('~') || /^[A-Za-z]:/.test(path) || /^[a-z][a-z0-9+.-]*:/i.test(path)) return 'must be relative to the workspace folder';
  if (path.split('/').some((part) => part === '..' || part === '' || part === '.')) return 'cannot contain ., .. or empty folder names';
  if (!path.endsWith('.json')) return 'must be a .json file';
  return undefined;
}

/** Reads the setting's value (anything a settings file can hold) into checked bindings and errors. */
export function readSchemaBindings(value: unknown, setting = SCHEMAS_SETTING): SchemaBindingsRead {
  const bindings: SchemaBinding[] = [];
  const errors: string[] = [];
  if (value === undefined || value === null) return { bindings, errors };
  if (!Array.isArray(value)) return { bindings, errors: [`${setting}: a list of bindings expected, got ${typeof value}`] };
  if (value.length > MAX_SCHEMA_BINDINGS) errors.push(`${setting}: ${value.length} bindings, only the first ${MAX_SCHEMA_BINDINGS} are used`);
  const count = Math.min(value.length, MAX_SCHEMA_BINDINGS);
  for (let index = 0; index < count; index++) {
    const entry: unknown = value[index];
    const at = `${setting}[${index}]`;
    if (!isRecord(entry)) {
      errors.push(`${at}: an object expected, got ${Array.isArray(entry) ? 'a list' : entry === null ? 'null' : typeof entry}`);
      continue;
    }
    const problems: string[] = [];
    for (const key of Object.keys(entry)) if (!FIELDS.has(key)) problems.push(`${at}.${key.slice(0, 80)}: not a field of a schema binding (filter, schema)`);
    const { filter, schema } = entry;
    if (typeof filter !== 'string') problems.push(`${at}.filter: a topic filter expected`);
    else {
      const problem = validateTopicFilter(filter);
      if (problem) problems.push(`${at}.filter: ${problem}`);
    }
    if (typeof schema !== 'string') problems.push(`${at}.schema: a workspace-relative .json file expected`);
    else {
      const problem = schemaPathProblem(schema);
      if (problem) problems.push(`${at}.schema: ${problem}`);
    }
    if (problems.length) {
      errors.push(...problems);
      continue;
    }
    bindings.push({ filter: filter as string, schema: schema as string });
  }
  return { bindings, errors };
}

/** The binding that checks `topic`: the first whose filter matches it. */
export function schemaBindingFor(topic: string, bindings: readonly SchemaBinding[]): SchemaBinding | undefined {
  for (const binding of bindings) if (topicMatches(binding.filter, topic)) return binding;
  return undefined;
}

/** One reason a value is not valid: where (a JSON Pointer, ajv's instancePath; '' is the whole value) and why. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** An issue in one line, for a tooltip, a log line or an input box: "/temperature: must be <= 22.5". */
export function describeIssue(issue: SchemaIssue): string {
  return `${issue.path || '(root)'}: ${issue.message}`;
}
