import { jsonDepthExceeds, jsonNote, looksLikeJson, MAX_JSON_DEPTH, MAX_VIEW_JSON_CHARS } from '../../src/shared/json';
import { isRecord } from '../../src/shared/guards';
import { pathOf } from '../../src/shared/series';

/**
 * The difference between two payloads. JSON on both sides: by structure (which paths were added,
 * removed or changed), so reordered keys are no change. Otherwise: by line. No DOM.
 */

export type Change =
  | { kind: 'added'; path: string; after: unknown }
  | { kind: 'removed'; path: string; before: unknown }
  | { kind: 'changed'; path: string; before: unknown; after: unknown };

/** A comparison still to make, or a change found, in the order the changes are listed. */
type Step = { before: unknown; after: unknown; path: string } | { change: Change };

/** What changed from `before` to `after`, by path, depth first in key order. An explicit stack: a value may nest 100,000 levels. */
export function jsonDiff(before: unknown, after: unknown, path = ''): Change[] {
  const changes: Change[] = [];
  const stack: Step[] = [{ before, after, path }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    if ('change' in step) {
      changes.push(step.change);
      continue;
    }
    const steps: Step[] = [];
    const [from, to, at] = [step.before, step.after, step.path];
    if (isRecord(from) && isRecord(to)) {
      for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
        const childPath = pathOf(at, key);
        if (!(key in to)) steps.push({ change: { kind: 'removed', path: childPath, before: from[key] } });
        else if (!(key in from)) steps.push({ change: { kind: 'added', path: childPath, after: to[key] } });
        else steps.push({ before: from[key], after: to[key], path: childPath });
      }
    } else if (Array.isArray(from) && Array.isArray(to)) {
      for (let index = 0; index < Math.max(from.length, to.length); index++) {
        const childPath = pathOf(at, index);
        if (index >= to.length) steps.push({ change: { kind: 'removed', path: childPath, before: from[index] } });
        else if (index >= from.length) steps.push({ change: { kind: 'added', path: childPath, after: to[index] } });
        else steps.push({ before: from[index], after: to[index], path: childPath });
      }
    } else if (!sameLeaf(from, to)) changes.push({ kind: 'changed', path: at || '(value)', before: from, after: to });
    // Reversed onto the stack, so that the first comes off first.
    for (let index = steps.length - 1; index >= 0; index--) stack.push(steps[index]);
  }
  return changes;
}

/**
 * Two values that are not both objects or both arrays: equal only as the same scalar (an object and
 * an array always differ). No JSON.stringify, which recurses and would overflow on a deep value.
 */
function sameLeaf(before: unknown, after: unknown): boolean {
  return Object.is(before, after) || before === after;
}

export type LineChange = { kind: 'same' | 'added' | 'removed'; text: string };

/** A line diff (longest common subsequence), for text payloads; bounded so a huge payload cannot stall the page. */
export function lineDiff(before: string, after: string, maxLines = 2000): LineChange[] {
  const a = before.split('\n').slice(0, maxLines);
  const b = after.split('\n').slice(0, maxLines);
  // Lines compared as numbers: comparing long lines as strings in the table below would cost their length each time.
  const ids = new Map<string, number>();
  const idOf = (line: string) => {
    let id = ids.get(line);
    if (id === undefined) ids.set(line, (id = ids.size));
    return id;
  };
  const x = a.map(idOf);
  const y = b.map(idOf);
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lengths[i][j] = x[i] === y[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
  const out: LineChange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (x[i] === y[j]) {
      out.push({ kind: 'same', text: a[i] });
      i++;
      j++;
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) out.push({ kind: 'removed', text: a[i++] });
    else out.push({ kind: 'added', text: b[j++] });
  }
  while (i < a.length) out.push({ kind: 'removed', text: a[i++] });
  while (j < b.length) out.push({ kind: 'added', text: b[j++] });
  return out;
}

export type PayloadDiff = { json: true; changes: Change[] } | { json: false; lines: LineChange[]; note?: string };

/**
 * Structural when both payloads are JSON within the views' bounds (`maxChars` of text, MAX_JSON_DEPTH
 * levels), by line otherwise, with a note when JSON was compared as text for its size or depth.
 * `lineText` gives the text compared line by line (the panel pretty-prints what it can).
 */
export function diffPayloads(before: string, after: string, options: { maxChars?: number; lineText?: (text: string) => string } = {}): PayloadDiff {
  const { maxChars = MAX_VIEW_JSON_CHARS, lineText = (text: string) => text } = options;
  const byLine = (note?: string): PayloadDiff => ({ json: false, lines: lineDiff(lineText(before), lineText(after)), note });
  if ((before.length > maxChars && looksLikeJson(before)) || (after.length > maxChars && looksLikeJson(after))) return byLine(jsonNote('large', 'compared as text, line by line', maxChars));
  if (before.length > maxChars || after.length > maxChars) return byLine();
  // Checked before JSON.parse, which would build every level first.
  if ((looksLikeJson(before) && jsonDepthExceeds(before, MAX_JSON_DEPTH)) || (looksLikeJson(after) && jsonDepthExceeds(after, MAX_JSON_DEPTH))) {
    return byLine(jsonNote('deep', 'compared as text, line by line'));
  }
  let parsed: [unknown, unknown];
  try {
    parsed = [JSON.parse(before), JSON.parse(after)];
  } catch {
    return byLine();
  }
  return { json: true, changes: jsonDiff(parsed[0], parsed[1]) };
}
