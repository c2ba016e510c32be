import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageStore, RECORD_BYTES, SUPERSEDED_SLOT_BYTES } from '../../src/worker/messageStore';
import { TopicTree, type MessageProperties, type TopicLimits } from '../../src/worker/topicTree';

/** The plain model: every topic's messages as received, cut as the tree cuts them. */
interface Sent {
  payload: Buffer;
  size: number;
  qos: 0 | 1 | 2;
  retain: boolean;
  receivedAt: number;
  properties?: MessageProperties;
}

const PROPERTIES: MessageProperties[] = [
  { contentType: 'application/json' },
  { userProperties: { site: 'berlin', tags: ['a', 'b'] }, correlationData: new Uint8Array([1, 2, 3]) },
  { responseTopic: 'reply/here', messageExpiryInterval: 60, payloadFormatIndicator: true },
];

const operation = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constant('add' as const), topic: fc.integer({ min: 0, max: 7 }), size: fc.integer({ min: 0, max: 6000 }), seed: fc.integer({ min: 0, max: 255 }), qos: fc.constantFrom(0 as const, 1 as const, 2 as const), retain: fc.boolean(), props: fc.integer({ min: -3, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), topic: fc.integer({ min: 0, max: 7 }) }) },
);

const topicName = (index: number) => `site/${index % 2}/dev-${index}`;

function bytes(size: number, seed: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (seed + i * 31) & 0xff;
  return payload;
}

/** What the tree should keep of `sent` under the per-topic limits alone: the newest, as many as fit, never none. */
function expectedHistory(sent: Sent[], limits: TopicLimits): Sent[] {
  const kept: Sent[] = [];
  let total = 0;
  for (let i = sent.length - 1; i >= 0; i--) {
    const length = Math.min(sent[i].size, limits.maxPayloadBytes);
    if (kept.length > 0 && (kept.length + 1 > limits.messagesPerTopic || total + length > limits.bytesPerTopic)) break;
    kept.unshift(sent[i]);
    total += length;
  }
  return kept;
}

function assertSame(tree: TopicTree, topic: string, expected: Sent[], limits: TopicLimits): void {
  const node = tree.find(topic);
  const history = node ? [...node.messages()] : [];
  assert.equal(history.length, expected.length, `${topic}: kept count`);
  expected.forEach((message, index) => {
    const got = history[index];
    const cut = message.size > limits.maxPayloadBytes;
    assert.ok(Buffer.from(got.payload).equals(message.payload.subarray(0, limits.maxPayloadBytes)), `${topic}[${index}]: the bytes`);
    assert.deepEqual(
      { size: got.size, truncated: got.truncated, qos: got.qos, retain: got.retain, receivedAt: got.receivedAt, properties: got.properties },
      { size: message.size, truncated: cut, qos: message.qos, retain: message.retain, receivedAt: message.receivedAt, properties: message.properties },
    );
  });
}

describe('MessageStore (compact history)', () => {
  it('property: every topic keeps exactly what a plain model keeps, byte for byte, through compactions and clears', () => {
    fc.assert(
      fc.property(
        fc.array(operation, { minLength: 1, maxLength: 2500, size: 'max' }),
        fc.record({ messagesPerTopic: fc.integer({ min: 1, max: 400 }), bytesPerTopic: fc.integer({ min: 1, max: 1 << 20 }), maxPayloadBytes: fc.integer({ min: 1, max: 5000 }) }),
        (operations, perTopic) => {
          const limits = { ...perTopic, totalBudgetBytes: Infinity };
          const tree = new TopicTree(limits);
          const model = new Map<string, Sent[]>();
          let clock = 0;
          for (const step of operations) {
            const topic = topicName(step.topic);
            if (step.op === 'clear') {
              const node = tree.find(topic);
              if (node) tree.clearSubtree(node);
              model.delete(topic);
              continue;
            }
            const sent: Sent = { payload: bytes(step.size, step.seed), size: step.size, qos: step.qos, retain: step.retain, receivedAt: ++clock };
            if (step.props >= 0) sent.properties = PROPERTIES[step.props];
            tree.add(topic, { ...sent, payload: Buffer.from(sent.payload) });
            model.set(topic, [...(model.get(topic) ?? []), sent]);
          }
          let kept = 0;
          for (const [topic, sent] of model) {
            const expected = expectedHistory(sent, limits);
            kept += expected.length;
            assertSame(tree, topic, expected, limits);
          }
          assert.equal(tree.stats.kept, kept);
          assert.equal(tree.store.liveRecords, kept);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: two connections share one budget; history goes before any last value, and what stays is each topic\'s newest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 1500, size: 'max' }),
        fc.integer({ min: 20_000, max: 400_000 }),
        (stream, budget) => {
          const store = new MessageStore();
          store.budgetBytes = budget;
          const limits = { messagesPerTopic: 50, bytesPerTopic: 1 << 20, maxPayloadBytes: 2000, totalBudgetBytes: budget };
          const trees = [new TopicTree(limits, store), new TopicTree(limits, store)];
          const sent = new Map<string, number>();
          let clock = 0;
          const forgotten = () => trees[0].stats.forgotten + trees[1].stats.forgotten;
          for (const [second, topic, size] of stream) {
            const tree = trees[second ? 1 : 0];
            const name = `${second ? 'b' : 'a'}/${topic}`;
            const before = forgotten();
            tree.add(name, { payload: bytes(size, topic), qos: 0, retain: false, receivedAt: ++clock });
            sent.set(name, (sent.get(name) ?? 0) + 1);
            if (forgotten() > before) {
              // A topic went only because nothing but last values was left (the new message's topic may hold two).
              for (const node of trees.flatMap((each) => [...each.topics()])) if (node.topic !== name || node.tree !== tree) assert.ok(node.keptCount <= 1, `${node.topic} kept history while a topic was forgotten`);
            }
            assert.ok(store.liveBytes + store.nodeBytes <= budget || store.liveRecords <= 1, `${store.liveBytes} + ${store.nodeBytes} within ${budget}`);
          }
          const nodes = trees.flatMap((tree) => [...tree.topics()]);
          const withHistory = nodes.some((node) => node.keptCount > 1);
          for (const node of nodes) {
            if (withHistory) assert.ok(node.keptCount >= 1, `${node.topic} keeps its last value while another topic keeps history`);
            // What a topic keeps is its newest: the last one sent is the last one kept.
            const messages = [...node.messages()];
            // Last activity is kept to the tenth of a second.
            if (messages.length) assert.ok(Math.abs((messages.at(-1)?.receivedAt ?? NaN) - node.lastActivity) <= 50, `${node.lastActivity} is the newest message's time`);
          }
          for (const tree of trees) assert.equal(tree.stats.kept + tree.stats.dropped, tree.stats.received, 'nothing unaccounted for');
          assert.equal(store.liveRecords, trees[0].stats.kept + trees[1].stats.kept);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('one busy topic: what the store holds stops growing once the per-topic cap is reached', () => {
    const tree = new TopicTree({ messagesPerTopic: 1000, bytesPerTopic: 1 << 20, maxPayloadBytes: 256 * 1024, totalBudgetBytes: 256 * 1024 * 1024 });
    const payload = Buffer.alloc(100, 7);
    const allocatedAfter = (count: number) => {
      for (let i = 0; i < count; i++) tree.add('busy/one', { payload, qos: 0, retain: false, receivedAt: i });
      return tree.store.allocatedBytes;
    };
    const early = allocatedAfter(100_000);
    const late = allocatedAfter(400_000);
    assert.equal(tree.stats.kept, 1000);
    assert.ok(late <= early, `allocated ${late} B after 500,000 messages, ${early} B after 100,000`);
    assert.ok(late < 4 * 1024 * 1024, `${late} B for 1,000 kept messages of 100 B`);
  });

  it('last values scattered through a flood do not pin a slab each: the slabs are repacked, the values stay byte for byte', () => {
    const tree = new TopicTree({ messagesPerTopic: 10, bytesPerTopic: 1 << 20, maxPayloadBytes: 4096, totalBudgetBytes: Infinity });
    const flood = Buffer.alloc(1000, 1);
    let clock = 0;
    for (let quiet = 0; quiet < 150; quiet++) {
      // About a slab (1 MiB) of flood between two quiet messages: without repacking each would keep its slab.
      for (let i = 0; i < 1100; i++) tree.add('busy/one', { payload: flood, qos: 0, retain: false, receivedAt: ++clock });
      tree.add(`quiet/${quiet}`, { payload: bytes(300, quiet), qos: 1, retain: true, receivedAt: ++clock });
    }
    assert.ok(tree.store.allocatedBytes < 12 * 1024 * 1024, `${tree.store.allocatedBytes} B allocated for ${tree.store.liveBytes} B kept`);
    for (let quiet = 0; quiet < 150; quiet++) assert.ok(Buffer.from(tree.find(`quiet/${quiet}`)?.last?.payload ?? []).equals(bytes(300, quiet)), `quiet/${quiet}`);
    assert.equal([...(tree.find('busy/one')?.messages() ?? [])].length, 10);
  });

  it('when only last values are left, the least recently active topic is forgotten, its empty levels too, and the level above is named', () => {
    const tree = new TopicTree({ messagesPerTopic: 10, bytesPerTopic: 1 << 20, maxPayloadBytes: 1000, totalBudgetBytes: Infinity });
    const told: string[] = [];
    tree.onForgotten = (parent) => told.push(parent.topic);
    for (let i = 0; i < 5; i++) tree.add(`fleet/site-${i}/device`, { payload: Buffer.alloc(100, i), qos: 0, retain: false, receivedAt: i });
    // Room for four of the five last values (and their nodes): the oldest goes. The budget holds the
    // store's reserve too, so the tightest budget that holds all five is searched for.
    let tightest = tree.store.liveBytes + tree.store.nodeBytes;
    for (tree.store.budgetBytes = tightest; tree.store.overBudget; tree.store.budgetBytes = ++tightest);
    tree.store.budgetBytes = tightest - 1;
    tree.fitBudget();
    assert.equal(tree.find('fleet/site-0/device'), undefined, 'the least recently active topic is forgotten');
    assert.equal(tree.find('fleet/site-0'), undefined, 'with the level that held nothing else');
    assert.deepEqual(told, ['fleet']);
    assert.equal(tree.stats.forgotten, 1);
    assert.equal(tree.find('fleet')?.topicCount, 4);
    for (let i = 1; i < 5; i++) assert.ok(Buffer.from(tree.find(`fleet/site-${i}/device`)?.last?.payload ?? []).equals(Buffer.alloc(100, i)));
    assert.equal(tree.stats.kept + tree.stats.dropped, tree.stats.received);
  });

  it('a flood of new topics on one connection forgets its own oldest topics, not a quiet connection\'s last values (the fair floor)', () => {
    const store = new MessageStore();
    const limits = { messagesPerTopic: 10, bytesPerTopic: 1 << 20, maxPayloadBytes: 1000, totalBudgetBytes: Infinity };
    const quiet = new TopicTree(limits, store);
    const flood = new TopicTree(limits, store);
    let clock = 0;
    // The quiet connection's values are the oldest of all: plain oldest-first would forget them first.
    for (let i = 0; i < 50; i++) quiet.add(`home/room-${i}/temperature`, { payload: Buffer.alloc(100, i), qos: 0, retain: false, receivedAt: clock++ });
    store.budgetBytes = 2 * 1024 * 1024;
    for (let i = 0; i < 20_000; i++) flood.add(`fleet/site-${i % 50}/device-${i}/telemetry`, { payload: Buffer.alloc(100, 7), qos: 0, retain: false, receivedAt: clock++ });
    assert.ok(flood.stats.forgotten > 0, 'the flood did not fit: it forgot some of its topics');
    assert.equal(quiet.stats.forgotten, 0, 'the quiet connection forgot nothing');
    for (let i = 0; i < 50; i++) assert.ok(Buffer.from(quiet.find(`home/room-${i}/temperature`)?.last?.payload ?? []).equals(Buffer.alloc(100, i)), `room-${i} keeps its value`);
    assert.ok(!store.overBudget, 'within the budget');
    assert.ok(flood.find('fleet/site-49/device-19999/telemetry')?.last, 'the flood keeps its newest topics');
  });

  it('a cut payload keeps its size as received through compactions and requeues', () => {
    const limits = { messagesPerTopic: 2, bytesPerTopic: 1 << 20, maxPayloadBytes: 8, totalBudgetBytes: Infinity };
    const tree = new TopicTree(limits);
    const sent = new Map<string, Sent[]>();
    for (let i = 0; i < 30_000; i++) {
      const topic = `cut/${(i * 7919) % 3001}`;
      const payload = bytes(i % 21, i);
      const message = { payload, size: payload.length, qos: 0 as const, retain: false, receivedAt: i };
      tree.add(topic, message);
      sent.set(topic, [...(sent.get(topic) ?? []), message].slice(-2));
    }
    const check = () => {
      let compared = 0;
      for (const [topic, messages] of sent) {
        const node = tree.find(topic);
        if (!node?.keptCount) continue;
        assertSame(tree, topic, messages.slice(-node.keptCount), limits);
        compared++;
      }
      return compared;
    };
    assert.equal(check(), 3001, 'after the compactions of the flood');
    // Squeezing the budget drops history, requeues last values and compacts again.
    tree.store.budgetBytes = tree.store.liveBytes / 2;
    tree.fitBudget();
    assert.ok(check() > 100, 'after the squeeze');
  });

  it('a kept message costs RECORD_BYTES beside its payload, and SUPERSEDED_SLOT_BYTES more when it is history', () => {
    const tree = new TopicTree({ messagesPerTopic: 1_000_000, bytesPerTopic: 1 << 30, maxPayloadBytes: 1000, totalBudgetBytes: Infinity });
    for (let i = 0; i < 10_000; i++) tree.add(`t/${i % 100}`, { payload: Buffer.alloc(100), qos: 0, retain: false, receivedAt: i });
    // 100 topics: 100 last values, 9,900 messages of history.
    assert.equal(tree.store.liveBytes, 10_000 * (100 + RECORD_BYTES) + 9_900 * SUPERSEDED_SLOT_BYTES);
    assert.ok(RECORD_BYTES + SUPERSEDED_SLOT_BYTES <= 40);
  });

  it("history among many quiet last values: the budget takes it without walking past them (a broker's $SYS updates among thousands of quiet topics)", () => {
    const tree = new TopicTree({ messagesPerTopic: 10, bytesPerTopic: 1 << 20, maxPayloadBytes: 1000, totalBudgetBytes: Infinity });
    const payload = Buffer.alloc(20, 1);
    let clock = 0;
    const quiet = 50_000;
    tree.add('$SYS/broker/uptime', { payload, qos: 0, retain: false, receivedAt: ++clock });
    for (let i = 0; i < quiet; i++) tree.add(`quiet/${i}`, { payload, qos: 0, retain: false, receivedAt: ++clock });
    // Full: every further message makes the budget take something.
    tree.store.budgetBytes = Math.ceil(((tree.store.liveBytes + tree.store.nodeBytes) * 16) / 15) + 1;
    const copiedBefore = tree.store.copiedRecords;
    const rounds = 300;
    for (let round = 0; round < rounds; round++) {
      // The $SYS topic's previous value becomes history, behind all the quiet last values in arrival order.
      tree.add('$SYS/broker/uptime', { payload, qos: 0, retain: false, receivedAt: ++clock });
      tree.add(`new/${round}`, { payload, qos: 0, retain: false, receivedAt: ++clock });
      assert.ok(!tree.store.overBudget);
    }
    const copied = tree.store.copiedRecords - copiedBefore;
    // Compaction copies each live record now and then (amortized O(1) per message); a walk over the
    // quiet values per eviction would copy rounds × quiet = 15,000,000.
    assert.ok(copied < 4 * quiet, `${copied.toLocaleString('en-US')} records copied for ${2 * rounds} messages`);
    assert.equal(tree.find('$SYS/broker/uptime')?.keptCount, 1, 'its history went first');
    assert.equal(tree.stats.kept + tree.stats.dropped, tree.stats.received);
    for (let round = 0; round < rounds; round++) assert.ok(tree.find(`new/${round}`), `new/${round} keeps its value`);
  });

  it('over a million messages of history in a small budget: compaction stays amortized (the superseded queue\'s spare room once made every append compact)', () => {
    const tree = new TopicTree({ messagesPerTopic: 1000, bytesPerTopic: 1 << 20, maxPayloadBytes: 1000, totalBudgetBytes: 64 * 1024 * 1024 });
    const payload = Buffer.alloc(4, 1);
    const topics = Array.from({ length: 1100 }, (_, i) => `fleet/${i}/value`);
    let appended = 0;
    const copiedBefore = tree.store.copiedRecords;
    for (let round = 0; round < 1000; round++) {
      for (const topic of topics) tree.add(topic, { payload, qos: 0, retain: false, receivedAt: ++appended });
      // Checked as it goes: a compaction on every append copies a million records each, and would not end soon.
      // Growing in a small budget, a compaction makes room for a part of the reserve only: ~18 copies per message here.
      const copied = tree.store.copiedRecords - copiedBefore;
      assert.ok(copied <= 40 * appended, `${copied.toLocaleString('en-US')} records copied for ${appended.toLocaleString('en-US')} messages`);
    }
    assert.ok(tree.store.liveRecords > 1_000_000, `${tree.store.liveRecords} kept`);
    assert.ok(tree.store.allocatedBytes + tree.store.nodeBytes <= 64 * 1024 * 1024, `${tree.store.allocatedBytes} B allocated`);
  });
});
