import * as assert from 'node:assert/strict';
import { compileSchema, createSchemaValidator, pointerToPath, schemaVerdict } from '../../src/runner/jsonSchema';

describe('Runner JSON Schemas (ajv)', () => {
  it('draft 2020-12 by default and by $schema; draft-07 by $schema', () => {
    const tuple2020 = compileSchema(JSON.stringify({ prefixItems: [{ type: 'number' }], items: false }));
    assert.equal(schemaVerdict(tuple2020, [1], 's').ok, true);
    assert.equal(schemaVerdict(tuple2020, [1, 2], 's').ok, false);
    const tuple07 = compileSchema(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', items: [{ type: 'number' }], additionalItems: false }));
    assert.equal(schemaVerdict(tuple07, [1], 's').ok, true);
    assert.deepEqual(schemaVerdict(tuple07, [1, 2], 's'), { ok: false, reason: 'The payload does not satisfy the JSON Schema s: at $: must NOT have more than 1 items.' });
  });

  it('says where and why, for people', () => {
    const validate = compileSchema(JSON.stringify({ type: 'object', required: ['id'], properties: { a: { type: 'object', properties: { 'b/c': { enum: [1, 2] } } } } }));
    const verdict = schemaVerdict(validate, { a: { 'b/c': 3 } }, './x.json');
    assert.deepEqual(verdict, { ok: false, reason: 'The payload does not satisfy the JSON Schema ./x.json: at $: the key "id" is missing; at $.a["b/c"]: must be one of 1, 2.' });
    assert.equal(pointerToPath('/list/0/x~0y'), '$.list[0]["x~y"]');
  });

  it('patterns run on RE2: linear time, and unsupported syntax is an error of the schema', () => {
    const validate = compileSchema(JSON.stringify({ type: 'string', pattern: '^(a+)+$' }));
    const started = Date.now();
    assert.equal(schemaVerdict(validate, `${'a'.repeat(50_000)}!`, 's').ok, false);
    assert.ok(Date.now() - started < 2000);
    assert.throws(() => compileSchema(JSON.stringify({ type: 'string', pattern: '(?=x)' })), /not a usable JSON Schema.*RE2 syntax/);
    // Each pattern of a schema is its own (ajv keys them by their text).
    const two = compileSchema(JSON.stringify({ properties: { a: { pattern: '^a$' }, b: { pattern: '^b$' } } }));
    assert.equal(schemaVerdict(two, { a: 'a', b: 'b' }, 's').ok, true);
    assert.equal(schemaVerdict(two, { a: 'a', b: 'a' }, 's').ok, false);
  });

  it('refuses drafts it does not validate, and what is not a schema', () => {
    assert.throws(() => compileSchema(JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#' })), /draft-04.*use draft 2020-12, 2019-09 or 07/);
    assert.throws(() => compileSchema('[1]'), /a JSON Schema is an object/);
    assert.throws(() => compileSchema('{'), /not valid JSON/);
    assert.throws(() => compileSchema(JSON.stringify({ type: 'nope' })), /not a usable JSON Schema/);
  });

  it('reads each schema once per validator, within its size cap', async () => {
    const reads: string[] = [];
    const files: Record<string, string> = { 'a.json': '{"type": "number"}', 'big.json': `{"description": "${'x'.repeat(200)}"}` };
    const validate = createSchemaValidator(async (path, maxBytes) => {
      reads.push(path);
      const bytes = new TextEncoder().encode(files[path]);
      if (bytes.length > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
      return bytes;
    }, 100);
    assert.deepEqual(await validate('a.json', 1), { ok: true });
    assert.equal((await validate('a.json', 'x')).ok, false);
    assert.deepEqual(reads, ['a.json']);
    await assert.rejects(validate('big.json', 1), /larger than 100 bytes/);
  });
});
