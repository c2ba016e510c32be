import * as assert from 'node:assert/strict';
import { MESSAGE_OVERHEAD_BYTES, NODE_OVERHEAD_BYTES, TopicTree, type ReceivedMessage, type TopicNode } from '../../src/worker/topicTree';

function message(text: string, retain = false): ReceivedMessage {
  return { payload: Buffer.from(text), qos: 0, retain, receivedAt: 0 };
}

function levelsAbove(node: TopicNode): number {
  let levels = 0;
  for (let up = node.parent; up; up = up.parent) levels++;
  return levels;
}

// A stack overflow would throw RangeError in any of these: the tree walks with loops and explicit stacks.
describe('TopicTree: deep and long topics', () => {
  const LEVELS = 20_000;
  const levels = Array.from({ length: LEVELS }, (_, index) => `l${index}`);
  const deep = levels.join('/');

  it('adds, finds and names a 20,000-level topic, and counts it at every level', () => {
    const tree = new TopicTree();
    const { node, created } = tree.add(deep, message('deep', true));
    assert.equal(node.topic, deep);
    assert.equal(created?.topic, 'l0');
    assert.equal(levelsAbove(node), LEVELS);
    assert.equal(tree.find(deep)?.key, node.key);
    const middle = tree.find(levels.slice(0, LEVELS / 2).join('/'));
    assert.ok(middle);
    assert.equal(middle.topic, levels.slice(0, LEVELS / 2).join('/'));
    assert.equal(middle.topicCount, 1);
    assert.equal(middle.totalMessages, 1);
    assert.equal(middle.messageCount, 0);
    assert.equal(tree.root.topicCount, 1);
    assert.deepEqual([...tree.topics()].map((found) => found.topic), [deep]);
    assert.deepEqual([...tree.topics(middle)], [node]);
    // A second topic one level further down shares the 20,000 levels.
    const below = tree.add(`${deep}/x`, message('below'));
    assert.equal(below.created?.key, below.node.key);
    assert.equal(tree.root.topicCount, 2);
    assert.equal(middle.totalMessages, 2);
  });

  it('keeps 20,000 empty levels apart from the root: the topic of 19,999 slashes', () => {
    const tree = new TopicTree();
    const slashes = '/'.repeat(LEVELS - 1);
    const { node } = tree.add(slashes, message('empty levels'));
    assert.equal(node.topic, slashes);
    assert.equal(node.name, '');
    assert.equal(levelsAbove(node), LEVELS);
    assert.equal(tree.find(slashes)?.key, node.key);
    assert.deepEqual([...tree.topics()], [node]);
    assert.equal(tree.root.children.get('')?.topic, '', 'the first empty level is a node of its own, not the root');
  });

  it('clears inside a 20,000-level topic and below it: counts and memory go down, the topic can come back', () => {
    const tree = new TopicTree();
    tree.add(deep, message('deep'));
    tree.add('other', message('other'));
    const second = tree.find('l0/l1');
    assert.ok(second);
    tree.clearSubtree(second);
    assert.equal(tree.find(deep), undefined);
    assert.equal(tree.find('l0')?.children.size, 0);
    assert.equal(tree.find('l0')?.totalMessages, 0);
    assert.equal(tree.root.totalMessages, 1);
    assert.equal(tree.root.topicCount, 1);
    assert.equal(tree.stats.kept, 1);
    assert.deepEqual([...tree.topics()].map((found) => found.topic), ['other']);
    // What is left: the nodes l0 and other, and the message of other.
    const expected = 2 * NODE_OVERHEAD_BYTES + 'l0other'.length * 2 + 'other'.length;
    assert.ok(tree.stats.bytes > expected && tree.stats.bytes < expected + 1000, `${tree.stats.bytes} bytes`);
    const again = tree.add(deep, message('again'));
    assert.equal(again.node.topic, deep);
    assert.equal(tree.root.topicCount, 2);
    tree.clearSubtree(tree.root);
    assert.equal(tree.root.children.size, 0);
    assert.equal(tree.root.totalMessages, 0);
    assert.equal(tree.stats.bytes, 0);
    assert.equal(tree.stats.kept, 0);
    assert.equal([...tree.topics()].length, 0);
  });

  it('handles a 64 KiB level name, alone and below another level', () => {
    const tree = new TopicTree();
    const long = 'a'.repeat(64 * 1024);
    const alone = tree.add(long, message('1')).node;
    const below = tree.add(`x/${long}`, message('2')).node;
    assert.equal(alone.topic, long);
    assert.equal(below.topic, `x/${long}`);
    assert.equal(tree.find(long)?.key, alone.key);
    assert.equal(tree.find(`x/${long}`)?.key, below.key);
    assert.deepEqual([...tree.topics()].map((found) => found.topic.length).sort(), [long.length, long.length + 2]);
    assert.ok(tree.stats.bytes >= long.length, 'the name counts in the memory estimate (once: both levels carry it)');
    tree.clearSubtree(alone);
    assert.equal(tree.find(long), undefined);
    assert.equal(tree.find(`x/${long}`)?.key, below.key);
    assert.equal(tree.root.topicCount, 1);
    assert.equal(tree.root.totalMessages, 1);
  });

  it('raises the revision along the path of every change a filter can see, and nowhere else', () => {
    const tree = new TopicTree({ messagesPerTopic: 1000, bytesPerTopic: 1 << 20, maxPayloadBytes: 1000, totalBudgetBytes: 1 << 30 });
    tree.add('a/b', message('1'));
    tree.add('c/d', message('1'));
    const [a, b, c, d] = ['a', 'a/b', 'c', 'c/d'].map((topic) => tree.find(topic) as TopicNode);
    const revisions = () => [tree.root, a, b, c, d].map((node) => node.revision);
    const before = revisions();
    tree.add('a/b', message('2'));
    assert.deepEqual(revisions(), [before[0] + 1, before[1] + 1, before[2] + 1, before[3], before[4]], 'a message: its path only');
    const mid = revisions();
    tree.clearSubtree(d);
    assert.deepEqual(revisions().slice(0, 4), [mid[0] + 1, mid[1], mid[2], mid[3] + 1], 'a clear: the path above the cleared node');
    // A budget that holds the nodes a, a/b, c and e and the message of e only: the last value of a/b goes.
    tree.limits = { ...tree.limits, totalBudgetBytes: 4 * NODE_OVERHEAD_BYTES + 2 * 4 + 900 + MESSAGE_OVERHEAD_BYTES + 10 };
    const atB = b.revision;
    tree.add('e', message('x'.repeat(900)));
    assert.equal(b.last, undefined, 'the budget dropped the last value of a/b');
    assert.ok(b.revision > atB, 'a dropped last value raises the revision: a payload filter may answer otherwise');
  });
});
