/**
 * JSON Schema checks with ajv, for the engine (received messages of bound topics, publish drafts)
 * and for anything else that holds a schema file's text (a `.mqtt` file's diagnostics): one file
 * compiled alone, draft 2020-12, 2019-09 or draft-07 (ajv's class for each) by its `$schema`, and a value
 * checked against it. Pure code: no VS Code, no file system.
 *
 * A schema file is untrusted input (it comes with a folder): its size and shape are capped before
 * ajv sees it, `pattern`s run on RE2 (linear time, so no pattern can hang the engine), remote
 * `$ref`s are never fetched, and what a check reports is capped.
 */
import * as l10n from '@vscode/l10n';
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { RE2JS } from 're2js';
import { isRecord } from './guards';

export type SchemaDraft = '2020-12' | '2019-09' | 'draft-07';

// In ajv-free code, so the extension host's bundle can describe an issue without carrying ajv.
export { describeIssue, type SchemaIssue } from './schemaBindings';
import type { SchemaIssue } from './schemaBindings';

/** What a check says: valid; not valid, with the first errors; or why it could not check. */
export type SchemaVerdict = { valid: true } | { valid: false; errors: SchemaIssue[]; more: number } | { valid?: undefined; unchecked: string };

/** Errors a check reports at most (ajv may find more: `more` counts them). */
export const MAX_REPORTED_ERRORS = 20;
/** Characters of one error's message (a long enum or a long property name is cut). */
const MAX_MESSAGE_CHARS = 300;
/** Characters of an error's path. */
const MAX_PATH_CHARS = 1000;
/** Objects and arrays a schema may have: a bigger one is refused before ajv compiles it. */
export const MAX_SCHEMA_NODES = 20_000;
/** Nesting a schema may have (ajv's compiler recurses along it). */
export const MAX_SCHEMA_DEPTH = 64;
/** A schema that takes longer than this to compile is refused (compiling runs once per load, but blocks the engine meanwhile). */
export const MAX_COMPILE_MS = 2000;

const DRAFTS: Record<string, SchemaDraft> = {
  'https://json-schema.org/draft/2020-12/schema': '2020-12',
  'https://json-schema.org/draft/2019-09/schema': '2019-09',
  'http://json-schema.org/draft-07/schema': 'draft-07',
  'https://json-schema.org/draft-07/schema': 'draft-07',
};

/** A compiled schema file. */
export interface CompiledSchema {
  readonly file: string;
  readonly draft: SchemaDraft;
  /** Checks a parsed JSON value. Never throws. */
  check(value: unknown): SchemaVerdict;
}

export type CompileResult = { ok: true; schema: CompiledSchema; compileMs: number } | { ok: false; error: string };

/** ajv's `pattern` and `patternProperties` run on RE2: linear in the text, whatever the pattern. */
function re2(pattern: string): { test: (text: string) => boolean; toString: () => string } {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new Error(l10n.t('the pattern {0} is not supported (patterns run on RE2: no backreferences or lookaround): {1}', JSON.stringify(pattern.slice(0, 200)), error instanceof Error ? error.message : String(error)));
  }
  // ajv keeps one compiled pattern per distinct toString(): it must name the pattern.
  return { test: (text) => compiled.test(text), toString: () => `re2:${pattern}` };
}
re2.code = 'mqttExplorerRe2';

const OPTIONS: Options = {
  allErrors: true,
  // Schemas in the wild carry keywords and formats of their own: not an error, just not checked.
  strict: false,
  validateFormats: false,
  logger: false,
  code: { regExp: re2 },
  // A $ref to another file or a URL is not fetched: compiling says it cannot be resolved.
};

/** Why the schema's shape is refused before compiling (too many nodes, too deep), or undefined. Iterative: a schema can be deep. */
function shapeProblem(schema: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: schema, depth: 1 }];
  let nodes = 0;
  while (stack.length) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null) continue;
    if (++nodes > MAX_SCHEMA_NODES) return l10n.t('more than {0} objects and arrays, the most a schema may have', MAX_SCHEMA_NODES.toLocaleString('en-US'));
    if (depth > MAX_SCHEMA_DEPTH) return l10n.t('nested more than {0} levels deep, the most a schema may be', MAX_SCHEMA_DEPTH);
    for (const child of Array.isArray(value) ? value : Object.values(value)) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** An ajv error in a sentence: its message, with the property it names where ajv keeps that in params. */
function issueOf(error: ErrorObject): SchemaIssue {
  let message = error.message ?? error.keyword;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') message += `: ${JSON.stringify(params.additionalProperty)}`;
  else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) message += `: ${JSON.stringify(params.allowedValues)}`;
  else if (error.keyword === 'const' && 'allowedValue' in params) message += `: ${JSON.stringify(params.allowedValue)}`;
  return { path: cut(error.instancePath, MAX_PATH_CHARS), message: cut(message, MAX_MESSAGE_CHARS) };
}

function messageOf(error: unknown): string {
  if (error instanceof RangeError) return l10n.t('too deeply nested to compile');
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compiles a schema file's text (already read within its caps). The draft comes from `$schema`:
 * 2020-12, 2019-09 or draft-07; a file without `$schema` is read as draft-07 (what VS Code's own JSON
 * validation assumes); any other draft is refused with a reason, as is a file that is not JSON, not
 * a schema, too big a shape, slow to compile, or with a `$ref` that is not inside it.
 */
export function compileJsonSchema(text: string, file: string, now: () => number = () => performance.now()): CompileResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${file}: ${l10n.t('not JSON: {0}', messageOf(error))}` };
  }
  if (!isRecord(parsed) && typeof parsed !== 'boolean') return { ok: false, error: `${file}: ${Array.isArray(parsed) ? l10n.t('a JSON Schema is an object (or true or false), got a list') : l10n.t('a JSON Schema is an object (or true or false), got {0}', parsed === null ? 'null' : typeof parsed)}` };
  const declared = isRecord(parsed) ? parsed.$schema : undefined;
  let draft: SchemaDraft = 'draft-07';
  if (declared !== undefined) {
    const known = typeof declared === 'string' ? DRAFTS[declared.replace(/#$/, '')] : undefined;
    if (!known) return { ok: false, error: `${file}: ${l10n.t('$schema {0} is not a supported draft: use {1}, {2} or {3}', cut(JSON.stringify(declared), 120), '"https://json-schema.org/draft/2020-12/schema"', '"https://json-schema.org/draft/2019-09/schema"', '"http://json-schema.org/draft-07/schema#"')}` };
    draft = known;
  }
  const shape = shapeProblem(parsed);
  if (shape) return { ok: false, error: `${file}: ${l10n.t('{0}: not loaded', shape)}` };
  const started = now();
  let validate: ValidateFunction;
  try {
    const ajv = draft === '2020-12' ? new Ajv2020(OPTIONS) : draft === '2019-09' ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
    validate = ajv.compile(parsed as object);
  } catch (error) {
    return { ok: false, error: `${file}: ${messageOf(error)}` };
  }
  const compileMs = now() - started;
  if (compileMs > MAX_COMPILE_MS) return { ok: false, error: `${file}: ${l10n.t('compiling took {0} ms, more than the {1} ms a schema may take: not loaded', Math.round(compileMs), MAX_COMPILE_MS)}` };
  const check = (value: unknown): SchemaVerdict => {
    let valid: boolean;
    try {
      valid = validate(value) as boolean;
    } catch (error) {
      // A recursive schema ($ref to itself) follows the value's nesting: a deep value runs out of stack.
      return { unchecked: error instanceof RangeError ? l10n.t('the value is nested too deeply to check against this schema') : l10n.t('the check failed: {0}', messageOf(error)) };
    }
    if (valid) return { valid: true };
    const errors = validate.errors ?? [];
    return { valid: false, errors: errors.slice(0, MAX_REPORTED_ERRORS).map(issueOf), more: Math.max(0, errors.length - MAX_REPORTED_ERRORS) };
  };
  return { ok: true, schema: { file, draft, check }, compileMs };
}

/**
 * Checks a JSON text against a compiled schema: a text that is not JSON is not valid (one error at the
 * root that says why). The caller bounds the text's size.
 */
export function checkJsonText(schema: CompiledSchema, text: string): SchemaVerdict {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { valid: false, errors: [{ path: '', message: cut(l10n.t('is not JSON: {0}', messageOf(error)), MAX_MESSAGE_CHARS) }], more: 0 };
  }
  return schema.check(value);
}

/** Compiled schemas by their text, for checkAgainstSchemaText: the newest few. */
const compiledByText = new Map<string, CompileResult>();
const CACHED_SCHEMAS = 16;
const CACHED_TEXT_CHARS = 256 * 1024;

/**
 * The one call for code that holds a schema file's text and a JSON value (a `.mqtt` block's body, a
 * test's expectation): compiles the text (kept for the next call with the same text) and checks the
 * value. `{ ok: false }` says why the schema itself cannot be used.
 */
export function checkAgainstSchemaText(schemaText: string, value: unknown, file = 'schema'): { ok: true; verdict: SchemaVerdict; draft: SchemaDraft } | { ok: false; error: string } {
  const key = `${file}\u0000${schemaText}`;
  let compiled = compiledByText.get(key);
  if (compiled) compiledByText.delete(key);
  else compiled = compileJsonSchema(schemaText, file);
  // Only small texts are kept as keys: the cache holds at most CACHED_SCHEMAS × CACHED_TEXT_CHARS.
  if (key.length <= CACHED_TEXT_CHARS) compiledByText.set(key, compiled);
  while (compiledByText.size > CACHED_SCHEMAS) compiledByText.delete(compiledByText.keys().next().value as string);
  if (!compiled.ok) return compiled;
  return { ok: true, verdict: compiled.schema.check(value), draft: compiled.schema.draft };
}
