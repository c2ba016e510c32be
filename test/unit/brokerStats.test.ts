import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { brokerName, extraLabel, FIGURE_KEYS, figureLabel, formatFigure, howToEnableSys, MAX_EXTRAS, parseDuration, parseFigure, parseSysMessage, type SysParse } from '../../src/shared/brokerStats';
import { BrokerStatsState, MAX_POINTS_PER_FIGURE } from '../../src/worker/brokerStats';

const text = (value: string) => new TextEncoder().encode(value);
const parse = (topic: string, payload: string | Uint8Array): SysParse => parseSysMessage(topic, typeof payload === 'string' ? text(payload) : payload);
const reading = (topic: string, payload: string) => {
  const result = parse(topic, payload);
  assert.ok(result.ok, `${topic} = ${payload} is understood`);
  return result;
};
const connection = { connectedSince: 1, subscription: { state: 'active', filter: '$SYS/#' } as const };

describe('Broker statistics: $SYS topics per broker (src/shared/brokerStats.ts)', () => {
  it('reads mosquitto 2 names (as Debian mosquitto 2.0 publishes them)', () => {
    assert.deepEqual(reading('$SYS/broker/clients/connected', '3'), { ok: true, broker: 'mosquitto', reading: { kind: 'gauge', figure: 'clients', value: 3 } });
    assert.deepEqual(reading('$SYS/broker/messages/received', '42').reading, { kind: 'counter', figure: 'messagesIn', value: 42 });
    assert.deepEqual(reading('$SYS/broker/messages/sent', '110').reading, { kind: 'counter', figure: 'messagesOut', value: 110 });
    assert.deepEqual(reading('$SYS/broker/bytes/received', '4354').reading, { kind: 'counter', figure: 'bytesIn', value: 4354 });
    assert.deepEqual(reading('$SYS/broker/bytes/sent', '10').reading, { kind: 'counter', figure: 'bytesOut', value: 10 });
    assert.deepEqual(reading('$SYS/broker/load/messages/received/1min', '120.00').reading, { kind: 'load', figure: 'messagesIn', perSecond: 2 });
    assert.deepEqual(reading('$SYS/broker/load/bytes/sent/1min', '2207.26').reading, { kind: 'load', figure: 'bytesOut', perSecond: 2207.26 / 60 });
    assert.deepEqual(reading('$SYS/broker/subscriptions/count', '7').reading, { kind: 'gauge', figure: 'subscriptions', value: 7 });
    assert.deepEqual(reading('$SYS/broker/retained messages/count', '53').reading, { kind: 'gauge', figure: 'retained', value: 53 });
    assert.deepEqual(reading('$SYS/broker/publish/messages/dropped', '0').reading, { kind: 'gauge', figure: 'dropped', value: 0 });
    assert.deepEqual(reading('$SYS/broker/uptime', '4 seconds'), { ok: true, broker: 'mosquitto', reading: { kind: 'gauge', figure: 'uptime', value: 4 } });
    assert.deepEqual(reading('$SYS/broker/version', 'mosquitto version 2.0.11').reading, { kind: 'version', text: 'mosquitto version 2.0.11' });
    assert.deepEqual(reading('$SYS/broker/heap/current', '46152').reading, { kind: 'extra', label: 'Heap', text: '45.1 KiB' });
    // The load averages of 5 and 15 minutes are not read: the 1-minute one is the rate's fallback.
    assert.deepEqual(parse('$SYS/broker/load/messages/received/5min', '1'), { ok: false, known: false, broker: 'mosquitto' });
  });

  it('reads mosquitto 1.x names', () => {
    assert.deepEqual(reading('$SYS/broker/clients/active', '2').reading, { kind: 'gauge', figure: 'clients', value: 2 });
    assert.deepEqual(reading('$SYS/broker/messages/retained/count', '5').reading, { kind: 'gauge', figure: 'retained', value: 5 });
    assert.deepEqual(reading('$SYS/broker/messages/publish/dropped', '9').reading, { kind: 'gauge', figure: 'dropped', value: 9 });
    assert.deepEqual(reading('$SYS/broker/load/bytes/received', '1000').reading, { kind: 'counter', figure: 'bytesIn', value: 1000 });
  });

  it('tells HiveMQ (its SYS-topic extension) by its version or its bare-number uptime', () => {
    assert.equal(reading('$SYS/broker/version', 'HiveMQ 4.9.0').broker, 'hivemq');
    assert.equal(reading('$SYS/broker/uptime', '3600').broker, 'hivemq');
    assert.deepEqual(reading('$SYS/broker/uptime', '3600').reading, { kind: 'gauge', figure: 'uptime', value: 3600 });
    assert.deepEqual(reading('$SYS/broker/load/messages/received/1min', '60').reading, { kind: 'load', figure: 'messagesIn', perSecond: 1 });
  });

  it('reads EMQX 4 and 5 names under $SYS/brokers/<node>/', () => {
    const node = 'emqx@127.0.0.1';
    assert.deepEqual(reading(`$SYS/brokers/${node}/version`, '5.8.0'), { ok: true, broker: 'emqx', node, reading: { kind: 'version', text: '5.8.0' } });
    // EMQX 5: milliseconds; EMQX 4: words.
    assert.deepEqual(reading(`$SYS/brokers/${node}/uptime`, '3723000').reading, { kind: 'gauge', figure: 'uptime', value: 3723 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/uptime`, '1 days, 2 hours, 3 minutes, 4 seconds').reading, { kind: 'gauge', figure: 'uptime', value: 93_784 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/stats/connections/count`, '12').reading, { kind: 'gauge', figure: 'clients', value: 12 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/stats/subscriptions/count`, '4').reading, { kind: 'gauge', figure: 'subscriptions', value: 4 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/stats/retained/count`, '3').reading, { kind: 'gauge', figure: 'retained', value: 3 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/metrics/messages/received`, '100').reading, { kind: 'counter', figure: 'messagesIn', value: 100 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/metrics/bytes/sent`, '100').reading, { kind: 'counter', figure: 'bytesOut', value: 100 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/metrics/messages/dropped`, '2').reading, { kind: 'gauge', figure: 'dropped', value: 2 });
    assert.deepEqual(reading(`$SYS/brokers/${node}/clients/device-1/connected`, '{"clientid":"device-1"}').reading, { kind: 'marker' });
    assert.deepEqual(reading('$SYS/brokers', 'emqx@127.0.0.1').reading, { kind: 'marker' });
  });

  it('reads aedes (heartbeat, client events) and the aedes-stats plugin under $SYS/<broker id>/', () => {
    assert.deepEqual(reading('$SYS/Hk3x9/heartbeat', 'Hk3x9'), { ok: true, broker: 'aedes', node: 'Hk3x9', reading: { kind: 'marker' } });
    assert.deepEqual(reading('$SYS/Hk3x9/new/clients', 'device-1').reading, { kind: 'marker' });
    assert.deepEqual(reading('$SYS/Hk3x9/uptime', '61').reading, { kind: 'gauge', figure: 'uptime', value: 61 });
    assert.deepEqual(reading('$SYS/Hk3x9/clients/total', '4').reading, { kind: 'gauge', figure: 'clients', value: 4 });
    assert.deepEqual(reading('$SYS/Hk3x9/messages/publish/sent', '900').reading, { kind: 'counter', figure: 'messagesIn', value: 900 });
    assert.deepEqual(reading('$SYS/Hk3x9/memory/heap/current', '2097152').reading, { kind: 'extra', label: 'Heap used', text: '2.0 MiB' });
    assert.deepEqual(reading('$SYS/Hk3x9/cpu/usage', '7').reading, { kind: 'extra', label: 'CPU %', text: '7' });
    assert.deepEqual(parse('$SYS/Hk3x9/something/else', '1'), { ok: false, known: false });
  });

  it('refuses hostile payloads without throwing: huge, not numbers, negative, NaN, Infinity, control characters', () => {
    const topic = '$SYS/broker/clients/connected';
    for (const bad of ['-1', 'NaN', 'Infinity', '1e400', '', '   ', '12abc', '0x10', '1,000', '١٢', '--5', '1e', '.', '1..2']) {
      assert.deepEqual(parse(topic, bad), { ok: false, known: true, broker: 'mosquitto' }, JSON.stringify(bad));
    }
    assert.deepEqual(parse(topic, new Uint8Array(10 * 1024 * 1024).fill(0x31)), { ok: false, known: true, broker: 'mosquitto' });
    assert.deepEqual(parse(topic, new Uint8Array([0xff, 0xfe, 0x00])), { ok: false, known: true, broker: 'mosquitto' });
    assert.deepEqual(parse('$SYS/broker/uptime', 'forever seconds'), { ok: false, known: true, broker: 'mosquitto' });
    // A long run of digits is bounded by the pattern (no backtracking), and refused.
    assert.equal(parseFigure('9'.repeat(200)), undefined);
    assert.equal(parseDuration('1 days, '.repeat(30)), 8 * 86_400);
    const version = reading('$SYS/broker/version', `mosquitto\u0000\u202e<b>${'x'.repeat(200)}`);
    assert.ok(version.reading.kind === 'version' && version.reading.text.length <= 120 && !/[\u0000\u202e]/.test(version.reading.text));
    assert.deepEqual(parse(`$SYS/broker/${'a/'.repeat(1000)}`, '1'), { ok: false, known: false });
    assert.deepEqual(parse('not/sys', '1'), { ok: false, known: false });
    assert.deepEqual(parse('$SYS/', '1'), { ok: false, known: false });
    assert.deepEqual(parse('$SYS/brokers//uptime', '1'), { ok: false, known: false });
  });

  it('formats figures for tiles', () => {
    assert.equal(formatFigure('uptime', 93_784), '1 d 02:03:04');
    assert.equal(formatFigure('uptime', 4), '00:00:04');
    assert.equal(formatFigure('bytesIn', 2048), '2.0 KiB/s');
    assert.equal(formatFigure('messagesIn', 2.5), '2.50');
    assert.equal(formatFigure('clients', 12345), '12,345');
  });
});

describe('Broker statistics: a connection\u2019s figures over time (src/worker/brokerStats.ts)', () => {
  it('makes rates from cumulative counters, 0 when a counter was not published again by the next uptime tick, and no rate across a reset', () => {
    const state = new BrokerStatsState();
    const feed = (at: number, topic: string, value: string) => state.onMessage(`$SYS/broker/${topic}`, text(value), at);
    feed(0, 'uptime', '10 seconds');
    feed(0, 'messages/received', '100');
    feed(0, 'load/messages/received/1min', '600');
    assert.equal(state.snapshot('c', connection).figures.messagesIn?.source, 'load');
    feed(1000, 'uptime', '11 seconds');
    feed(1000, 'messages/received', '150');
    let snapshot = state.snapshot('c', connection);
    assert.deepEqual(snapshot.figures.messagesIn, { value: 50, at: 1000, source: 'counters' });
    // Once counters give a rate, the load average no longer replaces it.
    feed(1500, 'load/messages/received/1min', '6000');
    assert.equal(state.snapshot('c', connection).figures.messagesIn?.value, 50);
    feed(2000, 'uptime', '12 seconds');
    assert.equal(state.snapshot('c', connection).figures.messagesIn?.value, 50, 'published in the interval that just ended');
    feed(3000, 'uptime', '13 seconds');
    assert.equal(state.snapshot('c', connection).figures.messagesIn?.value, 0, 'not published for a whole interval: unchanged');
    feed(4000, 'messages/received', '10');
    snapshot = state.snapshot('c', connection);
    assert.equal(snapshot.resets, 1);
    assert.equal(snapshot.figures.messagesIn?.value, 0);
    assert.equal(snapshot.broker, 'mosquitto');
    assert.ok(snapshot.sysSeen);
    assert.equal(snapshot.sysMessages, 9);
  });

  it('makes no rate from a retained counter (its time is not when it was counted), and a retained uptime is no tick', () => {
    const state = new BrokerStatsState();
    state.onMessage('$SYS/broker/uptime', text('10 seconds'), 0, true);
    state.onMessage('$SYS/broker/messages/received', text('100'), 0, true);
    state.onMessage('$SYS/broker/uptime', text('12 seconds'), 300);
    state.onMessage('$SYS/broker/messages/received', text('500'), 300);
    assert.equal(state.snapshot('c', connection).figures.messagesIn, undefined);
    state.onMessage('$SYS/broker/uptime', text('14 seconds'), 2300);
    state.onMessage('$SYS/broker/messages/received', text('700'), 2300);
    assert.deepEqual(state.snapshot('c', connection).figures.messagesIn, { value: 100, at: 2300, source: 'counters' });
  });

  it('keeps one node, counts refused payloads and unknown topics apart, bounds the extras', () => {
    const state = new BrokerStatsState();
    state.onMessage('$SYS/brokers/a@host/stats/connections/count', text('5'), 1);
    state.onMessage('$SYS/brokers/b@host/stats/connections/count', text('9'), 2);
    state.onMessage('$SYS/brokers/a@host/stats/retained/count', text('-4'), 3);
    state.onMessage('$SYS/brokers/a@host/unknown/topic', text('1'), 4);
    for (let i = 0; i < MAX_EXTRAS + 5; i++) state.onMessage(`$SYS/Hk/cpu/avg/last/${i}`, text('1'), 5);
    const snapshot = state.snapshot('c', connection);
    assert.equal(snapshot.broker, 'emqx');
    assert.equal(snapshot.node, 'a@host');
    assert.equal(snapshot.figures.clients?.value, 5);
    assert.equal(snapshot.rejected, 1);
    assert.equal(snapshot.understood, 1);
    assert.ok(snapshot.extras.length <= MAX_EXTRAS);
  });

  it('bounds each series: the older half is thinned, the points dropped are counted, the memory is fixed', () => {
    const state = new BrokerStatsState();
    const total = MAX_POINTS_PER_FIGURE * 10;
    for (let i = 0; i < total; i++) state.onMessage('$SYS/broker/clients/connected', text(String(i % 7)), i * 1000);
    const snapshot = state.snapshot('c', connection);
    const clients = snapshot.series.find((series) => series.key === 'clients');
    assert.ok(clients);
    assert.ok(clients.t.length <= MAX_POINTS_PER_FIGURE);
    assert.equal(snapshot.points + snapshot.thinned, total);
    assert.equal(clients.t[clients.t.length - 1], (total - 1) * 1000, 'the newest point is kept');
    assert.equal(clients.t[0], 0, 'the first point is kept');
    assert.ok(clients.t.every((t, i) => i === 0 || t > clients.t[i - 1]), 'in time order');
    assert.equal(snapshot.bytes, MAX_POINTS_PER_FIGURE * 16);
  });
});

describe('Broker statistics from a real aedes (its own $SYS: heartbeat and client events)', () => {
  it('recognises aedes by its broker id, and has no figures without aedes-stats', async () => {
    const broker = await Aedes.createBroker({ heartbeatInterval: 100 });
    const server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const state = new BrokerStatsState();
    const watcher = await mqtt.connectAsync(url, { clientId: 'watcher' });
    let other: mqtt.MqttClient | undefined;
    try {
      const seen = new Set<string>();
      const events = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${[...seen].join(', ')} within 5 s`)), 5000);
        watcher.on('message', (topic, payload) => {
          state.onMessage(topic, payload, Date.now());
          seen.add(topic.split('/').slice(2).join('/'));
          if (seen.has('heartbeat') && seen.has('new/clients')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await watcher.subscribeAsync('$SYS/#');
      other = await mqtt.connectAsync(url, { clientId: 'other' });
      await events;
      const snapshot = state.snapshot('local', connection);
      assert.equal(snapshot.broker, 'aedes');
      assert.equal(snapshot.node, broker.id);
      assert.deepEqual(snapshot.figures, {});
      assert.equal(snapshot.rejected, 0);
      assert.ok(snapshot.understood >= 2);
    } finally {
      await other?.endAsync();
      await watcher.endAsync();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('Broker statistics: the Broker view\u2019s labels in the display language', () => {
  // The German bundle the extension ships, configured as the webview configures it (webview/localize.ts).
  const german = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'l10n', 'bundle.l10n.de.json'), 'utf8')) as Record<string, string>;
  afterEach(() => l10n.config({ contents: {} }));

  it('in English without a bundle; an extra the view does not know is shown as the engine named it', () => {
    assert.equal(figureLabel('clients'), 'Clients connected');
    assert.equal(brokerName('unknown'), 'Unknown broker');
    assert.equal(brokerName('emqx'), 'EMQX');
    assert.equal(extraLabel('Heap used'), 'Heap used');
    assert.equal(extraLabel('toString'), 'toString', 'no lookup through the prototype');
    assert.equal(extraLabel('Something new'), 'Something new');
  });

  it('in German: every tile, every extra that a $SYS message yields, the advice and the broker names', () => {
    const english = FIGURE_KEYS.map(figureLabel);
    l10n.config({ contents: german });
    FIGURE_KEYS.forEach((key, index) => assert.notEqual(figureLabel(key), english[index], `${key} has German`));
    assert.equal(figureLabel('clients'), 'Verbundene Clients');
    assert.equal(brokerName('unknown'), 'Unbekannter Broker');
    assert.equal(brokerName('mosquitto'), 'Mosquitto');
    assert.match(howToEnableSys(), /^Mosquitto veröffentlicht \$SYS/);
    // Extras as the parser reports them (English names, the engine's identity of a figure), shown in German.
    const extras: [string, string][] = [
      ['$SYS/broker/heap/maximum', '1024'],
      ['$SYS/broker/clients/maximum', '4'],
      ['$SYS/brokers/emqx@node/stats/sessions/count', '2'],
      ['$SYS/aedes-1/cpu/avg/last/15', '0.5'],
    ];
    const shown = extras.map(([topic, payload]) => {
      const result = parse(topic, payload);
      assert.ok(result.ok && result.reading.kind === 'extra', topic);
      return extraLabel(result.reading.label);
    });
    assert.deepEqual(shown, ['Heap höchstens', 'Clients höchstens', 'Sitzungen', 'Durchschnittliche Last (15 min)']);
  });
});
