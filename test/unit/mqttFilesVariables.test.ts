import * as assert from 'node:assert/strict';
import {
  checkVariables,
  environmentSources,
  findReferences,
  MAX_RESOLVED_CHARS,
  MAX_VARIABLE_DEPTH,
  parseEnvironmentFile,
  parseMqttFile,
  readVariablesSetting,
  resolveBlock,
  SYSTEM_CLOCK,
  uuidFrom,
  type Clock,
  type MqttFileDiagnostic,
  type Range,
  type ResolvedPublish,
  type VariableSources,
} from '../../src/shared/mqttFiles';

/** A clock whose random() walks through `values` (then repeats), and whose now() counts its calls. */
function fakeClock(values: number[], now = Date.UTC(2024, 0, 2, 3, 4, 5, 678)): Clock & { nowCalls: number } {
  let next = 0;
  const clock = {
    nowCalls: 0,
    now: () => {
      clock.nowCalls++;
      return now;
    },
    random: () => values[next++ % values.length],
  };
  return clock;
}

function covered(text: string, range: Range): string {
  return text.split('\n')[range.start.line].slice(range.start.character, range.end.character);
}

/** The first block of `text` resolved as a PUBLISH. */
function publish(text: string, sources: VariableSources = {}, clock: Clock = fakeClock([0.5])): ResolvedPublish {
  const document = parseMqttFile(text);
  assert.deepEqual(document.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
  const result = resolveBlock(document, document.blocks[0], { variables: sources, clock });
  if (!result.ok) assert.fail(JSON.stringify(result.errors, null, 1));
  assert.equal(result.block.kind, 'publish');
  return result.block as ResolvedPublish;
}

function failure(text: string, sources: VariableSources = {}, blockIndex = 0): MqttFileDiagnostic {
  const document = parseMqttFile(text);
  const result = resolveBlock(document, document.blocks[blockIndex], { variables: sources, clock: fakeClock([0]) });
  assert.equal(result.ok, false, 'refused');
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.errors.length, 1, JSON.stringify(result.errors, null, 1));
  return result.errors[0];
}

describe('.mqtt variables: references', () => {
  it('finds {{name}} and built-ins, with offsets, and leaves other braces alone', () => {
    const text = '{"a":{"b":{}}} {{ name }} x{{$randomInt -5 10}}{{$uuid}}';
    assert.deepEqual(findReferences(text), [
      { kind: 'variable', start: 15, end: 25, name: 'name' },
      { kind: 'builtin', start: 27, end: 47, builtin: '$randomInt', args: [-5, 10] },
      { kind: 'builtin', start: 47, end: 56, builtin: '$uuid', args: [] },
    ]);
    assert.deepEqual(findReferences('{{{x}}}').map(({ start, end }) => [start, end]), [[1, 6]], 'the innermost {{…}} is the reference');
    assert.deepEqual(findReferences('{{a\n}}'), [], 'a reference is on one line');
    assert.deepEqual(findReferences(`{{${'a'.repeat(300)}}}`), [], 'a reference is at most 256 characters');
    assert.deepEqual(findReferences('}}{{ }}}}'), [{ kind: 'invalid', start: 2, end: 7, problem: 'An empty {{}} names no variable: write {{name}}.' }]);
  });
});

describe('.mqtt variables: built-ins, with an injected clock', () => {
  it('$timestamp (ms) and $isoTimestamp read the clock once per block; $uuid and $randomInt are fresh each time', () => {
    const clock = fakeClock([0, 0.25, 0.5, 0.999999]);
    const block = publish('PUBLISH t/{{$timestamp}}\n\n{{$isoTimestamp}} {{$timestamp}} {{$randomInt 10 20}} {{$randomInt 10 20}} {{$randomInt -3 -1}}', {}, clock);
    assert.equal(block.topic, 't/1704164645678');
    assert.equal(block.payload.hasOwnProperty('text') && (block.payload as { text: string }).text, '2024-01-02T03:04:05.678Z 1704164645678 10 12 -2');
    assert.equal(clock.nowCalls, 1, 'one instant for the whole block');
    assert.equal(publish('PUBLISH t\n\n{{$randomInt 0 2}}', {}, fakeClock([0.999999])).payload.hasOwnProperty('text') && 'ok', 'ok');
    assert.deepEqual(publish('PUBLISH t\n\n{{$randomInt 0 2}}', {}, fakeClock([0.9999999])).payload, { text: '1' }, 'max itself is never chosen');
    assert.deepEqual(publish('PUBLISH t\n\n{{$randomInt 0 2}}', {}, fakeClock([7])).payload, { text: '1' }, 'a random() out of [0, 1) is clamped');
  });

  it('$uuid is a version 4 UUID made of random(), a new one at each use; one @variable holds one for the whole block', () => {
    assert.equal(uuidFrom(fakeClock([0])), '00000000-0000-4000-8000-000000000000');
    assert.equal(uuidFrom(fakeClock([0.999])), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
    const two = publish('PUBLISH t\n\n{{$uuid}} {{$uuid}}', {}, fakeClock([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])).payload as { text: string };
    const [first, second] = two.text.split(' ');
    assert.notEqual(first, second);
    const same = publish('@id = {{$uuid}}\nPUBLISH t/{{id}}\nCorrelation-Data: {{id}}\n\n{{id}}', {}, fakeClock([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]));
    assert.equal(same.topic, `t/${same.properties.correlationData}`);
    assert.deepEqual(same.payload, { text: same.properties.correlationData });
    assert.match(same.properties.correlationData!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('the system clock gives different UUIDs and numbers in [0, 1)', () => {
    assert.notEqual(uuidFrom(SYSTEM_CLOCK), uuidFrom(SYSTEM_CLOCK));
    for (let index = 0; index < 100; index++) {
      const value = SYSTEM_CLOCK.random();
      assert.ok(value >= 0 && value < 1);
    }
  });
});

describe('.mqtt variables: where values come from', () => {
  const sources: VariableSources = {
    environmentName: 'dev',
    environment: new Map([
      ['host', 'dev-host'],
      ['env', 'from-env'],
    ]),
    shared: { host: 'shared-host', shared: 'from-shared', env: 'shared-env' },
    settings: { host: 'settings-host', shared: 'settings-shared', setting: 'from-settings' },
  };

  it('block @vars > file @vars > environment > $shared > settings', () => {
    const text = '@file = from-file\n@host = file-host\n### A\n@host = block-host\nPUBLISH t\n\n{{host}} {{file}} {{env}} {{shared}} {{setting}}\n### B\nPUBLISH u\n\n{{host}}';
    const document = parseMqttFile(text);
    const resolve = (index: number, from: VariableSources) => {
      const result = resolveBlock(document, document.blocks[index], { variables: from, clock: SYSTEM_CLOCK });
      assert.ok(result.ok);
      return (result.block as ResolvedPublish).payload;
    };
    assert.deepEqual(resolve(0, sources), { text: 'block-host from-file from-env from-shared from-settings' });
    assert.deepEqual(resolve(1, sources), { text: 'file-host' }, 'a block\'s variables are its own');
    const withoutFileHost = parseMqttFile('PUBLISH t\n\n{{host}}');
    const value = (from: VariableSources) => {
      const result = resolveBlock(withoutFileHost, withoutFileHost.blocks[0], { variables: from });
      assert.ok(result.ok);
      return (result.block as ResolvedPublish).payload;
    };
    assert.deepEqual(value(sources), { text: 'dev-host' });
    assert.deepEqual(value({ shared: sources.shared, settings: sources.settings }), { text: 'shared-host' });
    assert.deepEqual(value({ settings: sources.settings }), { text: 'settings-host' });
  });

  it('a value is filled in in the scope of the block that runs (a file variable can use a block\'s)', () => {
    const text = '@topic = fleet/{{device}}/set\n### A\n@device = a\nPUBLISH {{topic}}\n### B\n@device = b\nPUBLISH {{topic}}';
    const document = parseMqttFile(text);
    assert.deepEqual(
      document.blocks.map((block) => {
        const result = resolveBlock(document, block);
        return result.ok && result.block.kind === 'publish' ? result.block.topic : 'failed';
      }),
      ['fleet/a/set', 'fleet/b/set'],
    );
  });

  it('an environment value may use other variables; the last @definition of a name wins', () => {
    assert.equal(publish('@x = 1\n@x = 2\nPUBLISH t/{{base}}', { shared: { base: '{{x}}/b' } }).topic, 't/2/b');
  });

  it('variables within variables resolve down to the depth limit, and fail one level past it, naming the chain', () => {
    const chain = (levels: number) => Array.from({ length: levels }, (_, index) => `@v${index} = {{v${index + 1}}}`).join('\n') + `\n@v${levels} = end\nPUBLISH t/{{v0}}`;
    assert.equal(publish(chain(MAX_VARIABLE_DEPTH - 1)).topic, 't/end');
    const problem = failure(chain(MAX_VARIABLE_DEPTH));
    assert.equal(problem.code, 'variable-too-deep');
    assert.match(problem.message, /more than 10 levels deep \(v0 → v1 → v2 → v3 → v4 → v5 → v6 → v7 → v8 → v9 → v10\)/);
    assert.equal(covered(chain(MAX_VARIABLE_DEPTH), problem.range), '{{v0}}');
  });

  it('a cycle is an error that names it, at the reference in the block', () => {
    const text = '@a = x{{b}}\n@b = {{c}}\n@c = {{a}}\nPUBLISH t\nContent-Type: {{a}}';
    const problem = failure(text);
    assert.equal(problem.code, 'variable-cycle');
    assert.match(problem.message, /^Variables refer to each other in a cycle: a → b → c → a\./);
    assert.equal(covered(text, problem.range), '{{a}}');
    assert.equal(problem.range.start.line, 4);
    assert.match(failure('@host = {{host}}/x\nPUBLISH {{host}}').message, /cycle: host → host/, 'a variable cannot extend another of the same name');
    assert.match(failure('PUBLISH t/{{loop}}', { environment: { loop: '{{loop}}' } }).message, /cycle: loop → loop/);
  });

  it('an unknown variable is an error at its position, with where to define it and a guess', () => {
    const text = '@host = h\nPUBLISH t\n\n{"to": "{{hots}}"}';
    const problem = failure(text, { environmentName: 'dev', environment: {} });
    assert.equal(problem.code, 'unknown-variable');
    assert.deepEqual(problem.range, { start: { line: 3, character: 8 }, end: { line: 3, character: 16 } });
    assert.match(problem.message, /^Unknown variable \{\{hots\}\}: define it with @hots = … at the top of the file or above the block's request line, in the environment "dev" or \$shared of mqtt\.env\.json, or in settings\. Did you mean \{\{host\}\}\?$/);
    const nested = failure('@base = {{host}}/x\nPUBLISH {{base}}');
    assert.match(nested.message, /^\{\{base\}\} \(from line 1\) cannot be filled in: base → host, and host is not defined: define it/);
    const fromEnvironment = failure('PUBLISH {{base}}', { environment: { base: '{{nope}}' } });
    assert.match(fromEnvironment.message, /^\{\{base\}\} \(from the environment\) cannot be filled in: base → nope/);
    assert.equal(failure('PUBLISH t\nQoS: {{qos}}').range.start.character, 5, 'in a header value');
  });

  it('a value that grows too large once filled in is an error, however it is built', () => {
    // d0 is 8 KiB; each next one doubles it: d6 is 512 KiB, d7 1 MiB, d8 2 MiB (within the depth limit).
    const doubling = `@d0 = ${'x'.repeat(8192)}\n` + Array.from({ length: 8 }, (_, index) => `@d${index + 1} = {{d${index}}}{{d${index}}}`).join('\n');
    assert.equal((publish(`${doubling}\nPUBLISH t\n\n{{d6}}`).payload as { text: string }).text.length, 512 * 1024);
    const tooLong = failure(`${doubling}\nPUBLISH t\n\n{{d8}}`);
    assert.equal(tooLong.code, 'variable-too-long');
    assert.match(tooLong.message, new RegExp(`^\\{\\{d8\\}\\} is longer than ${MAX_RESOLVED_CHARS / 1024 / 1024} MiB once its variables are filled in`));
    // Wide instead of long: many values of 768 KiB, each under the cap, in 40 user properties: the total is bounded.
    const wide = Array.from({ length: 40 }, (_, index) => `@w${index} = {{d6}}{{d5}}`).join('\n');
    const headers = Array.from({ length: 40 }, (_, index) => `User-Property: k={{w${index}}}`).join('\n');
    const work = failure(`${doubling}\n${wide}\nPUBLISH t\n${headers}`);
    assert.equal(work.code, 'variable-too-long');
    assert.match(work.message, /^Filling in the variables produces more than 16 MiB of text/);
  });

  it('a variable\'s value with a bad built-in is reported at the reference that uses it', () => {
    const problem = failure('PUBLISH t/{{x}}', { settings: { x: '{{$nope}}' } });
    assert.equal(problem.code, 'bad-reference');
    assert.match(problem.message, /Unknown built-in/);
  });
});

describe('.mqtt variables: environment files and settings', () => {
  it('reads $shared and environments, with comments, numbers as written and booleans', () => {
    const file = parseEnvironmentFile('{\n  // shared by all\n  "$shared": { "site": "berlin", "big": 12345678901234567890 },\n  "dev": { "host": "localhost", "port": 1883, "tls": false },\n  "prod": { "host": "broker.example.com", },\n}');
    assert.deepEqual(file.diagnostics, []);
    assert.deepEqual([...file.shared], [['site', 'berlin'], ['big', '12345678901234567890']]);
    assert.deepEqual([...file.environments.keys()], ['dev', 'prod']);
    assert.deepEqual([...file.environments.get('dev')!], [['host', 'localhost'], ['port', '1883'], ['tls', 'false']]);
  });

  it('a chosen environment overrides $shared; an unknown one says which exist', () => {
    const file = parseEnvironmentFile('{"$shared": {"host": "shared", "site": "s"}, "dev": {"host": "dev"}, "prod": {}}');
    const chosen = environmentSources(file, 'dev', { extra: 'e' });
    assert.ok('sources' in chosen);
    assert.equal(publish('PUBLISH {{host}}/{{site}}/{{extra}}', chosen.sources).topic, 'dev/s/e');
    const none = environmentSources(file, undefined);
    assert.ok('sources' in none);
    assert.equal(publish('PUBLISH {{host}}', none.sources).topic, 'shared');
    assert.deepEqual(environmentSources(file, 'staging'), { error: 'There is no environment "staging" in mqtt.env.json: pick one of "dev", "prod".' });
    assert.deepEqual(environmentSources(undefined, 'dev'), { error: 'No mqtt.env.json was found, so there is no environment "dev".' });
  });

  it('what cannot be used is left out with a diagnostic at its place; never throws', () => {
    const text = '{\n "$shared": [],\n "$other": {},\n "dev": { "ok": "1", "bad name": "x", "obj": {}, "nil": null }\n}';
    const file = parseEnvironmentFile(text);
    assert.deepEqual(
      file.diagnostics.map((diagnostic) => [diagnostic.severity, diagnostic.range.start.line, text.split('\n')[diagnostic.range.start.line].slice(diagnostic.range.start.character, diagnostic.range.end.character)]),
      [
        ['error', 1, '[]'],
        ['warning', 2, '"$other"'],
        ['warning', 3, '"bad name"'],
        ['warning', 3, '{}'],
        ['warning', 3, 'null'],
      ],
    );
    assert.deepEqual([...file.environments.get('dev')!], [['ok', '1']]);
    for (const broken of ['', '{', '[1]', '{"dev": ', '"x"', '{"dev": {"a": 1,,}}']) {
      const result = parseEnvironmentFile(broken);
      assert.equal(result.diagnostics[0]?.severity, 'error', broken);
    }
    const deep = parseEnvironmentFile(`{"dev": ${'['.repeat(100_000)}`);
    assert.match(deep.diagnostics[0].message, /nests deeper than 64 levels/);
    assert.match(parseEnvironmentFile(' '.repeat(1024 * 1024 + 1)).diagnostics[0].message, /larger than 1 MiB/);
    assert.deepEqual([...parseEnvironmentFile('{"dev": {"__proto__": "p", "constructor": "c"}}').environments.get('dev')!], [['__proto__', 'p'], ['constructor', 'c']]);
  });

  it('reads the settings\' variables from an untrusted value', () => {
    assert.deepEqual(readVariablesSetting({ a: 'x', n: 5, b: true, bad: {}, 'no space': 'x', nan: NaN }), {
      variables: new Map([
        ['a', 'x'],
        ['n', '5'],
        ['b', 'true'],
      ]),
      problems: [
        '"bad": a variable\'s value is a string, a number or true/false (left out).',
        '"no space" is not a variable name: use letters, digits, _, - and ., starting with a letter or _. (left out)',
        '"nan": a variable\'s value is a string, a number or true/false (left out).',
      ],
    });
    assert.deepEqual(readVariablesSetting(['a']).problems, ['The variables setting must be an object of name: value.']);
    assert.deepEqual(readVariablesSetting(undefined), { variables: new Map(), problems: [] });
  });

  it('settings given as a plain object do not answer for names of Object.prototype', () => {
    const problem = failure('PUBLISH t/{{constructor}}', { settings: {} });
    assert.equal(problem.code, 'unknown-variable');
    assert.equal(publish('PUBLISH t/{{__proto__}}', { settings: JSON.parse('{"__proto__": "own"}') as Record<string, string> }).topic, 't/own');
  });
});

describe('.mqtt variables: checking a whole file for the editor', () => {
  it('reports each unresolvable reference of every block, at its place, and nothing for good ones', () => {
    const text = '@base = {{root}}/x\n### A\n@local = {{missing}}\nPUBLISH {{base}}/{{ok}}\n\n{"a": "{{other}}", "b": "{{ok}}"}\n### B\nPUBLISH {{ok}}\n';
    const document = parseMqttFile(text);
    const problems = checkVariables(document, { settings: { ok: 'fine' } });
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.block, covered(text, problem.range)]),
      [
        ['unknown-variable', 0, '{{missing}}'],
        ['unknown-variable', 0, '{{base}}'],
        ['unknown-variable', 0, '{{other}}'],
      ],
    );
    assert.deepEqual(checkVariables(document, { settings: { ok: 'fine', root: 'r', missing: 'm', other: 'o' } }), []);
  });
});
