import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { MESSAGE_OVERHEAD_BYTES, NODE_OVERHEAD_BYTES, TopicTree, type ReceivedMessage } from '../../src/worker/topicTree';

function message(text: string, retain = false): ReceivedMessage {
  return { payload: Buffer.from(text), qos: 0, retain, receivedAt: 0 };
}

describe('TopicTree', () => {
  it('builds the hierarchy by "/" and counts messages and sub-topics', () => {
    const tree = new TopicTree();
    tree.add('home/kitchen/temp', message('21'));
    tree.add('home/kitchen/temp', message('22'));
    tree.add('home/kitchen/humidity', message('40'));
    tree.add('home', message('root value'));
    const home = tree.find('home');
    assert.ok(home);
    assert.equal(home.messageCount, 1);
    assert.equal(home.totalMessages, 4);
    assert.equal(home.topicCount, 2);
    assert.equal(tree.find('home/kitchen')?.messageCount, 0);
    assert.equal(tree.find('home/kitchen')?.topicCount, 2);
    assert.equal(Buffer.from(tree.find('home/kitchen/temp')?.last?.payload ?? []).toString(), '22');
    assert.equal(tree.root.totalMessages, 4);
    assert.equal(tree.root.topicCount, 3);
  });

  it('keeps empty levels as distinct topics: a//b, /a and a/', () => {
    const tree = new TopicTree();
    for (const topic of ['a//b', '/a', 'a/', 'a/b']) tree.add(topic, message(topic));
    assert.deepEqual([...tree.topics()].map((node) => node.topic).sort(), ['/a', 'a/', 'a//b', 'a/b']);
    assert.equal(tree.find('a//b')?.parent?.name, '');
    assert.equal(tree.find('/a')?.parent?.topic, '');
    assert.equal(tree.root.children.get('')?.topic, '');
    assert.equal(tree.root.topicCount, 4);
  });

  it('handles unicode levels and 200 levels deep', () => {
    const tree = new TopicTree();
    tree.add('fleet/キッチン/température/🌡', message('19.5'));
    assert.equal(tree.find('fleet/キッチン/température/🌡')?.name, '🌡');
    const deep = Array.from({ length: 200 }, (_, i) => `l${i}`).join('/');
    const { node, created } = tree.add(deep, message('deep'));
    assert.equal(node.topic, deep);
    assert.equal(created?.topic, 'l0');
    let levels = 0;
    for (let up = node.parent; up; up = up.parent) levels++;
    assert.equal(levels, 200);
  });

  it('reports the highest node a message created, and none for a known topic', () => {
    const tree = new TopicTree();
    assert.equal(tree.add('a/b/c', message('1')).created?.topic, 'a');
    assert.equal(tree.add('a/b/d', message('1')).created?.topic, 'a/b/d');
    assert.equal(tree.add('a/b/d', message('2')).created, undefined);
  });

  it('marks retained values and clears the mark on an empty retained message', () => {
    const tree = new TopicTree();
    tree.add('status', message('online', true));
    assert.equal(tree.find('status')?.retained, true);
    tree.add('status', message('live update'));
    assert.equal(tree.find('status')?.retained, true, 'a live message does not clear the retained value');
    tree.add('status', message('', true));
    assert.equal(tree.find('status')?.retained, false);
  });

  it('keeps $SYS as its own top-level node', () => {
    const tree = new TopicTree();
    tree.add('$SYS/broker/uptime', message('10 seconds'));
    tree.add('app/x', message('1'));
    assert.deepEqual([...tree.root.children.keys()].sort(), ['$SYS', 'app']);
  });

  it('property: counts always agree with the messages sent, whatever the stream', () => {
    const level = fc.constantFrom('a', 'b', '', 'ü', '$SYS', 'x y');
    const topic = fc.array(level, { minLength: 1, maxLength: 6 }).map((levels) => levels.join('/'));
    fc.assert(
      fc.property(fc.array(topic, { maxLength: 200 }), (topics) => {
        const tree = new TopicTree();
        const perTopic = new Map<string, number>();
        for (const t of topics) {
          tree.add(t, message(t));
          perTopic.set(t, (perTopic.get(t) ?? 0) + 1);
        }
        assert.equal(tree.root.totalMessages, topics.length);
        assert.equal(tree.root.topicCount, perTopic.size);
        for (const [t, count] of perTopic) {
          const node = tree.find(t);
          assert.equal(node?.messageCount, count);
          assert.equal(Buffer.from(node.last?.payload ?? []).toString(), t);
        }
        // Every node's total is its own count plus its children's totals.
        const check = (node: typeof tree.root): void => {
          let sum = node.messageCount;
          for (const child of node.children.values()) {
            check(child);
            sum += child.totalMessages;
          }
          assert.equal(node.totalMessages, sum);
        };
        check(tree.root);
      }),
      { numRuns: 200 },
    );
  });
});

describe('TopicTree limits', () => {
  const limits = { messagesPerTopic: 3, bytesPerTopic: 1000, maxPayloadBytes: 100, totalBudgetBytes: 1 << 30 };

  it('keeps at most N messages per topic, oldest dropped first, and counts the drops', () => {
    const tree = new TopicTree(limits);
    for (let i = 0; i < 5; i++) tree.add('a', message(`m${i}`));
    const node = tree.find('a');
    assert.deepEqual(node?.history.map((m) => Buffer.from(m.payload).toString()), ['m2', 'm3', 'm4']);
    assert.equal(node?.dropped, 2);
    assert.equal(node?.messageCount, 5, 'the count is of all messages received, kept or not');
    assert.deepEqual({ received: tree.stats.received, kept: tree.stats.kept, dropped: tree.stats.dropped }, { received: 5, kept: 3, dropped: 2 });
  });

  it('keeps at most B payload bytes per topic, but always the last message', () => {
    const tree = new TopicTree({ ...limits, messagesPerTopic: 100, bytesPerTopic: 250, maxPayloadBytes: 1000 });
    for (let i = 0; i < 4; i++) tree.add('b', message('x'.repeat(100)));
    assert.equal(tree.find('b')?.history.length, 2);
    tree.add('b', message('y'.repeat(600)));
    assert.equal(tree.find('b')?.history.length, 1, 'a payload over the topic limit still stays as the last value');
    assert.equal(tree.find('b')?.dropped, 4);
  });

  it('cuts a payload over the limit, keeps its real size and marks it', () => {
    const tree = new TopicTree(limits);
    const big = Buffer.alloc(1000, 7);
    tree.add('big', { payload: big, qos: 1, retain: false, receivedAt: 1 });
    const last = tree.find('big')?.last;
    assert.equal(last?.payload.length, 100);
    assert.equal(last?.size, 1000);
    assert.equal(last?.truncated, true);
    assert.equal(tree.stats.truncated, 1);
    big[0] = 9;
    assert.equal(last?.payload[0], 7, 'the kept payload is a copy, not a view of the socket buffer');
  });

  it('stays within the total budget by dropping the oldest messages of all topics, keeping every last value', () => {
    const tree = new TopicTree({ messagesPerTopic: 1000, bytesPerTopic: 1 << 20, maxPayloadBytes: 1000, totalBudgetBytes: 20_000 });
    for (let round = 0; round < 20; round++) for (let t = 0; t < 10; t++) tree.add(`t/${t}`, message(`${round}:${'z'.repeat(90)}`));
    assert.ok(tree.stats.bytes <= 20_000, `bytes ${tree.stats.bytes} within the budget`);
    for (let t = 0; t < 10; t++) assert.match(Buffer.from(tree.find(`t/${t}`)?.last?.payload ?? []).toString(), /^19:/, 'the last value of each topic stays');
    assert.equal(tree.stats.kept + tree.stats.dropped, tree.stats.received);
    assert.ok(tree.stats.dropped > 0);
  });

  it('clears a subtree: counts above it and memory go down', () => {
    const tree = new TopicTree(limits);
    tree.add('x/a/1', message('1'));
    tree.add('x/a/2', message('2'));
    tree.add('x/b', message('3'));
    const before = tree.stats.bytes;
    tree.clearSubtree(tree.find('x/a') as NonNullable<ReturnType<TopicTree['find']>>);
    assert.equal(tree.find('x/a'), undefined);
    assert.equal(tree.find('x')?.totalMessages, 1);
    assert.equal(tree.find('x')?.topicCount, 1);
    assert.ok(tree.stats.bytes < before);
    tree.clearSubtree(tree.root);
    assert.equal(tree.root.children.size, 0);
    assert.equal(tree.stats.bytes, 0);
  });

  it('property: received = kept + dropped, and memory stays within the budget, for any stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 400 })), { maxLength: 400 }),
        fc.record({ messagesPerTopic: fc.integer({ min: 1, max: 10 }), bytesPerTopic: fc.integer({ min: 1, max: 2000 }), maxPayloadBytes: fc.integer({ min: 1, max: 300 }) }),
        (stream, topicLimits) => {
          const budget = 22 * (NODE_OVERHEAD_BYTES + 16) + 3 * (MESSAGE_OVERHEAD_BYTES + topicLimits.maxPayloadBytes);
          const tree = new TopicTree({ ...topicLimits, totalBudgetBytes: budget });
          for (const [topic, size] of stream) tree.add(`s/${topic}`, { payload: Buffer.alloc(size, 1), qos: 0, retain: false, receivedAt: 0 });
          assert.equal(tree.stats.kept + tree.stats.dropped, tree.stats.received);
          assert.equal(tree.stats.received, stream.length);
          assert.ok(tree.stats.bytes <= budget, 'within budget');
          let kept = 0;
          for (const node of tree.topics()) {
            kept += node.history.length;
            assert.ok(node.history.length <= topicLimits.messagesPerTopic);
          }
          assert.equal(kept, tree.stats.kept);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('TopicTree storage: nodes as rows of columns, numbers reused', () => {
  /** Levels that stress the name arena and the children index: empty, Latin-1, wide, surrogates, prototype names. */
  const LEVELS = ['', 'a', 'b', 'é', 'ü', 'キッチン', '🌡', '\ud800', '__proto__', 'constructor', 'x'.repeat(300)];
  const topicOf = (levels: number[]) => levels.map((index) => LEVELS[index]).join('/');
  const operation = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), levels: fc.array(fc.integer({ min: 0, max: LEVELS.length - 1 }), { minLength: 1, maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), levels: fc.array(fc.integer({ min: 0, max: LEVELS.length - 1 }), { minLength: 0, maxLength: 3 }) }) },
  );

  it('property: after any adds and clears, the tree is exactly the model (names, parents, children, counts), and a gone node never comes back under its old key', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 120, size: 'max' }), (operations) => {
        const tree = new TopicTree();
        /** Topic → messages received since it was last cleared. */
        const model = new Map<string, number>();
        /** Every level in the tree: the levels of the topics added, less what was cleared (levels above a clear stay). */
        const levelsExpected = new Set<string>();
        const gone = new Set<number>();
        const keys = new Map<string, number>();
        for (const step of operations) {
          const topic = topicOf(step.levels);
          if (step.op === 'add') {
            // The payload names the topic in JSON: a lone surrogate would not survive UTF-8.
            tree.add(topic, message(JSON.stringify(topic)));
            model.set(topic, (model.get(topic) ?? 0) + 1);
            const parts = topic.split('/');
            for (let depth = 1; depth <= parts.length; depth++) levelsExpected.add(parts.slice(0, depth).join('/'));
          } else {
            const node = step.levels.length === 0 ? tree.root : tree.find(topic);
            if (!node) continue;
            const all = step.levels.length === 0;
            for (const below of tree.topics(node)) gone.add(below.key);
            // The topic '' is a level of its own (below it: '/a'), not the root.
            const cleared = (known: string) => all || known === topic || known.startsWith(`${topic}/`);
            for (const known of [...model.keys()]) if (cleared(known)) model.delete(known);
            for (const known of [...levelsExpected]) if (cleared(known)) levelsExpected.delete(known);
            if (node.key !== tree.root.key) gone.add(node.key);
            tree.clearSubtree(node);
            assert.equal(node.attached, node.key === tree.root.key, 'a cleared node is detached, the root stays');
          }
        }
        // Every topic of the model is there with its count and its payload.
        for (const [topic, count] of model) {
          const node = tree.find(topic);
          assert.ok(node, `${JSON.stringify(topic)} is found`);
          assert.equal(node.topic, topic);
          assert.equal(node.messageCount, count);
          assert.equal(Buffer.from(node.last?.payload ?? []).toString(), JSON.stringify(topic));
          assert.ok(!gone.has(node.key) || keys.get(topic) === node.key, 'a node made after a clear has a new key');
          keys.set(topic, node.key);
        }
        // Nothing else is in the tree; each child is found under its parent by its name, and its parent is the node it hangs from.
        let seen = 0;
        const stack = [tree.root];
        while (stack.length) {
          const node = stack.pop() as NonNullable<(typeof stack)[number]>;
          const names = [...node.children.keys()];
          assert.equal(new Set(names).size, names.length, 'no name twice among siblings');
          assert.equal(node.childCount, names.length);
          for (const child of node.children.values()) {
            seen++;
            assert.ok(levelsExpected.has(child.topic), `${JSON.stringify(child.topic)} is in the model`);
            assert.equal(child.parent?.key, node.key);
            assert.equal(node.child(child.name)?.key, child.key);
            assert.equal(tree.find(child.topic)?.key, child.key);
            stack.push(child);
          }
        }
        assert.equal(seen, levelsExpected.size);
        assert.equal(tree.root.totalMessages, [...model.values()].reduce((sum, count) => sum + count, 0));
        assert.equal(tree.root.topicCount, model.size);
      }),
      { numRuns: 300 },
    );
  });

  it('reuses the numbers of cleared nodes, with new keys: an old handle stays detached, its names and memory are given back', () => {
    const tree = new TopicTree();
    const first = tree.add('fleet/device-1/telemetry', message('1')).node;
    const bytesWithOne = tree.stats.bytes;
    tree.clearSubtree(tree.find('fleet') as NonNullable<ReturnType<TopicTree['find']>>);
    assert.equal(first.attached, false);
    const again = tree.add('fleet/device-2/telemetry', message('2')).node;
    assert.equal(again.id, first.id, 'the freed number is used again');
    assert.notEqual(again.key, first.key);
    assert.equal(first.attached, false, 'the old handle does not see the new node');
    assert.equal(again.topic, 'fleet/device-2/telemetry');
    assert.equal(tree.stats.bytes, bytesWithOne, 'as much memory as the first topic took, no more');
    // A churn of topics reuses the same numbers, and the dead names are given back as they pile up.
    for (let i = 0; i < 20_000; i++) {
      tree.add(`churn/device-${i}/telemetry`, message('x'));
      tree.clearSubtree(tree.find('churn') as NonNullable<ReturnType<TopicTree['find']>>);
    }
    assert.ok(tree.stats.bytes <= bytesWithOne + 128 * 1024, `${tree.stats.bytes} bytes after the churn: one topic and at most the arena's bounded dead names`);
    assert.ok(tree.add('after/the/churn', message('y')).node.id < 8, 'no new numbers were needed');
  });
});
