import './localize';
import * as l10n from '@vscode/l10n';
import { draftToProfile, profileToDraft, typedSecrets, validateDraft, withoutSecrets, type Draft, type SecretField } from '../src/shared/profileForm';
import { EDITOR_DEADLINES, parseEditorState, PROTOCOL_VERSION, type EditorHostApi, type EditorState, type EditorWebviewApi, type EditProfile, type TlsFileField } from '../src/shared/webviewProtocol';
import { connectToHost, initialState, saveState } from './host';
import { button, checkbox, divider, dropdown, registerToolkit, textArea, textField, type Control } from './toolkit';

// The connection form: the whole profile on one page, validated as it is typed, and nothing typed
// is lost (the draft is kept with setState; an error leaves every field as it was), except typed
// secrets: webview state is stored on disk, so a restored form asks for them again.

registerToolkit();

const host = connectToHost<EditorWebviewApi, EditorHostApi>({}, { deadlines: EDITOR_DEADLINES });

const app = document.getElementById('app') as HTMLElement;
const controls = new Map<string, Control>();
const errors = new Map<string, HTMLElement>();
let profileId = initialState(parseEditorState)?.profileId ?? '';
const saved = initialState(parseEditorState);
/** Secret fields the restored form lost (see EditorState.retype). */
let notRetyped: SecretField[] = [];

function el<K extends keyof HTMLElementTagNameMap>(name: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(name);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function field(id: string, control: Control, hint?: string): HTMLElement {
  controls.set(id, control);
  const wrapper = el('div', 'field');
  wrapper.dataset.field = id;
  // The error is the field's description (with its hint): read when the field gets the focus, not
  // announced at every key typed. aria-invalid marks the field while it is wrong (setError).
  const error = el('div', 'field-error');
  error.id = `${id}-error`;
  errors.set(id, error);
  wrapper.append(control.element);
  const described = [error];
  if (hint) {
    const note = el('div', 'field-hint', hint);
    note.id = `${id}-hint`;
    wrapper.append(note);
    described.unshift(note);
  }
  wrapper.append(error);
  control.aria.setAttribute('aria-describedby', described.map((element) => element.id).join(' '));
  describedBy.set(control, described);
  control.onChange(() => onEdit());
  return wrapper;
}

const describedBy = new Map<Control, HTMLElement[]>();

/**
 * A text field's real input is inside the component's shadow root, where the ids of aria-describedby
 * (copied there by the component) name nothing. Chromium's element references cross that boundary
 * (an element in the shadow tree may point to the page's): set them once the component has rendered.
 */
function linkDescriptions(): void {
  for (const [control, described] of describedBy) {
    const inner = control.aria.shadowRoot?.querySelector('#control');
    if (inner && 'ariaDescribedByElements' in inner) (inner as Element & { ariaDescribedByElements: Element[] | null }).ariaDescribedByElements = described;
  }
}

/** Shows a field's problem (empty: none) and marks the field invalid for assistive technology. */
function setError(id: string, message: string | undefined): void {
  const error = errors.get(id);
  if (error) error.textContent = message ?? '';
  const control = controls.get(id);
  if (control) control.aria.setAttribute('aria-invalid', message ? 'true' : 'false');
}

function section(title: string, ...children: HTMLElement[]): HTMLElement {
  const element = el('section', 'form-section');
  element.append(el('h2', undefined, title), ...children);
  return element;
}

function row(...children: HTMLElement[]): HTMLElement {
  const element = el('div', 'form-row');
  element.append(...children);
  return element;
}

function fileField(id: TlsFileField, label: string): HTMLElement {
  const wrapper = field(id, textField(id, label, { placeholder: '/path/to/file.pem' }));
  wrapper.classList.add('file-field');
  const browse = button(l10n.t('Browse…'), () => {
    host.request('pickFile', { field: id }).then(
      (result) => {
        if (result.path) {
          const control = controls.get(id);
          if (control) control.value = result.path;
          onEdit();
        }
      },
      (error: Error) => showStatus(error.message, true),
    );
  });
  // Three "Browse…" buttons: the title (read as the description) says which file each one picks.
  browse.title = l10n.t('Choose the {0}', label);
  wrapper.insertBefore(browse, wrapper.querySelector('.field-hint') ?? wrapper.querySelector('.field-error'));
  return wrapper;
}

const status = el('div', 'form-status');
// Polite: "Saving…" and the outcome are read out; an error also moves the focus (save).
status.setAttribute('role', 'status');

function showStatus(message: string, isError: boolean): void {
  status.textContent = message;
  status.classList.toggle('error', isError);
}

function readDraft(): Draft {
  const draft: Draft = {};
  for (const [id, control] of controls) draft[id] = control.value;
  return draft;
}

function writeDraft(draft: Draft): void {
  for (const [id, value] of Object.entries(draft)) {
    const control = controls.get(id);
    if (control) control.value = value;
  }
}

/** Shows what belongs to the chosen protocol and MQTT version only. */
function updateVisibility(draft: Draft): void {
  const tls = draft.protocol === 'mqtts' || draft.protocol === 'wss';
  const ws = draft.protocol === 'ws' || draft.protocol === 'wss';
  const v5 = draft.mqttVersion === '5';
  document.querySelectorAll<HTMLElement>('[data-when]').forEach((element) => {
    const when = element.dataset.when;
    element.hidden = (when === 'tls' && !tls) || (when === 'ws' && !ws) || (when === 'v5' && !v5);
  });
}

function onEdit(): void {
  const draft = readDraft();
  updateVisibility(draft);
  const state: EditorState = { version: PROTOCOL_VERSION, profileId, draft: withoutSecrets(draft) };
  // Still asked for after a second reload, until typed again.
  const retype = [...new Set([...typedSecrets(draft), ...notRetyped])];
  if (retype.length) state.retype = retype;
  saveState(state);
  const found = validateDraft(draft, profileId);
  for (const id of errors.keys()) setError(id, found[id]);
}

function secretChange(id: 'password' | 'keyPassphrase', forgetId: string): string | null | undefined {
  if (controls.get(forgetId)?.value === true) return null;
  const value = controls.get(id)?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function save(connect: boolean): Promise<void> {
  const draft = readDraft();
  const found = validateDraft(draft, profileId);
  for (const id of errors.keys()) setError(id, found[id]);
  const first = Object.keys(found)[0];
  if (first) {
    showStatus(l10n.t('Not saved: {0}', found[first] ?? ''), true);
    document.querySelector<HTMLElement>(`[data-field="${first}"]`)?.scrollIntoView({ block: 'center' });
    // A keyboard user lands on the field to fix; its error is read as its description.
    controls.get(first)?.aria.focus();
    return;
  }
  showStatus(connect ? l10n.t('Saving and connecting…') : l10n.t('Saving…'), false);
  try {
    const password = secretChange('password', 'forgetPassword');
    const keyPassphrase = secretChange('keyPassphrase', 'forgetKeyPassphrase');
    await host.request('saveProfile', {
      profile: draftToProfile(draft, profileId),
      target: draft.target === 'workspace' ? 'workspace' : 'user',
      connect,
      ...(password !== undefined ? { password } : {}),
      ...(keyPassphrase !== undefined ? { keyPassphrase } : {}),
    });
    notRetyped = [];
    showStatus(connect ? l10n.t('Saved. Connecting…') : l10n.t('Saved.'), false);
  } catch (error) {
    // The form keeps every value: the user fixes what is wrong and saves again.
    showStatus((error as Error).message, true);
  }
}

function render(message: EditProfile): void {
  profileId = message.profile.id;
  controls.clear();
  errors.clear();
  describedBy.clear();
  const title = el('h1', undefined, message.isNew ? l10n.t('New MQTT connection') : l10n.t('Edit {0}', message.profile.name));
  const stored = (has: boolean) => (has ? l10n.t('(stored in secret storage; leave empty to keep it)') : '');
  const form = el('form', 'connection-form');
  form.setAttribute('aria-labelledby', 'form-title');
  title.id = 'form-title';
  form.addEventListener('submit', (event) => event.preventDefault());
  form.append(
    section(
      l10n.t('Broker'),
      row(field('name', textField('name', l10n.t('Name')))),
      row(
        field('protocol', dropdown('protocol', l10n.t('Protocol'), [
          { value: 'mqtt', label: 'mqtt:// (TCP)' },
          { value: 'mqtts', label: 'mqtts:// (TLS)' },
          { value: 'ws', label: l10n.t('ws:// (WebSocket)') },
          { value: 'wss', label: l10n.t('wss:// (WebSocket over TLS)') },
        ])),
        field('host', textField('host', l10n.t('Host'))),
        field('port', textField('port', l10n.t('Port'), { type: 'number' })),
      ),
      withWhen('ws', row(field('path', textField('path', l10n.t('WebSocket path'), { placeholder: '/mqtt' })))),
      row(
        field('mqttVersion', dropdown('mqttVersion', l10n.t('MQTT version'), [
          { value: '5', label: '5.0' },
          { value: '4', label: '3.1.1' },
        ])),
        field('clientId', textField('clientId', l10n.t('Client ID'))),
      ),
    ),
    section(
      l10n.t('Authentication'),
      row(field('username', textField('username', l10n.t('User name'))), field('password', textField('password', l10n.t('Password'), { type: 'password' }), stored(message.hasPassword))),
      ...(message.hasPassword ? [row(field('forgetPassword', checkbox('forgetPassword', l10n.t('Forget the stored password'))))] : []),
    ),
    withWhen(
      'tls',
      section(
        'TLS',
        row(field('verify', checkbox('verify', l10n.t('Verify the broker certificate (recommended)')))),
        row(fileField('caFile', l10n.t('CA certificate file'))),
        row(fileField('certFile', l10n.t('Client certificate file'))),
        row(fileField('keyFile', l10n.t('Client key file'))),
        row(
          field('keyPassphrase', textField('keyPassphrase', l10n.t('Key passphrase'), { type: 'password' }), stored(message.hasKeyPassphrase)),
          field('serverName', textField('serverName', l10n.t('Server name (SNI)'), { placeholder: l10n.t('defaults to the host') })),
        ),
        ...(message.hasKeyPassphrase ? [row(field('forgetKeyPassphrase', checkbox('forgetKeyPassphrase', l10n.t('Forget the stored passphrase'))))] : []),
      ),
    ),
    section(
      l10n.t('Session'),
      row(
        field('keepalive', textField('keepalive', l10n.t('Keepalive (s)'), { type: 'number' })),
        field('connectTimeout', textField('connectTimeout', l10n.t('Connect timeout (s)'), { type: 'number' })),
        withWhen('v5', field('sessionExpiry', textField('sessionExpiry', l10n.t('Session expiry (s)'), { type: 'number', placeholder: '0' }))),
      ),
      row(field('cleanStart', checkbox('cleanStart', l10n.t('Clean start (no persistent session)')))),
      withWhen('v5', row(field('userProperties', textArea('userProperties', l10n.t('User properties (MQTT 5)'), { placeholder: l10n.t('key=value, one per line') })))),
    ),
    section(
      l10n.t('Last will'),
      row(field('willTopic', textField('willTopic', l10n.t('Topic'), { placeholder: l10n.t('empty: no last will') })), field('willQos', dropdown('willQos', 'QoS', qosOptions()))),
      row(field('willPayload', textArea('willPayload', l10n.t('Payload'), { rows: 2 }))),
      row(field('willRetain', checkbox('willRetain', l10n.t('Retain')))),
    ),
    section(l10n.t('Subscriptions'), row(field('subscriptions', textArea('subscriptions', l10n.t('Topic filters'), { rows: 3 }), l10n.t('One per line; a QoS may follow: "sensors/# 1".')))),
    section(
      l10n.t('Saved in'),
      row(
        field('target', dropdown('target', l10n.t('Settings'), [
          { value: 'user', label: l10n.t('User settings (only you)') },
          ...(message.canUseWorkspace ? [{ value: 'workspace', label: l10n.t('Workspace settings (shared with the folder)') }] : []),
        ]), l10n.t('Passwords and passphrases are never written to settings: they go to VS Code’s secret storage.')),
      ),
    ),
  );
  const actions = el('div', 'form-actions');
  actions.append(button(l10n.t('Save and Connect'), () => void save(true), 'primary'), button(l10n.t('Save'), () => void save(false)), status);
  // The page's one landmark.
  const main = el('main', 'connection-view');
  main.append(title, form, divider(), actions);
  app.replaceChildren(main);
  const restored = saved && saved.profileId === message.profile.id ? saved : undefined;
  const draft = { ...profileToDraft(message.profile), target: message.target, ...restored?.draft };
  notRetyped = restored?.retype ?? [];
  if (notRetyped.length) showStatus(retypeNote(notRetyped, message), false);
  // Components upgrade asynchronously; set values once they are defined.
  void customElements.whenDefined('vscode-text-field').then(() => {
    writeDraft(draft);
    linkDescriptions();
    onEdit();
  });
}

/** Says which typed secrets a restored form lost, and what happens if they are left empty. */
function retypeNote(fields: readonly SecretField[], message: EditProfile): string {
  const stored = fields.every((field) => (field === 'password' ? message.hasPassword : message.hasKeyPassphrase));
  const both = fields.includes('password') && fields.includes('keyPassphrase');
  // Whole sentences per case: translations cannot be put together from pieces.
  if (both) {
    return stored
      ? l10n.t('Type the password and the key passphrase again: what was typed is not kept when the form is hidden or reloaded (left empty, the stored one is kept).')
      : l10n.t('Type the password and the key passphrase again: what was typed is not kept when the form is hidden or reloaded (left empty, none is sent).');
  }
  if (fields.includes('password')) {
    return stored
      ? l10n.t('Type the password again: what was typed is not kept when the form is hidden or reloaded (left empty, the stored one is kept).')
      : l10n.t('Type the password again: what was typed is not kept when the form is hidden or reloaded (left empty, none is sent).');
  }
  return stored
    ? l10n.t('Type the key passphrase again: what was typed is not kept when the form is hidden or reloaded (left empty, the stored one is kept).')
    : l10n.t('Type the key passphrase again: what was typed is not kept when the form is hidden or reloaded (left empty, none is sent).');
}

function withWhen(when: 'tls' | 'ws' | 'v5', element: HTMLElement): HTMLElement {
  element.dataset.when = when;
  return element;
}

function qosOptions(): { value: string; label: string }[] {
  return [
    { value: '0', label: l10n.t('0: at most once') },
    { value: '1', label: l10n.t('1: at least once') },
    { value: '2', label: l10n.t('2: exactly once') },
  ];
}

host.on('editProfile', render);

app.append(el('p', 'empty', l10n.t('Loading…')));
host.emit('ready', { protocolVersion: PROTOCOL_VERSION });
