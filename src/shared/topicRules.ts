/** MQTT's rules for topic names, shared by every way of publishing. */
import * as l10n from '@vscode/l10n';

/** Why `topic` cannot be published to, or undefined when it can (MQTT 3.1.1 and 5.0, §4.7). */
export function validatePublishTopic(topic: string): string | undefined {
  if (topic.length === 0) return l10n.t('A topic cannot be empty.');
  if (/[+#]/.test(topic)) return l10n.t('Wildcards (+ and #) are for subscribing; a publish topic cannot contain them.');
  if (topic.includes('\u0000')) return l10n.t('A topic cannot contain the null character.');
  if (new TextEncoder().encode(topic).length > 65535) return l10n.t('A topic can be at most 65,535 bytes long.');
  return undefined;
}

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/**
 * Whether `topic` matches the subscription filter `filter` (MQTT §4.7): level by level with indexes
 * into both strings, no recursion, no regular expression, nothing allocated (a topic can have
 * 20,000 levels and 64 KiB): cheap enough to run per received message.
 * `#` matches the rest, including the parent level ("a/#" matches "a"); `+` one level, also an
 * empty one; a topic starting with `$` is not matched by a filter starting with a wildcard.
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === DOLLAR && (filter.charCodeAt(0) === PLUS || filter.charCodeAt(0) === HASH)) return false;
  let filterAt = 0;
  let topicAt = 0;
  for (;;) {
    let filterEnd = filter.indexOf('/', filterAt);
    if (filterEnd < 0) filterEnd = filter.length;
    const length = filterEnd - filterAt;
    if (length === 1 && filter.charCodeAt(filterAt) === HASH) return true;
    let topicEnd = topic.indexOf('/', topicAt);
    if (topicEnd < 0) topicEnd = topic.length;
    if (!(length === 1 && filter.charCodeAt(filterAt) === PLUS)) {
      if (topicEnd - topicAt !== length) return false;
      for (let offset = 0; offset < length; offset++) if (filter.charCodeAt(filterAt + offset) !== topic.charCodeAt(topicAt + offset)) return false;
    }
    const filterDone = filterEnd === filter.length;
    const topicDone = topicEnd === topic.length;
    if (filterDone && topicDone) return true;
    if (filterDone) return false;
    if (topicDone) return filter.length === filterEnd + 2 && filter.charCodeAt(filterEnd + 1) === HASH && filter.charCodeAt(filterEnd) === SLASH;
    filterAt = filterEnd + 1;
    topicAt = topicEnd + 1;
  }
}
