import * as assert from 'node:assert/strict';
import { parseArgs, type CliOptions } from '../../src/cli/args';
import { humanReport, junitXml, xmlText, type FileReport } from '../../src/cli/report';
import type { BlockResult } from '../../src/runner/types';

function options(argv: string[], env: Record<string, string> = {}): CliOptions {
  const parsed = parseArgs(argv, env);
  assert.ok('options' in parsed, JSON.stringify(parsed));
  return parsed.options;
}

function block(overrides: Partial<BlockResult>): BlockResult {
  return { index: 0, label: 'b', kind: 'expect', status: 'passed', startedAt: 0, durationMs: 12, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, ...overrides };
}

describe('mqtt-explorer-test: arguments and reports', () => {
  it('reads every option, in both spellings, with MQTT_PASSWORD as the fallback password', () => {
    const read = options(['--broker=mqtt://h:1', '--username', 'u', '--mqtt-version', '3.1.1', '--env', 'ci', '--var', 'a=1=2', '--var', 'b=', '--junit', 'r.xml', '--timeout', '500', '--insecure', 'x.mqtt', 'y.mqtt'], { MQTT_PASSWORD: 'p' });
    assert.deepEqual(read, { broker: 'mqtt://h:1', username: 'u', password: 'p', mqttVersion: 4, environment: 'ci', variables: new Map([['a', '1=2'], ['b', '']]), junit: 'r.xml', timeoutMs: 500, insecure: true, files: ['x.mqtt', 'y.mqtt'] });
    assert.equal(options(['--broker', 'mqtt://h', '--password', 'given', 'x'], { MQTT_PASSWORD: 'env' }).password, 'given');
    assert.deepEqual([options(['--broker', 'mqtt://h', 'x']).mqttVersion, options(['--broker', 'mqtt://h', '--', '--odd.mqtt']).files], [5, ['--odd.mqtt']]);
    // Credentials in the URL count, as MQTT.js would read them.
    const inUrl = options(['--broker', 'mqtt://me:s%40cret@h:1883', 'x']);
    assert.deepEqual([inUrl.username, inUrl.password], ['me', 's@cret']);
  });

  it('refuses what it cannot use, saying what to write', () => {
    const error = (argv: string[]) => {
      const parsed = parseArgs(argv);
      return 'error' in parsed ? parsed.error : 'accepted';
    };
    assert.equal(error(['--broker', 'localhost:1883', 'x']), '--broker "localhost:1883": the protocol is one of mqtt://, mqtts://, ws:// or wss://.');
    assert.equal(error(['--broker', 'nope', 'x']), '--broker "nope" is not a URL: write it as mqtt://host:port.');
    assert.equal(error(['--broker', 'mqtt://h']), 'Which files? Name one or more .mqtt files after the options.');
    assert.equal(error(['--broker', 'mqtt://h', '--var', 'novalue', 'x']), '--var takes name=value, not "novalue".');
    assert.match(error(['--broker', 'mqtt://h', '--var', '$uuid=1', 'x']), /^--var \$uuid=1: /);
    assert.equal(error(['--broker', 'mqtt://h', '--timeout', '0', 'x']), '--timeout is a number of milliseconds from 1 to 3600000, not "0".');
    assert.equal(error(['--broker', 'mqtt://h', '--broker', 'mqtt://i', 'x']), '--broker is given twice.');
    assert.equal(error(['--broker']), '--broker needs a value. See --help.');
    assert.equal(error(['-x']), 'Unknown option -x. See --help.');
  });

  it('JUnit XML holds any topic or payload: escaped, and no character XML 1.0 forbids', () => {
    assert.equal(xmlText('a<b>&"\'\u0000\u001b\t\n\ud800x\udc00'), 'a&lt;b&gt;&amp;&quot;&apos;\ufffd\ufffd\t\n\ufffdx\ufffd');
    assert.equal(xmlText('😀'), '😀');
    const reports: FileReport[] = [
      { path: 'a.mqtt', run: { blocks: [block({ status: 'failed', message: 'm\u0007', expected: '{"a": 1}', actual: '<x/>' }), block({ index: 1, status: 'error', message: 'e' })], passed: false, cancelled: false, startedAt: 0, durationMs: 1500 } },
      { path: 'b.mqtt', error: 'b.mqtt: no such file.' },
    ];
    const xml = junitXml(reports, '2026-01-01T00:00:00.000Z', 2000);
    assert.match(xml, /<testsuites name="mqtt-explorer-test" tests="3" failures="1" errors="2" skipped="0" time="2\.000"/);
    assert.match(xml, /<failure message="m\ufffd" type="AssertionError">m\ufffd\n\nexpected:\n\{&quot;a&quot;: 1\}\n\nactual:\n&lt;x\/&gt;<\/failure>/);
    assert.match(xml, /<error message="b\.mqtt: no such file\." type="FileError">/);
  });

  it('the terminal summary shows control characters instead of running them', () => {
    const text = humanReport([{ path: 'a.mqtt', run: { blocks: [block({ label: 'x\u001b[2J', status: 'failed', message: 'bad', expected: 'a', actual: 'b\u001b]0;t\u0007' })], passed: false, cancelled: false, startedAt: 0, durationMs: 1 } }]);
    assert.doesNotMatch(text, /\u001b|\u0007/);
    assert.match(text, /✗ x\\x1b\[2J \(12 ms, failed\)\n {6}bad\n {6}expected:\n {8}a\n {6}actual:\n {8}b\\x1b\]0;t\\x07\n\n0 passed, 1 failed\n$/);
  });
});
