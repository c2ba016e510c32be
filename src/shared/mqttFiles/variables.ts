/**
 * Variables of `.mqtt` files: finding `{{references}}`, the built-ins, environment files
 * (`mqtt.env.json`), and resolving a reference through the layers (block > file > environment >
 * `$shared` > settings) with a depth limit, cycle detection and a bound on the text produced.
 * Pure code: time and randomness come from the caller (tests inject them).
 */
import * as l10n from '@vscode/l10n';
import { parseTree, type Node, type ParseError } from 'jsonc-parser';
import { jsonDepthExceeds } from '../json';
import { MAX_REFERENCE_CHARS, MAX_RESOLVED_CHARS, MAX_VARIABLE_DEPTH, type DiagnosticCode, type MqttFileDiagnostic, type Range, type VariableDefinition } from './types';

export type BuiltinName = '$uuid' | '$timestamp' | '$isoTimestamp' | '$randomInt';
export const BUILTINS: readonly BuiltinName[] = ['$uuid', '$timestamp', '$isoTimestamp', '$randomInt'];

/** A `{{…}}` in some text: offsets into that text, `end` exclusive. */
export type Reference =
  | { kind: 'variable'; start: number; end: number; name: string }
  | { kind: 'builtin'; start: number; end: number; builtin: BuiltinName; args: number[] }
  | { kind: 'invalid'; start: number; end: number; problem: string };

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const INTEGER = /^-?\d{1,16}$/;

/** Why `name` cannot name a variable, or undefined. */
export function variableNameProblem(name: string): string | undefined {
  if (name.startsWith('$')) return l10n.t('"{0}": names starting with $ are the built-ins ($uuid, $timestamp, $isoTimestamp, $randomInt); pick another name.', name);
  if (!VARIABLE_NAME.test(name)) return l10n.t('"{0}" is not a variable name: use letters, digits, _, - and ., starting with a letter or _.', name);
  return undefined;
}

function readReference(inner: string, start: number, end: number, worded: boolean): Reference {
  // The common case, {{name}}, without splitting.
  if (VARIABLE_NAME.test(inner)) return { kind: 'variable', start, end, name: inner };
  const say = (problem: () => string): string => (worded ? problem() : '');
  const words = inner.trim().split(/[ \t]+/);
  const [head, ...args] = words;
  if (head === '') return { kind: 'invalid', start, end, problem: say(() => l10n.t('An empty {{}} names no variable: write {{name}}.')) };
  if (head.startsWith('$')) {
    const builtin = BUILTINS.find((candidate) => candidate === head);
    // A {0} right inside {{ }} would not be filled in by l10n.t: the braces travel with the argument.
    if (!builtin) return { kind: 'invalid', start, end, problem: say(() => l10n.t('Unknown built-in {0}: use {{$uuid}}, {{$timestamp}}, {{$isoTimestamp}} or {{$randomInt min max}}.', `{{${head}}}`)) };
    if (builtin !== '$randomInt') {
      return args.length ? { kind: 'invalid', start, end, problem: say(() => l10n.t('{0} takes nothing after its name.', `{{${builtin}}}`)) } : { kind: 'builtin', start, end, builtin, args: [] };
    }
    const numbers = args.map((arg) => (INTEGER.test(arg) ? Number(arg) : NaN));
    if (numbers.length !== 2 || numbers.some((value) => !Number.isSafeInteger(value))) {
      return { kind: 'invalid', start, end, problem: say(() => l10n.t('Write {{$randomInt min max}} with two whole numbers: a random integer from min up to, not including, max.')) };
    }
    if (numbers[0] >= numbers[1]) return { kind: 'invalid', start, end, problem: say(() => l10n.t('{0}: min must be less than max (max itself is never chosen).', `{{$randomInt ${args[0]} ${args[1]}}}`)) };
    return { kind: 'builtin', start, end, builtin, args: numbers };
  }
  if (args.length) return { kind: 'invalid', start, end, problem: say(() => l10n.t('{0}: a variable name has no spaces.', `{{${inner.trim()}}}`)) };
  // `head` does not start with $ here: variableNameProblem has something to say exactly when the name does not match.
  return VARIABLE_NAME.test(head) ? { kind: 'variable', start, end, name: head } : { kind: 'invalid', start, end, problem: say(() => variableNameProblem(head) ?? '') };
}

function isBreak(code: number): boolean {
  return code === 0x7b || code === 0x7d || code === 0x0a || code === 0x0d; // { } \n \r
}

/**
 * Every `{{…}}` of `text`: `{{`, at most MAX_REFERENCE_CHARS characters without braces or line
 * breaks, `}}`. Other braces are text (`{"a":{}}` holds no reference). Linear: each `}}` looks back
 * to the nearest brace, never before the end of the previous reference. `worded: false` leaves a
 * malformed reference's problem empty, for a caller that passes over them (checkVariables): a
 * hostile file holds hundreds of thousands, and l10n.t costs ten times a template literal.
 */
export function findReferences(text: string, worded = true): Reference[] {
  const references: Reference[] = [];
  let from = 0;
  for (;;) {
    const close = text.indexOf('}}', from);
    if (close < 0) return references;
    const floor = Math.max(from, close - MAX_REFERENCE_CHARS - 2);
    let at = close - 1;
    while (at >= floor && !isBreak(text.charCodeAt(at))) at--;
    if (at - 1 >= floor && text.charCodeAt(at) === 0x7b && text.charCodeAt(at - 1) === 0x7b) {
      references.push(readReference(text.slice(at + 1, close), at - 1, close + 2, worded));
      from = close + 2;
    } else from = close + 1;
  }
}

/** Where a variable's value comes from, highest precedence first. */
export type VariableOrigin = 'block' | 'file' | 'environment' | 'shared' | 'settings';

export type VariableMap = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** Values from outside the file: the chosen environment, `$shared`, and settings. */
export interface VariableSources {
  environment?: VariableMap;
  /** Named in messages ("environment dev"). */
  environmentName?: string;
  shared?: VariableMap;
  settings?: VariableMap;
}

/** Time and randomness, injected so that tests are deterministic. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A number in [0, 1). */
  random(): number;
}

function cryptoRandom(): number {
  const crypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint32Array) => Uint32Array } }).crypto;
  if (typeof crypto?.getRandomValues !== 'function') return Math.random();
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0] * 2 ** 21 + (words[1] >>> 11)) / 2 ** 53;
}

/** The real clock: `Date.now` and the platform's cryptographic random numbers (Math.random where there are none). */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now(), random: cryptoRandom };

function unit(clock: Clock): number {
  const value = clock.random();
  // An injected random() may misbehave; the built-ins still stay in their ranges.
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1 - 2 ** -53) : 0;
}

/** A version 4 UUID from `clock.random()`. */
export function uuidFrom(clock: Clock): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(unit(clock) * 256));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A failure to fill in a text, at a reference of that text (offsets into it). */
export interface ResolveFailure {
  code: DiagnosticCode;
  message: string;
  start: number;
  end: number;
}

interface Definition {
  value: string;
  origin: VariableOrigin;
  /** 0-based line of an `@name = value` in the file. */
  line?: number;
}

/** Where a variable was defined, in the display language (looked up when a problem is described, after l10n is configured). */
function originWords(origin: VariableOrigin): string {
  switch (origin) {
    case 'block':
      return l10n.t('this block');
    case 'file':
      return l10n.t('this file');
    case 'environment':
      return l10n.t('the environment');
    case 'shared':
      return '$shared';
    case 'settings':
      return l10n.t('settings');
  }
}

interface Problem {
  code: DiagnosticCode;
  message: string;
}

function mapGet(map: VariableMap | undefined, name: string): string | undefined {
  if (!map) return undefined;
  if (map instanceof Map) return map.get(name);
  const record = map as Readonly<Record<string, string>>;
  const value = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function mapKeys(map: VariableMap | undefined): string[] {
  if (!map) return [];
  return map instanceof Map ? [...map.keys()] : Object.keys(map);
}

/** Levenshtein distance, or `limit + 1` once it is sure to exceed `limit` (names are short: small tables). */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length];
}

/** Total characters a resolver may produce, all variables together: a file cannot make it build gigabytes. */
export const MAX_RESOLUTION_WORK = 16 * 1024 * 1024;

/**
 * Fills in `{{references}}` for one block: a variable is looked up block > file > environment >
 * `$shared` > settings, and its value is filled in too, in the same scope. Each variable is
 * resolved once per resolver (so `@id = {{$uuid}}` is one id throughout the block), `now()` is read
 * once, and every `{{$uuid}}` or `{{$randomInt}}` written out is a fresh value.
 */
export class VariableResolver {
  private readonly blockDefinitions = new Map<string, Definition>();
  private readonly fileDefinitions = new Map<string, Definition>();
  private readonly resolved = new Map<string, string>();
  private nowValue: number | undefined;
  private work = 0;

  /** Whether the budget of MAX_RESOLUTION_WORK is spent: nothing more is filled in (and said once). */
  get exhausted(): boolean {
    return this.work > MAX_RESOLUTION_WORK;
  }

  constructor(
    fileVariables: readonly VariableDefinition[],
    blockVariables: readonly VariableDefinition[],
    private readonly sources: VariableSources = {},
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    // The last definition of a name wins, as the parser's duplicate warning says.
    for (const definition of fileVariables) this.fileDefinitions.set(definition.name, { value: definition.value, origin: 'file', line: definition.range.start.line });
    for (const definition of blockVariables) this.blockDefinitions.set(definition.name, { value: definition.value, origin: 'block', line: definition.range.start.line });
  }

  private lookup(name: string): Definition | undefined {
    const local = this.blockDefinitions.get(name) ?? this.fileDefinitions.get(name);
    if (local) return local;
    for (const origin of ['environment', 'shared', 'settings'] as const) {
      const value = mapGet(this.sources[origin], name);
      if (value !== undefined) return { value, origin };
    }
    return undefined;
  }

  private knownNames(): string[] {
    return [...this.blockDefinitions.keys(), ...this.fileDefinitions.keys(), ...mapKeys(this.sources.environment), ...mapKeys(this.sources.shared), ...mapKeys(this.sources.settings)];
  }

  private suggestion(name: string): string {
    if (name.length > 64) return '';
    let best: string | undefined;
    let bestDistance = 3;
    for (const candidate of this.knownNames().slice(0, 10_000)) {
      if (candidate.length > 64 || candidate === name) continue;
      const d = distance(name, candidate, 2);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best ? ` ${l10n.t('Did you mean {0}?', `{{${best}}}`)}` : '';
  }

  private whereToDefine(name: string): string {
    return this.sources.environmentName
      ? l10n.t('define it with @{0} = … at the top of the file or above the block\'s request line, in the environment "{1}" or $shared of mqtt.env.json, or in settings.', name, this.sources.environmentName)
      : l10n.t("define it with @{0} = … at the top of the file or above the block's request line, in mqtt.env.json, or in settings.", name);
  }

  private now(): number {
    if (this.nowValue === undefined) this.nowValue = this.clock.now();
    return this.nowValue;
  }

  private builtin(reference: Extract<Reference, { kind: 'builtin' }>): string | Problem {
    switch (reference.builtin) {
      case '$uuid':
        return uuidFrom(this.clock);
      case '$timestamp':
        return String(Math.floor(this.now()));
      case '$isoTimestamp': {
        const date = new Date(this.now());
        if (Number.isNaN(date.getTime())) return { code: 'bad-reference', message: l10n.t('The clock gave a time that is not a date.') };
        return date.toISOString();
      }
      case '$randomInt': {
        const [min, max] = reference.args;
        return String(min + Math.floor(unit(this.clock) * (max - min)));
      }
    }
  }

  /** The value of variable `name`, reached through `chain` (the variables being filled in, outermost first). */
  private variable(name: string, chain: readonly string[]): string | Problem {
    const known = this.resolved.get(name);
    if (known !== undefined) return known;
    const cycleAt = chain.indexOf(name);
    if (cycleAt >= 0) {
      return { code: 'variable-cycle', message: l10n.t('Variables refer to each other in a cycle: {0}. Give one of them a value that does not refer back.', [...chain.slice(cycleAt), name].join(' → ')) };
    }
    if (chain.length >= MAX_VARIABLE_DEPTH) {
      return { code: 'variable-too-deep', message: l10n.t('Variables refer to variables more than {0} levels deep ({1}): give some of them their value directly.', MAX_VARIABLE_DEPTH, [...chain, name].join(' → ')) };
    }
    const definition = this.lookup(name);
    if (!definition) {
      if (!chain.length) return { code: 'unknown-variable', message: l10n.t('Unknown variable {0}: {1}', `{{${name}}}`, this.whereToDefine(name)) + this.suggestion(name) };
      const outer = this.lookup(chain[0]);
      const where = outer?.line !== undefined ? l10n.t('line {0}', outer.line + 1) : outer ? originWords(outer.origin) : '';
      return {
        code: 'unknown-variable',
        message: l10n.t('{0} (from {1}) cannot be filled in: {2}, and {3} is not defined: {4}', `{{${chain[0]}}}`, where, [...chain, name].join(' → '), name, this.whereToDefine(name)) + this.suggestion(name),
      };
    }
    const value = this.fill(definition.value, [...chain, name]);
    if (typeof value !== 'string') return value;
    this.resolved.set(name, value);
    return value;
  }

  private fill(text: string, chain: readonly string[]): string | ResolveFailure {
    // A failure inside a variable's value is reported at the outermost reference (offsets of the text being resolved).
    const references = findReferences(text);
    if (!references.length) return text;
    const parts: string[] = [];
    let length = 0;
    let at = 0;
    for (const reference of references) {
      let value: string | Problem;
      if (reference.kind === 'invalid') value = { code: 'bad-reference', message: reference.problem };
      else if (reference.kind === 'builtin') value = this.builtin(reference);
      else value = this.variable(reference.name, chain);
      if (typeof value !== 'string') return { code: value.code, message: value.message, start: reference.start, end: reference.end };
      parts.push(text.slice(at, reference.start), value);
      length += reference.start - at + value.length;
      at = reference.end;
      this.work += value.length;
      if (length > MAX_RESOLVED_CHARS) {
        const message = chain.length
          ? l10n.t('{0} is longer than {1} MiB once its variables are filled in: put a payload that big in a file (< ./file).', `{{${chain[0]}}}`, MAX_RESOLVED_CHARS / 1024 / 1024)
          : l10n.t('This text is longer than {0} MiB once its variables are filled in: put a payload that big in a file (< ./file).', MAX_RESOLVED_CHARS / 1024 / 1024);
        return { code: 'variable-too-long', message, start: reference.start, end: reference.end };
      }
      if (this.work > MAX_RESOLUTION_WORK) return { code: 'variable-too-long', message: l10n.t('Filling in the variables produces more than {0} MiB of text: the variables repeat each other too often.', MAX_RESOLUTION_WORK / 1024 / 1024), start: reference.start, end: reference.end };
    }
    parts.push(text.slice(at));
    return parts.join('');
  }

  /** `text` with its references filled in, or the first one that cannot be (offsets into `text`). */
  resolve(text: string): { value: string } | { failure: ResolveFailure } {
    const value = this.fill(text, []);
    return typeof value === 'string' ? { value } : { failure: value };
  }
}

/** Where a failure at offsets of a one-line text that starts at `line`:`character` is. */
export function failureRange(failure: ResolveFailure, line: number, character: number): Range {
  return { start: { line, character: character + failure.start }, end: { line, character: character + failure.end } };
}

// ---------------------------------------------------------------------------------------------
// Environment files and the settings' variables

export const ENVIRONMENT_FILE_NAME = 'mqtt.env.json';
/** An environment file larger than this is not read. */
export const MAX_ENVIRONMENT_FILE_CHARS = 1024 * 1024;
const MAX_ENVIRONMENT_DEPTH = 64;

export interface EnvironmentFile {
  /** `$shared`: values for every environment. */
  shared: Map<string, string>;
  /** The environments by name, in the file's order. */
  environments: Map<string, Map<string, string>>;
  /** Problems of the file, with 0-based positions in it. */
  diagnostics: MqttFileDiagnostic[];
}

function positionIn(offset: number, lineStarts: number[]): { line: number; character: number } {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (lineStarts[middle] <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low, character: offset - lineStarts[low] };
}

/**
 * Reads `mqtt.env.json`: `{ "$shared": { "name": "value" }, "dev": { … }, "prod": { … } }`.
 * JSON with comments and trailing commas; values are strings, numbers (kept as written) or
 * booleans. What cannot be used is left out with a diagnostic; never throws.
 */
export function parseEnvironmentFile(text: string): EnvironmentFile {
  const result: EnvironmentFile = { shared: new Map(), environments: new Map(), diagnostics: [] };
  const lineStarts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) lineStarts.push(index + 1);
  const rangeOf = (offset: number, length: number): Range => ({ start: positionIn(offset, lineStarts), end: positionIn(offset + length, lineStarts) });
  const problem = (severity: 'error' | 'warning', message: string, offset = 0, length = 0) =>
    result.diagnostics.push({ severity, message, code: 'bad-variable', range: rangeOf(offset, length) });
  if (text.length > MAX_ENVIRONMENT_FILE_CHARS) {
    problem('error', l10n.t('{0} is larger than {1} MiB and is not read.', ENVIRONMENT_FILE_NAME, MAX_ENVIRONMENT_FILE_CHARS / 1024 / 1024));
    return result;
  }
  // jsonc-parser recurses per level: turn deep nesting down before it can overflow the stack.
  if (jsonDepthExceeds(text, MAX_ENVIRONMENT_DEPTH)) {
    problem('error', l10n.t('{0} nests deeper than {1} levels and is not read: it holds one object per environment, each a list of name: value.', ENVIRONMENT_FILE_NAME, MAX_ENVIRONMENT_DEPTH));
    return result;
  }
  const errors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  } catch {
    root = undefined;
  }
  if (errors.length || !root) {
    const first = errors[0];
    const message = first ? l10n.t('{0} is not valid JSON: fix it and the environments apply again.', ENVIRONMENT_FILE_NAME) : l10n.t('{0} is not valid JSON (it is empty): fix it and the environments apply again.', ENVIRONMENT_FILE_NAME);
    problem('error', message, first?.offset ?? 0, first?.length ?? 0);
    return result;
  }
  if (root.type !== 'object') {
    problem('error', l10n.t('{0} holds an object: { "$shared": { … }, "dev": { … } }.', ENVIRONMENT_FILE_NAME), root.offset, root.length);
    return result;
  }
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (!keyNode || !valueNode || typeof keyNode.value !== 'string') continue;
    const environmentName = keyNode.value;
    if (environmentName.startsWith('$') && environmentName !== '$shared') {
      problem('warning', l10n.t('"{0}" is not an environment (names starting with $ are reserved; "$shared" holds values for all).', environmentName), keyNode.offset, keyNode.length);
      continue;
    }
    if (valueNode.type !== 'object') {
      problem('error', l10n.t('"{0}" must be an object of variables: { "name": "value" }.', environmentName), valueNode.offset, valueNode.length);
      continue;
    }
    const variables = new Map<string, string>();
    for (const entry of valueNode.children ?? []) {
      const [nameNode, entryValue] = entry.children ?? [];
      if (!nameNode || !entryValue || typeof nameNode.value !== 'string') continue;
      const name = nameNode.value;
      const nameProblem = variableNameProblem(name);
      if (nameProblem) {
        problem('warning', l10n.t('{0} (left out)', nameProblem), nameNode.offset, nameNode.length);
        continue;
      }
      if (entryValue.type === 'string') variables.set(name, entryValue.value as string);
      else if (entryValue.type === 'number') variables.set(name, text.slice(entryValue.offset, entryValue.offset + entryValue.length));
      else if (entryValue.type === 'boolean') variables.set(name, String(entryValue.value));
      else problem('warning', l10n.t('"{0}": a variable\'s value is a string, a number or true/false (left out).', name), entryValue.offset, entryValue.length);
    }
    if (environmentName === '$shared') result.shared = variables;
    else result.environments.set(environmentName, variables);
  }
  return result;
}

/**
 * The sources for one environment of a file (and the settings' variables), or why that
 * environment cannot be used. No environment name: `$shared` only.
 */
export function environmentSources(file: EnvironmentFile | undefined, environmentName: string | undefined, settings?: VariableMap): { sources: VariableSources } | { error: string } {
  if (environmentName !== undefined && environmentName !== '') {
    const environment = file?.environments.get(environmentName);
    if (!environment) {
      const names = file ? [...file.environments.keys()] : [];
      return {
        error: !file
          ? l10n.t('No {0} was found, so there is no environment "{1}".', ENVIRONMENT_FILE_NAME, environmentName)
          : names.length
            ? l10n.t('There is no environment "{0}" in {1}: pick one of {2}.', environmentName, ENVIRONMENT_FILE_NAME, names.map((name) => `"${name}"`).join(', '))
            : l10n.t('There is no environment "{0}" in {1} (it defines none).', environmentName, ENVIRONMENT_FILE_NAME),
      };
    }
    return { sources: { environment, environmentName, shared: file?.shared, settings } };
  }
  return { sources: { shared: file?.shared, settings } };
}

/** The variables of a settings value (an object of name → string, number or boolean; untrusted), and what was left out. */
export function readVariablesSetting(value: unknown): { variables: Map<string, string>; problems: string[] } {
  const variables = new Map<string, string>();
  const problems: string[] = [];
  if (value === undefined || value === null) return { variables, problems };
  if (typeof value !== 'object' || Array.isArray(value)) return { variables, problems: [l10n.t('The variables setting must be an object of name: value.')] };
  for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
    const nameProblem = variableNameProblem(name);
    if (nameProblem) problems.push(l10n.t('{0} (left out)', nameProblem));
    else if (typeof entry === 'string') variables.set(name, entry);
    else if ((typeof entry === 'number' && Number.isFinite(entry)) || typeof entry === 'boolean') variables.set(name, String(entry));
    else problems.push(l10n.t('"{0}": a variable\'s value is a string, a number or true/false (left out).', name));
  }
  return { variables, problems };
}
