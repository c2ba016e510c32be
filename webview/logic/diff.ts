import { pathOf } from '../../src/shared/series';

/**
 * The difference between two payloads. JSON on both sides: by structure (which paths were added,
 * removed or changed), so reordered keys are no change. Otherwise: by line. No DOM.
 */

export type Change =
  | { kind: 'added'; path: string; after: unknown }
  | { kind: 'removed'; path: string; before: unknown }
  | { kind: 'changed'; path: string; before: unknown; after: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonDiff(before: unknown, after: unknown, path = ''): Change[] {
  if (isObject(before) && isObject(after)) {
    const changes: Change[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const childPath = pathOf(path, key);
      if (!(key in after)) changes.push({ kind: 'removed', path: childPath, before: before[key] });
      else if (!(key in before)) changes.push({ kind: 'added', path: childPath, after: after[key] });
      else changes.push(...jsonDiff(before[key], after[key], childPath));
    }
    return changes;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: Change[] = [];
    for (let index = 0; index < Math.max(before.length, after.length); index++) {
      const childPath = pathOf(path, index);
      if (index >= after.length) changes.push({ kind: 'removed', path: childPath, before: before[index] });
      else if (index >= before.length) changes.push({ kind: 'added', path: childPath, after: after[index] });
      else changes.push(...jsonDiff(before[index], after[index], childPath));
    }
    return changes;
  }
  return Object.is(before, after) || JSON.stringify(before) === JSON.stringify(after) ? [] : [{ kind: 'changed', path: path || '(value)', before, after }];
}

export type LineChange = { kind: 'same' | 'added' | 'removed'; text: string };

/** A line diff (longest common subsequence), for text payloads; bounded so a huge payload cannot stall the page. */
export function lineDiff(before: string, after: string, maxLines = 2000): LineChange[] {
  const a = before.split('\n').slice(0, maxLines);
  const b = after.split('\n').slice(0, maxLines);
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
  const out: LineChange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
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

/** Structural when both payloads are JSON, by line otherwise. */
export function diffPayloads(before: string, after: string): { json: true; changes: Change[] } | { json: false; lines: LineChange[] } {
  try {
    return { json: true, changes: jsonDiff(JSON.parse(before), JSON.parse(after)) };
  } catch {
    return { json: false, lines: lineDiff(before, after) };
  }
}
