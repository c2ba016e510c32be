import * as assert from 'node:assert/strict';
import { CountColumn, Int32Column } from '../../src/worker/columns';
import { NameArena, WIDE } from '../../src/worker/nameArena';

describe('Columns and the name arena', () => {
  it('counts past 2^32 without wrapping, and back down', () => {
    const counts = new CountColumn();
    counts.ensure(5000);
    counts.set(4097, 2 ** 32 - 2);
    counts.add(4097, 3);
    assert.equal(counts.get(4097), 2 ** 32 + 1);
    counts.add(4097, 2 ** 33);
    assert.equal(counts.get(4097), 3 * 2 ** 32 + 1);
    counts.add(4097, -(3 * 2 ** 32));
    assert.equal(counts.get(4097), 1);
    assert.equal(counts.get(4096), 0, 'its neighbour is untouched');
  });

  it('fills new rows with the initial value, page after page', () => {
    const column = new Int32Column(-1);
    column.ensure(10_000);
    assert.ok(column.capacity > 10_000 && column.capacity <= 10_000 + 4096);
    assert.equal(column.get(0), -1);
    assert.equal(column.get(10_000), -1);
    column.set(9_999, 7);
    assert.equal(column.get(9_999), 7);
  });

  it('stores Latin-1 names a byte per character, others as UTF-16, and reads and compares them as they were', () => {
    const arena = new NameArena();
    const names = ['', 'telemetry', 'température', 'キッチン', '🌡', '\ud800x', 'ÿ'];
    const placed = names.map((name) => {
      const start = arena.used;
      return { name, start, word: arena.store(`pre/${name}/post`, 4, 4 + name.length) };
    });
    for (const { name, start, word } of placed) {
      assert.equal(arena.read(start, word), name);
      assert.ok(arena.equals(start, word, `x${name}`, 1, 1 + name.length));
      assert.ok(!arena.equals(start, word, `${name}z`, 0, name.length + 1));
      assert.equal((word & WIDE) !== 0, /[^\u0000-\u00ff]/.test(name), `${name}: wide only when it must be`);
    }
  });
});
