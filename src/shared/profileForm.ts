import * as l10n from '@vscode/l10n';
import { normaliseProfile, validateProfile, type ConnectionProfile, type ProfileErrors } from './profile';

/**
 * The connection form works on a flat draft (one string or boolean per field) so that everything
 * typed can be kept with setState, even when it does not make a valid profile yet. These functions
 * turn a profile into a draft and back; both sides use them.
 */
export type Draft = Record<string, string | boolean>;

export function profileToDraft(profile: ConnectionProfile): Draft {
  return {
    name: profile.name,
    protocol: profile.protocol,
    host: profile.host,
    port: String(profile.port),
    path: profile.path ?? '',
    mqttVersion: String(profile.mqttVersion),
    clientId: profile.clientId,
    username: profile.username ?? '',
    keepalive: String(profile.keepalive),
    connectTimeout: String(profile.connectTimeout),
    cleanStart: profile.cleanStart,
    sessionExpiry: profile.sessionExpiry === undefined ? '' : String(profile.sessionExpiry),
    userProperties: Object.entries(profile.userProperties ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
    willTopic: profile.will?.topic ?? '',
    willPayload: profile.will?.payload ?? '',
    willQos: String(profile.will?.qos ?? 0),
    willRetain: profile.will?.retain ?? false,
    caFile: profile.tls?.caFile ?? '',
    certFile: profile.tls?.certFile ?? '',
    keyFile: profile.tls?.keyFile ?? '',
    verify: profile.tls?.verify ?? true,
    serverName: profile.tls?.serverName ?? '',
    subscriptions: profile.subscriptions.map((s) => (s.qos ? `${s.topic} ${s.qos}` : s.topic)).join('\n'),
  };
}

function text(draft: Draft, key: string): string {
  const value = draft[key];
  return typeof value === 'string' ? value.trim() : '';
}

/** A number when the field holds one, NaN when it holds something else (so validation reports it). */
function numberOrNaN(value: string): number {
  return value === '' ? Number.NaN : Number(value);
}

/** The profile a draft describes (it may still be invalid: run validateProfile). */
export function draftToProfile(draft: Draft, id: string): ConnectionProfile {
  const raw: Record<string, unknown> = {
    id,
    name: text(draft, 'name'),
    protocol: text(draft, 'protocol'),
    host: text(draft, 'host'),
    port: numberOrNaN(text(draft, 'port')),
    path: text(draft, 'path') || undefined,
    mqttVersion: text(draft, 'mqttVersion') === '4' ? 4 : 5,
    clientId: text(draft, 'clientId'),
    username: text(draft, 'username') || undefined,
    keepalive: numberOrNaN(text(draft, 'keepalive')),
    connectTimeout: numberOrNaN(text(draft, 'connectTimeout')),
    cleanStart: draft.cleanStart !== false,
  };
  const profile = normaliseProfile(raw, { id: () => id }) as ConnectionProfile;
  // normaliseProfile drops NaN; keep it so that validation names the field.
  for (const key of ['port', 'keepalive', 'connectTimeout'] as const) if (Number.isNaN(raw[key])) profile[key] = Number.NaN;
  if (text(draft, 'sessionExpiry')) profile.sessionExpiry = numberOrNaN(text(draft, 'sessionExpiry'));
  const userProperties = text(draft, 'userProperties')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line): [string, string] => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
  if (userProperties.length) profile.userProperties = Object.fromEntries(userProperties);
  if (text(draft, 'willTopic')) {
    const qos = Number(text(draft, 'willQos'));
    profile.will = { topic: text(draft, 'willTopic'), payload: typeof draft.willPayload === 'string' ? draft.willPayload : '', qos: qos === 1 || qos === 2 ? qos : 0, retain: draft.willRetain === true };
  }
  if (profile.protocol === 'mqtts' || profile.protocol === 'wss') {
    profile.tls = { verify: draft.verify !== false };
    for (const key of ['caFile', 'certFile', 'keyFile', 'serverName'] as const) if (text(draft, key)) profile.tls[key] = text(draft, key);
  }
  profile.subscriptions = text(draft, 'subscriptions')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const match = /^(.*\S)\s+([012])$/.exec(line);
      return match ? { topic: match[1], qos: Number(match[2]) as 0 | 1 | 2 } : { topic: line, qos: 0 as const };
    });
  return profile;
}

/** Errors keyed by the form's field ids. */
export function validateDraft(draft: Draft, id: string): ProfileErrors {
  const errors = validateProfile(draftToProfile(draft, id));
  const mapped: ProfileErrors = {};
  for (const [key, message] of Object.entries(errors)) {
    mapped[key.startsWith('subscription') ? 'subscriptions' : key] ??= message;
  }
  return mapped;
}

/** The form's secret fields: sent to the host on save, never kept in the page's state. */
export const SECRET_FIELDS = ['password', 'keyPassphrase'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/**
 * The draft as the page may store it with setState: without the secret fields. VS Code keeps a
 * webview's state in the window's storage, on disk, so a typed password stays out of it.
 */
export function withoutSecrets(draft: Draft): Draft {
  const kept: Draft = {};
  for (const [key, value] of Object.entries(draft)) if (!(SECRET_FIELDS as readonly string[]).includes(key)) kept[key] = value;
  return kept;
}

/** The secret fields that hold something typed (their names only, never the values). */
export function typedSecrets(draft: Draft): SecretField[] {
  return SECRET_FIELDS.filter((field) => typeof draft[field] === 'string' && draft[field] !== '');
}

/**
 * The profile a form sent with "Save", checked against the profile the host opened that form for:
 * the id comes from the host, never from the page. A page that names another profile (a stale or
 * tampered form) is refused, so it cannot overwrite that profile or take its stored password.
 */
export function profileFromForm(raw: unknown, openedFor: string): { profile: ConnectionProfile } | { error: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { error: l10n.t('Not saved: the form sent no usable profile.') };
  const sentId = (raw as { id?: unknown }).id;
  if (sentId !== undefined && sentId !== openedFor) return { error: l10n.t('Not saved: the form sent another connection than the one it was opened for. Close it and open the connection again.') };
  const profile = normaliseProfile({ ...raw, id: openedFor }, { id: () => openedFor });
  if (!profile) return { error: l10n.t('Not saved: the form sent no usable profile.') };
  const problem = Object.values(validateProfile(profile))[0];
  return problem ? { error: l10n.t('Not saved: {0}', problem) } : { profile };
}
