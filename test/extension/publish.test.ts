import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import * as vscode from 'vscode';
import type { PublishResult } from '../../src/shared/publish';
import { newProfile } from '../../src/shared/profile';
import type { TestInternals } from '../../src/host/api';
import { Mosquitto } from '../helpers/mosquitto';
import { nextMessage } from '../helpers/mqttMessages';
import { explorer, saveAndConnect } from './explorer';

const CONNECTION_ID = 'publish-test-mosquitto';

describe('"MQTT: Publish" with arguments, against Debian mosquitto (MQTT 5)', function () {
  this.timeout(60_000);
  let api: TestInternals;
  let broker: Mosquitto;
  let subscriber: mqtt.MqttClient;

  before(async () => {
    api = await explorer();
    broker = await Mosquitto.create();
    const profile = newProfile(CONNECTION_ID, { name: 'Publish test', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'none/#', qos: 0 }] });
    await saveAndConnect(api, profile);
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { protocolVersion: 5 });
    await subscriber.subscribeAsync('pub/#', { qos: 2 });
  });

  after(async () => {
    await subscriber?.endAsync();
    await api?.profiles.remove(CONNECTION_ID);
    await broker?.dispose();
  });

  const publish = (args: Record<string, unknown>) => vscode.commands.executeCommand<PublishResult | undefined>('mqttExplorer.publish', { connectionId: CONNECTION_ID, ...args });

  for (const [qos, ack] of [
    [0, 'none'],
    [1, 'puback'],
    [2, 'pubcomp'],
  ] as const) {
    it(`QoS ${qos}: the bytes arrive as they were given, and the answer is ${ack}`, async () => {
      const topic = `pub/qos${qos}`;
      const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x0a, 0xc3, 0x28]); // not UTF-8
      const arrived = nextMessage(subscriber, topic);
      const result = await publish({ topic, payload: bytes.toString('hex'), format: 'hex', qos });
      assert.deepEqual(result, { ack, reasonCode: 0, reason: 'Success' });
      const { payload, packet } = await arrived;
      assert.deepEqual(payload, bytes, 'byte for byte');
      assert.equal(packet.qos, qos);
      assert.equal(packet.retain, false);
    });
  }

  it('text and JSON go as typed (UTF-8), base64 as its bytes', async () => {
    for (const [format, typed, expected] of [
      ['text', 'température 🌡 21°C', Buffer.from('température 🌡 21°C')],
      ['json', '{ "b": 2,   "a": [1, 2.50] }', Buffer.from('{ "b": 2,   "a": [1, 2.50] }')],
      ['base64', 'AAEC/w==', Buffer.from([0, 1, 2, 255])],
    ] as const) {
      const arrived = nextMessage(subscriber, `pub/${format}`);
      await publish({ topic: `pub/${format}`, payload: typed, format, qos: 1 });
      assert.deepEqual((await arrived).payload, expected, format);
    }
  });

  it('MQTT 5 properties arrive intact', async () => {
    const arrived = nextMessage(subscriber, 'pub/props');
    await publish({
      topic: 'pub/props',
      payload: '{"on":true}',
      format: 'json',
      qos: 1,
      properties: { contentType: 'application/json', payloadFormatIndicator: true, messageExpiryInterval: 3600, responseTopic: 'pub/reply', correlationData: 'req-42', userProperties: [['site', 'berlin'], ['trace', 'a'], ['trace', 'b']] },
    });
    const properties = (await arrived).packet.properties ?? {};
    assert.equal(properties.contentType, 'application/json');
    assert.equal(properties.payloadFormatIndicator, true);
    assert.ok(properties.messageExpiryInterval !== undefined && properties.messageExpiryInterval <= 3600 && properties.messageExpiryInterval > 3500, `expiry ${properties.messageExpiryInterval}`);
    assert.equal(properties.responseTopic, 'pub/reply');
    assert.deepEqual(properties.correlationData, Buffer.from('req-42'));
    assert.deepEqual({ ...properties.userProperties }, { site: 'berlin', trace: ['a', 'b'] });
  });

  it('a retained publish is then seen as retained by a new subscriber', async () => {
    const result = await publish({ topic: 'pub/retained', payload: 'kept', qos: 1, retain: true });
    assert.equal(result?.ack, 'puback');
    const late = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { protocolVersion: 5 });
    try {
      const arrived = nextMessage(late, 'pub/retained');
      await late.subscribeAsync('pub/retained', { qos: 1 });
      const { payload, packet } = await arrived;
      assert.equal(payload.toString(), 'kept');
      assert.equal(packet.retain, true);
    } finally {
      await late.endAsync();
    }
    // An empty retained message deletes it.
    await publish({ topic: 'pub/retained', payload: '', qos: 1, retain: true });
  });

  it('no subscriber: the PUBACK says so; a bad topic or payload is refused before anything is sent', async () => {
    assert.deepEqual(await publish({ topic: 'nobody/listens', payload: 'x', qos: 1 }), { ack: 'puback', reasonCode: 0x10, reason: 'No matching subscribers' });
    // At QoS 2 a reason would come in PUBREC; mosquitto 2.0 sends 0x10 in PUBACK only (PUBREC and PUBCOMP say 0).
    assert.deepEqual(await publish({ topic: 'nobody/listens', payload: 'x', qos: 2 }), { ack: 'pubcomp', reasonCode: 0, reason: 'Success' });
    // The command reports errors to the user and resolves with nothing.
    assert.equal(await publish({ topic: 'pub/+/bad', payload: 'x' }), undefined);
    assert.equal(await publish({ topic: 'pub/bad-json', payload: '{', format: 'json' }), undefined);
    assert.equal(await publish({ topic: 'pub/x', qos: 5 }), undefined);
  });
});
