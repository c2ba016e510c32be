/** MQTT's rules for topic names, shared by every way of publishing. */

/** Why `topic` cannot be published to, or undefined when it can (MQTT 3.1.1 and 5.0, §4.7). */
export function validatePublishTopic(topic: string): string | undefined {
  if (topic.length === 0) return 'A topic cannot be empty.';
  if (/[+#]/.test(topic)) return 'Wildcards (+ and #) are for subscribing; a publish topic cannot contain them.';
  if (topic.includes('\u0000')) return 'A topic cannot contain the null character.';
  if (new TextEncoder().encode(topic).length > 65535) return 'A topic can be at most 65,535 bytes long.';
  return undefined;
}
