/**
 * The `Schema` header of SUBSCRIBE and EXPECT blocks: JSON Schema validation with ajv, draft
 * 2020-12 (the default when a schema names none), 2019-09 and 07. Schema files come through the
 * runner's `ReadRunFile` (so the caller's confinement applies), size-capped, and are compiled once
 * per validator, that is once per run. A schema's `pattern`s run on RE2 (re2js): a regular
 * expression from a repository must not be able to hang the run on a crafted payload.
 */
import Ajv, { type Options, type ValidateFunction, type ErrorObject } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { RE2JS, RE2JSException } from 're2js';
import { MAX_SCHEMA_FILE_BYTES, type MatchResult, type ReadRunFile, type ValidateSchema } from './types';

/** How many of a payload's schema errors a failure lists. */
const MAX_LISTED_ERRORS = 3;

type Draft = '2020-12' | '2019-09' | '07';

function re2Pattern(pattern: string): { test(text: string): boolean; toString(): string } {
  try {
    const compiled = RE2JS.compile(pattern);
    // ajv keys compiled patterns by toString(): without it every pattern of a schema would be the first.
    return { test: (text) => compiled.test(text), toString: () => `/${pattern}/` };
  } catch (error) {
    const reason = error instanceof RE2JSException ? error.message : String(error);
    throw new Error(`the pattern ${JSON.stringify(pattern)} is not supported (RE2 syntax: no backreferences or lookaround): ${reason}`);
  }
}

/** ajv's engine interface; `code` only matters for standalone code, which is not generated here. */
const re2 = Object.assign(re2Pattern, { code: 're2js' });

function draftOf(schema: unknown): Draft | { error: string } {
  if (typeof schema === 'boolean') return '2020-12';
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { error: 'a JSON Schema is an object (or true / false)' };
  const declared = (schema as Record<string, unknown>).$schema;
  if (declared === undefined) return '2020-12';
  if (typeof declared !== 'string') return { error: '$schema must be a URI' };
  if (declared.includes('2020-12')) return '2020-12';
  if (declared.includes('2019-09')) return '2019-09';
  if (declared.includes('draft-07')) return '07';
  return { error: `its $schema (${declared}) is a draft this runner does not validate: use draft 2020-12, 2019-09 or 07` };
}

function makeAjv(draft: Draft): Ajv {
  const options: Options = {
    // Schemas written for other tools use keywords ajv does not know (and formats: not checked here).
    strict: false,
    validateFormats: false,
    allErrors: true,
    logger: false,
    code: { regExp: re2 },
  };
  if (draft === '2020-12') return new Ajv2020(options);
  if (draft === '2019-09') return new Ajv2019(options);
  return new Ajv(options);
}

/** `/a/0/b~1c` → `$.a[0]["b/c"]`, as the rest of the runner writes paths. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '$';
  let path = '$';
  for (const raw of pointer.slice(1).split('/')) {
    const step = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(step) ? `[${step}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return path;
}

function describeError(error: ErrorObject): string {
  const where = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') return `at ${where}: the key ${JSON.stringify(params.missingProperty)} is missing`;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') return `at ${where}: the key ${JSON.stringify(params.additionalProperty)} is not allowed`;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) return `at ${where}: must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`;
  return `at ${where}: ${error.message ?? error.keyword}`;
}

/** Why the value does not satisfy the compiled schema, in words; `{ ok: true }` when it does. */
export function schemaVerdict(validate: ValidateFunction, value: unknown, schemaPath: string): MatchResult {
  let valid: boolean;
  try {
    valid = validate(value) as boolean;
  } catch (error) {
    // A deep value or a recursive schema can exhaust the stack: a failure of this message, said so.
    return { ok: false, reason: `The payload could not be checked against ${schemaPath} (${error instanceof Error ? error.message : String(error)}).` };
  }
  if (valid) return { ok: true };
  const errors = validate.errors ?? [];
  const listed = errors.slice(0, MAX_LISTED_ERRORS).map(describeError);
  const more = errors.length > MAX_LISTED_ERRORS ? ` (and ${errors.length - MAX_LISTED_ERRORS} more)` : '';
  return { ok: false, reason: `The payload does not satisfy the JSON Schema ${schemaPath}: ${listed.join('; ') || 'invalid'}${more}.` };
}

/**
 * Compiles a schema's text; throws an Error whose message says what is wrong with the schema
 * (for people: the block that uses it is an error, not a failure).
 */
export function compileSchema(text: string): ValidateFunction {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const draft = draftOf(schema);
  if (typeof draft === 'object') throw new Error(draft.error);
  try {
    return makeAjv(draft).compile(schema as object | boolean);
  } catch (error) {
    throw new Error(`not a usable JSON Schema (draft ${draft}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A `ValidateSchema` over `readFile`: each schema file is read and compiled on first use and kept
 * for the validator's lifetime (one run); a schema that cannot be used rejects every time with
 * the same reason.
 */
export function createSchemaValidator(readFile: ReadRunFile, maxBytes = MAX_SCHEMA_FILE_BYTES): ValidateSchema {
  const compiled = new Map<string, Promise<ValidateFunction>>();
  const load = async (schemaPath: string): Promise<ValidateFunction> => {
    const bytes = await readFile(schemaPath, maxBytes);
    if (bytes.length > maxBytes) throw new Error(`${schemaPath} is larger than ${Math.round(maxBytes / 1024)} KiB and is not read.`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new Error(`${schemaPath} is not UTF-8 text.`);
    }
    try {
      return compileSchema(text);
    } catch (error) {
      throw new Error(`${schemaPath} is ${error instanceof Error ? error.message : String(error)}.`);
    }
  };
  return async (schemaPath, json) => {
    let validate = compiled.get(schemaPath);
    if (!validate) {
      validate = load(schemaPath);
      compiled.set(schemaPath, validate);
    }
    return schemaVerdict(await validate, json, schemaPath);
  };
}
