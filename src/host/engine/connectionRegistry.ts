import type { ConnectionProfile } from '../../worker/connection';
import { Disposable, Emitter } from '../../shared/dispose';
import { RemoteConnection, type EngineClient, type EngineRestart, type RemoteConnectionDeps, type TopicChanges } from './engineClient';
import type { SubscriptionSpec } from '../../shared/profile';
import type { RequestsSnapshot } from '../../shared/requests';

/** What an engine restart cost: which connections came back, and how long from the failure to the last of them. */
export interface EngineRecovery {
  restart: EngineRestart;
  reconnected: string[];
  failed: string[];
  tookMs: number;
}

/**
 * Every connection the explorer knows, connected or not; several can be connected at once. The
 * connections themselves run in the engine worker; these are their extension-host proxies.
 */
export class ConnectionRegistry extends Disposable {
  private readonly connections = new Map<string, RemoteConnection>();

  private readonly changeEmitter = this.register(new Emitter<RemoteConnection | undefined>());
  /** A connection was added, removed (undefined) or changed state or subscriptions. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly topicEmitter = this.register(new Emitter<TopicChanges>());
  /** Coalesced reports of the shown topic nodes that changed (a few a second at most). */
  readonly onDidChangeTopics = this.topicEmitter.event;
  private readonly requestsEmitter = this.register(new Emitter<RequestsSnapshot>());
  /** A connection's MQTT 5 requests changed (only while the Requests view watches; at most one a second per connection). */
  readonly onDidChangeRequests = this.requestsEmitter.event;
  private readonly logEmitter = this.register(new Emitter<{ level: 'info' | 'warn' | 'error'; line: string }>());
  readonly onLog = this.logEmitter.event;
  private readonly recoveredEmitter = this.register(new Emitter<EngineRecovery>());
  /** After an engine restart: the connections that were up have been connected again (or failed to). */
  readonly onDidRecover = this.recoveredEmitter.event;

  /** `depsFor` gives each connection its secrets (from SecretStorage) and its reconnect timing. */
  constructor(
    readonly engine: EngineClient,
    private readonly depsFor: (profile: ConnectionProfile) => RemoteConnectionDeps,
  ) {
    super();
    this.register(
      engine.onEvent((event) => {
        if (event.kind === 'log') {
          this.logEmitter.fire(event);
          return;
        }
        if (event.kind === 'run') return; // the file runs' own listener (MqttFileRuns) takes them
        if (event.kind === 'recording') return; // the recordings' own listener (host/recordings.ts) takes them
        if (event.kind === 'replay') return; // the replay's own listener (src/host/replay.ts) takes them
        if (event.kind === 'brokerStats') return; // the Broker views' own listener (BrokerPanels) takes them
        const connection = this.connections.get(event.connectionId);
        if (!connection) return;
        if (event.kind === 'requests') {
          this.requestsEmitter.fire(event.snapshot);
          return;
        }
        connection.applyEvent(event);
        if (event.kind === 'changes') this.topicEmitter.fire(event);
        else this.changeEmitter.fire(connection);
      }),
    );
    this.register(engine.onDidRestart((restart) => void this.recover(restart)));
  }

  /** A fresh engine knows no connection: connect again those that were up, with the subscriptions they had. */
  private async recover(restart: EngineRestart): Promise<void> {
    const wanted: { connection: RemoteConnection; extra: SubscriptionSpec[] }[] = [];
    for (const connection of this.connections.values()) {
      const { wanted: was, extraSubscriptions } = connection.resetAfterRestart();
      if (was) wanted.push({ connection, extra: extraSubscriptions });
      this.changeEmitter.fire(connection);
    }
    const results = await Promise.allSettled(
      wanted.map(async ({ connection, extra }) => {
        // Removed meanwhile: nothing to bring back.
        if (this.connections.get(connection.id) !== connection) return;
        await connection.connect();
        for (const spec of extra) await connection.addSubscription(spec);
        connection.restoring = undefined;
      }),
    );
    const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [`${wanted[index].connection.profile.name}: ${(result.reason as Error).message}`] : []));
    this.recoveredEmitter.fire({
      restart,
      reconnected: wanted.filter((_, index) => results[index].status === 'fulfilled').map(({ connection }) => connection.profile.name),
      failed,
      tookMs: Date.now() - restart.noticedAt,
    });
  }

  list(): RemoteConnection[] {
    return [...this.connections.values()];
  }

  get(id: string): RemoteConnection | undefined {
    return this.connections.get(id);
  }

  /** Adds a profile, or replaces the one with the same id when it changed. */
  upsert(profile: ConnectionProfile): RemoteConnection {
    const existing = this.connections.get(profile.id);
    if (existing && JSON.stringify(existing.profile) === JSON.stringify(profile)) return existing;
    if (existing) this.remove(profile.id);
    const connection = new RemoteConnection(profile, this.engine, this.depsFor(profile));
    this.connections.set(profile.id, connection);
    this.changeEmitter.fire(connection);
    return connection;
  }

  // ── Offline recordings (issue 15) ──
  /** Shows an opened recording as a connection (the engine's `openRecording` feeds it); it never connects. */
  addOffline(profile: ConnectionProfile, path: string): RemoteConnection {
    if (this.connections.has(profile.id)) throw new Error(`A connection ${profile.id} exists already.`);
    const connection = new RemoteConnection(profile, this.engine, this.depsFor(profile), { path });
    this.connections.set(profile.id, connection);
    this.changeEmitter.fire(connection);
    return connection;
  }

  remove(id: string): void {
    const connection = this.connections.get(id);
    if (!connection) return;
    this.connections.delete(id);
    void this.engine.request('remove', { connectionId: id }).catch(() => undefined);
    connection.dispose();
    this.changeEmitter.fire(undefined);
  }

  override dispose(): void {
    for (const connection of this.connections.values()) connection.dispose();
    this.connections.clear();
    super.dispose();
  }
}
