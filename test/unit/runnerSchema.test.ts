import * as assert from 'node:assert/strict';
import { compileSchema, createSchemaValidator, pointerToPath, schemaVerdict } from '../../src/runner/jsonSchema';

describe('Runner JSON Schemas (ajv)', () => {
  it('draft 2020-12 and 2019-09 by $schema; draft-07 by $schema and by default, as in mqttExplorer.schemas', () => {
    const tuple2020 = compileSchema(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: [{ type: 'number' }], items: false }));
    assert.equal(schemaVerdict(tuple2020, [1], 's').ok, true);
    assert.equal(schemaVerdict(tuple2020, [1, 2], 's').ok, false);
    const tuple07 = compileSchema(JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', items: [{ type: 'number' }], additionalItems: false }));
    assert.equal(schemaVerdict(tuple07, [1], 's').ok, true);
    assert.deepEqual(schemaVerdict(tuple07, [1, 2], 's'), { ok: false, reason: 'The payload does not satisfy the JSON Schema s: at $: must NOT have more than 1 items.' });
    const untagged = compileSchema(JSON.stringify({ items: [{ type: 'number' }], additionalItems: false }));
    assert.equal(schemaVerdict(untagged, [1, 2], 's').ok, false, 'no $schema: draft-07 (items as a tuple)');
    const draft2019 = compileSchema(JSON.stringify({ $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object', dependentRequired: { a: ['b'] } }));
    assert.equal(schemaVerdict(draft2019, { a: 1 }, 's').ok, false);
    assert.equal(schemaVerdict(draft2019, { a: 1, b: 2 }, 's').ok, true);
  });

  it('says where and why, for people', () => {
    const validate = compileSchema(JSON.stringify({ type: 'object', required: ['id'], properties: { a: { type: 'object', properties: { 'b/c': { enum: [1, 2] } } } } }));
    const verdict = schemaVerdict(validate, { a: { 'b/c': 3 } }, './x.json');
    assert.deepEqual(verdict, { ok: false, reason: 'The payload does not satisfy the JSON Schema ./x.json: at $: must have required property \'id\'; at $.a["b/c"]: must be equal to one of the allowed values: [1,2].' });
    assert.equal(pointerToPath('/list/0/x~0y'), '$.list[0]["x~y"]');
  });

  it('patterns run on RE2: linear time, and unsupported syntax is an error of the schema', () => {
    const validate = compileSchema(JSON.stringify({ type: 'string', pattern: '^(a+)+$' }));
    const started = Date.now();
    assert.equal(schemaVerdict(validate, `${'a'.repeat(50_000)}!`, 's').ok, false);
    assert.ok(Date.now() - started < 2000);
    assert.throws(() => compileSchema(JSON.stringify({ type: 'string', pattern: '(?=x)' })), /not supported \(patterns run on RE2/);
    // Each pattern of a schema is its own (ajv keys them by their text).
    const two = compileSchema(JSON.stringify({ properties: { a: { pattern: '^a$' }, b: { pattern: '^b$' } } }));
    assert.equal(schemaVerdict(two, { a: 'a', b: 'b' }, 's').ok, true);
    assert.equal(schemaVerdict(two, { a: 'a', b: 'a' }, 's').ok, false);
  });

  it('refuses drafts it does not validate, and what is not a schema', () => {
    assert.throws(() => compileSchema(JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#' })), /draft-04.*is not a supported draft/);
    assert.throws(() => compileSchema('[1]'), /a JSON Schema is an object/);
    assert.throws(() => compileSchema('{'), /not JSON/);
    assert.throws(() => compileSchema(JSON.stringify({ type: 'nope' })), /type must be JSON type|schema is invalid/);
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
