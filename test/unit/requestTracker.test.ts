import * as assert from 'node:assert/strict';
import { RequestTracker, correlationPreview, type TracedMessage } from '../../src/worker/requestTracker';
import { describeExchange, LATENCY_SAMPLES, SNAPSHOT_RECENT_PER_TOPIC, SNAPSHOT_TOPICS, type RequestsSnapshot, type RequestTopicSummary } from '../../src/shared/requests';

const text = (value: string) => new TextEncoder().encode(value);

/** A tracker on a clock the test moves; `sees` says which response topics a subscription matches. */
function setup(options: ConstructorParameters<typeof RequestTracker>[1] = {}, sees: (topic: string) => boolean = () => true) {
  const clock = { now: 1_000_000 };
  const tracker = new RequestTracker(sees, { timeoutMs: 30_000, ...options }, () => clock.now);
  const send = (message: Partial<TracedMessage> & { topic: string }) => tracker.onMessage({ payload: text('{}'), ...message });
  const request = (topic: string, responseTopic: string, correlation?: string | Uint8Array, payload = '{"op":"get"}') =>
    send({ topic, responseTopic, correlationData: typeof correlation === 'string' ? text(correlation) : correlation, payload: text(payload) });
  const reply = (topic: string, correlation?: string | Uint8Array, payload = '{"ok":true}') => send({ topic, correlationData: typeof correlation === 'string' ? text(correlation) : correlation, payload: text(payload) });
  const snapshot = (): RequestsSnapshot => tracker.snapshot('c1');
  const topic = (name: string): RequestTopicSummary => {
    const found = snapshot().topics.find((t) => t.topic === name);
    assert.ok(found, `topic ${name} in the snapshot`);
    return found;
  };
  return { clock, tracker, request, reply, snapshot, topic, send };
}

describe('RequestTracker: MQTT 5 requests paired with their replies', () => {
  it('pairs a request with the reply that carries its correlation data, with the latency', () => {
    const { clock, request, reply, topic, snapshot } = setup();
    request('svc/get', 'clients/a/reply', 'id-1');
    clock.now += 1;
    request('svc/get', 'clients/a/reply', 'id-2');
    clock.now += 11;
    reply('clients/a/reply', 'id-2', '{"value":2}');
    clock.now += 8;
    reply('clients/a/reply', 'id-1', '{"value":1}');
    const svc = topic('svc/get');
    assert.equal(svc.total, 2);
    assert.equal(svc.answered, 2);
    assert.equal(svc.open, 0);
    assert.deepEqual(svc.latency, { avgMs: 15.5, p95Ms: 20, maxMs: 20 });
    const [newest, oldest] = svc.recent;
    assert.equal(oldest.correlation, '"id-1"');
    assert.equal(oldest.latencyMs, 20);
    assert.equal(oldest.replyPreview, '{"value":1}');
    assert.equal(oldest.requestPreview, '{"op":"get"}');
    assert.equal(newest.latencyMs, 11);
    assert.equal(oldest.responseTopic, 'clients/a/reply');
    assert.equal(describeExchange(oldest, 30_000), '20 ms');
    assert.deepEqual(snapshot().totals, { requests: 2, answered: 2, timedOut: 0, open: 0, evicted: 0, duplicates: 0, unmatchedReplies: 0, responseUnseen: 0, forgottenTopics: 0 });
  });

  it('a reply with other correlation data answers nothing and is counted; the request stays open', () => {
    const { clock, request, reply, topic, snapshot, tracker } = setup();
    request('svc/get', 'r', 'id-1');
    reply('r', 'id-9');
    reply('r', 'ID-1');
    assert.equal(tracker.openCount, 1);
    assert.equal(snapshot().totals.unmatchedReplies, 2);
    clock.now += 5;
    reply('r', 'id-1');
    assert.equal(topic('svc/get').answered, 1);
    // A message on an unrelated topic is no reply.
    request('svc/get', 'r', 'id-2');
    reply('other', 'id-2');
    assert.equal(tracker.openCount, 1);
  });

  it('without correlation data, the next message on the response topic answers the oldest such request', () => {
    const { clock, request, reply, topic } = setup();
    request('svc/a', 'plain/reply');
    clock.now += 1;
    request('svc/b', 'plain/reply');
    clock.now += 3;
    reply('plain/reply');
    assert.equal(topic('svc/a').answered, 1);
    assert.equal(topic('svc/a').recent[0].latencyMs, 4);
    assert.equal(topic('svc/b').open, 1);
    // A correlated reply does not answer an uncorrelated request.
    reply('plain/reply', 'x');
    assert.equal(topic('svc/b').open, 1);
    reply('plain/reply');
    assert.equal(topic('svc/b').answered, 1);
  });

  it('times out an open request after the timeout (on the injected clock), and a late reply answers nothing', () => {
    const { clock, request, reply, topic, snapshot, tracker } = setup({ timeoutMs: 1000 });
    request('svc/slow', 'r', 'late');
    clock.now += 999;
    tracker.expire();
    assert.equal(tracker.openCount, 1, 'not yet');
    clock.now += 1;
    tracker.expire();
    assert.equal(tracker.openCount, 0);
    const slow = topic('svc/slow');
    assert.equal(slow.timedOut, 1);
    assert.equal(slow.recent[0].state, 'timedOut');
    assert.equal(describeExchange(slow.recent[0], 1000), 'no reply after 1 s');
    reply('r', 'late');
    assert.equal(topic('svc/slow').answered, 0);
    assert.equal(snapshot().totals.timedOut, 1);
  });

  it('a message times out what is due before it is matched, and snapshot() times out too', () => {
    const { clock, request, reply, topic } = setup({ timeoutMs: 100 });
    request('svc', 'r', '1');
    clock.now += 150;
    reply('r', '1');
    assert.equal(topic('svc').timedOut, 1);
    assert.equal(topic('svc').answered, 0);
    request('svc', 'r', '2');
    clock.now += 100;
    assert.equal(topic('svc').timedOut, 2, 'the snapshot expired it');
  });

  it('a request seen twice while open is counted once, as a duplicate', () => {
    const { request, topic, snapshot } = setup();
    request('svc', 'r', 'same');
    request('svc', 'r', 'same');
    assert.equal(topic('svc').total, 1);
    assert.equal(snapshot().totals.duplicates, 1);
  });

  it('keeps at most maxOpen open requests: the oldest are evicted and counted', () => {
    const { request, reply, snapshot, tracker, topic } = setup({ maxOpen: 3 });
    for (let i = 0; i < 5; i++) request('svc', 'r', `c${i}`);
    assert.equal(tracker.openCount, 3);
    const totals = snapshot().totals;
    assert.equal(totals.evicted, 2);
    assert.equal(totals.open, 3);
    assert.equal(topic('svc').evicted, 2);
    reply('r', 'c0');
    assert.equal(snapshot().totals.unmatchedReplies, 1, 'an evicted request gets no reply');
    reply('r', 'c4');
    assert.equal(snapshot().totals.answered, 1);
  });

  it('keeps a ring of maxCompleted finished exchanges and at most maxTopics topics (the least recent forgotten, counted)', () => {
    const { clock, request, reply, snapshot } = setup({ maxCompleted: 4, maxTopics: 2 });
    for (let i = 0; i < 10; i++) {
      request('svc', 'r', `c${i}`);
      clock.now += 1;
      reply('r', `c${i}`);
    }
    const svc = snapshot().topics[0];
    assert.equal(svc.answered, 10);
    assert.deepEqual(
      svc.recent.map((e) => e.correlation),
      ['"c9"', '"c8"', '"c7"', '"c6"'],
      'the newest four, newest first',
    );
    request('a', 'r');
    request('b', 'r');
    const after = snapshot();
    assert.deepEqual(
      after.topics.map((t) => t.topic),
      ['a', 'b'],
    );
    assert.equal(after.totals.forgottenTopics, 1);
    assert.equal(after.totals.requests, 12, 'the totals keep counting what the topics forgot');
  });

  it('p95 over the last LATENCY_SAMPLES replies; avg and max over all', () => {
    const { clock, request, reply, topic } = setup();
    for (let i = 1; i <= 100; i++) {
      request('svc', 'r', `c${i}`);
      clock.now += i;
      reply('r', `c${i}`);
    }
    assert.deepEqual(topic('svc').latency, { avgMs: 50.5, p95Ms: 95, maxMs: 100 });
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      request('svc', 'r', `d${i}`);
      clock.now += 1;
      reply('r', `d${i}`);
    }
    const latency = topic('svc').latency;
    assert.equal(latency?.p95Ms, 1, 'the early slow replies left the sample');
    assert.equal(latency?.maxMs, 100);
  });

  it('says when a response topic is outside the subscriptions (its reply cannot be seen)', () => {
    const { request, snapshot, topic } = setup({}, (t) => t.startsWith('seen/'));
    request('svc', 'seen/reply', '1');
    request('svc', 'hidden/reply', '2');
    const svc = topic('svc');
    assert.equal(svc.responseUnseen, 1);
    const hidden = svc.recent.find((e) => e.correlation === '"2"');
    assert.equal(hidden?.responseUnseen, true);
    assert.match(describeExchange(hidden!, 30_000), /outside the subscriptions/);
    assert.deepEqual(snapshot().unseenResponseTopics, ['hidden/reply']);
    assert.equal(snapshot().totals.responseUnseen, 1);
  });

  it('clear() forgets everything', () => {
    const { request, snapshot, tracker } = setup();
    request('svc', 'r', '1');
    tracker.clear();
    const after = snapshot();
    assert.equal(after.topics.length, 0);
    assert.equal(after.totals.requests, 0);
    assert.equal(tracker.openCount, 0);
  });

  it('messages without a response topic cost nothing while no request is open', () => {
    const { send, tracker, snapshot } = setup();
    for (let i = 0; i < 1000; i++) send({ topic: `t/${i}`, correlationData: text('x') });
    assert.equal(tracker.openCount, 0);
    assert.equal(tracker.changed, false);
    assert.equal(snapshot().totals.unmatchedReplies, 0);
  });

  describe('hostile input', () => {
    it('64 KiB of correlation data: matched exactly, kept as a hash, shown as a short preview', () => {
      const { clock, request, reply, topic, snapshot } = setup();
      const big = new Uint8Array(65_535).fill(0x61);
      const almost = big.slice();
      almost[65_534] = 0x62;
      request('svc', 'r', big);
      reply('r', almost);
      assert.equal(snapshot().totals.unmatchedReplies, 1, 'one byte differs at the end: no match');
      clock.now += 3;
      reply('r', big.slice());
      const exchange = topic('svc').recent[0];
      assert.equal(exchange.state, 'answered');
      assert.equal(exchange.correlationBytes, 65_535);
      assert.ok((exchange.correlation ?? '').length < 80, exchange.correlation);
      assert.match(exchange.correlation ?? '', /… \(65,535 bytes\)$/);
    });

    it('binary correlation data is shown as hex; a payload as a one-line preview of at most 80 characters', () => {
      assert.equal(correlationPreview(new Uint8Array([0x00, 0xff, 0x10])), '0x 00 ff 10');
      const { request, topic } = setup();
      request('svc', 'r', new Uint8Array([1, 2]), `${'é'.repeat(500)}`);
      const exchange = topic('svc').recent[0];
      assert.ok(exchange.requestPreview.length <= 80, `${exchange.requestPreview.length}`);
      assert.match(exchange.requestPreview, /^é+…$/);
    });

    it('many response topics and request topics: bounded by maxOpen and maxTopics, snapshots by SNAPSHOT_TOPICS', () => {
      const { request, tracker, snapshot } = setup({ maxOpen: 500, maxTopics: 200 });
      for (let i = 0; i < 20_000; i++) request(`svc/${i}`, `reply/${i}`, `${i}`);
      assert.equal(tracker.openCount, 500);
      const after = snapshot();
      assert.equal(after.totals.evicted, 19_500);
      assert.equal(after.totals.forgottenTopics, 19_800);
      assert.equal(after.topics.length, SNAPSHOT_TOPICS);
      assert.equal(after.moreTopics, 200 - SNAPSHOT_TOPICS);
      for (const t of after.topics) assert.ok(t.recent.length <= SNAPSHOT_RECENT_PER_TOPIC);
    });

    it('a 100,000-character topic and response topic: matched, kept cut', () => {
      const { clock, request, reply, snapshot } = setup();
      const long = `a/${'x'.repeat(100_000)}`;
      request(long, `${long}/reply`, 'c');
      clock.now += 1;
      reply(`${long}/reply`, 'c');
      const [t] = snapshot().topics;
      assert.equal(t.topicCut, true);
      assert.ok(t.topic.length < 1100);
      assert.equal(t.answered, 1);
      assert.equal(t.recent[0].requestTopicCut, true);
      assert.ok(t.recent[0].responseTopic.length < 1100);
    });
  });
});
