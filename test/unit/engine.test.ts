import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EngineClient, type TopicChanges } from '../../src/host/engine/engineClient';
import { LocalBroker } from '../../src/devtools/localBroker';
import { DEFAULT_LIMITS } from '../../src/worker/topicTree';
import { MAX_ROWS_PER_TURN, ROW_REFRESH_MS } from '../../src/worker/changeTracker';
import type { NodeRef } from '../../src/shared/engineProtocol';
import { newProfile } from '../../src/shared/profile';
import { connectSubscribed, nextChanges as changesOf } from '../helpers/engine';
import { waitFor } from '../helpers/waitFor';

const ROOT: NodeRef = { root: true };

/** Retained messages arrive in the worker after the publisher's PUBACK: wait, bounded, until it knows them. */
async function waitForRetained(engine: EngineClient, connectionId: string, id: number, expected: string[]): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = await engine.request('retainedBelow', { connectionId, node: { id } });
    if (JSON.stringify(found.sort()) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) assert.fail(`retained below: ${JSON.stringify(found)}, expected ${JSON.stringify(expected)}`);
    await engine.request('stats', { connectionId });
  }
}

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

describe('The engine worker (a real worker thread, a real broker)', function () {
  this.timeout(20_000);
  let broker: LocalBroker;
  let engine: EngineClient;
  let publisher: mqtt.MqttClient;
  const connectionId = 'c1';

  const nextChanges = (predicate: (changes: TopicChanges) => boolean, what: string) => changesOf(engine, predicate, 5000, what);

  before(async () => {
    broker = new LocalBroker();
    await broker.start(0);
    engine = new EngineClient(WORKER);
    publisher = await mqtt.connectAsync(broker.url);
    // Retained before the engine subscribes, so it arrives flagged as retained.
    await publisher.publishAsync('plant/line-2/status', 'running', { qos: 1, retain: true });
    await connectSubscribed(engine, connectionId, { port: broker.port, subscriptions: [{ topic: 'plant/#', qos: 0 }] });
    await engine.request('watch', { connectionId, expanded: [ROOT], pinned: [] });
    const settled = nextChanges((c) => c.stats.received >= 5, 'the first messages');
    for (const [topic, payload] of [
      ['plant/line-1/speed', '42'],
      ['plant/line-1/temp', '{"celsius":71.5}'],
      ['plant/line-2/speed', '40'],
      ['plant/office/temp', '{"celsius":21}'],
    ]) {
      await publisher.publishAsync(topic, payload, { qos: 1 });
    }
    await settled;
  });

  after(async () => {
    await publisher?.endAsync();
    engine?.dispose();
    await broker?.stop();
  });

  it('answers a level of the tree, sorted, with snapshots', async () => {
    const level = await engine.request('children', { connectionId, parent: { topic: 'plant' }, sort: 'name', offset: 0, limit: 100 });
    assert.deepEqual(level.children.map((c) => c.name), ['line-1', 'line-2', 'office']);
    assert.equal(level.children[0].topicCount, 2);
    const byMessages = await engine.request('children', { connectionId, parent: { topic: 'plant/line-1' }, sort: 'messages', offset: 0, limit: 100 });
    assert.deepEqual(byMessages.children.map((c) => [c.name, c.last?.preview]), [
      ['speed', '42'],
      ['temp', '{"celsius":71.5}'],
    ]);
  });

  it('pages a level with many children', async () => {
    const page = await engine.request('children', { connectionId, parent: { topic: 'plant' }, sort: 'name', offset: 0, limit: 2 });
    assert.equal(page.children.length, 2);
    assert.equal(page.total, 3);
  });

  it('filters by substring, MQTT wildcard, regular expression, and payload', async () => {
    const visible = async (filter: { kind: 'substring' | 'wildcard' | 'regex'; target: 'topic' | 'payload'; pattern: string }, parent: string) =>
      (await engine.request('children', { connectionId, parent: { topic: parent }, sort: 'name', filter, offset: 0, limit: 100 })).children.map((c) => c.name);
    assert.deepEqual(await visible({ kind: 'substring', target: 'topic', pattern: 'TEMP' }, 'plant'), ['line-1', 'office']);
    assert.deepEqual(await visible({ kind: 'wildcard', target: 'topic', pattern: 'plant/+/speed' }, 'plant'), ['line-1', 'line-2']);
    assert.deepEqual(await visible({ kind: 'regex', target: 'topic', pattern: 'line-\\d/st' }, 'plant'), ['line-2']);
    assert.deepEqual(await visible({ kind: 'substring', target: 'payload', pattern: 'celsius' }, 'plant/line-1'), ['temp']);
    await assert.rejects(engine.request('children', { connectionId, parent: { topic: 'plant' }, sort: 'name', filter: { kind: 'regex', target: 'topic', pattern: '(' }, offset: 0, limit: 10 }), /Not a valid regular expression/);
  });

  it('reports only the shown rows that changed, with their snapshots, and nothing while hidden', async () => {
    await engine.request('watch', { connectionId, expanded: [ROOT, { topic: 'plant' }], pinned: [] });
    let report = nextChanges((c) => c.rows.some((row) => row.topic === 'plant/line-2/speed'), 'a change report');
    await engine.request('watch', { connectionId, expanded: [ROOT, { topic: 'plant' }, { topic: 'plant/line-2' }], pinned: [] });
    // The view lists the expanded levels: those children are its rows, and only they are reported.
    for (const parent of [ROOT, { topic: 'plant' }, { topic: 'plant/line-2' }]) await engine.request('children', { connectionId, parent, sort: 'name', offset: 0, limit: 100 });
    await publisher.publishAsync('plant/line-2/speed', '41');
    const seen = await report;
    // speed is a row (its parent plant/line-2 is expanded); its ancestors' own rows did not change.
    assert.deepEqual(seen.rows.map((row) => row.topic), ['plant/line-2/speed']);
    assert.equal(seen.rows[0].last?.preview, '41', 'the report carries the fresh snapshot');
    assert.deepEqual(seen.relist, [], 'no level gained a child');

    // A new topic: its parent level is re-listed, and the rows above it (their sub-topic counts) change.
    report = nextChanges((c) => c.relist.length > 0, 'a report with a new child');
    await publisher.publishAsync('plant/line-2/pressure', '3');
    const created = await report;
    assert.equal(created.relist.length, 1);
    assert.ok('id' in created.relist[0]);
    assert.deepEqual(created.rows.map((row) => row.topic).sort(), ['plant', 'plant/line-2'], 'the new topic itself comes with the re-listed level');

    // A wide level shows a page of its children: a child past the page is no row, and is not reported.
    const page = await engine.request('children', { connectionId, parent: { topic: 'plant/line-2' }, sort: 'name', offset: 0, limit: 1 });
    assert.deepEqual(page.children.map((child) => child.name), ['pressure']);
    report = nextChanges((c) => c.stats.received > created.stats.received, 'the report of a message past the page');
    await publisher.publishAsync('plant/line-2/speed', '40');
    assert.deepEqual((await report).rows, [], 'speed is past the page: VS Code has no row for it');

    await engine.request('visible', { visible: false });
    let reported = false;
    const listener = engine.onEvent((event) => {
      if (event.kind === 'changes') reported = true;
    });
    await publisher.publishAsync('plant/line-2/speed', '39');
    // A pinned-topic request answers only after the worker handled the message above.
    await engine.request('stats', { connectionId });
    await new Promise((resolve) => setTimeout(resolve, 400));
    listener.dispose();
    assert.equal(reported, false, 'no report while the view is hidden');
    await engine.request('visible', { visible: true });
    report = nextChanges((c) => c.pinned.some((update) => update.topic === 'plant/office/temp'), 'a pinned topic change');
    await engine.request('watch', { connectionId, expanded: [ROOT], pinned: ['plant/office/temp'] });
    await publisher.publishAsync('plant/office/temp', '{"celsius":22}');
    const pinned = await report;
    assert.deepEqual(pinned.pinned.map((update) => update.topic), ['plant/office/temp']);
    // The report carries what the panel shows next: the new row and the newest message, no request back.
    const [update] = pinned.pinned;
    const newest = update.recent.at(-1);
    assert.deepEqual([newest?.seq, Buffer.from(newest?.payload ?? []).toString()], [update.window.nextSeq - 1, '{"celsius":22}']);
    assert.equal(Buffer.from(update.latest.payload).toString(), '{"celsius":22}');
    report = nextChanges((c) => c.pinned.some((one) => one.topic === 'plant/office/temp'), 'the next pinned report');
    await publisher.publishAsync('plant/office/temp', '{"celsius":23}');
    const next = (await report).pinned[0];
    assert.deepEqual(next.recent.map((entry) => Buffer.from(entry.payload).toString()), ['{"celsius":23}'], 'the next report carries only the new row');
    assert.deepEqual(pinned.rows, [], 'plant/office/temp is not a row: only plant is shown, and it did not change');
  });

  it('under a flood reports each shown row at most once a second and at most MAX_ROWS_PER_TURN rows a report, and then every row\'s newest value', async () => {
    const rows = Array.from({ length: 100 }, (_, index) => `plant/pace/row-${index}`);
    const sent = new Map<string, number>();
    const publishRound = async (value: string) => {
      await Promise.all(rows.map((topic) => publisher.publishAsync(topic, value, { qos: 1 })));
      for (const topic of rows) sent.set(topic, (sent.get(topic) ?? 0) + 1);
    };
    const before = (await engine.request('stats', { connectionId })).received;
    const arrived = nextChanges((c) => c.stats.received >= before + rows.length, 'the first message of each row');
    await publishRound('0');
    await arrived;
    await engine.request('watch', { connectionId, expanded: [ROOT, { topic: 'plant' }, { topic: 'plant/pace' }], pinned: [] });
    for (const parent of [ROOT, { topic: 'plant' }]) await engine.request('children', { connectionId, parent, sort: 'name', offset: 0, limit: 100 });
    const listed = await engine.request('children', { connectionId, parent: { topic: 'plant/pace' }, sort: 'name', offset: 0, limit: 200 });
    assert.equal(listed.children.length, rows.length, 'the 100 rows are listed: VS Code shows them');

    const reports: { rows: string[] }[] = [];
    const latest = new Map<string, number>();
    const listener = engine.onEvent((event) => {
      if (event.kind !== 'changes' || event.connectionId !== connectionId) return;
      reports.push({ rows: event.rows.map((row) => row.topic) });
      for (const row of event.rows) latest.set(row.topic, row.messageCount);
    });
    try {
      // A flood of at least 2.5 s over every row (bounded: 200 rounds at most).
      const startedAt = Date.now();
      for (let round = 1; round <= 200 && Date.now() - startedAt < 2500; round++) await publishRound(String(round));
      const floodMs = Date.now() - startedAt;
      const allShown = () => rows.every((topic) => latest.get(topic) === sent.get(topic));
      // Nothing is lost: the rows held back get their turn after the flood (at most 100 / 40 turns a second apart).
      if (!allShown()) await nextChanges(() => allShown(), 'every row\'s newest value').catch(() => undefined);
      if (!allShown()) await nextChanges(() => allShown(), 'every row\'s newest value, a turn later');
      assert.ok(allShown(), 'each row was last reported with its newest message count');

      assert.ok(reports.every((report) => report.rows.length <= MAX_ROWS_PER_TURN), `a report carried ${Math.max(...reports.map((report) => report.rows.length))} rows`);
      const perRow = new Map<string, number>();
      for (const report of reports) for (const topic of report.rows) perRow.set(topic, (perRow.get(topic) ?? 0) + 1);
      // Each row at most once per ROW_REFRESH_MS during the flood, plus its turn after it (and one of slack for the edges).
      const allowed = Math.ceil(floodMs / ROW_REFRESH_MS) + 2;
      const most = Math.max(...perRow.values());
      assert.ok(most <= allowed, `a row was reported ${most} times in ${floodMs} ms of flood (at most ${allowed})`);
      const messages = [...sent.values()].reduce((sum, count) => sum + count, 0);
      assert.ok(messages >= 2 * rows.length * Math.ceil(floodMs / ROW_REFRESH_MS), `the flood changed each row more often than it was reported (${messages} messages)`);
    } finally {
      listener.dispose();
      // The tests after this one know the plant level without these rows.
      await engine.request('clear', { connectionId, node: { topic: 'plant/pace' } });
    }
  });

  it('names the root apart from the empty first level of topics that start with "/"', async () => {
    // Retained before the subscription, so it arrives flagged as retained.
    await publisher.publishAsync('/plant/devices/kept', 'r', { qos: 1, retain: true });
    await engine.request('addSubscription', { connectionId, spec: { topic: '/plant/#', qos: 0 } });
    const received = (await engine.request('stats', { connectionId })).received;
    const settled = nextChanges((c) => c.stats.received >= received + 3, 'three topics with empty levels');
    for (const topic of ['/plant/devices/a', 'plant//x', 'plant/']) await publisher.publishAsync(topic, 'v', { qos: 1 });
    await settled;
    await engine.request('watch', { connectionId, expanded: [ROOT], pinned: [] });
    const root = await engine.request('children', { connectionId, parent: ROOT, sort: 'name', offset: 0, limit: 100 });
    const empty = root.children.find((child) => child.name === '');
    assert.ok(empty, 'the empty first level is a row of the root');
    const below = await engine.request('children', { connectionId, parent: { id: empty.id }, sort: 'name', offset: 0, limit: 100 });
    assert.deepEqual(below.children.map((child) => child.topic), ['/plant'], 'it lists its own children, not the root again');
    const plant = await engine.request('children', { connectionId, parent: { topic: 'plant' }, sort: 'name', offset: 0, limit: 100 });
    assert.ok(plant.children.some((child) => child.name === '' && child.topic === 'plant/'), '"plant/" is a row of its own');
    // Retained and clear act on that subtree alone.
    await waitForRetained(engine, connectionId, empty.id, ['/plant/devices/kept']);
    const everything = (await engine.request('retainedBelow', { connectionId, node: ROOT })).sort();
    assert.ok(everything.includes('plant/line-2/status') && everything.includes('/plant/devices/kept'), 'the root holds both');
    await engine.request('clear', { connectionId, node: { id: empty.id } });
    const after = await engine.request('children', { connectionId, parent: ROOT, sort: 'name', offset: 0, limit: 100 });
    assert.ok(!after.children.some((child) => child.name === ''), 'the empty level is gone');
    assert.ok(after.children.some((child) => child.name === 'plant'), 'the rest of the connection stays');
    const gone = await engine.request('children', { connectionId, parent: { id: empty.id }, sort: 'name', offset: 0, limit: 100 });
    assert.deepEqual(gone, { children: [], total: 0 }, 'a cleared node\'s id names nothing, never the root');
    await engine.request('clear', { connectionId, node: { topic: 'plant/' } });
    await engine.request('removeSubscription', { connectionId, topic: '/plant/#' });
    await publisher.publishAsync('/plant/devices/kept', '', { qos: 1, retain: true });
  });

  it('knows the retained topics below a node, and clears a subtree from the view', async () => {
    assert.deepEqual(await engine.request('retainedBelow', { connectionId, node: { topic: 'plant' } }), ['plant/line-2/status']);
    await engine.request('clear', { connectionId, node: { topic: 'plant/line-1' } });
    const level = await engine.request('children', { connectionId, parent: { topic: 'plant' }, sort: 'name', offset: 0, limit: 100 });
    assert.deepEqual(level.children.map((c) => c.name), ['line-2', 'office']);
    const node = await engine.request('node', { connectionId, topic: 'plant/line-2/speed', history: 10 });
    assert.deepEqual(node?.history.map((m) => Buffer.from(m.payload).toString()), ['40', '41', '40', '39']);
  });

  it('numbers a topic\'s history, pages it from either end, and starts over when the topic is cleared', async () => {
    const topic = 'plant/history/t';
    const received = (await engine.request('stats', { connectionId })).received;
    const settled = nextChanges((c) => c.stats.received >= received + 5, 'five more messages');
    for (let n = 1; n <= 5; n++) await publisher.publishAsync(topic, JSON.stringify({ 'a.b': n, list: [n, 2 * n], x: { y: -n }, name: 'p' }), { qos: 1 });
    await settled;
    const page = await engine.request('history', { connectionId, topic, from: 0, count: 100, payloadBytes: 4 });
    assert.ok(page);
    assert.deepEqual(page.entries.map((entry) => entry.seq), [0, 1, 2, 3, 4]);
    assert.deepEqual({ first: page.window.firstSeq, next: page.window.nextSeq }, { first: 0, next: 5 });
    assert.equal(Buffer.from(page.entries[0].payload).toString(), '{"a.', 'payload cut to payloadBytes');
    assert.equal(page.entries[0].kept, page.entries[0].size, 'the engine kept it whole');
    const newest = await engine.request('history', { connectionId, topic, from: -2, count: 2, payloadBytes: Infinity });
    assert.deepEqual(newest?.entries.map((entry) => (JSON.parse(Buffer.from(entry.payload).toString()) as { list: number[] }).list[0]), [4, 5]);

    const series = await engine.request('series', { connectionId, topic, paths: [], maxPoints: 100 });
    assert.deepEqual(series?.available, ['["a.b"]', 'list[0]', 'list[1]', 'x.y']);
    assert.deepEqual(series?.series.map((one) => one.path), ['["a.b"]', 'list[0]', 'list[1]'], 'the first three fields by default');
    const picked = await engine.request('series', { connectionId, topic, paths: ['x.y', 'list[1]'], maxPoints: 100 });
    assert.deepEqual(picked?.series.map((one) => one.points.map((point) => point.v)), [
      [-1, -2, -3, -4, -5],
      [2, 4, 6, 8, 10],
    ]);

    const listed = await engine.request('topicList', { limit: 1000 });
    assert.ok(listed.some((entry) => entry.connectionId === connectionId && entry.topic === topic && entry.messageCount === 5));

    const everything = nextChanges((c) => c.reset, 'a report that everything changed, for open panels');
    await engine.request('clear', { connectionId, node: { topic } });
    await everything;
    const again = nextChanges((c) => c.stats.received >= received + 6, 'the message after the clear');
    await publisher.publishAsync(topic, '7', { qos: 1 });
    await again;
    const fresh = await engine.request('history', { connectionId, topic, from: 0, count: 10, payloadBytes: 10 });
    assert.ok(fresh);
    assert.notEqual(fresh.window.nodeId, page.window.nodeId, 'a cleared topic is a new node');
    assert.deepEqual(fresh.entries.map((entry) => [entry.seq, Buffer.from(entry.payload).toString()]), [[0, '7']]);
  });

  it('moves the history window when the limits drop old messages', async () => {
    const topic = 'plant/history/limited';
    await engine.request('setLimits', { limits: { ...DEFAULT_LIMITS, messagesPerTopic: 3 } });
    try {
      const received = (await engine.request('stats', { connectionId })).received;
      const settled = nextChanges((c) => c.stats.received >= received + 5, 'five limited messages');
      for (let n = 0; n < 5; n++) await publisher.publishAsync(topic, String(n), { qos: 1 });
      await settled;
      const page = await engine.request('history', { connectionId, topic, from: 0, count: 10, payloadBytes: 10 });
      assert.deepEqual({ first: page?.window.firstSeq, next: page?.window.nextSeq, dropped: page?.window.dropped }, { first: 2, next: 5, dropped: 2 });
      assert.deepEqual(page?.entries.map((entry) => [entry.seq, Buffer.from(entry.payload).toString()]), [[2, '2'], [3, '3'], [4, '4']], 'a seq keeps naming the same message');
    } finally {
      await engine.request('setLimits', { limits: DEFAULT_LIMITS });
    }
  });

  it('reports a topic a panel shows even while the Topics view is hidden', async () => {
    await engine.request('visible', { visible: false });
    try {
      await engine.request('watch', { connectionId, expanded: [ROOT], pinned: ['plant/line-1/speed'] });
      const report = nextChanges((c) => c.pinned.some((update) => update.topic === 'plant/line-1/speed'), 'the pinned topic while hidden');
      await publisher.publishAsync('plant/line-1/speed', '43');
      const seen = await report;
      assert.deepEqual(seen.pinned.map((update) => update.topic), ['plant/line-1/speed']);
      assert.deepEqual(seen.rows, [], 'not the hidden rows');
    } finally {
      await engine.request('visible', { visible: true });
    }
  });

  it('refuses a TLS file that is a FIFO or a device at once, naming the field, and keeps answering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqtt-explorer-engine-tls-'));
    const fifo = join(dir, 'ca.pem');
    execFileSync('mkfifo', [fifo]);
    const backoff = { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 };
    const failure = (id: string) => waitFor((listener: (reason: string) => void) => engine.onEvent((event) => (event.kind === 'state' && event.connectionId === id && event.state.kind === 'failed' ? listener(event.state.reason) : undefined)), () => true, 3000, `${id} failing`);
    try {
      // A relative path, read from the workspace folder the host sends along: the FIFO there.
      const failed = failure('tls-fifo');
      const profile = newProfile('tls-fifo', { host: '127.0.0.1', port: broker.port, protocol: 'mqtts', mqttVersion: 4, tls: { verify: true, caFile: 'ca.pem' } });
      // A blocking open would wait for a writer forever: the deadline makes that a failure, not a hang.
      await assert.rejects(engine.request('connect', { connectionId: 'tls-fifo', profile, secrets: {}, backoff, workspaceFolder: dir }, { timeoutMs: 3000 }), {
        message: `CA certificate: ca.pem (${fifo}) is not a regular file (a named pipe).`,
      });
      assert.equal(await failed, `CA certificate: ca.pem (${fifo}) is not a regular file (a named pipe).`, 'the failed state says the same, for the Connections view');

      const device = newProfile('tls-zero', { host: '127.0.0.1', port: broker.port, protocol: 'mqtts', mqttVersion: 4, tls: { verify: true, keyFile: '/dev/zero' } });
      await assert.rejects(engine.request('connect', { connectionId: 'tls-zero', profile: device, secrets: {}, backoff }, { timeoutMs: 3000 }), {
        message: 'Client key: /dev/zero is not a regular file (a character device).',
      });
      // The engine goes on: the other connection still answers, and still receives.
      const stats = await engine.request('stats', { connectionId }, { timeoutMs: 2000 });
      const report = nextChanges((c) => c.stats.received > stats.received, 'a message after the refusals');
      await publisher.publishAsync('plant/line-1/speed', '44');
      await report;
    } finally {
      // Releases a reader left blocked on the FIFO (if the guard broke), then cleans up.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // Nobody reads it.
      }
      await engine.request('remove', { connectionId: 'tls-fifo' }).catch(() => undefined);
      await engine.request('remove', { connectionId: 'tls-zero' }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
