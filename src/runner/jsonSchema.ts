/**
 * The `Schema` header of SUBSCRIBE and EXPECT blocks, checked by the explorer's one JSON Schema
 * checker (src/shared/jsonSchemaCheck.ts: ajv, drafts 2020-12, 2019-09 and 07 by `$schema`,
 * draft-07 without it, patterns on RE2, capped shape and compile time), so that a schema means the
 * same in a `.mqtt` file, in `mqttExplorer.schemas` and on the command line. Schema files come
 * through the runner's `ReadRunFile` (the caller's confinement applies), size-capped, and are
 * compiled once per validator, that is once per run.
 */
import { compileJsonSchema, type CompiledSchema, type SchemaVerdict } from '../shared/jsonSchemaCheck';
import { MAX_SCHEMA_FILE_BYTES, type MatchResult, type ReadRunFile, type ValidateSchema } from './types';

/** How many of a payload's schema errors a failure lists. */
const MAX_LISTED_ERRORS = 3;

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

/** The checker's verdict as a match result: why the value does not satisfy the schema, in words. */
export function schemaVerdict(schema: CompiledSchema, value: unknown, schemaPath: string): MatchResult {
  const verdict: SchemaVerdict = schema.check(value);
  if (verdict.valid === true) return { ok: true };
  if (verdict.valid === undefined) return { ok: false, reason: `The payload could not be checked against ${schemaPath} (${verdict.unchecked}).` };
  const listed = verdict.errors.slice(0, MAX_LISTED_ERRORS).map((issue) => `at ${pointerToPath(issue.path)}: ${issue.message}`);
  const more = verdict.errors.length - listed.length + verdict.more;
  return { ok: false, reason: `The payload does not satisfy the JSON Schema ${schemaPath}: ${listed.join('; ') || 'invalid'}${more > 0 ? ` (and ${more} more)` : ''}.` };
}

/** Compiles a schema's text; throws an Error that says what is wrong with the schema (the block that uses it is then an error, not a failure). */
export function compileSchema(text: string, file = 'the schema'): CompiledSchema {
  const compiled = compileJsonSchema(text, file);
  // The checker names the file first; the runner names it itself ("./x.json: not JSON: …").
  if (!compiled.ok) throw new Error(compiled.error.startsWith(`${file}: `) ? compiled.error.slice(file.length + 2) : compiled.error);
  return compiled.schema;
}

/**
 * A `ValidateSchema` over `readFile`: each schema file is read and compiled on first use and kept
 * for the validator's lifetime (one run); a schema that cannot be used rejects every time with
 * the same reason.
 */
export function createSchemaValidator(readFile: ReadRunFile, maxBytes = MAX_SCHEMA_FILE_BYTES): ValidateSchema {
  const compiled = new Map<string, Promise<CompiledSchema>>();
  const load = async (schemaPath: string): Promise<CompiledSchema> => {
    const bytes = await readFile(schemaPath, maxBytes);
    if (bytes.length > maxBytes) throw new Error(`${schemaPath} is larger than ${Math.round(maxBytes / 1024)} KiB and is not read.`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new Error(`${schemaPath} is not UTF-8 text.`);
    }
    return compileSchema(text, schemaPath);
  };
  return async (schemaPath, json) => {
    let schema = compiled.get(schemaPath);
    if (!schema) {
      schema = load(schemaPath);
      compiled.set(schemaPath, schema);
    }
    return schemaVerdict(await schema, json, schemaPath);
  };
}
