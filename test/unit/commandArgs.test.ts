import * as assert from 'node:assert/strict';
import { MAX_FILTER_PATTERN, sortOrderArg, startBrokerArg, topicFilterArg, topicRefArg } from '../../src/shared/commandArgs';

// What VS Code passes to a title-bar action of the Topics view while a row has the focus.
const focusedRow = { kind: 'topic', connectionId: 'local-broker', id: 11, topic: 'fleet/berlin/gateway/gw-01/frame', snapshot: { id: 11, name: 'frame' } };

describe('Command arguments', () => {
  it('a filter is { kind, target, pattern } and nothing else: a focused row of the view is no filter', () => {
    assert.deepEqual(topicFilterArg({ kind: 'substring', target: 'topic', pattern: 'gw-01' }), { kind: 'substring', target: 'topic', pattern: 'gw-01' });
    assert.deepEqual(topicFilterArg({ kind: 'regex', target: 'payload', pattern: '^a' }), { kind: 'regex', target: 'payload', pattern: '^a' });
    for (const value of [
      focusedRow,
      { ...focusedRow, kind: 'substring', target: 'topic', pattern: 'x' },
      { kind: 'topic', target: 'topic', pattern: 'x' },
      { kind: 'substring', target: 'name', pattern: 'x' },
      { kind: 'substring', target: 'topic', pattern: '' },
      { kind: 'substring', target: 'topic', pattern: 'x'.repeat(MAX_FILTER_PATTERN + 1) },
      { kind: 'substring', target: 'topic', pattern: 7 },
      Object.assign(Object.create({ polluted: true }) as object, { kind: 'substring', target: 'topic', pattern: 'x' }),
      'gw-01',
      ['substring', 'topic', 'x'],
      null,
      undefined,
    ]) {
      assert.equal(topicFilterArg(value), undefined, JSON.stringify(value)?.slice(0, 80));
    }
  });

  it('a sort order is one of the four names', () => {
    for (const order of ['name', 'messages', 'topics', 'recent']) assert.equal(sortOrderArg(order), order);
    for (const value of [focusedRow, 'Name', '', 'toString', { order: 'name' }, undefined]) assert.equal(sortOrderArg(value), undefined);
  });

  it('the local broker takes { port } from 0 to 65535, or nothing', () => {
    assert.deepEqual(startBrokerArg({ port: 0 }), { port: 0 });
    assert.deepEqual(startBrokerArg({}), {});
    for (const value of [focusedRow, { port: -1 }, { port: 65536 }, { port: 1.5 }, { port: '1883' }, { port: 1883, host: 'x' }, 1883, undefined]) {
      assert.equal(startBrokerArg(value), undefined, JSON.stringify(value));
    }
  });

  it('a topic reference needs a string connection id and a string topic (the empty topic is a topic)', () => {
    assert.deepEqual(topicRefArg(focusedRow), { connectionId: 'local-broker', topic: 'fleet/berlin/gateway/gw-01/frame' });
    assert.deepEqual(topicRefArg({ connectionId: 'c', topic: '' }), { connectionId: 'c', topic: '' });
    for (const value of [{ connectionId: 'c' }, { topic: 't' }, { connectionId: 1, topic: 't' }, { connectionId: 'c', topic: ['t'] }, 't', null, undefined]) {
      assert.equal(topicRefArg(value), undefined, JSON.stringify(value));
    }
  });
});
