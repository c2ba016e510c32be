import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { topicMatchesFilter } from '../../src/shared/topicRules';
import { SubscriptionIds } from '../../src/worker/subscriptionIds';

describe('Subscription identifiers: one copy of each message whatever the subscriptions overlap', () => {
  it('gives each filter its own identifier, the same again for the same filter, none when the broker has none', () => {
    const ids = new SubscriptionIds();
    assert.equal(ids.idFor('#'), undefined, 'off until the CONNACK says so');
    ids.setAvailable(true);
    const all = ids.idFor('#');
    const some = ids.idFor('a/#');
    assert.ok(all !== undefined && some !== undefined && all !== some);
    assert.equal(ids.idFor('#'), all);
    ids.forget('a/#');
    assert.notEqual(ids.idFor('a/#'), some, 'a filter subscribed again gets a new identifier');
    ids.setAvailable(false);
    assert.equal(ids.idFor('#'), undefined);
  });

  it('takes the copy of the smallest matching identifier and counts the others; takes a copy it cannot tell about', () => {
    const ids = new SubscriptionIds();
    ids.setAvailable(true);
    const all = ids.idFor('#')!;
    const some = ids.idFor('a/#')!;
    const lease = ids.idFor('a/b')!;
    assert.equal(ids.accepts('a/b', all), true);
    assert.equal(ids.accepts('a/b', some), false);
    assert.equal(ids.accepts('a/b', lease), false);
    assert.equal(ids.accepts('a/b', [some, all]), true, 'one copy for several subscriptions carries them all');
    assert.equal(ids.duplicates, 2);
    assert.equal(ids.accepts('c', all), true);
    assert.equal(ids.accepts('a/b', undefined), true, 'no identifier: cannot tell');
    assert.equal(ids.accepts('a/b', 999), true, 'an identifier of no filter held now');
    ids.forget('#');
    assert.equal(ids.accepts('a/b', all), true, 'a copy in flight for a filter let go');
    assert.equal(ids.accepts('a/b', some), true, 'now the smallest');
    assert.equal(ids.accepts('a/b', lease), false);
  });

  it('of the copies a broker sends (one per matching subscription), exactly one is taken (property)', () => {
    const level = fc.constantFrom('a', 'b', '', '$s');
    const filter = fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 3 }).chain((levels) => fc.constantFrom(levels.join('/'), [...levels, '#'].join('/'), '#'));
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(filter, { minLength: 1, maxLength: 6 }), topic, (filters, name) => {
        const ids = new SubscriptionIds();
        ids.setAvailable(true);
        for (const one of filters) ids.idFor(one);
        const copies = filters.filter((one) => topicMatchesFilter(one, name)).map((one) => ids.idFor(one)!);
        const taken = copies.filter((id) => ids.accepts(name, id)).length;
        assert.equal(taken, copies.length ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });
});
