import * as l10n from '@vscode/l10n';
import type { QoS } from '../../src/shared/profile';
import { describeResult, formatLabel, PAYLOAD_FORMATS, parseUserProperties, validateDraft, type PayloadFormat, type PublishDraft, type PublishProperties } from '../../src/shared/publish';
import { StaleReply } from '../host';
import { button, checkbox, dropdown, textArea, textField } from '../toolkit';
import { MAX_CHECKED_PAYLOAD } from '../../src/shared/webviewProtocol';

/** Topics longer than this are checked when sent, not as typed. */
const MAX_CHECKED_TOPIC = 65_535;
/** Typing pauses this long before the bound decoder checks what is typed. */
const ENCODING_CHECK_DELAY_MS = 250;
import { host } from './channel';
import { el } from './dom';
import { draftCheckElement } from './schemaView';
import type { DraftSchemaCheck } from '../../src/shared/webviewProtocol';

/** The keys that publish, as aria-keyshortcuts names them. */
const SHORTCUT_KEYS = 'Control+Enter Meta+Enter';

function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

function fieldError(id: string): HTMLElement {
  const element = el('div', 'field-error');
  element.id = id;
  element.setAttribute('aria-live', 'polite');
  return element;
}

/** A field's problem under it, and the field marked invalid (aria-invalid reaches the toolkit's inner control too). */
function showError(field: HTMLElement, slot: HTMLElement, error: string | undefined): void {
  if (slot.textContent !== (error ?? '')) slot.textContent = error ?? '';
  if (error) field.setAttribute('aria-invalid', 'true');
  else field.removeAttribute('aria-invalid');
}

/**
 * The panel's publish form: topic (completed from the known topics), payload in a format, QoS,
 * retain and MQTT 5 properties, validated as typed with the host's own rules; Ctrl/Cmd+Enter sends;
 * the broker's answer or the error stays next to the button, and the values stay in the form.
 */
export class PublishForm {
  readonly element = el('form', 'publish-form');
  private readonly topic = el('input', 'topic-input');
  private readonly topics = el('datalist');
  private readonly format = dropdown('publish-format', l10n.t('Format'), PAYLOAD_FORMATS.map((value) => ({ value, label: formatLabel(value) })));
  private readonly payload = textArea('publish-payload', l10n.t('Payload'), { rows: 6 });
  private readonly qos = dropdown('publish-qos', 'QoS', [
    { value: '0', label: l10n.t('0: at most once') },
    { value: '1', label: l10n.t('1: at least once') },
    { value: '2', label: l10n.t('2: exactly once') },
  ]);
  private readonly retain = checkbox('publish-retain', l10n.t('Retain'));
  private readonly v5 = el('fieldset', 'publish-v5');
  private readonly contentType = textField('publish-content-type', l10n.t('Content type'), { placeholder: 'application/json' });
  private readonly utf8 = checkbox('publish-utf8', l10n.t('Payload format: UTF-8 text'));
  private readonly expiry = textField('publish-expiry', l10n.t('Message expiry (s)'), { type: 'number' });
  private readonly responseTopic = textField('publish-response-topic', l10n.t('Response topic'));
  private readonly correlation = textField('publish-correlation', l10n.t('Correlation data'));
  private readonly userProperties = textArea('publish-user-properties', l10n.t('User properties (name=value, one per line)'), { rows: 2 });
  /** Each field's problem, under it; said by a screen reader as it changes (a polite region each). */
  private readonly errors = { topic: fieldError('publish-topic-error'), payload: fieldError('publish-payload-error'), properties: fieldError('publish-properties-error') };
  private readonly status = el('span', 'publish-status');
  /** The JSON Schema bound to the topic: what it says of the typed JSON (a warning: Publish still sends). */
  private readonly schemaCheck = el('div', 'publish-schema');
  private schemaTicket = 0;
  private schemaTimer: number | undefined;
  private schemaAnswer: DraftSchemaCheck = {};
  /** Which decoder "Bound decoder" encodes with, for the topic typed. */
  private readonly decoderHint = el('span', 'hint publish-decoder');
  /** Answers of the host's encoding check: only the newest counts. */
  private encodingTicket = 0;
  private encodingTimer: number | undefined;
  private encodingError: string | undefined;
  private readonly target = el('span', 'hint');
  /** The shortcut, in words: shown beside the button and part of the topic's and the payload's description. */
  private readonly shortcut = el('span', 'hint publish-shortcut');
  private readonly recent = el('select', 'publish-recent');
  private recentDrafts: PublishDraft[] = [];

  constructor(private readonly onChange: (draft: PublishDraft) => void) {
    this.topic.id = 'publish-topic';
    this.topic.setAttribute('list', 'publish-topics');
    this.topic.spellcheck = false;
    this.topic.setAttribute('aria-describedby', 'publish-topic-error publish-shortcut');
    this.topic.setAttribute('aria-keyshortcuts', SHORTCUT_KEYS);
    // The text area's own label stays inside it; the shortcut is said through aria-keyshortcuts (the
    // description cannot reach into its shadow root).
    this.payload.element.setAttribute('aria-keyshortcuts', SHORTCUT_KEYS);
    this.topics.id = 'publish-topics';
    this.status.setAttribute('role', 'status');
    this.recent.setAttribute('aria-label', l10n.t('Recent publishes'));
    this.shortcut.id = 'publish-shortcut';
    this.shortcut.textContent = isMac() ? l10n.t('⌘+Enter publishes') : l10n.t('Ctrl+Enter publishes');

    const topicField = el('div', 'field publish-topic-field');
    const topicLabel = el('label', undefined, l10n.t('Topic'));
    topicLabel.htmlFor = 'publish-topic';
    topicField.append(topicLabel, this.topic, this.topics, this.errors.topic);
    const payloadField = el('div', 'field publish-payload-field');
    payloadField.append(this.payload.element, this.errors.payload, this.schemaCheck);
    const options = el('div', 'form-row');
    options.append(this.format.element, this.qos.element, this.retain.element, this.decoderHint);
    this.v5.append(el('legend', undefined, l10n.t('MQTT 5 properties')));
    const v5Rows = el('div', 'form-row');
    v5Rows.append(this.contentType.element, this.expiry.element, this.responseTopic.element, this.correlation.element);
    this.v5.append(v5Rows, this.utf8.element, this.userProperties.element, this.errors.properties);
    const actions = el('div', 'form-actions');
    const publish = button(l10n.t('Publish'), () => void this.send(), 'primary');
    publish.setAttribute('aria-keyshortcuts', SHORTCUT_KEYS);
    actions.append(publish, this.target, this.shortcut, this.status);
    const recentRow = el('div', 'form-row');
    recentRow.append(this.recent);
    this.element.append(recentRow, topicField, payloadField, options, this.v5, actions);

    for (const control of [this.format, this.payload, this.qos, this.retain, this.contentType, this.utf8, this.expiry, this.responseTopic, this.correlation, this.userProperties]) control.onChange(() => this.changed());
    this.topic.addEventListener('input', () => this.changed());
    this.recent.addEventListener('change', () => {
      const draft = this.recentDrafts[Number(this.recent.value)];
      if (draft) this.fill(draft);
      this.recent.value = '';
    });
    this.element.addEventListener('submit', (event) => event.preventDefault());
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.send();
      }
    });
  }

  /** Says which broker the form publishes to (a panel that follows the selection may change it). */
  setConnection(name: string): void {
    this.target.textContent = l10n.t('to {0}', name);
  }

  /** MQTT 3.1.1 connections have no properties: the section goes away. */
  setMqttVersion(version: 4 | 5): void {
    this.v5.hidden = version !== 5;
  }

  fill(draft: PublishDraft): void {
    this.topic.value = draft.topic;
    this.format.value = draft.format;
    this.payload.value = draft.payload;
    this.qos.value = String(draft.qos);
    this.retain.value = draft.retain;
    const properties = draft.properties ?? {};
    this.contentType.value = properties.contentType ?? '';
    this.utf8.value = properties.payloadFormatIndicator === true;
    this.expiry.value = properties.messageExpiryInterval === undefined ? '' : String(properties.messageExpiryInterval);
    this.responseTopic.value = properties.responseTopic ?? '';
    this.correlation.value = properties.correlationData ?? '';
    this.userProperties.value = (properties.userProperties ?? []).map(([name, value]) => `${name}=${value}`).join('\n');
    this.changed();
  }

  /** Completion for the topic, and the recent publishes of this connection. */
  async refreshLists(): Promise<void> {
    const [topics, recent] = await Promise.all([host.request('knownTopics', {}).catch(() => []), host.request('recentPublishes', {}).catch(() => [])]);
    this.topics.replaceChildren(
      ...topics.map((topic) => {
        const option = el('option');
        option.value = topic;
        return option;
      }),
    );
    this.recentDrafts = recent;
    const placeholder = el('option', undefined, recent.length ? l10n.t('Recent publishes ({0})…', recent.length) : l10n.t('No recent publish yet'));
    placeholder.value = '';
    this.recent.replaceChildren(
      placeholder,
      ...recent.map((draft, index) => {
        const option = el('option', undefined, `${draft.topic} · ${formatLabel(draft.format)} · ${draft.payload.replace(/\s+/g, ' ').slice(0, 60)}`);
        option.value = String(index);
        return option;
      }),
    );
  }

  focus(): void {
    this.topic.focus();
  }

  get draft(): PublishDraft {
    const properties: PublishProperties = {};
    if (!this.v5.hidden) {
      if (this.contentType.value) properties.contentType = String(this.contentType.value);
      if (this.utf8.value === true) properties.payloadFormatIndicator = true;
      const expiry = String(this.expiry.value).trim();
      if (expiry !== '') properties.messageExpiryInterval = Number(expiry);
      if (this.responseTopic.value) properties.responseTopic = String(this.responseTopic.value);
      if (this.correlation.value) properties.correlationData = String(this.correlation.value);
      const pairs = parseUserProperties(String(this.userProperties.value));
      if ('pairs' in pairs && pairs.pairs.length) properties.userProperties = pairs.pairs;
    }
    const draft: PublishDraft = {
      topic: this.topic.value,
      payload: String(this.payload.value),
      format: (PAYLOAD_FORMATS.includes(this.format.value as PayloadFormat) ? this.format.value : 'text') as PayloadFormat,
      qos: Number(this.qos.value) as QoS,
      retain: this.retain.value === true,
    };
    if (Object.keys(properties).length) draft.properties = properties;
    return draft;
  }

  /** Shows each field's problem as typed; true when there is none. */
  private validate(): boolean {
    const errors = validateDraft(this.draft);
    // The bound decoder's own check (the schema, Sparkplug's rules) comes from the host, a moment later.
    if (!errors.payload && this.draft.format === 'decoder' && this.encodingError) errors.payload = this.encodingError;
    const pairs = parseUserProperties(String(this.userProperties.value));
    if (!this.v5.hidden && 'error' in pairs) errors.properties = pairs.error;
    showError(this.topic, this.errors.topic, errors.topic);
    showError(this.payload.element, this.errors.payload, errors.payload);
    showError(this.userProperties.element, this.errors.properties, errors.properties);
    return !errors.topic && !errors.payload && !errors.properties;
  }

  /** The schemas changed: what the form says of the draft is checked again. */
  recheck(): void {
    this.checkSchema();
  }

  private changed(): void {
    this.checkEncoding();
    this.checkSchema();
    this.validate();
    this.onChange(this.draft);
  }

  /**
   * "Bound decoder": asks the host (after typing pauses) which decoder the topic has and whether the
   * JSON encodes with it, so a field the schema lacks is marked as typed, not when sent.
   */
  private checkEncoding(): void {
    window.clearTimeout(this.encodingTimer);
    const draft = this.draft;
    if (draft.format !== 'decoder') {
      this.encodingError = undefined;
      this.decoderHint.textContent = '';
      return;
    }
    const ticket = ++this.encodingTicket;
    // What was found wrong with an earlier text does not hold for this one: the host checks again when it is sent.
    this.encodingError = undefined;
    this.encodingTimer = window.setTimeout(() => {
      if (draft.payload.length > MAX_CHECKED_PAYLOAD || draft.topic.length > MAX_CHECKED_TOPIC) return;
      host.request('checkEncoding', { topic: draft.topic, payload: draft.payload }).then(
        (answer) => {
          if (ticket !== this.encodingTicket) return;
          const unbound = draft.topic ? l10n.t('No decoder is bound to {0}', draft.topic) : l10n.t('No decoder is bound to this topic');
          this.decoderHint.textContent = answer.decoder ? l10n.t('Encoded as {0}', answer.decoder) : unbound;
          this.encodingError = answer.decoder ? answer.error : l10n.t('{0}: bind one with Decode As…, or choose JSON.', unbound);
          this.validate();
        },
        () => undefined,
      );
    }, ENCODING_CHECK_DELAY_MS);
  }

  /**
   * A JSON draft (JSON, or text that parses as JSON) is checked against the schema bound to its
   * topic after typing pauses. Its errors are shown under the payload as a warning: a user may mean
   * to send an invalid message (to test a device's error handling), so Publish still sends it.
   */
  private checkSchema(): void {
    window.clearTimeout(this.schemaTimer);
    const draft = this.draft;
    const ticket = ++this.schemaTicket;
    // What was said of an earlier text does not hold for this one.
    this.schemaAnswer = {};
    let json = draft.format === 'json' || draft.format === 'text';
    if (json) {
      try {
        JSON.parse(draft.payload);
      } catch {
        json = false;
      }
    }
    if (!json || !draft.topic || draft.payload.length > MAX_CHECKED_PAYLOAD || draft.topic.length > MAX_CHECKED_TOPIC) {
      this.schemaAnswer = {};
      this.schemaCheck.replaceChildren();
      return;
    }
    this.schemaTimer = window.setTimeout(() => {
      host.request('checkSchema', { topic: draft.topic, payload: draft.payload }).then(
        (answer) => {
          if (ticket !== this.schemaTicket) return;
          this.schemaAnswer = answer;
          this.schemaCheck.replaceChildren(...draftCheckElement(answer));
        },
        () => undefined,
      );
    }, ENCODING_CHECK_DELAY_MS);
  }

  private async send(): Promise<void> {
    if (!this.validate()) {
      this.say(l10n.t('Fix the marked fields first; nothing was sent.'), true);
      return;
    }
    this.say(l10n.t('Publishing…'));
    try {
      const invalid = this.schemaAnswer.valid === false ? this.schemaAnswer.schema : undefined;
      const result = await host.request('publish', { draft: this.draft });
      this.say(invalid ? l10n.t('{0} (sent although not valid against {1})', describeResult(result), invalid) : describeResult(result));
      void this.refreshLists();
    } catch (error) {
      // The values stay as typed.
      this.say(error instanceof StaleReply ? l10n.t('The panel moved on to another topic before the answer came.') : (error as Error).message, true);
    }
  }

  private say(text: string, error = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }
}

