import { BrokerConnection, type ConnectionDeps, type ConnectionProfile, type ConnectionState } from './connection';
import { Disposable, Emitter } from './dispose';
import type { TopicUpdate } from './topicTree';

export interface ConnectionTopicUpdate {
  connection: BrokerConnection;
  update: TopicUpdate;
}

/** Every connection the explorer knows, connected or not; several can be connected at once. */
export class ConnectionRegistry extends Disposable {
  private readonly connections = new Map<string, BrokerConnection>();

  private readonly changeEmitter = this.register(new Emitter<BrokerConnection | undefined>());
  /** A connection was added, removed (undefined) or changed state. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly topicEmitter = this.register(new Emitter<ConnectionTopicUpdate>());
  readonly onDidUpdateTopic = this.topicEmitter.event;

  /** `depsFor` gives each connection its secrets (from SecretStorage) and its log. */
  constructor(private readonly depsFor: (profile: ConnectionProfile) => ConnectionDeps = () => ({ secrets: async () => ({}) })) {
    super();
  }

  list(): BrokerConnection[] {
    return [...this.connections.values()];
  }

  get(id: string): BrokerConnection | undefined {
    return this.connections.get(id);
  }

  /** Adds a profile, or replaces the one with the same id when its address changed. */
  upsert(profile: ConnectionProfile): BrokerConnection {
    const existing = this.connections.get(profile.id);
    if (existing && sameProfile(existing.profile, profile)) return existing;
    if (existing) this.remove(profile.id);
    const connection = new BrokerConnection(profile, this.depsFor(profile));
    connection.onDidChangeState((_state: ConnectionState) => this.changeEmitter.fire(connection));
    connection.onDidUpdateTopic((update) => this.topicEmitter.fire({ connection, update }));
    this.connections.set(profile.id, connection);
    this.changeEmitter.fire(connection);
    return connection;
  }

  remove(id: string): void {
    const connection = this.connections.get(id);
    if (!connection) return;
    this.connections.delete(id);
    connection.dispose();
    this.changeEmitter.fire(undefined);
  }

  override dispose(): void {
    for (const connection of this.connections.values()) connection.dispose();
    this.connections.clear();
    super.dispose();
  }
}

function sameProfile(a: ConnectionProfile, b: ConnectionProfile): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
