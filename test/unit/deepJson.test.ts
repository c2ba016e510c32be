import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { documentText } from '../../src/shared/format';
import { formatJson, jsonDepthExceeds, JsonTooDeepError, MAX_JSON_DEPTH, MAX_VIEW_JSON_CHARS, parseJson, readJson } from '../../src/shared/json';
import { extractFields, numericLeaves, pathOf } from '../../src/shared/series';
import { chooseView } from '../../webview/logic/decoders';
import { diffPayloads, jsonDiff, type Change } from '../../webview/logic/diff';

const LEVELS = 100_000;
/** 100,000 levels of arrays around a number, and of objects {"a": …}. */
const deepArrays = `${'['.repeat(LEVELS)}1${']'.repeat(LEVELS)}`;
const deepObjects = `${'{"a":'.repeat(LEVELS)}1${'}'.repeat(LEVELS)}`;
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** The recursive versions these replaced, as references on values shallow enough for recursion. */
function leavesByRecursion(value: unknown, path = '', into = new Map<string, number>()): Map<string, number> {
  if (typeof value === 'number' && Number.isFinite(value)) into.set(path || 'value', value);
  else if (typeof value === 'boolean') into.set(path || 'value', value ? 1 : 0);
  else if (Array.isArray(value)) value.forEach((item, index) => leavesByRecursion(item, pathOf(path, index), into));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) leavesByRecursion(item, pathOf(path, key), into);
  return into;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function diffByRecursion(before: unknown, after: unknown, path = ''): Change[] {
  if (isObject(before) && isObject(after)) {
    const changes: Change[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const childPath = pathOf(path, key);
      if (!(key in after)) changes.push({ kind: 'removed', path: childPath, before: before[key] });
      else if (!(key in before)) changes.push({ kind: 'added', path: childPath, after: after[key] });
      else changes.push(...diffByRecursion(before[key], after[key], childPath));
    }
    return changes;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: Change[] = [];
    for (let index = 0; index < Math.max(before.length, after.length); index++) {
      const childPath = pathOf(path, index);
      if (index >= after.length) changes.push({ kind: 'removed', path: childPath, before: before[index] });
      else if (index >= before.length) changes.push({ kind: 'added', path: childPath, after: after[index] });
      else changes.push(...diffByRecursion(before[index], after[index], childPath));
    }
    return changes;
  }
  return Object.is(before, after) || JSON.stringify(before) === JSON.stringify(after) ? [] : [{ kind: 'changed', path: path || '(value)', before, after }];
}

describe('Deep JSON: the parser and pretty-printer', () => {
  it('refuses 100,000 levels of [ and of {"a": as too deep, and says so for a view', () => {
    for (const text of [deepArrays, deepObjects]) {
      assert.throws(() => parseJson(text), JsonTooDeepError);
      assert.deepEqual(readJson(text), { note: `Nested deeper than ${MAX_JSON_DEPTH} levels: shown as text.` });
      assert.equal(jsonDepthExceeds(text, MAX_JSON_DEPTH), true);
    }
  });

  it('takes exactly MAX_JSON_DEPTH levels, and pretty-prints them', () => {
    const tree = parseJson(nested(MAX_JSON_DEPTH));
    assert.equal(tree.kind, 'array');
    assert.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), JsonTooDeepError);
    assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
    assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH), true);
    const pretty = formatJson(tree).split('\n');
    assert.equal(pretty.length, 2 * MAX_JSON_DEPTH - 1);
    assert.equal(pretty[MAX_JSON_DEPTH - 1], `${'  '.repeat(MAX_JSON_DEPTH - 1)}[]`);
    assert.equal(JSON.stringify(JSON.parse(pretty.join('\n'))), nested(MAX_JSON_DEPTH));
  });

  it('counts only brackets outside strings when it measures depth', () => {
    assert.equal(jsonDepthExceeds('["[[[[", "\\"[[[[", {"{{{{": 1}]', 2), false);
    assert.equal(jsonDepthExceeds('[[["\\\\"]]]', 2), true, 'an escaped backslash ends before the quote');
  });

  it('shows more than MAX_VIEW_JSON_CHARS as text, with a note when it looks like JSON', () => {
    const big = JSON.stringify(Array.from({ length: 200_000 }, (_, index) => ({ id: index })));
    assert.ok(big.length > MAX_VIEW_JSON_CHARS);
    assert.deepEqual(readJson(big), { note: 'Larger than 1 MiB: shown as text.' });
    assert.deepEqual(readJson('x'.repeat(MAX_VIEW_JSON_CHARS + 1)), {}, 'long text that is not JSON-like: no note');
    assert.ok(readJson('{"a": [1, 2]}').tree);
    assert.deepEqual(readJson('{"a": '), {}, 'not JSON: no tree and no note (the view says "Not JSON")');
  });

  it('property: the iterative parser and printer give what JSON.stringify(…, 2) gives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        assert.equal(formatJson(parseJson(text)), JSON.stringify(JSON.parse(text), null, 2));
      }),
      { numRuns: 300 },
    );
  });
});

describe('Deep JSON: chart fields', () => {
  it('finds no fields in 100,000 levels, and the one field of 500', () => {
    assert.equal(extractFields(deepArrays).size, 0);
    assert.equal(extractFields(deepObjects).size, 0);
    const fields = extractFields(`${'{"a":'.repeat(MAX_JSON_DEPTH)}7${'}'.repeat(MAX_JSON_DEPTH)}`);
    assert.deepEqual([...fields.values()], [7]);
    assert.equal([...fields.keys()][0], Array(MAX_JSON_DEPTH).fill('a').join('.'));
  });

  it('walks a 100,000-level value without recursion', () => {
    const leaves = numericLeaves(JSON.parse(deepArrays));
    assert.deepEqual([...leaves.values()], [1]);
    assert.equal([...leaves.keys()][0], '[0]'.repeat(LEVELS));
  });

  it('property: finds the leaves the recursive walk found, in the same order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.deepEqual([...numericLeaves(value)], [...leavesByRecursion(value)]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Deep JSON: the diff and the views', () => {
  it('compares 100,000 levels as text, with a note, in the diff', () => {
    for (const deep of [deepArrays, deepObjects]) {
      const result = diffPayloads(deep, deep.replace('1', '2'));
      assert.equal(result.json, false);
      assert.equal(result.json ? undefined : result.note, `Nested deeper than ${MAX_JSON_DEPTH} levels: compared as text, line by line.`);
    }
    const shallow = diffPayloads('{"a":1}', `{"a":${deepArrays}}`);
    assert.equal(shallow.json, false, 'one deep side is enough');
  });

  it('diffs two 100,000-level values by structure without recursion', () => {
    const changes = jsonDiff(JSON.parse(deepObjects), JSON.parse(deepObjects.replace('1', '2')));
    assert.equal(changes.length, 1);
    assert.equal(changes[0].kind, 'changed');
    assert.equal(changes[0].path.length, 2 * LEVELS - 1);
    assert.deepEqual(jsonDiff({ a: JSON.parse(deepArrays) as unknown }, { a: 1 }).map((change) => change.path), ['a'], 'no JSON.stringify of a deep value');
  });

  it('property: lists the changes the recursive diff listed, in the same order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), (before, after) => {
        assert.deepEqual(jsonDiff(before, after), diffByRecursion(before, after));
        assert.deepEqual(jsonDiff(before, before), []);
      }),
      { numRuns: 300 },
    );
  });

  it('compares more than MAX_VIEW_JSON_CHARS of JSON by line, with a note', () => {
    const big = JSON.stringify(Array.from({ length: 200_000 }, (_, index) => index));
    const result = diffPayloads(big, `${big} `);
    assert.equal(result.json, false);
    assert.equal(result.json ? undefined : result.note, 'Larger than 1 MiB: compared as text, line by line.');
    assert.equal(diffPayloads('{"a":1}', '{"a":2}').json, true);
  });

  it('applies the bounds to payloads as they arrived, and compares lines of the text it is given for that', () => {
    // Under 1 MiB as it arrived, over 1 MiB pretty-printed: still by structure.
    const compact = JSON.stringify(Array.from({ length: 60_000 }, (_, index) => [index]));
    assert.ok(compact.length < MAX_VIEW_JSON_CHARS && formatJson(parseJson(compact)).length > MAX_VIEW_JSON_CHARS);
    const structural = diffPayloads(compact, compact.replace('[0]', '[1]'), { lineText: (text) => formatJson(parseJson(text)) });
    assert.deepEqual(structural.json ? structural.changes : undefined, [{ kind: 'changed', path: '[0][0]', before: 0, after: 1 }]);
    const byLine = diffPayloads('{"a":1}', 'on', { lineText: (text) => (text === 'on' ? text : formatJson(parseJson(text))) });
    assert.deepEqual(byLine.json ? undefined : byLine.lines.map((line) => `${line.kind} ${line.text}`), ['removed {', 'removed   "a": 1', 'removed }', 'added on']);
  });

  it('opens 100,000 levels in the JSON view, which then shows text with its note', () => {
    assert.equal(chooseView(Buffer.from(deepArrays)), 'json');
    assert.equal(chooseView(Buffer.from(deepObjects)), 'json');
    assert.equal(chooseView(Buffer.from(`[${'1,'.repeat(MAX_VIEW_JSON_CHARS)}1]`)), 'json', 'large JSON is not parsed to choose');
    assert.equal(chooseView(Buffer.from('{not json')), 'text');
  });

  it('opens a payload in the editor: pretty JSON, deep JSON as text with a note, large JSON as it arrived', () => {
    assert.deepEqual(documentText(Buffer.from('{"id":12345678901234567890}')), { text: '{\n  "id": 12345678901234567890\n}\n', language: 'json' });
    assert.deepEqual(documentText(Buffer.from(deepObjects)), { text: deepObjects, language: 'plaintext', note: `Nested deeper than ${MAX_JSON_DEPTH} levels: opened as text.` });
    const big = JSON.stringify(Array.from({ length: 200_000 }, (_, index) => index));
    assert.deepEqual(documentText(Buffer.from(big)), { text: big, language: 'json', note: 'Larger than 1 MiB: opened as it arrived, not pretty-printed.' });
    const bigAndDeep = `${deepArrays}${' '.repeat(MAX_VIEW_JSON_CHARS)}`;
    assert.equal(documentText(Buffer.from(bigAndDeep)).language, 'plaintext', 'large and deep: kept away from the JSON language');
    assert.deepEqual(documentText(Buffer.from('plain words')), { text: 'plain words', language: 'plaintext' });
    assert.equal(documentText(new Uint8Array([0, 1])).text.startsWith('00000000  00 01'), true);
  });
});
