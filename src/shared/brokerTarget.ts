import { brokerUrl, isTlsProtocol, isWebSocket, type ConnectionProfile } from './profile';

/**
 * Where a password typed for a profile goes, and who can prove to be that broker. A stored secret
 * is bound to this: when any part changes (turning verification off, or trusting another CA, lets
 * another machine pose as the same host, so they count too), it is not sent until the user agrees.
 */
export function brokerTarget(profile: ConnectionProfile): string {
  const tls = isTlsProtocol(profile.protocol) ? profile.tls ?? { verify: true } : undefined;
  return JSON.stringify([
    profile.protocol,
    profile.host.toLowerCase(),
    profile.port,
    isWebSocket(profile.protocol) ? profile.path ?? '' : '',
    profile.username ?? '',
    tls ? [tls.verify, tls.serverName ?? '', tls.caFile ?? ''] : null,
  ]);
}

export function sameBrokerTarget(a: ConnectionProfile, b: ConnectionProfile): boolean {
  return brokerTarget(a) === brokerTarget(b);
}

/** The target in the words the prompts use: `mqtt://host:1883 as alice`, plus what TLS trusts when that is not the default. */
export function describeTarget(profile: ConnectionProfile): string {
  const user = profile.username ? ` as ${profile.username}` : '';
  const tls = isTlsProtocol(profile.protocol) ? profile.tls : undefined;
  const checks: string[] = [];
  if (tls?.verify === false) checks.push('certificate not verified');
  if (tls?.serverName) checks.push(`certificate name ${tls.serverName}`);
  if (tls?.caFile) checks.push(`CA ${tls.caFile}`);
  return `${brokerUrl(profile)}${user}${checks.length ? ` (${checks.join(', ')})` : ''}`;
}

/** This machine, by name or address: what goes there does not cross a network. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (/^127(?:\.\d{1,3}){3}$/.test(name)) return name.split('.').every((part) => Number(part) <= 255);
  if (/^::ffff:127(?:\.\d{1,3}){3}$/.test(name)) return true;
  return name.includes(':') && ipv6Groups(name)?.every((group, index) => group === (index === 7 ? 1 : 0)) === true;
}

/** A password on this profile's connection would cross the network unencrypted. */
export function passwordGoesInClear(profile: ConnectionProfile): boolean {
  return !isTlsProtocol(profile.protocol) && !isLoopbackHost(profile.host);
}

/** The eight groups of an IPv6 address written with or without `::`, or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part ? part.split(':') : []);
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}
