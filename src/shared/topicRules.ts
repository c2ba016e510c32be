/** MQTT's rules for topic names, shared by every way of publishing. */

/** Why `topic` cannot be published to, or undefined when it can (MQTT 3.1.1 and 5.0, §4.7). */
export function validatePublishTopic(topic: string): string | undefined {
  if (topic.length === 0) return 'A topic cannot be empty.';
  if (/[+#]/.test(topic)) return 'Wildcards (+ and #) are for subscribing; a publish topic cannot contain them.';
  if (topic.includes('\u0000')) return 'A topic cannot contain the null character.';
  if (new TextEncoder().encode(topic).length > 65535) return 'A topic can be at most 65,535 bytes long.';
  return undefined;
}

/** Whether `topic` matches the subscription filter `filter` (`+` one level, `#` the rest; MQTT §4.7). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  // Wildcards at the first level do not match topics starting with $ (§4.7.2).
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
