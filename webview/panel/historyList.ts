import * as l10n from '@vscode/l10n';
import { formatBytes } from '../../src/shared/format';
import type { HistoryRow, HistoryWindowView, PropertiesView } from '../../src/shared/webviewProtocol';
import { el } from './dom';

/** Row height in pixels: fixed, so that any row's position is known without rendering the others. */
export const ROW_HEIGHT = 22;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 12;
/** Rows asked for at once, aligned to blocks so that the same block is never asked for twice. */
const BLOCK = 200;
/** Rows kept in the cache before far-away ones are forgotten (they are fetched again if needed). */
const MAX_CACHED = 20_000;

export interface HistoryListEvents {
  /** A row was picked (undefined: back to following the newest message). */
  select(seq: number | undefined): void;
  /** Shift+click or Shift+Enter: the message to compare against. */
  pickCompare(seq: number): void;
  /** Enter: show the message's details (the Payload tab) and take the keyboard there. */
  open(seq: number | undefined): void;
  fetchRows(from: number, count: number): Promise<{ window: HistoryWindowView | undefined; rows: HistoryRow[] }>;
}

export function timeOf(receivedAt: number): string {
  const date = new Date(receivedAt);
  const pad = (value: number, length = 2) => String(value).padStart(length, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One line for a message's MQTT 5 properties. */
export function propertiesSummary(properties: PropertiesView | undefined): string {
  if (!properties) return '';
  const parts: string[] = [];
  if (properties.contentType !== undefined) parts.push(properties.contentType);
  if (properties.payloadFormatIndicator) parts.push('utf-8');
  if (properties.messageExpiryInterval !== undefined) parts.push(l10n.t('expires {0}s', properties.messageExpiryInterval));
  if (properties.responseTopic !== undefined) parts.push(`→ ${properties.responseTopic}`);
  if (properties.correlationData !== undefined) parts.push(l10n.t('correlation'));
  for (const [name, value] of properties.userProperties ?? []) parts.push(`${name}=${value}`);
  return parts.join(' · ');
}

/** What a screen reader says for a row: its fields in words, not the columns' order. */
export function rowLabel(seq: number, row: HistoryRow): string {
  const parts = [l10n.t('Message #{0}', seq), timeOf(row.receivedAt), l10n.t('QoS {0}', row.qos)];
  if (row.retain) parts.push(l10n.t('retained'));
  parts.push(row.truncated ? l10n.t('{0}, cut', formatBytes(row.size)) : formatBytes(row.size));
  const properties = propertiesSummary(row.properties);
  if (properties) parts.push(properties);
  parts.push(row.preview);
  return parts.join(', ');
}

/**
 * The topic's history, newest first, virtualized: only the rows in view exist in the page, so a
 * history of any length scrolls like a short one. Rows come from the host in blocks, on demand; a
 * message's row never changes, so a cached row stays right until the limits drop it.
 */
export class HistoryList {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly cache = new Map<number, HistoryRow>();
  private readonly loading = new Set<number>();
  private window: HistoryWindowView | undefined;
  private selected: number | undefined;
  private compared: number | undefined;
  private frame = 0;

  constructor(private readonly events: HistoryListEvents) {
    this.element = el('section', 'history');
    const head = el('div', 'history-row history-head');
    // The column heads are for the eye: each option says its fields in words (rowLabel).
    head.setAttribute('aria-hidden', 'true');
    for (const [name, label] of [['seq', '#'], ['time', l10n.t('Time')], ['qos', 'QoS'], ['retain', l10n.t('Retain')], ['size', l10n.t('Size')], ['props', l10n.t('Properties')], ['preview', l10n.t('Payload')]]) head.append(el('span', `cell ${name}`, label));
    // One tab stop: the list keeps the focus and points at the selected row (aria-activedescendant),
    // since the rows come and go as it scrolls (only those in view exist).
    this.viewport = el('div', 'history-viewport');
    this.viewport.tabIndex = 0;
    this.viewport.setAttribute('role', 'listbox');
    this.viewport.setAttribute('aria-label', l10n.t('Message history, newest first'));
    this.viewport.setAttribute('aria-describedby', 'history-keys');
    const keys = el('span', 'sr-only', l10n.t('Up and Down move through the messages, Home and End go to the newest and the oldest, Enter shows the message\'s payload, Shift+Enter compares with it.'));
    keys.id = 'history-keys';
    this.spacer = el('div', 'history-spacer');
    this.layer = el('div', 'history-layer');
    this.spacer.append(this.layer);
    this.viewport.append(this.spacer);
    this.element.append(head, this.viewport, keys);
    this.viewport.addEventListener('scroll', () => this.schedule());
    this.viewport.addEventListener('click', (event) => this.onClick(event));
    this.viewport.addEventListener('keydown', (event) => this.onKey(event));
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  get count(): number {
    return this.window ? this.window.nextSeq - this.window.firstSeq : 0;
  }

  get selectedSeq(): number | undefined {
    return this.selected;
  }

  /** Starts over: another topic, or the same one cleared and come back. */
  reset(): void {
    this.cache.clear();
    this.loading.clear();
    this.window = undefined;
    this.selected = undefined;
    this.compared = undefined;
    this.viewport.scrollTop = 0;
    this.render();
  }

  /** New messages: their rows go into the cache, and a person reading older rows keeps them in view. */
  /** The rows the page holds read their payloads with a decoder that changed: each is fetched again as it shows. */
  forgetRows(): void {
    this.cache.clear();
    this.loading.clear();
    this.render();
  }

  update(window: HistoryWindowView | undefined, rows: HistoryRow[]): void {
    const previous = this.window;
    if (previous && window && previous.nodeId !== window.nodeId) this.reset();
    const before = this.window;
    this.window = window;
    for (const row of rows) this.cache.set(row.seq, row);
    // The spacer grows first, so that moving the scroll position down is not clamped to the old height.
    this.spacer.style.height = `${this.count * ROW_HEIGHT}px`;
    if (before && window && this.viewport.scrollTop > 0) this.viewport.scrollTop += (window.nextSeq - before.nextSeq) * ROW_HEIGHT;
    if (this.selected !== undefined && window && this.selected < window.firstSeq) this.selected = undefined;
    this.forgetFarRows();
    this.render();
  }

  setSelected(seq: number | undefined): void {
    this.selected = seq;
    this.render();
  }

  setCompared(seq: number | undefined): void {
    this.compared = seq;
    this.render();
  }

  row(seq: number): HistoryRow | undefined {
    return this.cache.get(seq);
  }

  /** Scrolls so that the message is in view (for the keyboard and for tests). */
  reveal(seq: number): void {
    if (!this.window) return;
    const index = this.window.nextSeq - 1 - seq;
    const top = index * ROW_HEIGHT;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.viewport.scrollTop + this.viewport.clientHeight) this.viewport.scrollTop = top + ROW_HEIGHT - this.viewport.clientHeight;
    this.render();
  }

  focus(): void {
    this.viewport.focus();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const window = this.window;
    const count = this.count;
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    if (!window || count === 0) {
      this.viewport.removeAttribute('aria-activedescendant');
      this.layer.replaceChildren(el('div', 'history-empty', l10n.t('No message on this topic yet.')));
      return;
    }
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(count - 1, Math.ceil((this.viewport.scrollTop + this.viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const rows: HTMLElement[] = [];
    const missing = new Set<number>();
    for (let index = first; index <= last; index++) {
      const seq = window.nextSeq - 1 - index;
      const row = this.cache.get(seq);
      if (!row) missing.add(Math.floor(seq / BLOCK));
      rows.push(this.rowElement(index, seq, row));
    }
    this.layer.replaceChildren(...rows);
    // The selected row, when it is in the page (the keyboard reveals it before it selects).
    const active = this.layer.querySelector('.history-row.selected');
    if (active) this.viewport.setAttribute('aria-activedescendant', active.id);
    else this.viewport.removeAttribute('aria-activedescendant');
    for (const block of missing) void this.load(block);
  }

  private rowElement(index: number, seq: number, row: HistoryRow | undefined): HTMLElement {
    const element = el('div', 'history-row');
    element.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    element.dataset.seq = String(seq);
    element.id = `message-${seq}`;
    element.setAttribute('role', 'option');
    // The list is virtualized: each option says where it stands in all of it.
    element.setAttribute('aria-setsize', String(this.count));
    element.setAttribute('aria-posinset', String(index + 1));
    const isSelected = this.selected === undefined ? index === 0 : this.selected === seq;
    element.setAttribute('aria-selected', String(isSelected));
    if (isSelected) element.classList.add('selected');
    if (this.compared === seq) element.classList.add('compared');
    if (!row) {
      element.append(el('span', 'cell seq', String(seq)), el('span', 'cell loading', l10n.t('loading…')));
      return element;
    }
    // The cells are for the eye; a screen reader reads one sentence instead. Its name comes from
    // that hidden text, not an aria-label, so the visible text never contradicts the accessible name.
    const cells = [
      el('span', 'cell seq', String(seq)),
      el('span', 'cell time', timeOf(row.receivedAt)),
      el('span', 'cell qos', String(row.qos)),
      el('span', 'cell retain', row.retain ? 'R' : ''),
      el('span', 'cell size', `${formatBytes(row.size)}${row.truncated ? ' ✂' : ''}`),
      el('span', 'cell props', propertiesSummary(row.properties)),
      el('span', 'cell preview', row.preview),
    ];
    for (const cell of cells) cell.setAttribute('aria-hidden', 'true');
    element.append(...cells, el('span', 'sr-only', rowLabel(seq, row)));
    element.title = new Date(row.receivedAt).toLocaleString();
    return element;
  }

  private async load(block: number): Promise<void> {
    if (this.loading.has(block)) return;
    this.loading.add(block);
    try {
      const page = await this.events.fetchRows(block * BLOCK, BLOCK).catch(() => undefined);
      if (!page) return; // the panel moved on, or the connection went away: the placeholders stay until the next render
      const { window, rows } = page;
      if (!this.loading.has(block)) return; // reset meanwhile
      if (window && this.window && window.nodeId !== this.window.nodeId) return;
      for (const row of rows) this.cache.set(row.seq, row);
      // Rows the limits dropped meanwhile: the window moves on, the placeholders go.
      if (window && this.window && window.firstSeq > this.window.firstSeq) this.window = { ...this.window, firstSeq: window.firstSeq };
      this.render();
    } finally {
      this.loading.delete(block);
    }
  }

  private forgetFarRows(): void {
    if (this.cache.size <= MAX_CACHED || !this.window) return;
    const centre = this.window.nextSeq - 1 - Math.floor(this.viewport.scrollTop / ROW_HEIGHT);
    for (const seq of this.cache.keys()) if (Math.abs(seq - centre) > MAX_CACHED / 4 || seq < this.window.firstSeq) this.cache.delete(seq);
  }

  private seqAt(event: Event): number | undefined {
    const row = (event.target as HTMLElement).closest<HTMLElement>('.history-row');
    return row?.dataset.seq === undefined ? undefined : Number(row.dataset.seq);
  }

  private onClick(event: MouseEvent): void {
    const seq = this.seqAt(event);
    if (seq === undefined) return;
    if (event.shiftKey) this.events.pickCompare(seq);
    else this.events.select(this.window && seq === this.window.nextSeq - 1 ? undefined : seq);
  }

  private onKey(event: KeyboardEvent): void {
    const window = this.window;
    if (!window || this.count === 0) return;
    const current = this.selected ?? window.nextSeq - 1;
    let next: number | undefined;
    if (event.key === 'ArrowDown') next = Math.max(window.firstSeq, current - 1);
    else if (event.key === 'ArrowUp') next = Math.min(window.nextSeq - 1, current + 1);
    else if (event.key === 'PageDown') next = Math.max(window.firstSeq, current - Math.floor(this.viewport.clientHeight / ROW_HEIGHT));
    else if (event.key === 'PageUp') next = Math.min(window.nextSeq - 1, current + Math.floor(this.viewport.clientHeight / ROW_HEIGHT));
    else if (event.key === 'End') next = window.firstSeq;
    else if (event.key === 'Home') next = window.nextSeq - 1;
    else if (event.key === 'Enter' && event.shiftKey) {
      this.events.pickCompare(current);
      event.preventDefault();
      return;
    } else if (event.key === 'Enter') {
      event.preventDefault();
      this.events.open(current === window.nextSeq - 1 && this.selected === undefined ? undefined : current);
      return;
    }
    if (next === undefined) return;
    event.preventDefault();
    this.reveal(next);
    this.events.select(next === window.nextSeq - 1 ? undefined : next);
  }
}
