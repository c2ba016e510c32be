import type { JsonNode } from '../../src/shared/json';
import { el } from './dom';

/** Levels open when a payload is first shown; deeper ones open on a click. */
const OPEN_LEVELS = 3;
/** Items of one array or object rendered before a "show more" line. */
const PAGE = 500;

function summary(node: JsonNode): string {
  if (node.kind === 'object') return `{…} ${node.entries.length} key${node.entries.length === 1 ? '' : 's'}`;
  if (node.kind === 'array') return `[…] ${node.items.length} item${node.items.length === 1 ? '' : 's'}`;
  return '';
}

function scalar(node: JsonNode): HTMLElement {
  switch (node.kind) {
    case 'string':
      return el('span', 'json-string', JSON.stringify(node.value));
    case 'number':
      return el('span', 'json-number', node.raw);
    case 'literal':
      return el('span', node.raw === 'null' ? 'json-null' : 'json-boolean', node.raw);
    default:
      return el('span');
  }
}

/** One line's beginning: the key (or nothing, in an array), then the value or the opening bracket. */
function lead(key: string | undefined): HTMLElement[] {
  return key === undefined ? [] : [el('span', 'json-key', JSON.stringify(key)), el('span', 'json-punct', ': ')];
}

/**
 * Pretty-printed JSON that folds: each object and array is a <details> element, so folding works
 * with the mouse and the keyboard without any script per node. Children are built when first opened,
 * so this recursion goes at most OPEN_LEVELS deep whatever the payload's depth (which the parser
 * bounds too: deeper payloads never get here).
 */
export function renderJson(node: JsonNode, key?: string, depth = 0, last = true): HTMLElement {
  const comma = last ? '' : ',';
  if (node.kind !== 'object' && node.kind !== 'array') {
    const line = el('div', 'json-line');
    line.append(...lead(key), scalar(node), el('span', 'json-punct', comma));
    return line;
  }
  const [open, close] = node.kind === 'object' ? ['{', '}'] : ['[', ']'];
  const children: [string | undefined, JsonNode][] = node.kind === 'object' ? node.entries : node.items.map((item) => [undefined, item]);
  if (!children.length) {
    const line = el('div', 'json-line');
    line.append(...lead(key), el('span', 'json-punct', `${open}${close}${comma}`));
    return line;
  }
  const details = el('details', 'json-node');
  const head = el('summary', 'json-line');
  head.append(...lead(key), el('span', 'json-punct', open), el('span', 'json-summary', ` ${summary(node)} ${close}${comma}`));
  const body = el('div', 'json-children');
  const tail = el('div', 'json-line json-close', `${close}${comma}`);
  details.append(head, body, tail);
  let built = 0;
  const build = (upTo: number) => {
    body.querySelector(':scope > .json-more')?.remove();
    const end = Math.min(children.length, upTo);
    for (; built < end; built++) body.append(renderJson(children[built][1], children[built][0], depth + 1, built === children.length - 1));
    if (built < children.length) {
      const more = el('button', 'json-more', `Show ${Math.min(PAGE, children.length - built)} more of ${children.length - built}`);
      more.addEventListener('click', () => build(built + PAGE));
      body.append(more);
    }
  };
  details.addEventListener('toggle', () => {
    if (details.open && built === 0) build(PAGE);
  });
  if (depth < OPEN_LEVELS) {
    details.open = true;
    build(PAGE);
  }
  return details;
}
