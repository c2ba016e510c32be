import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { RefreshPacer } from '../../src/shared/refreshPacer';

describe('RefreshPacer: rows refreshed in paced turns', () => {
  it('takes a quiet row at once, then that row at most once per interval, and at most maxPerTake rows a turn', () => {
    const pacer = new RefreshPacer<string, number>(1000, 2);
    pacer.mark('a', 1);
    assert.deepEqual(pacer.take(0), [1], 'a row quiet so far is taken at once');
    pacer.mark('a', 2);
    assert.deepEqual(pacer.take(250), [], 'taken 250 ms ago: it waits');
    assert.equal(pacer.nextDueInMs(250), 750);
    pacer.mark('a', 3);
    for (const key of ['b', 'c', 'd']) pacer.mark(key, 10);
    assert.deepEqual(pacer.take(500), [10, 10], 'two of the three new rows: the cap');
    assert.equal(pacer.nextDueInMs(500), 0, 'd is due now');
    assert.deepEqual(pacer.take(750), [10], 'then d');
    assert.deepEqual(pacer.take(1000), [3], 'a, with its newest value, once an interval has passed');
    assert.equal(pacer.nextDueInMs(1000), undefined, 'nothing pending');
  });

  it('property: under any flood no row is taken twice within an interval nor more than maxPerTake a turn, and when it stops every row shows its newest value', () => {
    const interval = 1000;
    const maxPerTake = 3;
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 20 }), gap: fc.integer({ min: 0, max: 400 }), takeAfter: fc.boolean() }), { maxLength: 300 }),
        (steps) => {
          const pacer = new RefreshPacer<number, { key: number; version: number }>(interval, maxPerTake);
          const lastTaken = new Map<number, number>();
          const newest = new Map<number, number>();
          const shown = new Map<number, number>();
          let now = 0;
          let version = 0;
          const takeNow = () => {
            const taken = pacer.take(now);
            assert.ok(taken.length <= maxPerTake, `${taken.length} rows in one turn`);
            for (const row of taken) {
              const before = lastTaken.get(row.key);
              assert.ok(before === undefined || now - before >= interval, `row ${row.key} taken at ${before} and again at ${now}`);
              lastTaken.set(row.key, now);
              shown.set(row.key, row.version);
            }
          };
          for (const step of steps) {
            now += step.gap;
            pacer.mark(step.key, { key: step.key, version: ++version });
            newest.set(step.key, version);
            if (step.takeAfter) takeNow();
          }
          // The flood stops: turns as the caller schedules them, until nothing is pending (bounded).
          for (let turn = 0; turn < 100 && pacer.pendingCount > 0; turn++) {
            now += Math.max(pacer.nextDueInMs(now) ?? 0, 250);
            takeNow();
          }
          assert.equal(pacer.pendingCount, 0, 'every row had its turn');
          assert.deepEqual(shown, newest, 'each row was last taken with its newest value');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('remembers only the rows of the last interval: a flood of distinct rows does not grow it', () => {
    const pacer = new RefreshPacer<number, number>(1000, 40);
    let now = 0;
    for (let key = 0; key < 100_000; key++) {
      pacer.mark(key, key);
      if (key % 40 === 39) {
        assert.equal(pacer.take(now).length, 40);
        now += 250;
      }
    }
    // Recent rows are what 4 turns of 40 rows can take within one interval.
    assert.ok(pacer.recentCount <= 4 * 40, `${pacer.recentCount} rows remembered`);
  });
});
