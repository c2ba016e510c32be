/**
 * Level names as bytes, one after another in one growable array: a name whose characters are all
 * Latin-1 takes a byte each, any other name two (UTF-16). A node holds where its name starts and a
 * word with its length in code units and the WIDE bit. No string object per node, and a look-up
 * compares a level of a topic in place, without cutting it out of the topic first.
 */

/** The name is stored as UTF-16 code units (two bytes each, little-endian). */
export const WIDE = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;
const INITIAL_BYTES = 1024;
/** The array grows by a quarter beyond what is needed: little slack, copies still amortized. */
const GROWTH = 1.25;

export class NameArena {
  bytes = new Uint8Array(INITIAL_BYTES);
  /** Bytes written so far, live or dead. */
  used = 0;
  /** Bytes of names whose nodes are gone: given back by `rebuild`. */
  dead = 0;

  /** Stores code units from..to of `text`; returns the length word (the start is `used` before the call). */
  store(text: string, from: number, to: number): number {
    let wide = false;
    for (let i = from; i < to; i++) {
      if (text.charCodeAt(i) > 0xff) {
        wide = true;
        break;
      }
    }
    const units = to - from;
    const size = wide ? units * 2 : units;
    this.reserve(size);
    const bytes = this.bytes;
    let at = this.used;
    if (wide) {
      for (let i = from; i < to; i++) {
        const unit = text.charCodeAt(i);
        bytes[at++] = unit & 0xff;
        bytes[at++] = unit >>> 8;
      }
    } else {
      for (let i = from; i < to; i++) bytes[at++] = text.charCodeAt(i);
    }
    this.used = at;
    return wide ? units | WIDE : units;
  }

  /** Whether the name at `start` is code units from..to of `text`. */
  equals(start: number, word: number, text: string, from: number, to: number): boolean {
    const units = word & LENGTH_MASK;
    if (units !== to - from) return false;
    const bytes = this.bytes;
    if (word & WIDE) {
      for (let i = 0; i < units; i++) if ((bytes[start + 2 * i] | (bytes[start + 2 * i + 1] << 8)) !== text.charCodeAt(from + i)) return false;
    } else {
      for (let i = 0; i < units; i++) if (bytes[start + i] !== text.charCodeAt(from + i)) return false;
    }
    return true;
  }

  read(start: number, word: number): string {
    const size = byteSize(word);
    if (size === 0) return '';
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, size).toString(word & WIDE ? 'utf16le' : 'latin1');
  }

  /** levelHash of the stored name under `parent`: the index rehashes from here, no hash is kept per node. */
  hash(parent: number, start: number, word: number): number {
    const units = word & LENGTH_MASK;
    const bytes = this.bytes;
    let hash = Math.imul(parent ^ 0x5bd1e995, 0x9e3779b1);
    if (word & WIDE) for (let i = 0; i < units; i++) hash = Math.imul(hash ^ (bytes[start + 2 * i] | (bytes[start + 2 * i + 1] << 8)), 0x01000193);
    else for (let i = 0; i < units; i++) hash = Math.imul(hash ^ bytes[start + i], 0x01000193);
    return finish(hash);
  }

  /** A name's node is gone. */
  free(word: number): void {
    this.dead += byteSize(word);
  }

  /** Worth rebuilding: more dead bytes than live ones, and not a handful. */
  get wasteful(): boolean {
    return this.dead > 64 * 1024 && this.dead * 2 > this.used;
  }

  /**
   * Copies the live names into a fresh array: `each` calls back with every live name's start and
   * word, and is given the new start.
   */
  rebuild(each: (move: (start: number, word: number) => number) => void): void {
    const old = this.bytes;
    this.bytes = new Uint8Array(Math.max(INITIAL_BYTES, Math.ceil((this.used - this.dead) * GROWTH)));
    this.used = 0;
    this.dead = 0;
    each((start, word) => {
      const size = byteSize(word);
      const at = this.used;
      this.reserve(size);
      this.bytes.set(old.subarray(start, start + size), at);
      this.used += size;
      return at;
    });
  }

  private reserve(size: number): void {
    if (this.used + size <= this.bytes.length) return;
    const grown = new Uint8Array(Math.ceil((this.used + size) * GROWTH));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
}

/** Hash of a level name (code units from..to of `text`) under `parent`: what the children index is keyed by. */
export function levelHash(parent: number, text: string, from: number, to: number): number {
  let hash = Math.imul(parent ^ 0x5bd1e995, 0x9e3779b1);
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return finish(hash);
}

function finish(hash: number): number {
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return hash | 0;
}

export function byteSize(word: number): number {
  const units = word & LENGTH_MASK;
  return word & WIDE ? units * 2 : units;
}
