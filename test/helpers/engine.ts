import type { EngineClient, TopicChanges } from '../../src/host/engine/engineClient';
import { newProfile, type ConnectionProfile } from '../../src/shared/profile';
import { waitFor } from './waitFor';

/**
 * Connects the engine to a loopback broker with `profile` (host 127.0.0.1, MQTT 3.1.1 unless
 * overridden) and resolves once every subscription is active.
 */
export async function connectSubscribed(engine: EngineClient, connectionId: string, profile: Partial<ConnectionProfile>): Promise<void> {
  const subscribed = waitFor(
    (listener: (value: boolean) => void) => engine.onEvent((event) => (event.kind === 'subscriptions' ? listener(event.subscriptions.every((s) => s.status.state === 'active')) : undefined)),
    (active) => active,
    5000,
    'the subscription',
  );
  await engine.request('connect', {
    connectionId,
    profile: newProfile(connectionId, { host: '127.0.0.1', mqttVersion: 4, ...profile }),
    secrets: {},
    backoff: { minDelayMs: 100, maxDelayMs: 500, stableAfterMs: 10_000 },
  });
  await subscribed;
}

/** The engine's next change report that `predicate` accepts, within `timeoutMs`. */
export function nextChanges(engine: EngineClient, predicate: (changes: TopicChanges) => boolean, timeoutMs: number, what: string): Promise<TopicChanges> {
  return waitFor(
    (listener: (value: TopicChanges) => void) => engine.onEvent((event) => (event.kind === 'changes' ? listener(event) : undefined)),
    predicate,
    timeoutMs,
    what,
  );
}
