import { topicMatchesFilter } from '../shared/topicRules';

/** The largest Subscription Identifier MQTT 5 allows (a variable byte integer, §3.8.2.1.2). */
export const MAX_SUBSCRIPTION_ID = 268_435_455;

/**
 * One copy of each message, whatever the subscriptions overlap. An MQTT 5 broker may send a client one
 * copy per matching subscription (mosquitto does: `#` and `a/#` bring two copies of `a/b`), which
 * would count every message twice in the tree and in a recording, and show it twice to a `.mqtt`
 * run that leased a filter the profile also covers. Each filter subscribed gets its own Subscription
 * Identifier, and a copy is taken only when it carries the smallest identifier of the filters that
 * match its topic: exactly one copy of each message has it.
 *
 * When it cannot tell (MQTT 3.1.1, a broker without identifiers, a copy carrying none or only
 * identifiers of filters no longer held) a copy is taken: a duplicate is better than a loss.
 */
export class SubscriptionIds {
  private readonly ids = new Map<string, number>();
  private next = 1;
  private available = false;
  /** Copies left out as duplicates. */
  duplicates = 0;

  /** Whether SUBSCRIBEs carry identifiers: MQTT 5 and the broker's CONNACK did not say it has none. Set at each connect. */
  setAvailable(available: boolean): void {
    this.available = available;
    if (!available) this.ids.clear();
  }

  /** The identifier a SUBSCRIBE to `filter` carries (the same for the same filter), or undefined when identifiers are off. */
  idFor(filter: string): number | undefined {
    if (!this.available) return undefined;
    let id = this.ids.get(filter);
    if (id === undefined) {
      // Identifiers are never reused for another filter: a copy in flight for an old one cannot pass for a new one.
      if (this.next > MAX_SUBSCRIPTION_ID) return undefined;
      id = this.next++;
      this.ids.set(filter, id);
    }
    return id;
  }

  /** The filter is no longer subscribed. */
  forget(filter: string): void {
    this.ids.delete(filter);
  }

  /** Whether to take this copy of a message on `topic` that carries `carried` (MQTT.js gives a number, a list, or nothing). */
  accepts(topic: string, carried: number | number[] | undefined): boolean {
    if (carried === undefined || this.ids.size < 2) return true;
    let smallest = Number.MAX_SAFE_INTEGER;
    let known = false;
    for (const [filter, id] of this.ids) {
      if (!topicMatchesFilter(filter, topic)) continue;
      if (id < smallest) smallest = id;
      if (!known) known = typeof carried === 'number' ? carried === id : carried.includes(id);
    }
    if (!known) return true;
    const taken = typeof carried === 'number' ? carried === smallest : carried.includes(smallest);
    if (!taken) this.duplicates++;
    return taken;
  }
}
