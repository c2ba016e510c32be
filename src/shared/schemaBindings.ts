/**
 * The `mqttExplorer.schemas` setting: which JSON Schema file a topic's JSON payloads are checked
 * against. Pure code for the host (reading the setting, finding the files), the engine worker
 * (checking messages) and the tests.
 *
 * The setting can come from a folder's settings file, so it is untrusted input: every entry is
 * checked and an entry with any problem is left out, with an error that names its index and field.
 */
import * as l10n from '@vscode/l10n';
import { validateTopicFilter } from './profile';
import { topicMatchesFilter } from './topicRules';
import { readSettingList, workspacePathProblem } from './settingList';

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

export interface SchemaBindingsRead {
  bindings: SchemaBinding[];
  /** One sentence per problem: "mqttExplorer.schemas[2].schema: …". */
  errors: string[];
}

const FIELDS = new Set(['filter', 'schema']);

/** Why `path` is not a workspace-relative `.json` file path, or undefined. */
export function schemaPathProblem(path: string): string | undefined {
  return workspacePathProblem(path, '.json');
}

/** Reads the setting's value (anything a settings file can hold) into checked bindings and errors. */
export function readSchemaBindings(value: unknown, setting = SCHEMAS_SETTING): SchemaBindingsRead {
  const { entries, errors } = readSettingList(value, { setting, max: MAX_SCHEMA_BINDINGS, fields: FIELDS, entryName: l10n.t('a schema binding ({0})', 'filter, schema'), read: readBinding });
  return { bindings: entries, errors };
}

function readBinding(entry: Record<string, unknown>, at: string, problems: string[]): SchemaBinding | undefined {
  const { filter, schema } = entry;
  if (typeof filter !== 'string') problems.push(`${at}.filter: ${l10n.t('a topic filter expected')}`);
  else {
    const problem = validateTopicFilter(filter);
    if (problem) problems.push(`${at}.filter: ${problem}`);
  }
  if (typeof schema !== 'string') problems.push(`${at}.schema: ${l10n.t('a workspace-relative .json file expected')}`);
  else {
    const problem = schemaPathProblem(schema);
    if (problem) problems.push(`${at}.schema: ${problem}`);
  }
  return problems.length ? undefined : { filter: filter as string, schema: schema as string };
}

/** The binding that checks `topic`: the first whose filter matches it. */
export function schemaBindingFor(topic: string, bindings: readonly SchemaBinding[]): SchemaBinding | undefined {
  for (const binding of bindings) if (topicMatchesFilter(binding.filter, topic)) return binding;
  return undefined;
}

/** One reason a value is not valid: where (a JSON Pointer, ajv's instancePath; '' is the whole value) and why. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** An issue in one line, for a tooltip, a log line or an input box: "/temperature: must be <= 22.5". */
export function describeIssue(issue: SchemaIssue): string {
  return `${issue.path || l10n.t('(root)')}: ${issue.message}`;
}
