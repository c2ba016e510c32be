import * as assert from 'node:assert/strict';
import { backoffDelay, ReconnectPolicy } from '../../src/worker/backoff';
import { buildClientOptions } from '../../src/worker/connection';
import { describeConnectError, describeSubscribeFailure } from '../../src/worker/errors';
import { brokerUrl, newProfile, normaliseProfile, partitionSubscriptions, validateProfile, validateSubscriptionFilter, validateTopicFilter } from '../../src/shared/profile';
import { draftToProfile, profileFromForm, profileToDraft, typedSecrets, validateDraft, withoutSecrets } from '../../src/shared/profileForm';

describe('Reconnect backoff', () => {
  it('doubles from the minimum up to the maximum, with jitter between half and all of it', () => {
    const options = { minDelayMs: 1000, maxDelayMs: 60_000 };
    assert.equal(backoffDelay(0, options, () => 0), 500);
    assert.equal(backoffDelay(0, options, () => 1), 1000);
    assert.equal(backoffDelay(3, options, () => 1), 8000);
    assert.equal(backoffDelay(10, options, () => 1), 60_000);
    assert.equal(backoffDelay(10, options, () => 0), 30_000);
    assert.equal(backoffDelay(1000, options, () => 1), 60_000, 'no overflow for large attempts');
  });

  it('starts over after a stable connection, keeps growing when the connection flaps', () => {
    let now = 0;
    const policy = new ReconnectPolicy({ minDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 10_000 }, () => now, () => 1);
    assert.equal(policy.closed().delayMs, 1000); // first attempt fails
    assert.equal(policy.closed().delayMs, 2000);
    policy.connected();
    now += 500; // connected, then closed half a second later: a flap
    assert.deepEqual(policy.closed(), { delayMs: 4000, flapping: false });
    policy.connected();
    now += 500;
    assert.deepEqual(policy.closed(), { delayMs: 8000, flapping: true });
    policy.connected();
    now += 60_000; // stable for a minute: the next drop starts from the minimum again
    assert.deepEqual(policy.closed(), { delayMs: 1000, flapping: false });
  });
});

describe('Connection error messages', () => {
  const context = { host: 'broker.example', port: 8883, mqttVersion: 5 as const };
  const error = (code: string | number, message = 'x') => Object.assign(new Error(message), { code });

  it('names each failure in words', () => {
    assert.match(describeConnectError(error('ECONNREFUSED'), context), /Connection refused by broker\.example:8883/);
    assert.match(describeConnectError(error('ENOTFOUND'), context), /Host name not found: broker\.example/);
    assert.match(describeConnectError(error('SELF_SIGNED_CERT_IN_CHAIN'), context), /unknown authority/);
    assert.match(describeConnectError(error('ERR_TLS_CERT_ALTNAME_INVALID'), context), /does not match the name broker\.example/);
    assert.match(describeConnectError(error('CERT_HAS_EXPIRED'), context), /expired/);
    // A wrong passphrase: OpenSSL says "bad decrypt", or now and then (garbage that passed the padding check) "unsupported".
    assert.match(describeConnectError(error('ERR_OSSL_BAD_DECRYPT', 'error:1C800064:Provider routines::bad decrypt'), context), /wrong key passphrase/);
    assert.match(describeConnectError(error('ERR_OSSL_UNSUPPORTED', 'error:1E08010C:DECODER routines::unsupported'), context), /wrong key passphrase/);
    assert.match(describeConnectError(error(0x86), context), /Bad user name or password\. \(reason code 0x86\)/);
    assert.match(describeConnectError(error(0x87), context), /Not authorised\. \(reason code 0x87\)/);
    assert.match(describeConnectError(error(4), { ...context, mqttVersion: 4 }), /Bad user name or password\. \(return code 0x4\)/);
    assert.match(describeConnectError(error(5), { ...context, mqttVersion: 4 }), /Not authorised to connect/);
    // A CONNECT that carried credentials: the refusal says what to check.
    assert.match(describeConnectError(error(0x87), { ...context, credentials: true }), /Not authorised\. Check the user name and password\. \(reason code 0x87\)/);
    assert.match(describeConnectError(error(4), { ...context, mqttVersion: 4, credentials: true }), /Bad user name or password\. Check the user name and password\. \(return code 0x4\)/);
    assert.doesNotMatch(describeConnectError(error(0x80), { ...context, credentials: true }), /Check the user name/);
    assert.match(describeConnectError(error(1), context), /does not support this MQTT version\. Set the connection's MQTT version to 3\.1\.1/);
    assert.match(describeConnectError(new Error('error:1C800064:Provider routines::bad decrypt'), context), /wrong key passphrase/);
    assert.match(describeSubscribeFailure(0x87, 5), /Not authorised\. \(reason code 0x87\)/);
    assert.match(describeSubscribeFailure(0x80, 4), /return code 0x80/);
  });
});

describe('Connection profiles', () => {
  it('fills defaults for hand-written settings and drops wrong types', () => {
    const profile = normaliseProfile({ name: 'Plant', host: 'plant.local', protocol: 'wss', port: 'x', mqttVersion: '3.1.1', tls: { verify: false, caFile: 1 } }, { id: () => 'generated' });
    assert.ok(profile);
    assert.equal(profile.id, 'generated');
    assert.equal(profile.port, 8081);
    assert.equal(profile.mqttVersion, 4);
    assert.deepEqual(profile.tls, { verify: false });
    assert.deepEqual(profile.subscriptions.map((s) => s.topic), ['#', '$SYS/#']);
    assert.match(profile.clientId, /^vscode-mqtt-[0-9a-f]{8}$/);
    assert.equal(normaliseProfile({ name: 'Plant', host: 'plant.local', protocol: 'wss' }, { id: () => 'generated' })?.clientId, profile.clientId, 'the derived client id is stable');
    assert.equal(normaliseProfile({ name: 'no host' }, { id: () => 'x' }), undefined);
    assert.equal(brokerUrl(profile), 'wss://plant.local:8081/mqtt');
  });

  it('validates field by field', () => {
    const errors = validateProfile({ ...newProfile('p'), name: ' ', host: 'mqtt://x', port: 70000, keepalive: -1, mqttVersion: 4, clientId: 'x'.repeat(30), subscriptions: [{ topic: 'a/#/b', qos: 0 }] });
    assert.deepEqual(Object.keys(errors).sort(), ['clientId', 'host', 'keepalive', 'name', 'port', 'subscription0']);
    assert.deepEqual(validateProfile(newProfile('ok')), {});
    assert.equal(validateTopicFilter('a/+/b/#'), undefined);
    assert.match(validateTopicFilter('a/b+') ?? '', /stand alone/);
  });

  it('round-trips through the form draft, and names the field of a bad value', () => {
    const profile = newProfile('id-1', {
      name: 'Lab',
      protocol: 'mqtts',
      port: 8883,
      username: 'lab',
      sessionExpiry: 3600,
      userProperties: { site: 'lab' },
      will: { topic: 'lab/status', payload: 'offline', qos: 1, retain: true },
      tls: { verify: true, caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', serverName: 'lab.local' },
      subscriptions: [{ topic: 'lab/#', qos: 1 }],
    });
    assert.deepEqual(draftToProfile(profileToDraft(profile), 'id-1'), profile);
    const draft = { ...profileToDraft(profile), port: 'eighty', subscriptions: 'a/#/b' };
    assert.deepEqual(Object.keys(validateDraft(draft, 'id-1')).sort(), ['port', 'subscriptions']);
  });

  it('builds MQTT.js options with secrets and TLS files, and nothing else secret', async () => {
    const profile = newProfile('p', { protocol: 'mqtts', username: 'u', sessionExpiry: 60, userProperties: { a: 'b' }, tls: { verify: false, caFile: '/ca', keyFile: '/key', serverName: 'sni' } });
    const read = async (field: string, path: string) => Buffer.from(`${field}: contents of ${path}`);
    const options = await buildClientOptions(profile, { password: 'pw', keyPassphrase: 'pp' }, read);
    assert.equal(options.password, 'pw');
    assert.equal((options as { passphrase?: string }).passphrase, 'pp');
    assert.equal(options.rejectUnauthorized, false);
    assert.equal(options.servername, 'sni');
    assert.equal(String(options.ca), 'caFile: contents of /ca');
    assert.equal(String(options.key), 'keyFile: contents of /key');
    assert.deepEqual(options.properties, { sessionExpiryInterval: 60, userProperties: { a: 'b' } });
    assert.equal(options.reconnectPeriod, 0, 'reconnecting is the connection\'s own');
    const plain = await buildClientOptions(newProfile('q', { mqttVersion: 4 }), {}, read);
    assert.equal(plain.ca, undefined);
    assert.equal(plain.properties, undefined);
    assert.equal(plain.protocolVersion, 4);
  });
});

describe('Subscription filters the explorer refuses', () => {
  it('shared subscriptions ($share/…, $queue/…), with a reason', () => {
    for (const filter of ['$share/group/#', '$share/g/sensors/+', '$queue/jobs']) assert.match(validateSubscriptionFilter(filter) ?? '', /Shared subscriptions/, filter);
    for (const filter of ['#', '$SYS/#', 'share/#', '$shared/x', 'a/$share/b']) assert.equal(validateSubscriptionFilter(filter), undefined, filter);
  });

  it("filters MQTT forbids: misplaced wildcards, empty, a null character, over 65,535 bytes", () => {
    for (const filter of ['a/#/b', 'a+', '', 'a\u0000b', 'x'.repeat(65_536)]) assert.ok(validateSubscriptionFilter(filter), JSON.stringify(filter.slice(0, 10)));
    assert.equal(validateSubscriptionFilter('é'.repeat(32_767)), undefined, '65,534 bytes');
  });

  it('refused filters leave the others in place, in order', () => {
    const { kept, refused } = partitionSubscriptions([
      { topic: '$share/prod/#', qos: 1 },
      { topic: 'a/#', qos: 0 },
      { topic: 'a/#/b', qos: 0 },
      { topic: '$SYS/#', qos: 2 },
    ]);
    assert.deepEqual(kept, [
      { topic: 'a/#', qos: 0 },
      { topic: '$SYS/#', qos: 2 },
    ]);
    assert.deepEqual(
      refused.map(({ topic }) => topic),
      ['$share/prod/#', 'a/#/b'],
    );
  });

  it('the connection form refuses a shared subscription too (a profile it saves is read back from settings)', () => {
    const errors = validateProfile(newProfile('p', { subscriptions: [{ topic: '#', qos: 0 }, { topic: '$share/g/#', qos: 0 }] }));
    assert.deepEqual(Object.keys(errors), ['subscription1']);
  });
});

describe('The connection form: what the host accepts and what the page keeps', () => {
  const sent = (overrides: Record<string, unknown> = {}) => ({ id: 'opened', name: 'Office', host: 'broker.office.lan', port: 1883, ...overrides });

  it('saves under the id the form was opened for, and refuses a form that names another profile', () => {
    const accepted = profileFromForm(sent(), 'opened');
    assert.ok('profile' in accepted);
    assert.equal(accepted.profile.id, 'opened');
    const withoutId = profileFromForm(sent({ id: undefined }), 'host-given');
    assert.ok('profile' in withoutId && withoutId.profile.id === 'host-given', 'a new form gets its id from the host');
    for (const id of ['victim', '', 42, null]) {
      const refused = profileFromForm(sent({ id }), 'opened');
      assert.ok('error' in refused, `id ${JSON.stringify(id)} is refused`);
      assert.match(refused.error, /another connection than the one it was opened for/);
    }
  });

  it('refuses what is no valid profile, naming the problem', () => {
    assert.deepEqual(profileFromForm('x', 'opened'), { error: 'Not saved: the form sent no usable profile.' });
    assert.deepEqual(profileFromForm(sent({ host: undefined }), 'opened'), { error: 'Not saved: the form sent no usable profile.' });
    const bad = profileFromForm(sent({ port: 70000 }), 'opened');
    assert.ok('error' in bad && /port/i.test(bad.error));
  });

  it('keeps everything typed in the stored draft but the password and the passphrase', () => {
    const draft = { ...profileToDraft(newProfile('p', { username: 'dev' })), password: 'hunter2', keyPassphrase: 'open sesame', forgetPassword: false };
    const stored = withoutSecrets(draft);
    assert.ok(!('password' in stored) && !('keyPassphrase' in stored));
    assert.equal(stored.username, 'dev');
    assert.equal(stored.forgetPassword, false);
    assert.ok(!JSON.stringify(stored).includes('hunter2') && !JSON.stringify(stored).includes('open sesame'));
    assert.deepEqual(typedSecrets(draft), ['password', 'keyPassphrase']);
    assert.deepEqual(typedSecrets({ ...draft, password: '', keyPassphrase: false }), []);
  });
});
