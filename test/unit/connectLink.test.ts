import * as assert from 'node:assert/strict';
import { MAX_QUERY_CHARS, parseConnectLink, type ConnectLink } from '../../src/shared/connectLink';
import { newProfile, validateProfile } from '../../src/shared/profile';

/**
 * The query as the URI handler receives it: VS Code's URI parser decodes every percent-escape of
 * the link once (vscode.Uri.query), and so does this.
 */
function query(link: string): string {
  const raw = link.slice(link.indexOf('?') + 1);
  return raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => {
    try {
      return decodeURIComponent(escapes);
    } catch {
      return escapes;
    }
  });
}

function parsed(link: string): ConnectLink {
  const result = parseConnectLink(query(link));
  if ('error' in result) assert.fail(`unexpected error: ${result.error}`);
  return result;
}

function refused(link: string): string {
  const result = parseConnectLink(query(link));
  assert.ok('error' in result, `expected an error for ${link.slice(0, 100)}`);
  return result.error;
}

const BASE = 'vscode://mqtt-explorer-dev.mqtt-explorer/connect';

describe('Connect links', () => {
  it('reads each protocol, with its default port when the link has none', () => {
    assert.deepEqual(parsed(`${BASE}?url=mqtt://broker.example:1884&name=Plant`).fields, { protocol: 'mqtt', host: 'broker.example', port: 1884, name: 'Plant' });
    assert.equal(parsed(`${BASE}?url=mqtt://broker.example`).fields.port, 1883);
    assert.equal(parsed(`${BASE}?url=mqtts://broker.example`).fields.port, 8883);
    assert.equal(parsed(`${BASE}?url=ws://broker.example`).fields.port, 8080);
    const wss = parsed(`${BASE}?url=wss://broker.example:443/mqtt-ws`).fields;
    assert.deepEqual([wss.protocol, wss.port, wss.path], ['wss', 443, '/mqtt-ws']);
    assert.equal(parsed(`${BASE}?url=ws://broker.example:80`).fields.port, 80, 'a web default port written in the link is kept');
    assert.equal(parsed(`${BASE}?url=MQTTS://Broker.example:8884`).fields.protocol, 'mqtts', 'the scheme is case-insensitive');
  });

  it('takes the url parameter whether the link encodes it or not', () => {
    const plain = parsed(`${BASE}?url=mqtt://10.0.0.5:1883&name=Line%203`).fields;
    const encoded = parsed(`${BASE}?url=mqtt%3A%2F%2F10.0.0.5%3A1883&name=Line%203`).fields;
    assert.deepEqual(plain, encoded);
    assert.deepEqual([plain.host, plain.port, plain.name], ['10.0.0.5', 1883, 'Line 3']);
  });

  it('reads IPv6 addresses, with and without a port, and stores them without brackets', () => {
    assert.deepEqual(parsed(`${BASE}?url=mqtt://[::1]:1884`).fields, { protocol: 'mqtt', host: '::1', port: 1884, name: '::1:1884' });
    assert.equal(parsed(`${BASE}?url=mqtts://[2001:db8::10]`).fields.host, '2001:db8::10');
    refused(`${BASE}?url=mqtt://[::1:1884`);
  });

  it('names the connection after host and port when the link gives no name', () => {
    assert.equal(parsed(`${BASE}?url=mqtt://broker.example:1884`).fields.name, 'broker.example:1884');
    assert.equal(parsed(`${BASE}?url=mqtt://broker.example:1884&name=%20%20`).fields.name, 'broker.example:1884');
  });

  it('keeps an & (encoded as %26) and other characters inside a name', () => {
    assert.equal(parsed(`${BASE}?url=mqtt://h:1883&name=Lab%26Test`).fields.name, 'Lab&Test');
    assert.equal(parsed(`${BASE}?name=R%26D%20%2F%20100%25&url=mqtt://h:1883`).fields.name, 'R&D / 100%');
    assert.equal(parsed(`${BASE}?url=mqtt://h:1883&name=K%C3%BChlhaus%20%23%204`).fields.name, 'Kühlhaus # 4');
    // A parameter after the name still starts a parameter of its own.
    const both = parsed(`${BASE}?name=A%26B&clientId=plant-7&url=mqtt://h:1883`).fields;
    assert.deepEqual([both.name, both.clientId], ['A&B', 'plant-7']);
  });

  it('takes the user name from the URL and the client id from its parameter', () => {
    const link = parsed(`${BASE}?url=mqtt://operator%40site@broker.example:1883&clientId=wiki-client`);
    assert.equal(link.fields.username, 'operator@site');
    assert.equal(link.fields.clientId, 'wiki-client');
    assert.equal(link.droppedPassword, false);
  });

  it('drops a password, in the URL or as a parameter, and says so', () => {
    const inUrl = parsed(`${BASE}?url=mqtt://alice:s3cret@broker.example:1883`);
    assert.equal(inUrl.droppedPassword, true);
    assert.equal(inUrl.fields.username, 'alice');
    assert.ok(!JSON.stringify(inUrl.fields).includes('s3cret'), 'the password is nowhere in what the form gets');
    const asParam = parsed(`${BASE}?url=mqtt://broker.example&password=s3cret`);
    assert.equal(asParam.droppedPassword, true);
    assert.ok(!JSON.stringify(asParam.fields).includes('s3cret'));
  });

  it('refuses every other scheme, naming it', () => {
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'http://broker.example', 'https://x', 'data:text/html,hi', 'vscode://x/y', 'tcp://h:1883']) {
      const error = refused(`${BASE}?url=${encodeURIComponent(url)}`);
      assert.match(error, /mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//, url);
    }
    assert.match(refused(`${BASE}?url=broker.example:1883`), /not a broker address/);
  });

  it('refuses links without a url, without a host, or with a port out of range', () => {
    assert.match(refused(`${BASE}`), /no broker address/);
    assert.match(refused(`${BASE}?name=x`), /no broker address/);
    assert.match(refused(`${BASE}?url=`), /no broker address/);
    refused(`${BASE}?url=mqtt://:1883`);
    refused(`${BASE}?url=mqtt://h:65536`);
    refused(`${BASE}?url=mqtt://h:0`);
    refused(`${BASE}?url=mqtt://h:port`);
  });

  it('bounds what it reads: long links, names, hosts and user names are refused, quoted briefly', () => {
    assert.match(refused(`${BASE}?url=mqtt://h:1883&name=${'x'.repeat(MAX_QUERY_CHARS)}`), /too long/);
    assert.match(refused(`${BASE}?url=mqtt://h:1883&name=${'x'.repeat(201)}`), /too long/);
    assert.match(refused(`${BASE}?url=mqtt://${'h'.repeat(254)}:1883`), /too long/);
    assert.match(refused(`${BASE}?url=mqtt://${'u'.repeat(257)}@h:1883`), /too long/);
    assert.match(refused(`${BASE}?url=mqtt://h:1883&clientId=${'c'.repeat(257)}`), /too long/);
    const error = refused(`${BASE}?url=gopher://${'g'.repeat(3000)}`);
    assert.ok(error.length < 300, 'the message does not echo the whole link');
    assert.match(refused(`${BASE}?url=mqtt://h:1883&name=a%0Ab`), /control characters/);
  });

  it('gives fields that make a valid profile', () => {
    for (const link of [`${BASE}?url=mqtt://[::1]:1884&name=A%26B`, `${BASE}?url=wss://u@broker.example/ws&clientId=c1`, `${BASE}?url=mqtts://broker.example`]) {
      const profile = newProfile('p1', parsed(link).fields);
      assert.deepEqual(validateProfile(profile), {}, link);
    }
  });
});
