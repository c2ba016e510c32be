import './localize';
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
  const error = el('div', 'field-error');
  error.setAttribute('role', 'alert');
  errors.set(id, error);
  wrapper.append(control.element);
  if (hint) wrapper.append(el('div', 'field-hint', hint));
  wrapper.append(error);
  control.onChange(() => onEdit());
  return wrapper;
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
  wrapper.insertBefore(
    button('Browse…', () => {
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
    }),
    wrapper.querySelector('.field-hint') ?? wrapper.querySelector('.field-error'),
  );
  return wrapper;
}

const status = el('div', 'form-status');
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
  for (const [id, element] of errors) element.textContent = found[id] ?? '';
}

function secretChange(id: 'password' | 'keyPassphrase', forgetId: string): string | null | undefined {
  if (controls.get(forgetId)?.value === true) return null;
  const value = controls.get(id)?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function save(connect: boolean): Promise<void> {
  const draft = readDraft();
  const found = validateDraft(draft, profileId);
  for (const [id, element] of errors) element.textContent = found[id] ?? '';
  const first = Object.keys(found)[0];
  if (first) {
    showStatus(`Not saved: ${found[first]}`, true);
    document.querySelector<HTMLElement>(`[data-field="${first}"]`)?.scrollIntoView({ block: 'center' });
    return;
  }
  showStatus(connect ? 'Saving and connecting…' : 'Saving…', false);
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
    showStatus(connect ? 'Saved. Connecting…' : 'Saved.', false);
  } catch (error) {
    // The form keeps every value: the user fixes what is wrong and saves again.
    showStatus((error as Error).message, true);
  }
}

function render(message: EditProfile): void {
  profileId = message.profile.id;
  controls.clear();
  errors.clear();
  const title = el('h1', undefined, message.isNew ? 'New MQTT connection' : `Edit ${message.profile.name}`);
  const stored = (has: boolean) => (has ? '(stored in secret storage; leave empty to keep it)' : '');
  const form = el('form', 'connection-form');
  form.addEventListener('submit', (event) => event.preventDefault());
  form.append(
    section(
      'Broker',
      row(field('name', textField('name', 'Name'))),
      row(
        field('protocol', dropdown('protocol', 'Protocol', [
          { value: 'mqtt', label: 'mqtt:// (TCP)' },
          { value: 'mqtts', label: 'mqtts:// (TLS)' },
          { value: 'ws', label: 'ws:// (WebSocket)' },
          { value: 'wss', label: 'wss:// (WebSocket over TLS)' },
        ])),
        field('host', textField('host', 'Host')),
        field('port', textField('port', 'Port', { type: 'number' })),
      ),
      withWhen('ws', row(field('path', textField('path', 'WebSocket path', { placeholder: '/mqtt' })))),
      row(
        field('mqttVersion', dropdown('mqttVersion', 'MQTT version', [
          { value: '5', label: '5.0' },
          { value: '4', label: '3.1.1' },
        ])),
        field('clientId', textField('clientId', 'Client ID')),
      ),
    ),
    section(
      'Authentication',
      row(field('username', textField('username', 'User name')), field('password', textField('password', 'Password', { type: 'password' }), stored(message.hasPassword))),
      ...(message.hasPassword ? [row(field('forgetPassword', checkbox('forgetPassword', 'Forget the stored password')))] : []),
    ),
    withWhen(
      'tls',
      section(
        'TLS',
        row(field('verify', checkbox('verify', 'Verify the broker certificate (recommended)'))),
        row(fileField('caFile', 'CA certificate file')),
        row(fileField('certFile', 'Client certificate file')),
        row(fileField('keyFile', 'Client key file')),
        row(
          field('keyPassphrase', textField('keyPassphrase', 'Key passphrase', { type: 'password' }), stored(message.hasKeyPassphrase)),
          field('serverName', textField('serverName', 'Server name (SNI)', { placeholder: 'defaults to the host' })),
        ),
        ...(message.hasKeyPassphrase ? [row(field('forgetKeyPassphrase', checkbox('forgetKeyPassphrase', 'Forget the stored passphrase')))] : []),
      ),
    ),
    section(
      'Session',
      row(
        field('keepalive', textField('keepalive', 'Keepalive (s)', { type: 'number' })),
        field('connectTimeout', textField('connectTimeout', 'Connect timeout (s)', { type: 'number' })),
        withWhen('v5', field('sessionExpiry', textField('sessionExpiry', 'Session expiry (s)', { type: 'number', placeholder: '0' }))),
      ),
      row(field('cleanStart', checkbox('cleanStart', 'Clean start (no persistent session)'))),
      withWhen('v5', row(field('userProperties', textArea('userProperties', 'User properties (MQTT 5)', { placeholder: 'key=value, one per line' })))),
    ),
    section(
      'Last will',
      row(field('willTopic', textField('willTopic', 'Topic', { placeholder: 'empty: no last will' })), field('willQos', dropdown('willQos', 'QoS', qosOptions()))),
      row(field('willPayload', textArea('willPayload', 'Payload', { rows: 2 }))),
      row(field('willRetain', checkbox('willRetain', 'Retain'))),
    ),
    section('Subscriptions', row(field('subscriptions', textArea('subscriptions', 'Topic filters', { rows: 3 }), 'One per line; a QoS may follow: "sensors/# 1".'))),
    section(
      'Saved in',
      row(
        field('target', dropdown('target', 'Settings', [
          { value: 'user', label: 'User settings (only you)' },
          ...(message.canUseWorkspace ? [{ value: 'workspace', label: 'Workspace settings (shared with the folder)' }] : []),
        ]), 'Passwords and passphrases are never written to settings: they go to VS Code\u2019s secret storage.'),
      ),
    ),
  );
  const actions = el('div', 'form-actions');
  actions.append(button('Save and Connect', () => void save(true), 'primary'), button('Save', () => void save(false)), status);
  app.replaceChildren(title, form, divider(), actions);
  const restored = saved && saved.profileId === message.profile.id ? saved : undefined;
  const draft = { ...profileToDraft(message.profile), target: message.target, ...restored?.draft };
  notRetyped = restored?.retype ?? [];
  if (notRetyped.length) showStatus(retypeNote(notRetyped, message), false);
  // Components upgrade asynchronously; set values once they are defined.
  void customElements.whenDefined('vscode-text-field').then(() => {
    writeDraft(draft);
    onEdit();
  });
}

/** Says which typed secrets a restored form lost, and what happens if they are left empty. */
function retypeNote(fields: readonly SecretField[], message: EditProfile): string {
  const names = fields.map((field) => (field === 'password' ? 'password' : 'key passphrase'));
  const stored = fields.every((field) => (field === 'password' ? message.hasPassword : message.hasKeyPassphrase));
  const empty = stored ? 'left empty, the stored one is kept' : 'left empty, none is sent';
  return `Type the ${names.join(' and the ')} again: what was typed is not kept when the form is hidden or reloaded (${empty}).`;
}

function withWhen(when: 'tls' | 'ws' | 'v5', element: HTMLElement): HTMLElement {
  element.dataset.when = when;
  return element;
}

function qosOptions(): { value: string; label: string }[] {
  return [
    { value: '0', label: '0: at most once' },
    { value: '1', label: '1: at least once' },
    { value: '2', label: '2: exactly once' },
  ];
}

host.on('editProfile', render);

app.append(el('p', 'empty', 'Loading…'));
host.emit('ready', { protocolVersion: PROTOCOL_VERSION });
