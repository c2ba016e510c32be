import * as l10n from '@vscode/l10n';
import { isRecord } from './guards';

/**
 * The extension's settings, checked against the schema they are declared with: package.json's
 * `contributes.configuration`, read at runtime from the manifest VS Code loaded, so the bounds the
 * Settings editor shows and the bounds the code applies are the same numbers. settings.json can hold
 * anything (a workspace's settings come with the folder), so every value is a hostile input until
 * checked. Never imports `vscode`.
 */

export const SETTINGS_SECTION = 'mqttExplorer';

/** The subset of JSON Schema our settings use. */
export interface SettingSchema {
  type: 'number' | 'integer' | 'boolean' | 'string' | 'array' | 'object';
  default: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
  /** For arrays: the type of the items. */
  itemType?: string;
  /** Scope machine or application: only the user's (or remote) settings may set it, never a folder's. */
  machineScoped?: boolean;
}

/**
 * The settings read through SettingsReader and the TypeScript type each has. A unit test checks
 * that this list and package.json name the same settings with the same types; the bounds and
 * defaults come from package.json only. `connections` and `decoders` are not here: profiles are
 * checked field by field by normaliseProfile and validateProfile, bindings by readDecoderBindings;
 * nor `messageFiles.*`, read per file by the `.mqtt` support (readVariablesSetting).
 */
export const SETTING_TYPES = {
  'localBroker.port': 'integer',
  'localBroker.autoStart': 'boolean',
  'localBroker.requireAuthentication': 'boolean',
  'simulator.autoStart': 'boolean',
  'simulator.devices': 'integer',
  'simulator.messagesPerSecond': 'number',
  defaultSubscriptions: 'array',
  'reconnect.minDelaySeconds': 'number',
  'reconnect.maxDelaySeconds': 'number',
  'limits.messagesPerTopic': 'integer',
  'limits.kibPerTopic': 'integer',
  'limits.maxPayloadKib': 'integer',
  'limits.totalMib': 'integer',
  'requests.timeoutSeconds': 'integer',
  // ---- Recording (issue 15) ----
  'recordings.folder': 'string',
  'recordings.gzip': 'boolean',
  'recordings.maxMegabytes': 'integer',
  'recordings.maxMinutes': 'integer',
  'recordings.rotate': 'boolean',
} as const satisfies Record<string, SettingSchema['type']>;

export type SettingKey = keyof typeof SETTING_TYPES;
type TypeOf<T> = T extends 'boolean' ? boolean : T extends 'array' ? string[] : T extends 'string' ? string : number;
export type SettingValue<K extends SettingKey> = TypeOf<(typeof SETTING_TYPES)[K]>;

/** A configured value that was not used as it is: which setting, what it held, and what is used instead. */
export interface SettingWarning {
  /** The full id, e.g. `mqttExplorer.limits.totalMib`. */
  setting: string;
  /** The configured value as JSON (cut), to tell distinct bad values apart. */
  value: string;
  message: string;
}

/**
 * Our settings' schemas from the extension's manifest (package.json), keyed by the id without the
 * `mqttExplorer.` prefix. Throws when the manifest lacks one of SETTING_TYPES or declares another
 * type: a packaging mistake, caught by the unit tests before it ships.
 */
export function settingsSchema(manifest: unknown): Map<string, SettingSchema> {
  const properties = isRecord(manifest) && isRecord(manifest.contributes) && isRecord(manifest.contributes.configuration) ? manifest.contributes.configuration.properties : undefined;
  if (!isRecord(properties)) throw new Error('The manifest declares no configuration properties.');
  const schemas = new Map<string, SettingSchema>();
  for (const [id, raw] of Object.entries(properties)) {
    if (!id.startsWith(`${SETTINGS_SECTION}.`) || !isRecord(raw)) continue;
    const type = raw.type;
    if (type !== 'number' && type !== 'integer' && type !== 'boolean' && type !== 'string' && type !== 'array' && type !== 'object') continue;
    const schema: SettingSchema = { type, default: raw.default };
    if (typeof raw.minimum === 'number') schema.minimum = raw.minimum;
    if (typeof raw.maximum === 'number') schema.maximum = raw.maximum;
    if (Array.isArray(raw.enum)) schema.enum = raw.enum;
    if (isRecord(raw.items) && typeof raw.items.type === 'string') schema.itemType = raw.items.type;
    if (raw.scope === 'machine' || raw.scope === 'application') schema.machineScoped = true;
    schemas.set(id.slice(SETTINGS_SECTION.length + 1), schema);
  }
  for (const [key, type] of Object.entries(SETTING_TYPES)) {
    const schema = schemas.get(key);
    if (schema?.type !== type) throw new Error(`The manifest declares ${SETTINGS_SECTION}.${key} as ${schema?.type ?? 'nothing'}, the code reads it as ${type}.`);
  }
  return schemas;
}

/** A value for a message: JSON, cut (a settings value can be a megabyte of array). */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** "x is not a number": one whole clause per type, so that a translation reads as a sentence. */
function notOfType(described: string, type: string): string {
  switch (type) {
    case 'number':
      return l10n.t('{0} is not a number', described);
    case 'integer':
      return l10n.t('{0} is not a whole number', described);
    case 'boolean':
      return l10n.t('{0} is not true or false', described);
    case 'string':
      return l10n.t('{0} is not a string', described);
    case 'array':
      return l10n.t('{0} is not a list', described);
    case 'object':
      return l10n.t('{0} is not an object', described);
    default:
      return l10n.t('{0} is not {1}', described, type);
  }
}

/** "x, y are not strings": several items of a list setting of the wrong type. */
function itemsNotOfType(described: string, type: string): string {
  switch (type) {
    case 'number':
      return l10n.t('{0} are not a number', described);
    case 'boolean':
      return l10n.t('{0} are not true or false', described);
    case 'string':
      return l10n.t('{0} are not a string', described);
    case 'object':
      return l10n.t('{0} are not an object', described);
    default:
      return l10n.t('{0} are not {1}', described, type);
  }
}

/**
 * The value to use for a setting, and when it is not the configured one, why. Rules (what a person
 * who typed the value would expect):
 * - unset: the default, silently;
 * - a number outside the schema's bounds (including ±Infinity): the nearest bound;
 * - a fraction where a whole number is required: rounded, then bounded;
 * - anything of another type (a string, null, NaN, an object), or a value outside the enum: the default;
 * - a list with items of another type: the list without them.
 */
export function checkSetting(schema: SettingSchema, value: unknown): { value: unknown; problem?: string } {
  if (value === undefined) return { value: schema.default };
  const useDefault = (why: string) => ({ value: schema.default, problem: l10n.t('{0}; using the default, {1}.', why, describeValue(schema.default)) });
  switch (schema.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || Number.isNaN(value)) return useDefault(notOfType(describeValue(value), schema.type));
      let used = value;
      let fraction = false;
      let bound: 'below' | 'above' | undefined;
      if (schema.type === 'integer' && Number.isFinite(used) && !Number.isInteger(used)) {
        used = Math.round(used);
        fraction = true;
      }
      if (schema.minimum !== undefined && used < schema.minimum) {
        used = schema.minimum;
        bound = 'below';
      } else if (schema.maximum !== undefined && used > schema.maximum) {
        used = schema.maximum;
        bound = 'above';
      }
      // Only a schema without bounds could let ±Infinity through: no setting of ours lacks them (tested).
      if (!Number.isFinite(used)) return useDefault(l10n.t('{0} is not a finite number', value));
      // Whole sentences for each case: a translation cannot be joined from the parts.
      if (bound === 'below') {
        const problem = fraction
          ? l10n.t('{0} is not a whole number and {0} is below the minimum, {1}; using {2}.', value, schema.minimum ?? used, used)
          : l10n.t('{0} is below the minimum, {1}; using {2}.', value, schema.minimum ?? used, used);
        return { value: used, problem };
      }
      if (bound === 'above') {
        const problem = fraction
          ? l10n.t('{0} is not a whole number and {0} is above the maximum, {1}; using {2}.', value, schema.maximum ?? used, used)
          : l10n.t('{0} is above the maximum, {1}; using {2}.', value, schema.maximum ?? used, used);
        return { value: used, problem };
      }
      return fraction ? { value: used, problem: l10n.t('{0} is not a whole number; using {1}.', value, used) } : { value: used };
    }
    case 'boolean':
    case 'string':
    case 'object': {
      const fits = schema.type === 'object' ? isRecord(value) : typeof value === schema.type;
      if (!fits) return useDefault(notOfType(describeValue(value), schema.type));
      if (schema.enum && !schema.enum.includes(value)) return useDefault(l10n.t('{0} is not one of {1}', describeValue(value), schema.enum.map((choice) => describeValue(choice)).join(', ')));
      return { value };
    }
    case 'array': {
      if (!Array.isArray(value)) return useDefault(notOfType(describeValue(value), 'array'));
      if (!schema.itemType) return { value };
      const kept = value.filter((item) => typeof item === schema.itemType);
      if (kept.length === value.length) return { value };
      const dropped = value.filter((item) => typeof item !== schema.itemType);
      const described = dropped.map((item) => describeValue(item)).join(', ');
      const why = dropped.length === 1 ? notOfType(described, schema.itemType) : itemsNotOfType(described, schema.itemType);
      return { value: kept, problem: l10n.t('{0}; ignored.', why) };
    }
  }
}

/**
 * Warns once per setting and distinct bad value: settings are read at every connect and every
 * change, and a warning repeated at each read would bury the others.
 */
export class SettingWarnings {
  private readonly seen = new Set<string>();

  constructor(private readonly emit: (warning: SettingWarning) => void) {}

  /** `setting` is the full id; `value` the configured value the message is about. */
  warn(setting: string, value: unknown, problem: string): void {
    const described = describeValue(value);
    const key = `${setting}\u0000${described}\u0000${problem}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.emit({ setting, value: described, message: l10n.t('Setting {0}: {1}', setting, problem) });
  }
}

/** Reads a setting from any source (VS Code's configuration, or a plain object in tests), checked. */
export class SettingsReader {
  constructor(
    private readonly schemas: ReadonlyMap<string, SettingSchema>,
    /** The configured value, undefined when unset (not the default: the schema has that). */
    private readonly source: (key: SettingKey) => unknown,
    readonly warnings: SettingWarnings,
  ) {}

  get<K extends SettingKey>(key: K): SettingValue<K> {
    const schema = this.schemas.get(key);
    // settingsSchema() checked that every SettingKey has its schema.
    if (!schema) throw new Error(`No schema for ${SETTINGS_SECTION}.${key}`);
    const raw = this.source(key);
    const { value, problem } = checkSetting(schema, raw);
    if (problem) this.warnings.warn(`${SETTINGS_SECTION}.${key}`, raw, problem);
    return value as SettingValue<K>;
  }
}
