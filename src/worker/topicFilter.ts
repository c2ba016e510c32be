/**
 * The Topics view's filter: which nodes match, and which levels have a match at or below them.
 * Nothing here can hang the worker: regular expressions run on RE2 (linear time), a payload is
 * searched in its first FILTER_PAYLOAD_BYTES only, and the walks below use explicit stacks.
 */
import type { TopicFilter } from '../shared/engineProtocol';
import { payloadAsText } from '../shared/format';
import { compileRegex } from '../shared/regex';
import { topicMatchesFilter } from '../shared/topicRules';
import type { TopicNode } from './topicTree';
import type { PayloadReader } from './payloadReader';

let nextIndexId = 1;

/** A payload filter reads at most this much of a payload: the search costs at most this per topic. */
export const FILTER_PAYLOAD_BYTES = 64 * 1024;

/** The beginning of a payload as text for a filter, cut on a character boundary; undefined for binary payloads. */
export function filterText(payload: Uint8Array): string | undefined {
  if (payload.length <= FILTER_PAYLOAD_BYTES) return payloadAsText(payload);
  let end = FILTER_PAYLOAD_BYTES;
  // Back off to the first byte of the character the cut falls in (UTF-8 continuation bytes are 10xxxxxx; at most 3).
  for (let back = 0; back < 3 && (payload[end] & 0xc0) === 0x80; back++) end--;
  return payloadAsText(payload.subarray(0, end));
}

/**
 * A predicate for one node's own topic or last payload; throws a readable error for a bad pattern.
 * The payload is read through the node's connection's PayloadReader: a topic with a decoder binding
 * is searched in its decoded value (compact JSON), not in its raw bytes.
 */
export function compileFilter(filter: TopicFilter): (node: TopicNode, payloads: PayloadReader) => boolean {
  let test: (text: string) => boolean;
  switch (filter.kind) {
    case 'substring': {
      const needle = filter.pattern.toLowerCase();
      test = (text) => text.toLowerCase().includes(needle);
      break;
    }
    case 'wildcard':
      test = (text) => topicMatchesFilter(filter.pattern, text);
      break;
    case 'regex':
      test = compileRegex(filter.pattern);
      break;
  }
  if (filter.target === 'topic') return (node) => node.hasMessages && test(node.topic);
  return (node, payloads) => {
    const text = payloads.filterText(node);
    return text !== undefined && test(text);
  };
}

/** A node of the walk whose own topic did not match, with the children still to look at. */
interface Frame {
  node: TopicNode;
  children: Iterator<TopicNode>;
}

/**
 * For one filter: does a node, or any node below it, match? The view asks this for every child of
 * every expanded level on each refresh, so the answers are kept between requests, one per node, each
 * with the node's `revision`. The tree raises the revision along the path of every change a filter
 * can see (a message, a node added or removed below, a last value dropped), so an answer is reused
 * while the subtree below it is as it was, and a refresh only walks the paths that changed since.
 *
 * Bounded and in the budget: the answers live in the trees, one word per node (a number reused by
 * a new node comes with a higher revision, so an old answer never matches it); the trees keep the
 * answers of the newest index that asked. One index serves every connection's tree; a new filter
 * needs a new index.
 */
export class FilterIndex {
  readonly filter: TopicFilter;
  private readonly matches: (node: TopicNode, payloads: PayloadReader) => boolean;
  /** Which index this is, for the trees that keep its answers. */
  private readonly id = nextIndexId++;
  /** Nodes whose answer had to be computed, since the index was made: tests and benchmarks check that a refresh walks only what changed. */
  computed = 0;

  /** Throws a readable error for a bad pattern. */
  constructor(filter: TopicFilter) {
    this.filter = { ...filter };
    this.matches = compileFilter(filter);
  }

  /** Whether this index answers for `filter`: the same kind, target and pattern. */
  isFor(filter: TopicFilter | undefined): boolean {
    return filter !== undefined && filter.kind === this.filter.kind && filter.target === this.filter.target && filter.pattern === this.filter.pattern;
  }

  /**
   * Whether `start` itself or any node below it matches the filter; payloads are read by `payloads`
   * (the connection's reader). Answers depend on the decoder bindings: a new set of bindings needs a
   * new index.
   */
  matchesAtOrBelow(start: TopicNode, payloads: PayloadReader): boolean {
    const frames: Frame[] = [];
    // undefined: the node was pushed, its answer waits for its children.
    let answer = this.visit(start, frames, payloads);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      if (answer === true) {
        // A child matched: so does every node on the stack, without looking at their other children.
        this.remember(frame.node, true);
        frames.pop();
        continue;
      }
      const next = frame.children.next();
      if (next.done) {
        this.remember(frame.node, false);
        frames.pop();
        answer = false;
        continue;
      }
      answer = this.visit(next.value, frames, payloads);
    }
    // Defined: either visit answered at once, or the last frame popped with an answer.
    return answer === true;
  }

  /** The answer for `node` when it is known or found at once; else pushes it to look below, and returns undefined. */
  private visit(node: TopicNode, frames: Frame[], payloads: PayloadReader): boolean | undefined {
    const known = node.tree.filterAnswer(this.id, node.id);
    if (known !== undefined) return known;
    this.computed++;
    if (this.matches(node, payloads)) return this.remember(node, true);
    if (!node.childCount) return this.remember(node, false);
    frames.push({ node, children: node.children.values() });
    return undefined;
  }

  private remember(node: TopicNode, matched: boolean): boolean {
    node.tree.rememberFilterAnswer(this.id, node.id, matched);
    return matched;
  }
}
