import * as l10n from '@vscode/l10n';
import { isRecord } from './guards';

/**
 * A broker connection profile as it is saved in settings and edited in the connection form. Shared
 * by the extension host and the webview; never imports `vscode`. Secrets are not part of it: the
 * password and the key passphrase live in VS Code's SecretStorage only.
 */

export type Protocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';
export type MqttVersion = 4 | 5;
export type QoS = 0 | 1 | 2;

export interface SubscriptionSpec {
  topic: string;
  qos: QoS;
  /** MQTT 5: do not receive our own publishes. */
  noLocal?: boolean;
  /** MQTT 5: keep the retain flag as published. */
  retainAsPublished?: boolean;
  /** MQTT 5: 0 send retained on subscribe, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

export interface LastWill {
  topic: string;
  payload: string;
  qos: QoS;
  retain: boolean;
}

/** The profile's TLS files, by the names the form and error messages give them. */
export const TLS_FILE_TITLES = { caFile: 'CA certificate', certFile: 'Client certificate', keyFile: 'Client key' } as const;

/** A TLS file's name in the display language (TLS_FILE_TITLES names the fields; this is what a person reads). */
export function tlsFileTitle(field: keyof typeof TLS_FILE_TITLES): string {
  switch (field) {
    case 'caFile':
      return l10n.t('CA certificate');
    case 'certFile':
      return l10n.t('Client certificate');
    case 'keyFile':
      return l10n.t('Client key');
  }
}

/**
 * TLS file paths: absolute; `~` or `~/…` in the user's home; any other relative path in the first
 * workspace folder (an error when none is open). Read by the engine (src/worker/tlsFiles.ts).
 */
export interface TlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Verify the broker's certificate (on by default). */
  verify: boolean;
  /** The name to check the certificate against (SNI), when it differs from the host. */
  serverName?: string;
}

export interface ConnectionProfile {
  id: string;
  name: string;
  protocol: Protocol;
  host: string;
  port: number;
  /** Websocket path, for ws and wss. */
  path?: string;
  clientId: string;
  username?: string;
  mqttVersion: MqttVersion;
  /** Seconds. */
  keepalive: number;
  cleanStart: boolean;
  /** Seconds. */
  connectTimeout: number;
  /** MQTT 5, seconds. */
  sessionExpiry?: number;
  /** MQTT 5. */
  userProperties?: Record<string, string>;
  will?: LastWill;
  tls?: TlsOptions;
  subscriptions: SubscriptionSpec[];
}

export const DEFAULT_PORTS: Record<Protocol, number> = { mqtt: 1883, mqtts: 8883, ws: 8080, wss: 8081 };
export const DEFAULT_SUBSCRIPTIONS: SubscriptionSpec[] = [
  { topic: '#', qos: 0 },
  { topic: '$SYS/#', qos: 0 },
];

export function isTlsProtocol(protocol: Protocol): boolean {
  return protocol === 'mqtts' || protocol === 'wss';
}

export function isWebSocket(protocol: Protocol): boolean {
  return protocol === 'ws' || protocol === 'wss';
}

export function brokerUrl(profile: Pick<ConnectionProfile, 'protocol' | 'host' | 'port' | 'path'>): string {
  const host = profile.host.includes(':') ? `[${profile.host}]` : profile.host;
  const path = isWebSocket(profile.protocol) ? normalisePath(profile.path) : '';
  return `${profile.protocol}://${host}:${profile.port}${path}`;
}

function normalisePath(path: string | undefined): string {
  if (!path) return '/mqtt';
  return path.startsWith('/') ? path : `/${path}`;
}

/** A client id that is unique enough and fits MQTT 3.1.1's 23-character guarantee. */
export function generateClientId(random: () => number = Math.random): string {
  const hex = Array.from({ length: 8 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `vscode-mqtt-${hex}`;
}

export function newProfile(id: string, overrides: Partial<ConnectionProfile> = {}): ConnectionProfile {
  return {
    id,
    name: l10n.t('New connection'),
    protocol: 'mqtt',
    host: 'localhost',
    port: 1883,
    clientId: generateClientId(),
    mqttVersion: 5,
    keepalive: 60,
    cleanStart: true,
    connectTimeout: 10,
    subscriptions: DEFAULT_SUBSCRIPTIONS.map((subscription) => ({ ...subscription })),
    ...overrides,
  };
}

export type ProfileErrors = Partial<Record<string, string>>;

const TOPIC_FILTER_LEVEL = /^(?:#|\+|[^#+]*)$/;

/** Why a topic filter is invalid (MQTT §4.7.1), or undefined. */
export function validateTopicFilter(filter: string): string | undefined {
  if (filter.length === 0) return l10n.t('A topic filter cannot be empty.');
  if (filter.includes('\u0000')) return l10n.t('A topic filter cannot contain the null character.');
  if (new TextEncoder().encode(filter).length > 65535) return l10n.t('A topic filter can be at most 65,535 bytes long.');
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (!TOPIC_FILTER_LEVEL.test(level)) return l10n.t('"{0}": + and # must stand alone in a level.', level);
    if (level === '#' && index !== levels.length - 1) return l10n.t('# is only allowed as the last level.');
  }
  return undefined;
}

/**
 * Why the explorer will not subscribe with `filter`, or undefined. Beyond MQTT's rules: a shared
 * subscription (`$share/group/…`, and `$queue/…`, EMQX's and HiveMQ's group-less form) makes the
 * broker split the group's messages between its members, so the explorer would take messages away
 * from the services that share it; an explorer only watches.
 */
export function validateSubscriptionFilter(filter: string): string | undefined {
  if (filter.startsWith('$share/') || filter.startsWith('$queue/')) {
    return l10n.t('Shared subscriptions ($share/…, $queue/…) are refused: the broker would hand this explorer messages meant for the services in that group.');
  }
  return validateTopicFilter(filter);
}

/** Splits subscriptions into those the explorer subscribes with and those it refuses (with why). */
export function partitionSubscriptions(specs: readonly SubscriptionSpec[]): { kept: SubscriptionSpec[]; refused: { topic: string; problem: string }[] } {
  const kept: SubscriptionSpec[] = [];
  const refused: { topic: string; problem: string }[] = [];
  for (const spec of specs) {
    const problem = validateSubscriptionFilter(spec.topic);
    if (problem) refused.push({ topic: spec.topic, problem });
    else kept.push(spec);
  }
  return { kept, refused };
}

/**
 * Checks a profile field by field: the form shows these next to the fields as they are typed, and
 * the host checks again before saving (it never trusts the webview).
 */
export function validateProfile(profile: ConnectionProfile): ProfileErrors {
  const errors: ProfileErrors = {};
  if (!profile.name.trim()) errors.name = l10n.t('Give the connection a name.');
  if (!profile.host.trim()) errors.host = l10n.t('Enter the broker host name or address.');
  else if (/[\s/]/.test(profile.host) || /^[a-z]+:\/\//i.test(profile.host)) errors.host = l10n.t('Only the host name or address: the protocol and port have their own fields.');
  if (!Number.isInteger(profile.port) || profile.port < 1 || profile.port > 65535) errors.port = l10n.t('A port is a whole number from 1 to 65535.');
  if (!['mqtt', 'mqtts', 'ws', 'wss'].includes(profile.protocol)) errors.protocol = l10n.t('Choose mqtt, mqtts, ws or wss.');
  if (profile.mqttVersion !== 4 && profile.mqttVersion !== 5) errors.mqttVersion = l10n.t('Choose MQTT 3.1.1 or 5.0.');
  if (profile.mqttVersion === 4 && profile.clientId.length > 23) errors.clientId = l10n.t('MQTT 3.1.1 brokers only have to accept client ids of up to 23 characters.');
  if (!profile.cleanStart && profile.clientId.trim() === '') errors.clientId = l10n.t('A persistent session (clean start off) needs a client id.');
  if (!Number.isInteger(profile.keepalive) || profile.keepalive < 0 || profile.keepalive > 65535) errors.keepalive = l10n.t('Keepalive is 0 to 65535 seconds.');
  if (!Number.isFinite(profile.connectTimeout) || profile.connectTimeout < 1 || profile.connectTimeout > 600) errors.connectTimeout = l10n.t('Connect timeout is 1 to 600 seconds.');
  if (profile.sessionExpiry !== undefined && (!Number.isInteger(profile.sessionExpiry) || profile.sessionExpiry < 0 || profile.sessionExpiry > 0xffffffff)) {
    errors.sessionExpiry = l10n.t('Session expiry is 0 to 4294967295 seconds.');
  }
  if (profile.will) {
    if (!profile.will.topic) errors.willTopic = l10n.t('A last will needs a topic.');
    else if (/[+#]/.test(profile.will.topic)) errors.willTopic = l10n.t('A last will topic cannot contain wildcards.');
  }
  for (const [index, subscription] of profile.subscriptions.entries()) {
    const problem = validateSubscriptionFilter(subscription.topic);
    if (problem) errors[`subscription${index}`] = problem;
  }
  return errors;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable fingerprint, not a secret. */
function hash8(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function qos(value: unknown): QoS {
  return value === 1 || value === 2 ? value : 0;
}

/**
 * A profile from anything: settings written by hand, an imported file, or a message from the
 * connection form. Missing fields get their defaults, wrong types are dropped; undefined when there
 * is no id or host to speak of. Run validateProfile on the result before using it.
 */
export function normaliseProfile(raw: unknown, defaults: { id: (raw: Record<string, unknown>) => string; subscriptions?: SubscriptionSpec[] }): ConnectionProfile | undefined {
  if (!isRecord(raw)) return undefined;
  const protocol = (['mqtt', 'mqtts', 'ws', 'wss'] as const).find((p) => p === raw.protocol) ?? 'mqtt';
  const host = str(raw.host);
  if (host === undefined) return undefined;
  const name = str(raw.name) ?? host;
  const id = str(raw.id) || defaults.id(raw);
  const profile: ConnectionProfile = {
    id,
    name,
    protocol,
    host,
    port: num(raw.port) ?? DEFAULT_PORTS[protocol],
    // A profile written by hand without a client id gets one derived from its id: the same on every read.
    clientId: str(raw.clientId) ?? `vscode-mqtt-${hash8(id)}`,
    mqttVersion: raw.mqttVersion === 4 || raw.mqttVersion === '3.1.1' ? 4 : 5,
    keepalive: num(raw.keepalive) ?? 60,
    cleanStart: typeof raw.cleanStart === 'boolean' ? raw.cleanStart : true,
    connectTimeout: num(raw.connectTimeout) ?? 10,
    subscriptions: [],
  };
  const path = str(raw.path);
  if (path && isWebSocket(protocol)) profile.path = path;
  const username = str(raw.username);
  if (username) profile.username = username;
  const sessionExpiry = num(raw.sessionExpiry);
  if (sessionExpiry !== undefined) profile.sessionExpiry = sessionExpiry;
  if (isRecord(raw.userProperties)) {
    const entries = Object.entries(raw.userProperties).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    if (entries.length) profile.userProperties = Object.fromEntries(entries);
  }
  if (isRecord(raw.will) && str(raw.will.topic)) {
    profile.will = { topic: str(raw.will.topic) ?? '', payload: str(raw.will.payload) ?? '', qos: qos(raw.will.qos), retain: raw.will.retain === true };
  }
  if (isRecord(raw.tls)) {
    const tls: TlsOptions = { verify: raw.tls.verify !== false };
    for (const key of ['caFile', 'certFile', 'keyFile', 'serverName'] as const) {
      const value = str(raw.tls[key]);
      if (value) tls[key] = value;
    }
    profile.tls = tls;
  }
  const subscriptions = Array.isArray(raw.subscriptions) ? raw.subscriptions : undefined;
  profile.subscriptions = subscriptions
    ? subscriptions.flatMap((entry): SubscriptionSpec[] => {
        if (typeof entry === 'string') return [{ topic: entry, qos: 0 }];
        if (!isRecord(entry) || !str(entry.topic)) return [];
        const spec: SubscriptionSpec = { topic: str(entry.topic) ?? '', qos: qos(entry.qos) };
        if (typeof entry.noLocal === 'boolean') spec.noLocal = entry.noLocal;
        if (typeof entry.retainAsPublished === 'boolean') spec.retainAsPublished = entry.retainAsPublished;
        if (entry.retainHandling === 0 || entry.retainHandling === 1 || entry.retainHandling === 2) spec.retainHandling = entry.retainHandling;
        return [spec];
      })
    : (defaults.subscriptions ?? DEFAULT_SUBSCRIPTIONS).map((spec) => ({ ...spec }));
  return profile;
}
