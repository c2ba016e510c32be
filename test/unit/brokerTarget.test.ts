import * as assert from 'node:assert/strict';
import { describeTarget, isLoopbackHost, passwordGoesInClear } from '../../src/shared/brokerTarget';
import { newProfile } from '../../src/shared/profile';

describe('Broker targets: where a password goes', () => {
  it('loopback names and addresses are this machine; anything else is not', () => {
    for (const host of ['localhost', 'LOCALHOST', 'localhost.', 'dev.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '0000::0001', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of ['broker.example', 'localhost.example.com', 'mylocalhost', '127.0.0.256', '128.0.0.1', '10.0.0.1', '::', '::2', '1::1', '::1:1', 'fe80::1', '127.0.0.1.nip.io', '']) {
      assert.ok(!isLoopbackHost(host), host);
    }
  });

  it('a password goes in clear over mqtt:// and ws:// to another machine only', () => {
    const at = (protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss', host: string) => passwordGoesInClear(newProfile('p', { protocol, host }));
    assert.ok(at('mqtt', 'broker.example'));
    assert.ok(at('ws', '192.0.2.1'));
    assert.ok(!at('mqtts', 'broker.example'));
    assert.ok(!at('wss', 'broker.example'));
    assert.ok(!at('mqtt', '127.0.0.1'));
    assert.ok(!at('ws', 'localhost'));
  });

  it('describes the broker and, over TLS, what is trusted when it is not the default', () => {
    assert.equal(describeTarget(newProfile('p', { host: 'b.example', port: 1883 })), 'mqtt://b.example:1883');
    assert.equal(describeTarget(newProfile('p', { host: 'b.example', port: 1883, username: 'dev' })), 'mqtt://b.example:1883 as dev');
    assert.equal(
      describeTarget(newProfile('p', { protocol: 'mqtts', host: 'b.example', port: 8883, username: 'dev', tls: { verify: false, serverName: 'x.example', caFile: '/ca.pem' } })),
      'mqtts://b.example:8883 as dev (certificate not verified, certificate name x.example, CA /ca.pem)',
    );
    assert.equal(describeTarget(newProfile('p', { protocol: 'mqtt', host: 'b.example', port: 1, tls: { verify: false } })), 'mqtt://b.example:1', 'TLS options do not count without TLS');
  });
});
