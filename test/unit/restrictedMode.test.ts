import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ConnectionRegistry, type EngineRecovery } from '../../src/host/engine/connectionRegistry';
import { EngineClient, RestrictedModeError } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import { newProfile } from '../../src/shared/profile';
import { restrictedSettings, settingInText } from '../../src/shared/restrictedMode';
import { manifestText } from '../helpers/manifest';
import { waitFor } from '../helpers/waitFor';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');
const MANIFEST = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: unknown; description?: unknown; restrictedConfigurations?: unknown } };
  contributes: { configuration: { properties: Record<string, unknown> } };
};

describe('Restricted Mode: what package.json declares', () => {
  it('limited support, described, with every setting that connects, starts, subscribes, points at a file or binds decoders restricted', () => {
    const declared = MANIFEST.capabilities.untrustedWorkspaces;
    assert.equal(declared.supported, 'limited');
    assert.match(manifestText(declared.description), /Restricted Mode/);
    const restricted = restrictedSettings(MANIFEST);
    for (const id of [
      'mqttExplorer.connections',
      'mqttExplorer.defaultSubscriptions',
      'mqttExplorer.localBroker.autoStart',
      'mqttExplorer.localBroker.port',
      'mqttExplorer.simulator.autoStart',
      'mqttExplorer.simulator.devices',
      'mqttExplorer.simulator.messagesPerSecond',
      'mqttExplorer.reconnect.minDelaySeconds',
      'mqttExplorer.reconnect.maxDelaySeconds',
      'mqttExplorer.decoders',
      'mqttExplorer.schemas',
    ]) {
      assert.ok(restricted.has(id), `${id} is restricted`);
    }
    // Only declared settings (a typo would restrict nothing).
    for (const id of restricted) assert.ok(id in MANIFEST.contributes.configuration.properties, `${id} is a declared setting`);
  });
});

describe('Restricted Mode: reading an untrusted folder\'s settings file', () => {
  it('comments, trailing commas, the last of repeated keys, dotted and nested keys, a workspace file\'s "settings"', () => {
    const text = `{
      // a comment
      "mqttExplorer.connections": [{ "id": "a", "host": "one" }],
      /* another */
      "mqttExplorer.connections": [{ "id": "b", "host": "two" },],
      "other.setting": 1,
    }`;
    assert.deepEqual(settingInText(text, 'mqttExplorer.connections'), [{ id: 'b', host: 'two' }]);
    assert.equal(settingInText(text, 'mqttExplorer.defaultSubscriptions'), undefined);
    assert.deepEqual(settingInText('{ "mqttExplorer": { "connections": [1] } }', 'mqttExplorer.connections'), [1]);
    assert.equal(settingInText('{ "mqttExplorer.localBroker": { "autoStart": true } }', 'mqttExplorer.localBroker.autoStart'), true);
    assert.deepEqual(settingInText('{ "folders": [], "settings": { "mqttExplorer.connections": [2] } }', 'mqttExplorer.connections', { workspaceFile: true }), [2]);
    assert.equal(settingInText('{ "mqttExplorer.connections": [2] }', 'mqttExplorer.connections', { workspaceFile: true }), undefined, 'a workspace file keeps settings under "settings"');
    // What parses of a broken file, as VS Code does; garbage gives nothing.
    assert.deepEqual(settingInText('{ "mqttExplorer.connections": [3], "broken": ', 'mqttExplorer.connections'), [3]);
    assert.equal(settingInText('not json at all', 'mqttExplorer.connections'), undefined);
  });
});

/**
 * The gate every connect goes through (RemoteConnection.connect): with a real engine worker and a
 * plain TCP listener standing in for the hostile host, a refused profile opens no socket, reads no
 * secret and no TLS file, also when an engine restart's recovery connects again.
 */
describe('Restricted Mode: the connect gate (a real engine worker, a TCP listener)', function () {
  this.timeout(30_000);
  let listener: Server;
  let port: number;
  const accepted: Socket[] = [];
  let broker: LocalBroker;
  let engine: EngineClient | undefined;
  let registry: ConnectionRegistry | undefined;

  before(async () => {
    listener = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    broker = new LocalBroker();
    await broker.start(0);
  });

  afterEach(() => {
    registry?.dispose();
    engine?.dispose();
    registry = undefined;
    engine = undefined;
  });

  after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await broker?.stop();
  });

  it('a refused profile does not connect: RestrictedModeError, no secret read, no socket opened, no TLS file read', async () => {
    engine = new EngineClient(WORKER, { testHooks: true });
    let secretsRead = 0;
    registry = new ConnectionRegistry(engine, (profile) => ({
      secrets: async () => (secretsRead++, {}),
      backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
      refusal: () => (profile.id === 'hostile' ? `"${profile.name}" comes from this folder's settings` : undefined),
    }));
    // A CA "file" that never ends: reading it would hang the engine's connect.
    const hostile = registry.upsert(newProfile('hostile', { name: 'Hostile', host: '127.0.0.1', port, mqttVersion: 4, protocol: 'mqtts', tls: { verify: true, caFile: '/dev/zero' } }));
    // Bounded: a connect that got through would read /dev/zero for as long as it can.
    const settled = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the connect did not settle within 5 s: it got through the gate')), 5000).unref());
    await assert.rejects(Promise.race([hostile.connect(), settled]), (error: unknown) => {
      assert.ok(error instanceof RestrictedModeError, String(error));
      assert.match(error.message, /comes from this folder's settings/);
      return true;
    });
    assert.equal(hostile.refusal, '"Hostile" comes from this folder\'s settings');
    // The engine still answers at once (nothing is reading /dev/zero) and knows no such connection.
    assert.ok((await engine.request('ping', {})).at > 0);
    assert.equal(hostile.state.kind, 'disconnected');
    assert.equal(secretsRead, 0, 'no secret was read');
    assert.equal(accepted.length, 0, 'the listener was never connected to');
    // An allowed profile in the same registry connects as usual.
    const allowed = registry.upsert(newProfile('allowed', { name: 'Allowed', host: '127.0.0.1', port: broker.port, mqttVersion: 4 }));
    await allowed.connect();
    assert.equal(allowed.state.kind, 'connected');
    assert.equal(secretsRead, 1, 'the allowed one read its secrets');
    assert.equal(accepted.length, 0);
  });

  it('an engine restart\'s recovery connects again only what the gate allows now', async () => {
    engine = new EngineClient(WORKER, { testHooks: true });
    let refuse = false;
    const made = new ConnectionRegistry(engine, (profile) => ({
      secrets: async () => ({}),
      backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
      refusal: () => (refuse ? `"${profile.name}" comes from this folder's settings` : undefined),
    }));
    registry = made;
    const connection = made.upsert(newProfile('was-allowed', { name: 'Was allowed', host: '127.0.0.1', port: broker.port, mqttVersion: 4 }));
    await connection.connect();
    refuse = true;
    const recovered = waitFor<EngineRecovery>(made.onDidRecover, () => true, 20_000, 'the recovery');
    await engine.request('testHook', { action: 'exit' }).catch(() => undefined);
    const recovery = await recovered;
    assert.deepEqual(recovery.reconnected, []);
    assert.equal(recovery.failed.length, 1);
    assert.match(recovery.failed[0], /Was allowed: "Was allowed" comes from this folder's settings/);
    assert.equal(connection.state.kind, 'disconnected');
  });
});
