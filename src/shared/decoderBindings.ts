/**
 * The `mqttExplorer.decoders` setting: which decoder a topic's payloads go through. Pure code for the
 * host (reading the setting), the engine worker (choosing a decoder per message) and the webview.
 *
 * The setting can come from a folder's settings file, so it is untrusted input: every entry is checked
 * and an entry with any problem is left out, with an error that names its index and field.
 */
import * as l10n from '@vscode/l10n';
import { validateTopicFilter } from './profile';
import { topicMatchesFilter } from './topicRules';
import { readSettingList, workspacePathProblem } from './settingList';

export const BINDING_FORMATS = ['protobuf', 'cbor', 'msgpack', 'avro', 'sparkplug'] as const;
export type BindingFormat = (typeof BINDING_FORMATS)[number];

export interface DecoderBinding {
  /** An MQTT topic filter (`+` one level, `#` the rest). */
  topic: string;
  format: BindingFormat;
  /** Protobuf: the message type's full name ("sensors.Reading"). */
  type?: string;
  /** Protobuf: the .proto file that defines `type` (optional); Avro: the .avsc file (required). Workspace-relative, `/`-separated. */
  schema?: string;
}

/** More bindings than this are not used (the first ones are). */
export const MAX_DECODER_BINDINGS = 200;
const MAX_TYPE_NAME = 512;

/** What topics under `spBv1.0/` get when no binding matches them. */
export const SPARKPLUG_DEFAULT: Readonly<DecoderBinding> = Object.freeze({ topic: 'spBv1.0/#', format: 'sparkplug' });
/** Topics in Sparkplug B's namespace start with this. */
export const SPARKPLUG_PREFIX = 'spBv1.0/';

export interface BindingsRead {
  /** The entries without problems, in their order. */
  bindings: DecoderBinding[];
  /** One sentence per problem: "mqttExplorer.decoders[2].type: …". */
  errors: string[];
}

const FIELDS = new Set(['topic', 'format', 'type', 'schema']);
const TYPE_NAME = /^\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Reads the setting's value (anything a settings file can hold) into checked bindings and errors. */
export function readDecoderBindings(value: unknown, setting = 'mqttExplorer.decoders'): BindingsRead {
  const { entries, errors } = readSettingList(value, { setting, max: MAX_DECODER_BINDINGS, fields: FIELDS, entryName: l10n.t('a binding ({0})', 'topic, format, type, schema'), read: readBinding });
  return { bindings: entries, errors };
}

function readBinding(entry: Record<string, unknown>, at: string, problems: string[]): DecoderBinding | undefined {
  const { topic, format, type, schema } = entry;
  if (typeof topic !== 'string') problems.push(`${at}.topic: ${l10n.t('a topic filter expected')}`);
  else {
    const problem = validateTopicFilter(topic);
    if (problem) problems.push(`${at}.topic: ${problem}`);
  }
  if (typeof format !== 'string' || !(BINDING_FORMATS as readonly string[]).includes(format)) {
    const expected = BINDING_FORMATS.join(', ');
    problems.push(`${at}.format: ${typeof format === 'string' ? l10n.t('one of {0} expected, got "{1}"', expected, format.slice(0, 40)) : l10n.t('one of {0} expected', expected)}`);
  } else {
    if (format === 'protobuf') {
      if (type === undefined) problems.push(`${at}.type: ${l10n.t('a protobuf binding needs the message type (e.g. "{0}")', 'sensors.Reading')}`);
    } else if (type !== undefined) problems.push(`${at}.type: ${l10n.t('only a protobuf binding takes a message type')}`);
    if (format === 'avro' && schema === undefined) problems.push(`${at}.schema: ${l10n.t('an avro binding needs its .avsc file')}`);
    if (format !== 'protobuf' && format !== 'avro' && schema !== undefined) problems.push(`${at}.schema: ${l10n.t('only protobuf and avro bindings take a schema file')}`);
    if (typeof schema === 'string' && (format === 'protobuf' || format === 'avro')) {
      const problem = workspacePathProblem(schema, format === 'protobuf' ? '.proto' : '.avsc');
      if (problem) problems.push(`${at}.schema: ${problem}`);
    }
  }
  if (type !== undefined && (typeof type !== 'string' || type.length > MAX_TYPE_NAME || !TYPE_NAME.test(type))) {
    problems.push(`${at}.type: ${l10n.t('a message type\'s full name expected (letters, digits, _ and dots)')}`);
  }
  if (schema !== undefined && typeof schema !== 'string') problems.push(`${at}.schema: ${l10n.t('a file path expected')}`);
  if (problems.length) return undefined;
  const binding: DecoderBinding = { topic: topic as string, format: format as BindingFormat };
  if (type !== undefined) binding.type = type as string;
  if (schema !== undefined) binding.schema = schema as string;
  return binding;
}

/** The binding that decodes `topic`: the first that matches; else Sparkplug B for `spBv1.0/…`; else none. */
export function bindingFor(topic: string, bindings: readonly DecoderBinding[]): DecoderBinding | undefined {
  for (const binding of bindings) if (topicMatchesFilter(binding.topic, topic)) return binding;
  return topic.startsWith(SPARKPLUG_PREFIX) ? SPARKPLUG_DEFAULT : undefined;
}

/** Each format's name as people read it. */
export const BINDING_FORMAT_NAMES: Readonly<Record<BindingFormat, string>> = Object.freeze({ protobuf: 'Protobuf', cbor: 'CBOR', msgpack: 'MessagePack', avro: 'Avro', sparkplug: 'Sparkplug B' });

/** A binding's decoder in a few words, for a format list or the panel: "Protobuf sensors.Reading", "Avro (schemas/a.avsc)". */
export function describeDecoder(binding: Pick<DecoderBinding, 'format' | 'type' | 'schema'>): string {
  const name = BINDING_FORMAT_NAMES[binding.format];
  if (binding.format === 'protobuf' && binding.type) return `${name} ${binding.type}`;
  if (binding.format === 'avro' && binding.schema) return `${name} (${binding.schema})`;
  return name;
}
