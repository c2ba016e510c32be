import * as l10n from '@vscode/l10n';
import type { BindingFormat } from '../../src/shared/decoderBindings';
import { BINDING_FORMAT_NAMES } from '../../src/shared/decoderBindings';
import { MAX_CHOICE_TEXT, type DecodedView, type DecoderChoice, type DecoderChoices } from '../../src/shared/webviewProtocol';
import { StaleReply } from '../host';
import { button } from '../toolkit';
import { host } from './channel';
import { el } from './dom';
import { jsonTree } from './jsonView';

/** Decoded messages kept in the page, as many as the raw ones (main.ts KEPT_MESSAGES). */
const KEPT_DECODED = 64;

/**
 * The engine's decoding of the messages the panel shows, asked once per message (on view, never per
 * received message) and kept for going back and forth and for the diff. Cleared when the bindings or
 * schema files change, or the panel shows another topic.
 */
export class DecodedCache {
  private readonly kept = new Map<number, Promise<DecodedView | undefined>>();
  /** The topic's binding as last seen: with none, the panel does not wait for a decoding to show bytes. */
  bound = false;
  private generation = 0;

  get(seq: number): Promise<DecodedView | undefined> {
    let answer = this.kept.get(seq);
    if (!answer) {
      const generation = this.generation;
      answer = host.request('decoded', { seq }).then((view) => {
        if (generation === this.generation) this.bound = view !== undefined;
        return view;
      });
      // A failed request (the panel moved on) is asked again next time; a newer one for the seq stays.
      const asked = answer;
      asked.catch(() => this.kept.get(seq) === asked && this.kept.delete(seq));
      this.kept.set(seq, answer);
      while (this.kept.size > KEPT_DECODED) this.kept.delete(this.kept.keys().next().value as number);
    }
    return answer;
  }

  clear(): void {
    this.generation++;
    this.kept.clear();
  }

  /** Another topic: nothing known of its binding either. */
  reset(): void {
    this.clear();
    this.bound = false;
  }
}

/** The line above a decoded payload: what decoded it, its notes, and the Raw switch. */
export function decoderBar(view: DecodedView, raw: boolean, onRaw: (raw: boolean) => void): HTMLElement {
  const bar = el('div', view.error ? 'decoder-bar decode-failed' : 'decoder-bar');
  const what = el('span', 'decoded-by', view.error ? l10n.t('Not decoded as {0}', view.decodedBy) : l10n.t('Decoded by {0}', view.decodedBy));
  bar.append(what);
  if (view.filter !== undefined) bar.append(el('span', 'decoder-binding', l10n.t('binding {0}', view.filter)));
  const toggle = button(l10n.t('Raw'), () => onRaw(!raw));
  toggle.classList.add('raw-toggle');
  toggle.setAttribute('aria-pressed', String(raw));
  toggle.title = raw ? l10n.t('Show the decoded value') : l10n.t('Show the payload as it arrived');
  if (!view.error) bar.append(toggle);
  return bar;
}

/** Notes and the error beside a decoded payload, each on its line. */
export function decoderNotes(view: DecodedView): HTMLElement | undefined {
  if (!view.error && !view.notes?.length) return undefined;
  const list = el('ul', 'decoder-notes');
  if (view.error) list.append(el('li', 'decode-error', view.error));
  for (const note of view.notes ?? []) list.append(el('li', 'decode-note', `⚠ ${note}`));
  return list;
}

/** The decoded value, foldable. */
export function decodedBody(view: DecodedView): HTMLElement {
  if (!view.value) return el('div', 'payload payload-json payload-decoded');
  return jsonTree(view.value, l10n.t('Decoded payload'), 'payload payload-json payload-decoded');
}

const FORMATS: BindingFormat[] = ['protobuf', 'sparkplug', 'cbor', 'msgpack', 'avro'];

function select(id: string, label: string): { field: HTMLElement; control: HTMLSelectElement } {
  const field = el('div', 'field chooser-field');
  const caption = el('label', undefined, label);
  caption.htmlFor = id;
  const control = el('select');
  control.id = id;
  field.append(caption, control);
  return { field, control };
}

function fill(control: HTMLSelectElement, options: { value: string; label: string }[]): void {
  control.replaceChildren(
    ...options.map((option) => {
      const item = el('option', undefined, option.label);
      item.value = option.value;
      return item;
    }),
  );
}

/**
 * "Decode As…": choose a format (and a Protobuf type or an Avro schema), see the shown message
 * decoded with it, then bind a topic filter to it in the settings. Nothing is written before Save.
 */
export class DecodeAsChooser {
  readonly element = el('section', 'decode-as');
  private readonly format = select('decode-as-format', l10n.t('Format'));
  private readonly type = select('decode-as-type', l10n.t('Message type'));
  private readonly schema = select('decode-as-schema', l10n.t('Avro schema'));
  private readonly filter = el('input', 'decode-as-filter');
  private readonly target = select('decode-as-target', l10n.t('Save in'));
  private readonly preview = el('div', 'decode-as-preview');
  private readonly status = el('span', 'status');
  private choices: DecoderChoices = { messageTypes: [], avroSchemas: [], canWriteWorkspace: false };
  private ticket = 0;

  constructor(
    /** The message previewed: the one the payload tab shows. */
    private readonly shownSeq: () => number | undefined,
    private readonly onClose: (saved: string | undefined) => void,
  ) {
    this.element.hidden = true;
    this.element.setAttribute('aria-label', l10n.t('Decode As'));
    fill(
      this.format.control,
      FORMATS.map((format) => ({ value: format, label: BINDING_FORMAT_NAMES[format] })),
    );
    fill(this.target.control, [
      { value: 'workspace', label: l10n.t('Workspace settings') },
      { value: 'user', label: l10n.t('User settings') },
    ]);
    this.filter.id = 'decode-as-filter';
    this.filter.maxLength = MAX_CHOICE_TEXT;
    this.filter.spellcheck = false;
    const filterField = el('div', 'field chooser-field');
    const filterLabel = el('label', undefined, l10n.t('For topics matching'));
    filterLabel.htmlFor = this.filter.id;
    filterField.append(filterLabel, this.filter);
    this.status.setAttribute('role', 'status');
    const row = el('div', 'form-row');
    row.append(this.format.field, this.type.field, this.schema.field);
    const saveRow = el('div', 'form-row');
    saveRow.append(filterField, this.target.field);
    const actions = el('div', 'form-actions');
    actions.append(button(l10n.t('Save Binding'), () => void this.save(), 'primary'), button(l10n.t('Cancel'), () => this.close(undefined)), this.status);
    this.element.append(el('h2', undefined, l10n.t('Decode As…')), row, this.preview, saveRow, actions);
    for (const control of [this.format.control, this.type.control, this.schema.control]) control.addEventListener('change', () => void this.refresh());
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close(undefined);
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Opens on the panel's topic; the choices come from the workspace's loaded schemas. */
  async show(topic: string): Promise<void> {
    this.element.hidden = false;
    // A topic longer than a filter may be (MQTT allows 65,535 characters) is offered cut: the person edits it.
    this.filter.value = topic.slice(0, MAX_CHOICE_TEXT);
    this.status.textContent = '';
    try {
      this.choices = await host.request('decoderChoices', {});
    } catch {
      this.choices = { messageTypes: [], avroSchemas: [], canWriteWorkspace: false };
    }
    this.target.control.value = this.choices.canWriteWorkspace ? 'workspace' : 'user';
    const types = this.choices.messageTypes.map((name) => ({ value: name, label: name }));
    fill(this.type.control, types.length ? types : [{ value: '', label: l10n.t('No .proto file loaded in the workspace') }]);
    const schemas = this.choices.avroSchemas.map((file) => ({ value: file, label: file }));
    fill(this.schema.control, schemas.length ? schemas : [{ value: '', label: l10n.t('No .avsc file in the workspace') }]);
    this.format.control.focus();
    await this.refresh();
  }

  /** The decoder chosen now. */
  get choice(): DecoderChoice {
    const format = this.format.control.value as BindingFormat;
    const choice: DecoderChoice = { format };
    if (format === 'protobuf' && this.type.control.value) choice.type = this.type.control.value;
    if (format === 'avro' && this.schema.control.value) choice.schema = this.schema.control.value;
    return choice;
  }

  /** The shown message decoded with the chosen decoder. */
  async refresh(): Promise<void> {
    const format = this.format.control.value;
    this.type.field.hidden = format !== 'protobuf';
    this.schema.field.hidden = format !== 'avro';
    const seq = this.shownSeq();
    const ticket = ++this.ticket;
    if (seq === undefined) {
      this.preview.replaceChildren(el('p', 'empty', l10n.t('No message to preview yet: the binding can still be saved.')));
      return;
    }
    this.preview.replaceChildren(el('p', 'empty', l10n.t('Decoding…')));
    try {
      const view = await host.request('decodePreview', { seq, decoder: this.choice });
      if (ticket !== this.ticket) return;
      const heading = el('p', view.error ? 'decode-error' : 'preview-heading', view.error ? l10n.t('Message #{0} does not decode: {1}', seq, view.error) : l10n.t('Message #{0} decoded by {1}:', seq, view.decodedBy));
      const notes = view.error ? undefined : decoderNotes(view);
      this.preview.replaceChildren(heading, ...(notes ? [notes] : []), ...(view.error ? [] : [decodedBody(view)]));
    } catch (error) {
      if (ticket === this.ticket && !(error instanceof StaleReply)) this.preview.replaceChildren(el('p', 'decode-error', (error as Error).message));
    }
  }

  private async save(): Promise<void> {
    this.status.textContent = l10n.t('Saving…');
    this.status.classList.remove('error');
    try {
      const target = this.target.control.value === 'user' ? 'user' : 'workspace';
      const result = await host.request('saveBinding', { filter: this.filter.value, decoder: this.choice, target });
      this.close(result.saved);
    } catch (error) {
      this.status.textContent = error instanceof StaleReply ? '' : (error as Error).message;
      this.status.classList.add('error');
    }
  }

  close(saved: string | undefined): void {
    this.ticket++;
    this.element.hidden = true;
    this.preview.replaceChildren();
    this.onClose(saved);
  }
}
