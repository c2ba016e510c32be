/**
 * Paces the refresh of view rows under a flood: a row is reported at most once per `intervalMs`,
 * and at most `maxPerTake` rows at a time. Every refreshed tree row costs the extension host's
 * thread (VS Code builds the item, serializes it and sends it to the window); without a bound that
 * cost grows with the broker's rate and the rows in view, and a burst of it stalls every extension
 * in the window. Paced, the cost per second is bounded by the two constants, whatever the broker
 * sends. Nothing is dropped: a row held back stays pending, with its newest value, until its turn.
 * A row quiet for `intervalMs` is taken at once. Pure: no timers (the caller asks `nextDueInMs`).
 */
export class RefreshPacer<K, V> {
  /** Rows waiting for their turn, in the order they first changed (a Map keeps insertion order). */
  private readonly pending = new Map<K, V>();
  /** When each recently taken row was taken, oldest first; entries an interval old are pruned. */
  private readonly takenAt = new Map<K, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxPerTake: number,
  ) {}

  /** The row changed: it will be taken, with this value, when due (a pending row keeps its place). */
  mark(key: K, value: V): void {
    this.pending.set(key, value);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Rows remembered as taken within the interval: at most what the turns of one interval take. */
  get recentCount(): number {
    return this.takenAt.size;
  }

  /** The pending rows, in their order, without taking them. */
  pendingValues(): IterableIterator<V> {
    return this.pending.values();
  }

  /** Rows due now (not taken within the interval), oldest change first, at most maxPerTake. The others stay pending in place. */
  take(now: number): V[] {
    this.prune(now);
    const keys: K[] = [];
    for (const key of this.pending.keys()) {
      if (keys.length >= this.maxPerTake) break;
      if (!this.takenAt.has(key)) keys.push(key);
    }
    const taken: V[] = [];
    for (const key of keys) {
      taken.push(this.pending.get(key) as V);
      this.pending.delete(key);
      this.takenAt.set(key, now);
    }
    return taken;
  }

  /** Milliseconds until a pending row is due (0: now), or undefined when nothing is pending. */
  nextDueInMs(now: number): number | undefined {
    if (this.pending.size === 0) return undefined;
    this.prune(now);
    let soonest = Infinity;
    for (const key of this.pending.keys()) {
      const at = this.takenAt.get(key);
      if (at === undefined) return 0;
      soonest = Math.min(soonest, at + this.intervalMs - now);
    }
    return Math.max(0, soonest);
  }

  /** Forgets every row, pending or recent (the view starts over). */
  clear(): void {
    this.pending.clear();
    this.takenAt.clear();
  }

  /** Drops the record of rows taken an interval ago or longer: it holds at most the rows of one interval. */
  private prune(now: number): void {
    for (const [key, at] of this.takenAt) {
      if (now - at < this.intervalMs) break;
      this.takenAt.delete(key);
    }
  }
}
