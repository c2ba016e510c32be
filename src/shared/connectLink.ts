import * as l10n from '@vscode/l10n';
import { DEFAULT_PORTS, type ConnectionProfile, type Protocol } from './profile';

/**
 * The "connect" link a team's wiki can carry:
 * `vscode://mqtt-explorer-dev.mqtt-explorer/connect?url=mqtt://broker.example:1883&name=Plant%201`.
 * It only ever fills the connection form: the person reads it and saves (or not). Never imports `vscode`.
 */

/** What a link may set in a new profile: where the broker is, and how the form names it. */
export type ConnectLinkFields = Pick<ConnectionProfile, 'protocol' | 'host' | 'port'> & Partial<Pick<ConnectionProfile, 'name' | 'path' | 'username' | 'clientId'>>;

export interface ConnectLink {
  fields: ConnectLinkFields;
  /** The link carried a password (in the URL or as a parameter): it was dropped, and the person is told. */
  droppedPassword: boolean;
}

/** A link longer than this is refused before anything parses it (a wiki link is a few hundred characters). */
export const MAX_QUERY_CHARS = 4096;
const MAX_NAME_CHARS = 200;
const MAX_HOST_CHARS = 253;
const MAX_USER_CHARS = 256;
const MAX_CLIENT_ID_CHARS = 256;
const MAX_PATH_CHARS = 1024;

const PROTOCOLS: readonly Protocol[] = ['mqtt', 'mqtts', 'ws', 'wss'];
/** A parameter starts at an `&` followed by a name and `=`; any other `&` belongs to the value (see parseParams). */
const PARAM_START = /&(?=[A-Za-z][\w.-]{0,63}=)/;

/**
 * Reads the query of a connect link, as VS Code hands it to the URI handler: `vscode.Uri.query`,
 * whose percent-escapes are already decoded. So a name written `Lab%26Test` in the link arrives as
 * `Lab&Test`; an `&` only starts a new parameter when a name and `=` follow it. Values are not
 * decoded a second time (that would turn a literal `%41` into `A`).
 */
export function parseConnectLink(query: string): ConnectLink | { error: string } {
  if (query.length > MAX_QUERY_CHARS) return { error: l10n.t('The link is too long ({0} characters; at most {1}).', query.length, MAX_QUERY_CHARS) };
  const params = parseParams(query);
  const raw = params.get('url');
  if (raw === undefined || raw.trim() === '') return { error: l10n.t('The link has no broker address: it needs url=mqtt://host:port (or mqtts://, ws://, wss://).') };
  const url = parseBrokerUrl(raw.trim());
  if ('error' in url) return url;
  const name = params.get('name')?.trim();
  const clientId = params.get('clientId')?.trim();
  if (name !== undefined && name.length > MAX_NAME_CHARS) return { error: l10n.t('The name in the link is too long (at most {0} characters).', MAX_NAME_CHARS) };
  if (clientId !== undefined && clientId.length > MAX_CLIENT_ID_CHARS) return { error: l10n.t('The client id in the link is too long (at most {0} characters).', MAX_CLIENT_ID_CHARS) };
  if (hasControl(name) || hasControl(clientId)) return { error: l10n.t('The link’s name or client id contains control characters.') };
  const fields: ConnectLinkFields = { ...url.fields };
  fields.name = name || `${fields.host}:${fields.port}`;
  if (clientId) fields.clientId = clientId;
  return { fields, droppedPassword: url.droppedPassword || params.has('password') };
}

/** `mqtt://user:password@host:port/path`: the scheme, host, port, user name and (websockets) path. */
function parseBrokerUrl(raw: string): { fields: ConnectLinkFields; droppedPassword: boolean } | { error: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  const protocol = PROTOCOLS.find((candidate) => candidate === scheme);
  if (!protocol) {
    return { error: l10n.t('“{0}” is not a broker address: a link opens mqtt://, mqtts://, ws:// or wss:// addresses only.', scheme ? `${scheme}:` : truncate(raw)) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: l10n.t('“{0}” is not a valid broker address (expected {1}://host:port).', truncate(raw), protocol) };
  }
  // The URL parser keeps IPv6 addresses in brackets; the profile stores the bare address.
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) return { error: l10n.t('The broker address “{0}” has no host.', truncate(raw)) };
  if (host.length > MAX_HOST_CHARS) return { error: l10n.t('The host name is too long (at most {0} characters).', MAX_HOST_CHARS) };
  // URL drops a port that is its scheme's web default (ws://h:80, wss://h:443), which is not this
  // extension's default for the protocol: read the port as written. None written: the protocol's default.
  const written = explicitPort(raw);
  const port = url.port !== '' ? Number(url.port) : written !== undefined ? written : DEFAULT_PORTS[protocol];
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { error: l10n.t('The port must be between 1 and 65535.') };
  // A non-special scheme's host stays percent-encoded in URL.hostname: an internationalised name reads as typed.
  const fields: ConnectLinkFields = { protocol, host: safeDecode(host), port };
  if (/[\s/\\@]/.test(fields.host) || hasControl(fields.host)) return { error: l10n.t('The broker address “{0}” has no valid host.', truncate(raw)) };
  const username = safeDecode(url.username);
  if (username) {
    if (username.length > MAX_USER_CHARS) return { error: l10n.t('The user name in the link is too long (at most {0} characters).', MAX_USER_CHARS) };
    fields.username = username;
  }
  if ((protocol === 'ws' || protocol === 'wss') && url.pathname && url.pathname !== '/') {
    if (url.pathname.length > MAX_PATH_CHARS) return { error: l10n.t('The websocket path is too long (at most {0} characters).', MAX_PATH_CHARS) };
    fields.path = safeDecode(url.pathname);
  }
  return { fields, droppedPassword: url.password !== '' };
}

/** The port as the address writes it, or undefined when it names none. */
function explicitPort(raw: string): number | undefined {
  const authority = raw.slice(raw.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(hostPort)?.[1];
  return port === undefined ? undefined : Number(port);
}

/** The parameters by name (the first of each wins), split as parseConnectLink describes. */
function parseParams(query: string): Map<string, string> {
  const params = new Map<string, string>();
  const text = query.startsWith('?') ? query.slice(1) : query;
  if (!text) return params;
  for (const part of text.split(PARAM_START)) {
    const equals = part.indexOf('=');
    const key = equals < 0 ? part : part.slice(0, equals);
    if (!params.has(key)) params.set(key, equals < 0 ? '' : part.slice(equals + 1));
  }
  return params;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hasControl(text: string | undefined): boolean {
  return text !== undefined && /[\u0000-\u001f\u007f]/.test(text);
}

/** Error messages quote at most this much of what the link held. */
function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
