import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopicTree, type ReceivedMessage } from '../../src/engine/topicTree';

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
