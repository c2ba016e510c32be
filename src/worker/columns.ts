/**
 * Growable columns of numbers, one typed array page after another: a table of a million rows costs
 * its rows' bytes and at most one page of slack per column, and growing never copies what is there
 * (no moment with the old and the new array both alive, as doubling an array would have).
 */

const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

type TypedArray = Int32Array | Uint32Array;

abstract class Column<T extends TypedArray> {
  protected readonly pages: T[] = [];

  constructor(private readonly initial: number) {}

  protected abstract page(): T;

  /** Rows the column has room for. */
  get capacity(): number {
    return this.pages.length * PAGE_SIZE;
  }

  /** Makes room for row `row`; new rows hold the column's initial value. */
  ensure(row: number): void {
    while (row >= this.capacity) {
      const page = this.page();
      if (this.initial !== 0) page.fill(this.initial);
      this.pages.push(page);
    }
  }

  get(row: number): number {
    return this.pages[row >>> PAGE_BITS][row & PAGE_MASK];
  }

  set(row: number, value: number): void {
    this.pages[row >>> PAGE_BITS][row & PAGE_MASK] = value;
  }

  add(row: number, delta: number): void {
    this.pages[row >>> PAGE_BITS][row & PAGE_MASK] += delta;
  }
}

export class Int32Column extends Column<Int32Array> {
  protected page(): Int32Array {
    return new Int32Array(PAGE_SIZE);
  }
}

export class Uint32Column extends Column<Uint32Array> {
  protected page(): Uint32Array {
    return new Uint32Array(PAGE_SIZE);
  }
}

const TWO_32 = 2 ** 32;

/**
 * Counts that are almost always below 2^32 (a topic's messages): 4 bytes a row, and the rare row
 * that passes 2^32 keeps its high part in a map, so that no count ever wraps.
 */
export class CountColumn {
  private readonly low = new Uint32Column(0);
  private readonly high = new Map<number, number>();

  get capacity(): number {
    return this.low.capacity;
  }

  ensure(row: number): void {
    this.low.ensure(row);
  }

  get(row: number): number {
    const low = this.low.get(row);
    return this.high.size === 0 ? low : low + (this.high.get(row) ?? 0) * TWO_32;
  }

  set(row: number, value: number): void {
    if (value < TWO_32 && this.high.size === 0) {
      this.low.set(row, value);
      return;
    }
    const high = Math.floor(value / TWO_32);
    this.low.set(row, value - high * TWO_32);
    if (high > 0) this.high.set(row, high);
    else this.high.delete(row);
  }

  add(row: number, delta: number): void {
    const sum = this.low.get(row) + delta;
    if (sum >= 0 && sum < TWO_32) this.low.set(row, sum);
    else this.set(row, this.get(row) + delta);
  }
}
