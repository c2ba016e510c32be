import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TopicFilter } from '../../src/shared/engineProtocol';
import { checkPattern, compileRegex } from '../../src/shared/regex';
import { DecoderState } from '../../src/worker/decoding';
import { PayloadReader } from '../../src/worker/payloadReader';
import { compileFilter, FILTER_PAYLOAD_BYTES, FilterIndex, filterText } from '../../src/worker/topicFilter';
import { MESSAGE_OVERHEAD_BYTES, NODE_OVERHEAD_BYTES, TopicTree, type ReceivedMessage, type TopicNode } from '../../src/worker/topicTree';

function message(text: string | Uint8Array): ReceivedMessage {
  return { payload: typeof text === 'string' ? Buffer.from(text) : text, qos: 0, retain: false, receivedAt: 0 };
}

/** The reference: every node at or below `start`, tested one by one, nothing kept. */
function scanBelow(start: TopicNode, matches: (node: TopicNode) => boolean): boolean {
  const stack = [start];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (matches(node)) return true;
    stack.push(...node.children.values());
  }
  return false;
}

/** Payloads read as they are: no decoder bindings (and no spBv1.0 topic in these trees). */
const raw = new PayloadReader(new DecoderState());

function allNodes(tree: TopicTree): TopicNode[] {
  const nodes: TopicNode[] = [];
  const stack = [tree.root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    nodes.push(node);
    stack.push(...node.children.values());
  }
  return nodes;
}

describe('Topic filter: regular expressions on RE2', () => {
  it('runs (a+)+$ against a 64 KiB topic of a\u2019s, and a payload filter against a 64 KiB payload', () => {
    const tree = new TopicTree();
    const topic = 'a'.repeat(64 * 1024);
    const node = tree.add(topic, message('a'.repeat(64 * 1024))).node;
    assert.equal(compileFilter({ kind: 'regex', pattern: '(a+)+$', target: 'topic' })(node, raw), true);
    assert.equal(compileFilter({ kind: 'regex', pattern: '(a+)+b$', target: 'topic' })(node, raw), false);
    assert.equal(compileFilter({ kind: 'regex', pattern: '(a|aa)+$', target: 'payload' })(node, raw), true);
    assert.equal(compileFilter({ kind: 'regex', pattern: '(a|aa)+c', target: 'payload' })(node, raw), false);
    assert.equal(new FilterIndex({ kind: 'regex', pattern: '(a+)+$', target: 'topic' }).matchesAtOrBelow(tree.root, raw), true);
  });

  it('is case-insensitive and finds a match anywhere, like the filter before it', () => {
    const test = compileRegex('kitchen/t.mp$');
    assert.equal(test('home/KITCHEN/temp'), true);
    assert.equal(test('home/kitchen/temp/x'), false);
    assert.equal(compileRegex('^\\p{L}+$')('température'), true, 'Unicode classes work');
  });

  it('names RE2 and what it lacks when a pattern is refused', () => {
    assert.equal(checkPattern('^home/(kitchen|hall)/.+'), undefined);
    assert.match(checkPattern('(?=a)') ?? '', /RE2 syntax: no backreferences or lookaround\): lookaround/);
    assert.match(checkPattern('(?<!a)b') ?? '', /lookaround/);
    assert.match(checkPattern('(a)\\1') ?? '', /backreferences/);
    assert.match(checkPattern('(a') ?? '', /^Not a valid regular expression \(RE2 syntax[^)]*\): missing closing \): \(a$/);
    assert.match(checkPattern('[') ?? '', /missing closing ]/);
    assert.throws(() => compileFilter({ kind: 'regex', pattern: '(', target: 'topic' }), /Not a valid regular expression/);
    assert.throws(() => new FilterIndex({ kind: 'regex', pattern: '(', target: 'payload' }), /Not a valid regular expression/);
  });
});

describe('Topic filter: what it reads', () => {
  it('reads the first 64 KiB of a payload, cut on a character boundary', () => {
    const cutInsideE = Buffer.concat([Buffer.from('a'.repeat(FILTER_PAYLOAD_BYTES - 1)), Buffer.from('éz')]);
    assert.equal(filterText(cutInsideE), 'a'.repeat(FILTER_PAYLOAD_BYTES - 1), 'the é that the cut falls in is left out whole');
    const emoji = Buffer.concat([Buffer.from('a'.repeat(FILTER_PAYLOAD_BYTES - 2)), Buffer.from('🌡🌡')]);
    assert.equal(filterText(emoji), 'a'.repeat(FILTER_PAYLOAD_BYTES - 2));
    assert.equal(filterText(Buffer.from('short é')), 'short é');
    assert.equal(filterText(new Uint8Array([0, 1, 2])), undefined, 'binary payloads have no text');
    const tree = new TopicTree();
    const node = tree.add('big', message(`${'x'.repeat(FILTER_PAYLOAD_BYTES)}needle`)).node;
    assert.equal(compileFilter({ kind: 'substring', pattern: 'needle', target: 'payload' })(node, raw), false, 'past the first 64 KiB: not searched');
    assert.equal(compileFilter({ kind: 'substring', pattern: 'XXX', target: 'payload' })(node, raw), true);
  });

  it('matches topics by substring, MQTT filter and pattern, and only topics that received a message', () => {
    const tree = new TopicTree();
    const temp = tree.add('home/kitchen/temp', message('21.5')).node;
    const kitchen = tree.find('home/kitchen') as TopicNode;
    const filter = (kind: TopicFilter['kind'], pattern: string, target: TopicFilter['target'] = 'topic') => compileFilter({ kind, pattern, target });
    assert.equal(filter('substring', 'KITCHEN')(temp, raw), true);
    assert.equal(filter('substring', 'kitchen')(kitchen, raw), false, 'a level without messages of its own does not match');
    assert.equal(filter('wildcard', 'home/+/temp')(temp, raw), true);
    assert.equal(filter('wildcard', 'home/+')(temp, raw), false);
    assert.equal(filter('regex', '21\\.\\d', 'payload')(temp, raw), true);
  });
});

describe('Topic filter: the index of levels with a match below', () => {
  it('answers through 20,000 levels, and a second time without walking them again', () => {
    const tree = new TopicTree();
    const deep = Array.from({ length: 20_000 }, (_, index) => `l${index}`).join('/');
    tree.add(deep, message('deep value'));
    tree.add('other', message('x'));
    const index = new FilterIndex({ kind: 'substring', pattern: 'l19999', target: 'topic' });
    const first = tree.find('l0') as TopicNode;
    assert.equal(index.matchesAtOrBelow(first, raw), true);
    assert.equal(index.matchesAtOrBelow(tree.find('other') as TopicNode, raw), false);
    const computed = index.computed;
    assert.ok(computed >= 20_000, `${computed} nodes computed the first time`);
    assert.equal(index.matchesAtOrBelow(first, raw), true);
    assert.equal(index.computed, computed, 'nothing changed: the kept answer');
    const payloads = new FilterIndex({ kind: 'substring', pattern: 'deep', target: 'payload' });
    assert.equal(payloads.matchesAtOrBelow(tree.root, raw), true);
  });

  it('keeps its answers in the tree, one word a node, counted in the budget: a second filter takes the place of the first', () => {
    const tree = new TopicTree();
    for (let i = 0; i < 20_000; i++) tree.add(`fleet/device-${i}/telemetry`, message('1'));
    const before = tree.stats.bytes;
    const first = new FilterIndex({ kind: 'substring', pattern: 'nothing-matches', target: 'topic' });
    assert.equal(first.matchesAtOrBelow(tree.root, raw), false);
    const withAnswers = tree.stats.bytes;
    assert.ok(withAnswers > before && withAnswers - before <= 4 * (40_002 + 4096), `${withAnswers - before} bytes for 40,002 answers`);
    const second = new FilterIndex({ kind: 'substring', pattern: 'device-19999', target: 'topic' });
    assert.equal(second.matchesAtOrBelow(tree.root, raw), true);
    assert.equal(tree.stats.bytes, withAnswers, 'the second filter\'s answers replace the first\'s');
    // The first index asks again: its answers are gone, it computes them again, and answers the same.
    const computed = first.computed;
    assert.equal(first.matchesAtOrBelow(tree.root, raw), false);
    assert.ok(first.computed > computed);
  });

  it('after a message, walks the path that changed, not the whole level', () => {
    const tree = new TopicTree();
    for (let device = 0; device < 100; device++) for (let sensor = 0; sensor < 10; sensor++) tree.add(`plant/d${device}/s${sensor}`, message('0'));
    const plant = tree.find('plant') as TopicNode;
    const index = new FilterIndex({ kind: 'substring', pattern: 'alarm', target: 'payload' });
    assert.equal(index.matchesAtOrBelow(plant, raw), false);
    const full = index.computed;
    assert.ok(full > 1000, `${full} nodes the first time`);
    tree.add('plant/d42/s7', message('alarm'));
    assert.equal(index.matchesAtOrBelow(plant, raw), true);
    // plant, then its children up to d42 from their kept answers, then d42 and its children up to s7.
    assert.ok(index.computed - full <= 3, `${index.computed - full} nodes the second time`);
    tree.add('plant/d42/s7', message('ok'));
    assert.equal(index.matchesAtOrBelow(plant, raw), false);
    assert.ok(index.computed - full <= 6 + 10, `${index.computed - full} nodes the third time`);
  });

  it('knows which filter it answers for', () => {
    const index = new FilterIndex({ kind: 'regex', pattern: 'a', target: 'topic' });
    assert.equal(index.isFor({ kind: 'regex', pattern: 'a', target: 'topic' }), true);
    assert.equal(index.isFor({ kind: 'regex', pattern: 'a', target: 'payload' }), false);
    assert.equal(index.isFor({ kind: 'substring', pattern: 'a', target: 'topic' }), false);
    assert.equal(index.isFor({ kind: 'regex', pattern: 'b', target: 'topic' }), false);
    assert.equal(index.isFor(undefined), false);
  });

  it('property: the kept answer is always the answer of a full scan, through messages, clears and budget drops', () => {
    const level = fc.constantFrom('a', 'b', '', 'ab');
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
    const payload = fc.constantFrom('', '1', '21.5', 'alarm', 'a', 'b');
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), topic, payload }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear' as const), topic: fc.option(topic, { nil: undefined }) }) },
    );
    const filters: TopicFilter[] = [
      { kind: 'substring', pattern: 'b', target: 'topic' },
      { kind: 'wildcard', pattern: 'a/+', target: 'topic' },
      { kind: 'regex', pattern: '^a/.*b$', target: 'topic' },
      { kind: 'regex', pattern: '^(1|alarm)$', target: 'payload' },
      { kind: 'substring', pattern: 'a', target: 'payload' },
    ];
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.constantFrom(...filters), fc.boolean(), (steps, filter, tight) => {
        // A tight budget makes the tree drop last values: the answer of a payload filter changes without a message on that path.
        const tree = new TopicTree({ messagesPerTopic: 3, bytesPerTopic: 1000, maxPayloadBytes: 100, totalBudgetBytes: tight ? 6 * NODE_OVERHEAD_BYTES + 3 * MESSAGE_OVERHEAD_BYTES : 1 << 30 });
        const index = new FilterIndex(filter);
        const matches = compileFilter(filter);
        for (const one of steps) {
          if (one.kind === 'add') tree.add(one.topic, message(one.payload));
          else {
            const node = one.topic === undefined ? tree.root : tree.find(one.topic);
            if (node) tree.clearSubtree(node);
          }
          for (const node of allNodes(tree)) assert.equal(index.matchesAtOrBelow(node, raw), scanBelow(node, (candidate) => matches(candidate, raw)), `${JSON.stringify(node.topic)} after ${JSON.stringify(one)}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
