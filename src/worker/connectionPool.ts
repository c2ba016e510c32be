import * as l10n from '@vscode/l10n';
import { BrokerConnection } from './connection';
import { DEFAULT_BACKOFF } from './backoff';
import { newProfile } from '../shared/profile';
import type { SparkplugCaps, SparkplugChange } from './decoders/sparkplug';
import type { DecoderState } from './decoding';
import { MessageStore } from './messageStore';
import { NodeIndex } from './nodeIndex';
import { PayloadReader } from './payloadReader';
import { TopicSchemas, type SchemaState } from './schemaCheck';
import { DEFAULT_LIMITS, type MessageProperties, type TopicLimits, type TopicNode } from './topicTree';
import type { EngineEvent, EngineRequests } from '../shared/engineProtocol';

/** Set aside from the memory budget for what the worker holds besides the topic trees (clients, buffers, code): measured 25 to 31 MiB under load. */
export const WORKER_BASE_BYTES = 48 * 1024 * 1024;

/** Forgotten topics are logged at most this often per connection (the views show the running count). */
const FORGOTTEN_LOG_INTERVAL_MS = 10_000;

/** A connection with the ids its tree's nodes have in snapshots, and the one reader of its payloads. */
export interface ConnectionModel {
  readonly id: string;
  readonly connection: BrokerConnection;
  readonly index: NodeIndex;
  /** Every payload the views read goes through it (decoded by the topic's binding); it holds the connection's Sparkplug B state. */
  readonly payloads: PayloadReader;
  /** The JSON Schema checks of its bound topics: counts per topic, the last message's first error. */
  readonly schemas: TopicSchemas;
}

export interface PoolEvents {
  emit(event: EngineEvent): void;
  /** Every message that reaches a connection's tree. */
  onMessage(connectionId: string, node: TopicNode, created: TopicNode | undefined): void;
  /** The budget forgot topics below `parent` of a connection's tree. */
  onForgotten(connectionId: string, parent: TopicNode): void;
  /** A connection's tree is new (first connect, or a changed profile replaced it). */
  onCreated(connectionId: string): void;
  /** A Sparkplug B edge node or device of a connection came online, went offline or got a flag (a seq gap…). */
  onSparkplugChange(connectionId: string, change: SparkplugChange): void;
  /** Every message of a connection, with its MQTT 5 properties (request/response tracing). */
  onTraced?(connectionId: string, topic: string, payload: Uint8Array, properties: MessageProperties | undefined): void;
  // ---- broker statistics ----
  /** Every `$SYS/…` message of a connection. */
  onSysMessage?(connectionId: string, topic: string, payload: Uint8Array, receivedAt: number, retained: boolean): void;
}

export interface PoolOptions {
  /** The decoder bindings and schemas, shared by every connection's PayloadReader. */
  decoders: DecoderState;
  /** The JSON Schema bindings and compiled schemas, shared by every connection's TopicSchemas. */
  schemas: SchemaState;
  /** Sparkplug B caps per connection (tests lower them). */
  sparkplugCaps?: Partial<SparkplugCaps>;
}

/** The worker's connections: their lifecycle (connect, replace, remove) and the memory budget they share. */
export class ConnectionPool {
  private readonly models = new Map<string, ConnectionModel>();
  private limits: TopicLimits = DEFAULT_LIMITS;
  /** Per connection, the secrets its latest connect request brought (reconnects use them too). */
  private readonly secrets = new Map<string, EngineRequests['connect']['params']['secrets']>();
  /** Per connection, the workspace folder of its latest connect request. */
  private readonly workspaceFolders = new Map<string, string | undefined>();
  /** Every connection's kept messages, in one pool under one budget: oldest first across all of them. */
  readonly store = new MessageStore();

  constructor(
    private readonly events: PoolEvents,
    private readonly options: PoolOptions,
  ) {}

  get(id: string): ConnectionModel | undefined {
    return this.models.get(id);
  }

  /** The connection, or an error that names it. */
  require(id: string): ConnectionModel {
    const model = this.models.get(id);
    if (!model) throw new Error(l10n.t('No connection {0}.', id));
    return model;
  }

  all(): IterableIterator<ConnectionModel> {
    return this.models.values();
  }

  async connect(params: EngineRequests['connect']['params']): Promise<ConnectionModel> {
    let model = this.models.get(params.connectionId);
    if (model && JSON.stringify(model.connection.profile) !== JSON.stringify(params.profile)) {
      await this.remove(params.connectionId);
      model = undefined;
    }
    // The secrets of this call, not of the first: a password corrected in the form (same profile)
    // must be the one the next attempt sends.
    this.secrets.set(params.connectionId, params.secrets);
    // Likewise the workspace folder relative TLS paths resolve against: the one open at this connect.
    this.workspaceFolders.set(params.connectionId, params.workspaceFolder);
    if (!model) model = this.create(params);
    await model.connection.connect();
    return model;
  }

  private create(params: EngineRequests['connect']['params']): ConnectionModel {
    const id = params.connectionId;
    const payloads = new PayloadReader(this.options.decoders, { sparkplugCaps: this.options.sparkplugCaps });
    const schemas = new TopicSchemas(this.options.schemas);
    const connection = new BrokerConnection(params.profile, {
      secrets: async () => this.secrets.get(id) ?? {},
      tlsBase: () => ({ workspaceFolder: this.workspaceFolders.get(id) }),
      backoff: params.backoff,
      log: (line) => this.events.emit({ kind: 'log', level: 'info', line }),
      store: this.store,
      onSparkplugMessage: (topic, payload, receivedAt, node) => payloads.learn(topic, payload, receivedAt, node),
      onMessageKept: (topic, payload, node) => schemas.received(topic, payload, node),
      onMessage: this.events.onTraced ? (topic, payload, properties) => this.events.onTraced?.(id, topic, payload, properties) : undefined,
      onSysMessage: this.events.onSysMessage ? (topic, payload, receivedAt, retained) => this.events.onSysMessage?.(id, topic, payload, receivedAt, retained) : undefined,
    });
    payloads.sparkplug.onDidChange((change) => this.events.onSparkplugChange(id, change));
    connection.onDidChangeState((state) => this.events.emit({ kind: 'state', connectionId: id, state }));
    connection.onDidChangeSubscriptions(() => this.events.emit({ kind: 'subscriptions', connectionId: id, subscriptions: connection.subscriptions }));
    connection.onDidUpdateTopic((update) => this.events.onMessage(id, update.node, update.created));
    let loggedAt = -Infinity;
    connection.topics.onForgotten = (parent) => {
      this.events.onForgotten(id, parent);
      // In the log too, at most once per FORGOTTEN_LOG_INTERVAL_MS per connection: a flood forgets thousands a second.
      const now = Date.now();
      if (now - loggedAt < FORGOTTEN_LOG_INTERVAL_MS) return;
      loggedAt = now;
      const line = `${params.profile.name}: ${connection.topics.stats.forgotten.toLocaleString('en-US')} topics forgotten so far (memory budget): the least recently active go when even the last values do not fit; raise mqttExplorer.limits.totalMib to keep more.`;
      this.events.emit({ kind: 'log', level: 'warn', line });
    };
    const model: ConnectionModel = { id, connection, index: new NodeIndex(connection.topics), payloads, schemas };
    this.models.set(id, model);
    this.applyLimits();
    this.events.onCreated(id);
    return model;
  }

  async remove(id: string): Promise<void> {
    const model = this.models.get(id);
    this.models.delete(id);
    this.secrets.delete(id);
    this.workspaceFolders.delete(id);
    this.applyLimits();
    if (!model) return;
    await model.connection.disconnect().catch(() => undefined);
    model.connection.dispose();
    model.payloads.dispose();
    // Its messages and nodes leave the shared pool.
    model.connection.topics.dispose();
  }

  // ── Offline recordings (issue 15) ──
  /**
   * A connection that shows a recording instead of a broker: a BrokerConnection that never connects
   * (its messages come through `ingest`), with its own index, payload reader and schema checks like
   * any other. Called again for the same id it starts over with an empty tree (a seek backwards).
   */
  openOffline(id: string, name: string): ConnectionModel {
    const old = this.models.get(id);
    if (old) {
      this.models.delete(id);
      old.connection.dispose();
      old.payloads.dispose();
      old.connection.topics.dispose();
    }
    const profile = newProfile(id, { name, host: '', port: 0, clientId: '', subscriptions: [] });
    return this.create({ connectionId: id, profile, secrets: {}, backoff: DEFAULT_BACKOFF });
  }

  setLimits(limits: TopicLimits): void {
    this.limits = limits;
    this.applyLimits();
  }

  /**
   * One budget for the whole worker: what the worker needs without any topic (code, clients) is set
   * aside, the rest is one pool for the topics and messages of all connections (not a share each:
   * a flooded connection may use what a quiet one leaves).
   */
  private applyLimits(): void {
    this.store.budgetBytes = Math.max(this.limits.totalBudgetBytes - WORKER_BASE_BYTES, this.limits.totalBudgetBytes / 2);
    for (const model of this.models.values()) model.connection.topics.limits = this.limits;
    // A lower budget takes effect now, not with the next message.
    this.models.values().next().value?.connection.topics.fitBudget();
  }

  /** Disconnects every connection (each sends DISCONNECT, so brokers publish no last will). */
  async dispose(): Promise<void> {
    const models = [...this.models.values()];
    this.models.clear();
    await Promise.all(models.map((model) => model.connection.disconnect().catch(() => undefined)));
    for (const model of models) {
      model.connection.dispose();
      model.payloads.dispose();
    }
  }
}
