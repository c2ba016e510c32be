import * as assert from 'node:assert/strict';
import { NewMessageAnnouncer, type AnnounceClock } from '../../webview/logic/announce';

/** A clock that moves only when the test says so, running the timers that fall due. */
class ManualClock implements AnnounceClock {
  private time = 1_000_000;
  private readonly timers = new Map<number, { at: number; run: () => void }>();
  private next = 0;

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const id = ++this.next;
    this.timers.set(id, { at: this.time + ms, run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get waiting(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.time) continue;
      this.timers.delete(id);
      timer.run();
    }
  }
}

describe('Panel accessibility: announcing new messages', () => {
  let clock: ManualClock;
  let said: string[];
  let announcer: NewMessageAnnouncer;

  beforeEach(() => {
    clock = new ManualClock();
    said = [];
    announcer = new NewMessageAnnouncer((text) => said.push(text), 5000, clock);
  });

  it('says the first arrival at once, in the singular', () => {
    announcer.add(1, 'a/b');
    assert.deepEqual(said, ['1 new message on a/b']);
  });

  it('coalesces a flood into one sentence per interval, never one per message', () => {
    announcer.add(1, 'a/b');
    for (let n = 0; n < 10_000; n++) {
      announcer.add(1, 'a/b');
      if (n % 100 === 0) clock.advance(20);
    }
    // 10,000 messages over two seconds: still only the first sentence.
    assert.deepEqual(said, ['1 new message on a/b']);
    clock.advance(3000);
    assert.deepEqual(said, ['1 new message on a/b', '10,000 new messages on a/b']);
    // The next burst waits for the interval after that sentence.
    announcer.add(12, 'a/b');
    assert.equal(said.length, 2);
    clock.advance(4999);
    assert.equal(said.length, 2);
    clock.advance(1);
    assert.equal(said[2], '12 new messages on a/b');
    assert.equal(clock.waiting, 0, 'no timer left once everything is said');
  });

  it('says nothing for nothing, and starts over for another topic', () => {
    announcer.add(0, 'a/b');
    assert.deepEqual(said, []);
    announcer.add(3, 'a/b');
    announcer.add(5, 'a/b');
    announcer.add(2, 'c/d');
    clock.advance(5000);
    assert.deepEqual(said, ['3 new messages on a/b', '2 new messages on c/d']);
  });

  it('forgets what it had not said when reset', () => {
    announcer.add(1, 'a/b');
    announcer.add(7, 'a/b');
    announcer.reset();
    clock.advance(10_000);
    assert.deepEqual(said, ['1 new message on a/b']);
    assert.equal(clock.waiting, 0);
  });
});
