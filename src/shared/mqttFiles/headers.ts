/**
 * The headers of `.mqtt` blocks: which kinds take which, and each value's rule. The parser checks
 * values written without variables; the resolver checks every value once its variables are filled
 * in, with the same functions.
 */
import * as l10n from '@vscode/l10n';
import type { QoS } from '../profile';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../publish';
import { validatePublishTopic } from '../topicRules';
import { BLOCK_KEYWORDS, MAX_COUNT, MAX_TIMEOUT_MS, type BlockKind, type HeaderName } from './types';

/** What the Retained header lets through: retained messages sent on subscribing, or only messages published while listening. */
export type RetainedPolicy = 'include' | 'ignore';

/** The typed value of each header. */
export interface HeaderValues {
  QoS: QoS;
  Retain: boolean;
  'Content-Type': string;
  'Response-Topic': string;
  'Correlation-Data': string;
  'Message-Expiry': number;
  /** true: utf8 (payload format indicator 1). */
  'Payload-Format': boolean;
  'User-Property': [string, string];
  Timeout: number;
  Within: number;
  Count: number;
  Retained: RetainedPolicy;
  Format: PayloadFormat;
  Schema: string;
  Correlation: string;
}

export type HeaderResult<T> = { value: T } | { error: string };

interface HeaderSpec<N extends HeaderName> {
  name: N;
  kinds: readonly BlockKind[];
  repeatable?: boolean;
  read(value: string): HeaderResult<HeaderValues[N]>;
}

const PUBLISHING: readonly BlockKind[] = ['publish', 'request'];
const LISTENING: readonly BlockKind[] = ['subscribe', 'expect'];
const WAITING: readonly BlockKind[] = ['request', 'subscribe', 'expect'];
const ALL: readonly BlockKind[] = ['publish', 'request', 'subscribe', 'expect'];

function wholeNumber(value: string, min: number, max: number, error: string): HeaderResult<number> {
  if (!/^\d{1,16}$/.test(value)) return { error };
  const number = Number(value);
  return number >= min && number <= max ? { value: number } : { error };
}

function text(name: string): (value: string) => HeaderResult<string> {
  return (value) => (value === '' ? { error: l10n.t('{0} needs a value.', name) } : { value });
}

/** A path relative to the `.mqtt` file's folder; absolute paths are refused (a shared file must not read from anywhere on your disk). */
export function relativePathProblem(path: string): string | undefined {
  if (path === '') return l10n.t('The path is empty: write a path relative to this file, e.g. ./payloads/frame.bin.');
  if (/^(?:[/\\~]|[A-Za-z]:)/.test(path)) return l10n.t('"{0}" is not relative: write a path relative to this file\'s folder (./payloads/frame.bin), so that the file works for everyone who opens it.', path);
  if (path.includes('\u0000')) return l10n.t('A path cannot contain the null character.');
  return undefined;
}

const SPECS: { [N in HeaderName]: HeaderSpec<N> } = {
  QoS: {
    name: 'QoS',
    kinds: ALL,
    read: (value) => (value === '0' || value === '1' || value === '2' ? { value: Number(value) as QoS } : { error: l10n.t('QoS is 0, 1 or 2, not "{0}".', value) }),
  },
  Retain: {
    name: 'Retain',
    kinds: ['publish'],
    read: (value) => {
      const lower = value.toLowerCase();
      return lower === 'true' || lower === 'false' ? { value: lower === 'true' } : { error: l10n.t('Retain is true or false, not "{0}".', value) };
    },
  },
  'Content-Type': { name: 'Content-Type', kinds: PUBLISHING, read: text('Content-Type') },
  'Response-Topic': {
    name: 'Response-Topic',
    kinds: PUBLISHING,
    read: (value) => {
      const problem = validatePublishTopic(value);
      return problem ? { error: l10n.t('Response-Topic: {0}', problem) } : { value };
    },
  },
  'Correlation-Data': { name: 'Correlation-Data', kinds: PUBLISHING, read: text('Correlation-Data') },
  'Message-Expiry': {
    name: 'Message-Expiry',
    kinds: PUBLISHING,
    read: (value) => wholeNumber(value, 0, 0xffffffff, l10n.t('Message-Expiry is a whole number of seconds (0 to 4,294,967,295), not "{0}".', value)),
  },
  'Payload-Format': {
    name: 'Payload-Format',
    kinds: PUBLISHING,
    read: (value) => {
      const lower = value.toLowerCase();
      return lower === 'utf8' || lower === 'bytes' ? { value: lower === 'utf8' } : { error: l10n.t('Payload-Format is utf8 (the payload is UTF-8 text) or bytes, not "{0}".', value) };
    },
  },
  'User-Property': {
    name: 'User-Property',
    kinds: PUBLISHING,
    repeatable: true,
    read: (value) => {
      const at = value.indexOf('=');
      const name = at > 0 ? value.slice(0, at).trim() : '';
      if (!name) return { error: l10n.t('Write a user property as User-Property: name=value.') };
      return { value: [name, value.slice(at + 1).trim()] };
    },
  },
  Timeout: {
    name: 'Timeout',
    kinds: WAITING,
    read: (value) => wholeNumber(value, 1, MAX_TIMEOUT_MS, l10n.t('Timeout is a whole number of milliseconds, 1 to {0} (an hour), not "{1}".', MAX_TIMEOUT_MS.toLocaleString('en-US'), value)),
  },
  Within: {
    name: 'Within',
    kinds: ['expect'],
    read: (value) => wholeNumber(value, 1, MAX_TIMEOUT_MS, l10n.t('Within is a whole number of milliseconds, 1 to {0} (an hour), not "{1}".', MAX_TIMEOUT_MS.toLocaleString('en-US'), value)),
  },
  Count: {
    name: 'Count',
    kinds: ['subscribe'],
    read: (value) => wholeNumber(value, 1, MAX_COUNT, l10n.t('Count is a whole number of messages, 1 to {0}, not "{1}".', MAX_COUNT.toLocaleString('en-US'), value)),
  },
  Retained: {
    name: 'Retained',
    kinds: LISTENING,
    read: (value) => {
      const lower = value.toLowerCase();
      return lower === 'include' || lower === 'ignore' ? { value: lower } : { error: l10n.t('Retained is include (retained messages count) or ignore (only messages published while listening), not "{0}".', value) };
    },
  },
  Format: {
    name: 'Format',
    kinds: ALL,
    read: (value) => {
      const lower = value.toLowerCase();
      const format = PAYLOAD_FORMATS.find((candidate) => candidate === lower);
      return format ? { value: format } : { error: l10n.t('Format is json, text, hex, base64 or decoder, not "{0}".', value) };
    },
  },
  Schema: {
    name: 'Schema',
    kinds: LISTENING,
    read: (value) => {
      const problem = relativePathProblem(value);
      return problem ? { error: l10n.t('Schema: {0}', problem) } : { value };
    },
  },
  Correlation: { name: 'Correlation', kinds: LISTENING, read: text('Correlation') },
};

export const HEADER_NAMES = Object.keys(SPECS) as HeaderName[];
const BY_LOWER = new Map(HEADER_NAMES.map((name) => [name.toLowerCase(), name]));

/** The canonical spelling of a header name typed in any case, or undefined when there is no such header. */
export function headerName(typed: string): HeaderName | undefined {
  return BY_LOWER.get(typed.toLowerCase());
}

export function headerAllowed(name: HeaderName, kind: BlockKind): boolean {
  return SPECS[name].kinds.includes(kind);
}

export function headerRepeatable(name: HeaderName): boolean {
  return SPECS[name].repeatable === true;
}

/** The headers `kind` takes, in the order the documentation lists them. */
export function headersFor(kind: BlockKind): HeaderName[] {
  return HEADER_NAMES.filter((name) => headerAllowed(name, kind));
}

/** Reads a header's value (its variables filled in, if any): the typed value or why it is wrong. */
export function readHeader<N extends HeaderName>(name: N, value: string): HeaderResult<HeaderValues[N]> {
  return (SPECS[name] as HeaderSpec<N>).read(value);
}

/** Why `name` is not a header of `kind`: what to do instead. */
export function notForKind(name: HeaderName, kind: BlockKind): string {
  const keyword = BLOCK_KEYWORDS[kind];
  if (name === 'Retain' && kind === 'request') return l10n.t('A REQUEST is never retained: a retained request would reach every responder that subscribes later. Use PUBLISH with Retain: true for that.');
  if ((name === 'Timeout' || name === 'Within') && kind === 'publish') return l10n.t('PUBLISH does not wait for anything, so it has no {0}: use REQUEST to wait for a reply, or an EXPECT block after this one.', name);
  if (name === 'Within') return l10n.t('Within is for EXPECT only (the answer must arrive within that many ms). {0} waits as long as Timeout says.', keyword);
  if (name === 'Count') return l10n.t('Count is for SUBSCRIBE only (how many messages to show). {0} takes: {1}.', keyword, headersFor(kind).join(', '));
  if (name === 'Correlation' && kind === 'request') return l10n.t('A REQUEST finds its reply by its Correlation-Data already; Correlation is a condition of SUBSCRIBE and EXPECT.');
  return l10n.t('{0} is not a {1} header. {1} takes: {2}.', name, keyword, headersFor(kind).join(', '));
}

/** Closest header name to a mistyped one (a small distance), for "did you mean". */
export function closestHeader(typed: string, kind: BlockKind): HeaderName | undefined {
  if (typed.length > 40) return undefined;
  const lower = typed.toLowerCase();
  let best: HeaderName | undefined;
  let bestDistance = 3;
  for (const name of headersFor(kind)) {
    const target = name.toLowerCase();
    // Small strings: a plain dynamic-programming table.
    const row = Array.from({ length: target.length + 1 }, (_, index) => index);
    for (let i = 1; i <= lower.length; i++) {
      let diagonal = row[0];
      row[0] = i;
      for (let j = 1; j <= target.length; j++) {
        const above = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (lower[i - 1] === target[j - 1] ? 0 : 1));
        diagonal = above;
      }
    }
    if (row[target.length] < bestDistance) {
      best = name;
      bestDistance = row[target.length];
    }
  }
  return best;
}
