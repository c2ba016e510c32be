import * as l10n from '@vscode/l10n';
import type { JsonNode } from '../../src/shared/json';
import { el } from './dom';

/** Levels open when a payload is first shown; deeper ones open on a click or Right arrow. */
const OPEN_LEVELS = 3;
/** Items of one array or object rendered before a "show more" line. */
const PAGE = 500;

function summary(node: JsonNode): string {
  if (node.kind === 'object') return node.entries.length === 1 ? l10n.t('{…} 1 key') : l10n.t('{…} {0} keys', node.entries.length);
  if (node.kind === 'array') return node.items.length === 1 ? l10n.t('[…] 1 item') : l10n.t('[…] {0} items', node.items.length);
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

function item(className: string, level: number): HTMLElement {
  const element = el('div', className);
  element.setAttribute('role', 'treeitem');
  element.setAttribute('aria-level', String(level));
  element.tabIndex = -1;
  return element;
}

/** Opens or folds a node; its children are built when first opened. */
function setExpanded(node: HTMLElement, open: boolean): void {
  if (node.getAttribute('aria-expanded') === null) return;
  node.setAttribute('aria-expanded', String(open));
  if (open) builders.get(node)?.();
}

/** Builds a node's first page of children when it is first opened (kept per element, so nothing holds a closed tree). */
const builders = new WeakMap<HTMLElement, () => void>();

/**
 * One JSON value as a tree item: a container is a node with a head line, a group of children and a
 * closing line; everything else is one line. Children are built when first opened, so this recursion
 * goes at most OPEN_LEVELS deep whatever the payload's depth (which the parser bounds too: deeper
 * payloads never get here).
 */
function renderNode(node: JsonNode, key: string | undefined, depth: number, last: boolean): HTMLElement {
  const comma = last ? '' : ',';
  if (node.kind !== 'object' && node.kind !== 'array') {
    const line = item('json-line', depth + 1);
    line.append(...lead(key), scalar(node), el('span', 'json-punct', comma));
    return line;
  }
  const [open, close] = node.kind === 'object' ? ['{', '}'] : ['[', ']'];
  const children: [string | undefined, JsonNode][] = node.kind === 'object' ? node.entries : node.items.map((child) => [undefined, child]);
  if (!children.length) {
    const line = item('json-line', depth + 1);
    line.append(...lead(key), el('span', 'json-punct', `${open}${close}${comma}`));
    return line;
  }
  const container = item('json-node', depth + 1);
  // The name a screen reader says for the node: its key and what it holds, not all its children's text.
  container.setAttribute('aria-label', `${key === undefined ? '' : `${JSON.stringify(key)}: `}${summary(node)}`);
  const head = el('div', 'json-line json-head');
  head.append(...lead(key), el('span', 'json-punct', open), el('span', 'json-summary', ` ${summary(node)} ${close}${comma}`));
  const body = el('div', 'json-children');
  body.setAttribute('role', 'group');
  const tail = el('div', 'json-line json-close', `${close}${comma}`);
  tail.setAttribute('aria-hidden', 'true');
  container.append(head, body, tail);
  let built = 0;
  const build = (upTo: number) => {
    const more = body.querySelector(':scope > .json-more');
    const hadFocus = more !== null && more === document.activeElement;
    more?.remove();
    const end = Math.min(children.length, upTo);
    const first = built;
    for (; built < end; built++) body.append(renderNode(children[built][1], children[built][0], depth + 1, built === children.length - 1));
    if (built < children.length) {
      const line = item('json-more', depth + 2);
      line.textContent = l10n.t('Show {0} more of {1}', Math.min(PAGE, children.length - built), children.length - built);
      line.dataset.more = '';
      line.addEventListener('click', () => build(built + PAGE));
      body.append(line);
    }
    // The keyboard stays where it was: on the first of the items that replaced "show more".
    if (hadFocus) (body.children[first] as HTMLElement | undefined)?.focus();
  };
  builders.set(container, () => {
    if (built === 0) build(PAGE);
  });
  head.addEventListener('click', () => setExpanded(container, container.getAttribute('aria-expanded') !== 'true'));
  container.setAttribute('aria-expanded', 'false');
  if (depth < OPEN_LEVELS) setExpanded(container, true);
  // A "show more" line activated by the keyboard: the tree's keydown calls this.
  moreBuilders.set(body, () => build(built + PAGE));
  return container;
}

/** Each group's "show more": the tree's keyboard handler activates it. */
const moreBuilders = new WeakMap<HTMLElement, () => void>();

function isItem(element: Element | null | undefined): element is HTMLElement {
  return element instanceof HTMLElement && element.getAttribute('role') === 'treeitem';
}

function expanded(node: HTMLElement): boolean {
  return node.getAttribute('aria-expanded') === 'true';
}

function groupOf(node: HTMLElement): HTMLElement | undefined {
  const group = node.querySelector(':scope > [role="group"]');
  return group instanceof HTMLElement ? group : undefined;
}

function parentItem(node: HTMLElement): HTMLElement | undefined {
  const parent = node.parentElement?.closest('[role="treeitem"]');
  return isItem(parent) ? parent : undefined;
}

/** The item below in reading order: a first child when open, else the next sibling of it or of an ancestor. Walks, never recurses. */
function nextItem(node: HTMLElement): HTMLElement | undefined {
  const group = groupOf(node);
  if (expanded(node) && isItem(group?.firstElementChild)) return group.firstElementChild;
  for (let at: HTMLElement | undefined = node; at; at = parentItem(at)) {
    if (isItem(at.nextElementSibling)) return at.nextElementSibling;
  }
  return undefined;
}

/** The deepest last item shown under a node (the node itself when it is folded). */
function lastShown(node: HTMLElement): HTMLElement {
  let at = node;
  for (let group = groupOf(at); expanded(at) && group && isItem(group.lastElementChild); group = groupOf(at)) at = group.lastElementChild;
  return at;
}

function previousItem(node: HTMLElement): HTMLElement | undefined {
  return isItem(node.previousElementSibling) ? lastShown(node.previousElementSibling) : parentItem(node);
}

/**
 * A JSON value as a WAI-ARIA tree: one tab stop (the item last focused), Up/Down through the lines
 * shown, Right opens a node or goes into it, Left folds it or goes to its parent, Home/End, Enter or
 * Space folds and unfolds (and loads a "show more" line). The mouse folds by a click on a node's line.
 */
export function jsonTree(node: JsonNode, label: string, className = 'payload payload-json'): HTMLElement {
  const tree = el('div', className);
  tree.setAttribute('role', 'tree');
  tree.setAttribute('aria-label', label);
  const root = renderNode(node, undefined, 0, true);
  root.tabIndex = 0;
  tree.append(root);
  let current: HTMLElement = root;
  const moveTo = (target: HTMLElement | undefined) => {
    if (!target) return;
    target.focus();
  };
  tree.addEventListener('focusin', (event) => {
    const target = (event.target as HTMLElement).closest('[role="treeitem"]');
    if (!isItem(target) || target === current) return;
    current.tabIndex = -1;
    target.tabIndex = 0;
    current = target;
  });
  tree.addEventListener('click', (event) => {
    const target = (event.target as HTMLElement).closest('[role="treeitem"]');
    if (isItem(target)) target.focus({ preventScroll: true });
  });
  tree.addEventListener('keydown', (event) => {
    const at = (event.target as HTMLElement).closest('[role="treeitem"]');
    if (!isItem(at) || event.altKey || event.ctrlKey || event.metaKey) return;
    const isNode = at.getAttribute('aria-expanded') !== null;
    switch (event.key) {
      case 'ArrowDown':
        moveTo(nextItem(at));
        break;
      case 'ArrowUp':
        moveTo(previousItem(at));
        break;
      case 'Home':
        moveTo(root);
        break;
      case 'End':
        moveTo(lastShown(root));
        break;
      case 'ArrowRight':
        if (isNode && !expanded(at)) setExpanded(at, true);
        else if (isNode) moveTo(nextItem(at));
        break;
      case 'ArrowLeft':
        if (isNode && expanded(at)) setExpanded(at, false);
        else moveTo(parentItem(at));
        break;
      case 'Enter':
      case ' ':
        if (isNode) setExpanded(at, !expanded(at));
        else if (at.dataset.more !== undefined && at.parentElement) moreBuilders.get(at.parentElement)?.();
        else return;
        break;
      default:
        return;
    }
    event.preventDefault();
  });
  return tree;
}
