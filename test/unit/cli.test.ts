import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { findFreePort } from '../../src/devtools/localBroker';
import { Mosquitto, TEST_USER } from '../helpers/mosquitto';

/** The CLI as users run it: the bundle that package.json's bin names (built by esbuild.mjs, also with --tests). */
const CLI = resolve(__dirname, '../../../dist/cli/mqtt-explorer-test.js');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the test's devices answer while it runs), bounded. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not end within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The built CLI, with only PATH and `env` in its environment (no MQTT_PASSWORD of the machine's). */
function cli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Outcome> {
  return run(process.execPath, [CLI, ...args], cwd, { PATH: process.env.PATH ?? '', ...env }, timeoutMs);
}

/** The attributes of the first element named `tag` (the JUnit XML is ours: flat, one element a line). */
function attributesOf(xml: string, tag: string): Record<string, string> {
  const element = new RegExp(`<${tag}((?: [a-z]+="[^"]*")*)/?>`).exec(xml);
  assert.ok(element, `no <${tag}> in\n${xml}`);
  return Object.fromEntries([...element[1].matchAll(/ ([a-z]+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
}

describe('mqtt-explorer-test, the command line, against mosquitto', function () {
  this.timeout(60_000);
  let broker: Mosquitto;
  let project: string;
  let url: string;
  const devices: MqttClient[] = [];

  before(async function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (node esbuild.mjs --tests).`);
    broker = await Mosquitto.create();
    url = `mqtt://127.0.0.1:${broker.ports.plain}`;
    project = mkdtempSync(join(tmpdir(), 'mqtt-cli-'));
    mkdirSync(join(project, 'tests', 'payloads'), { recursive: true });
    writeFileSync(join(project, 'mqtt.env.json'), '{\n  // comments are fine\n  "$shared": { "site": "berlin" },\n  "ci": { "root": "cli-test" },\n}\n');
    writeFileSync(join(project, 'tests', 'payloads', 'frame.bin'), new Uint8Array([1, 2, 3]));
    writeFileSync(join(project, 'tests', 'state.schema.json'), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['on'] }));
    writeFileSync(join(project, 'outside.bin'), 'not for the file');
    writeFileSync(
      join(project, 'tests', 'pass.mqtt'),
      [
        '@lamp = {{root}}/{{site}}/lamp/{{id}}',
        '',
        '### Turn the lamp on',
        'PUBLISH {{lamp}}/set',
        'QoS: 1',
        '',
        '{"on": true}',
        '',
        '### The lamp reports it',
        'EXPECT {{lamp}}/state',
        'Within: 5000',
        'Schema: ./state.schema.json',
        '',
        '{"on": true}',
        '',
        '### A frame from a file',
        'PUBLISH {{lamp}}/frame',
        '',
        '< ./payloads/frame.bin',
        '',
        '### Ask the thermostat',
        'REQUEST {{root}}/{{site}}/thermostat/get',
        'Timeout: 5000',
        '',
        '{"what": "setpoint"}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tests', 'fail.mqtt'),
      [
        '### Turn it off',
        'PUBLISH {{root}}/{{site}}/lamp/{{id}}/set',
        '',
        '{"on": false}',
        '',
        '### Expect it on <&>',
        'EXPECT {{root}}/{{site}}/lamp/{{id}}/state',
        'Timeout: 1500',
        '',
        '{"on": true}',
        '',
        '### Never run',
        'PUBLISH {{root}}/after',
        '',
        'x',
        '',
      ].join('\n'),
    );
    writeFileSync(join(project, 'tests', 'escape.mqtt'), ['### Up and out', 'PUBLISH cli-test/escape', '', '< ../../outside.bin', ''].join('\n'));
    symlinkSync(join(project, 'outside.bin'), join(project, 'tests', 'payloads', 'link.bin'));
    // Outside the project's tree, run from inside it: the root is the project.
    writeFileSync(join(project, 'tests', 'link.mqtt'), ['### Through a link', 'PUBLISH cli-test/link', '', '< ./payloads/link.bin', ''].join('\n'));

    // The devices the files talk to: a lamp that reports what it is told, a thermostat that answers requests.
    const device = await mqtt.connectAsync(url, { protocolVersion: 5 });
    devices.push(device);
    device.on('message', (topic, payload, packet) => {
      if (topic.endsWith('/lamp/l1/set')) void device.publishAsync(topic.replace(/set$/, 'state'), payload.toString(), { qos: 1 });
      if (topic.endsWith('/thermostat/get') && packet.properties?.responseTopic) {
        void device.publishAsync(packet.properties.responseTopic, '{"setpoint": 21.5}', { qos: 1, properties: { correlationData: packet.properties.correlationData } });
      }
    });
    await device.subscribeAsync(['cli-test/+/lamp/l1/set', 'cli-test/+/thermostat/get'], { qos: 1 });
  });

  after(async () => {
    await Promise.all(devices.map((device) => device.endAsync()));
    await broker?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('passes: exit 0, a line per block, the environment and --var applied', async () => {
    const result = await cli(['--broker', url, '--env', 'ci', '--var', 'id=l1', 'tests/pass.mqtt'], project);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^tests\/pass\.mqtt\n/);
    assert.match(result.stdout, /✓ Turn the lamp on \(\d+ ms\) {2}PUBACK: Success\./);
    assert.match(result.stdout, /✓ The lamp reports it \(\d+ ms\) {2}Matched after \d+ ms\./);
    assert.match(result.stdout, /✓ A frame from a file/);
    assert.match(result.stdout, /✓ Ask the thermostat \(\d+ ms\) {2}Reply in \d+ ms\./);
    assert.match(result.stdout, /\n4 passed \([\d.]+ m?s\)\n$/);
    assert.equal(result.stderr, '');
  });

  it('fails: exit 1, expected and actual printed, JUnit XML with the counts and the failure', async () => {
    const junit = join(project, 'reports', 'junit.xml');
    const result = await cli(['--broker', url, '--env', 'ci', '--var', 'id=l1', '--junit', 'reports/junit.xml', 'tests/fail.mqtt', 'tests/pass.mqtt'], project);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /✗ Expect it on <&> \([\d.]+ m?s, failed\)\n {6}No matching message on cli-test\/berlin\/lamp\/l1\/state in \d+ ms \(1 message did not match\)\. The closest, on cli-test\/berlin\/lamp\/l1\/state: At \$\.on: expected true, got false\n {6}expected:\n {8}\{\n {10}"on": true\n {8}\}\n {6}actual:\n {8}\{\n {10}"on": false\n {8}\}\n/);
    assert.match(result.stdout, /- Never run \(skipped: Not run: block 2 \(Expect it on <&>\) failed\.\)/);
    assert.match(result.stdout, /\n5 passed, 1 failed, 1 skipped \(/);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    assert.deepEqual(
      (({ tests, failures, errors, skipped }) => ({ tests, failures, errors, skipped }))(attributesOf(xml, 'testsuites')),
      { tests: '7', failures: '1', errors: '0', skipped: '1' },
    );
    const suite = attributesOf(xml, 'testsuite');
    assert.equal(suite.name, 'tests/fail.mqtt');
    assert.deepEqual([suite.tests, suite.failures, suite.skipped], ['3', '1', '1']);
    assert.match(xml, /<testcase name="2\. Expect it on &lt;&amp;&gt;" classname="tests\/fail\.mqtt" time="\d+\.\d{3}">\n {6}<failure message="No matching message on [^"]*At \$\.on: expected true, got false" type="AssertionError">[^<]*\n\nexpected:\n\{\n {2}&quot;on&quot;: true\n\}\n\nactual:\n\{\n {2}&quot;on&quot;: false\n\}<\/failure>/);
    assert.match(xml, /<testcase name="3\. Never run" classname="tests\/fail\.mqtt" time="0\.000">\n {6}<skipped message="Not run: block 2 \(Expect it on &lt;&amp;&gt;\) failed\."\/>/);
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 2);
  });

  it('npx mqtt-explorer-test runs the bin of this repository (package.json)', async () => {
    const repository = resolve(__dirname, '../../..');
    const result = await run('npx', ['mqtt-explorer-test', '--help'], repository, process.env, 45_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: mqtt-explorer-test --broker <url>/);
  });

  it('Ctrl+C ends a run cleanly: the rest skipped, the JUnit XML written, exit 130', async () => {
    writeFileSync(join(project, 'tests', 'wait.mqtt'), ['### Wait long', 'EXPECT cli-test/never', 'Timeout: 60000', '', '### After', 'PUBLISH cli-test/after', '', 'x', ''].join('\n'));
    const child = spawn(process.execPath, [CLI, '--broker', url, '--junit', 'reports/interrupted.xml', 'tests/wait.mqtt'], { cwd: project, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const closed = new Promise<number | null>((resolvePromise) => child.on('close', resolvePromise));
    // The file's heading is printed once it is read and the broker connected: the run starts then.
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no heading within 15 s: ${stdout}`)), 15_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('tests/wait.mqtt\n')) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
    });
    child.kill('SIGINT');
    const code = await Promise.race([closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the CLI did not end within 10 s of Ctrl+C')), 10_000))]);
    assert.equal(code, 130, stdout);
    assert.match(stdout, /- Wait long \(skipped: Cancelled while it ran\.\)\n {2}- After \(skipped: Not run: the run was cancelled\.\)\n {2}Cancelled\.\n/);
    const xml = readFileSync(join(project, 'reports', 'interrupted.xml'), 'utf8');
    assert.equal((xml.match(/<skipped /g) ?? []).length, 2);
  });

  it('usage errors exit 2 with a message', async () => {
    const none = await cli(['tests/pass.mqtt'], project);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'mqtt-explorer-test: Which broker? Give --broker mqtt://host:port.\n');
    const unknown = await cli(['--broker', url, '--nope', 'tests/pass.mqtt'], project);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option --nope/);
    const version = await cli(['--broker', url, '--mqtt-version', '4.0', 'x.mqtt'], project);
    assert.equal(version.code, 2);
    assert.match(version.stderr, /--mqtt-version is 3\.1\.1 or 5, not "4\.0"/);
    const help = await cli(['--help'], project);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mqtt-explorer-test --broker <url>/);
  });

  it('no broker, a wrong password, a missing file, an unknown environment: exit 2', async () => {
    const port = await findFreePort();
    const refused = await cli(['--broker', `mqtt://127.0.0.1:${port}`, '--var', 'root=x', '--var', 'id=l1', 'tests/pass.mqtt'], project);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`No connection to mqtt://127\\.0\\.0\\.1:${port}: Connection refused`));
    const auth = `mqtt://127.0.0.1:${broker.ports.auth}`;
    const wrong = await cli(['--broker', auth, '--username', TEST_USER.username, '--env', 'ci', '--var', 'id=l1', 'tests/pass.mqtt'], project, { MQTT_PASSWORD: 'wrong' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Bad user name or password|Not authori[sz]ed/);
    assert.doesNotMatch(wrong.stdout + wrong.stderr, /wrong/);
    const right = await cli(['--broker', auth, '--username', TEST_USER.username, '--env', 'ci', '--var', 'id=l1', 'tests/pass.mqtt'], project, { MQTT_PASSWORD: TEST_USER.password });
    assert.equal(right.code, 0, right.stdout + right.stderr);
    const missing = await cli(['--broker', url, 'tests/nothing.mqtt'], project);
    assert.equal(missing.code, 2);
    assert.match(missing.stdout, /tests\/nothing\.mqtt\n {2}✗ tests\/nothing\.mqtt does not exist\./);
    const environment = await cli(['--broker', url, '--env', 'prod', 'tests/pass.mqtt'], project);
    assert.equal(environment.code, 2);
    assert.match(environment.stdout, /There is no environment "prod" in mqtt\.env\.json: pick one of "ci"\./);
  });

  it('TLS: --ca trusts the test CA; mutual TLS with --cert, --key and MQTT_KEY_PASSPHRASE; a missing client certificate or a wrong passphrase exits 2', async () => {
    const args = (port: number, ...more: string[]) => ['--broker', `mqtts://localhost:${port}`, '--env', 'ci', '--var', 'id=l1', ...more, 'tests/pass.mqtt'];
    const untrusted = await cli(args(broker.ports.tls), project);
    assert.equal(untrusted.code, 2, untrusted.stdout + untrusted.stderr);
    assert.match(untrusted.stderr, /No connection to mqtts:\/\/localhost:\d+: .*certificate/i);
    const trusted = await cli(args(broker.ports.tls, '--ca', broker.certs.caFile), project);
    assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
    const client = ['--ca', broker.certs.caFile, '--cert', broker.certs.clientCert, '--key', broker.certs.clientKey];
    const mutual = await cli(args(broker.ports.mtls, ...client), project, { MQTT_KEY_PASSPHRASE: broker.certs.clientKeyPassphrase });
    assert.equal(mutual.code, 0, mutual.stdout + mutual.stderr);
    const wrongPassphrase = await cli(args(broker.ports.mtls, ...client), project, { MQTT_KEY_PASSPHRASE: 'not-it' });
    assert.equal(wrongPassphrase.code, 2, wrongPassphrase.stdout + wrongPassphrase.stderr);
    assert.doesNotMatch(wrongPassphrase.stdout + wrongPassphrase.stderr, /not-it/);
    const noCertificate = await cli(args(broker.ports.mtls, '--ca', broker.certs.caFile), project);
    assert.equal(noCertificate.code, 2, noCertificate.stdout + noCertificate.stderr);
    const half = await cli(args(broker.ports.mtls, '--ca', broker.certs.caFile, '--cert', broker.certs.clientCert), project);
    assert.equal(half.code, 2);
    assert.equal(half.stderr, 'mqtt-explorer-test: --cert needs its private key: add --key <file.pem>.\n');
  });

  it('files stay inside the tree: .. out of it and a symbolic link out are refused', async () => {
    const outsideRoot = await cli(['--broker', url, 'escape.mqtt'], join(project, 'tests'));
    assert.equal(outsideRoot.code, 1, outsideRoot.stdout);
    assert.match(outsideRoot.stdout, /✗ Up and out .*could not run\)\n {6}"\.\.\/\.\.\/outside\.bin" is outside .*tests: a message file reads only files in its own folder tree/);
    const link = await cli(['--broker', url, 'link.mqtt'], join(project, 'tests'));
    assert.equal(link.code, 1, link.stdout);
    assert.match(link.stdout, /"\.\/payloads\/link\.bin" is a symbolic link to .*outside\.bin, outside .*tests: it is not read\./);
    // Run from the project's top, the project is the tree: the same link is inside it.
    const fromTop = await cli(['--broker', url, 'tests/link.mqtt'], project);
    assert.equal(fromTop.code, 0, fromTop.stdout);
  });
});
