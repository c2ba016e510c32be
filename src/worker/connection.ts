import * as l10n from '@vscode/l10n';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IClientSubscribeOptions, type MqttClient } from 'mqtt';
import { brokerUrl, isTlsProtocol, type ConnectionProfile, type SubscriptionSpec } from '../shared/profile';
import { reasonText, type PublishProperties, type PublishResult } from '../shared/publish';
import { DEFAULT_BACKOFF, ReconnectPolicy, type BackoffOptions } from './backoff';
import { Emitter, type IDisposable } from '../shared/dispose';
import { describeConnectError, describeSubscribeFailure } from './errors';
import { DEFAULT_LIMITS, TopicTree, type MessageProperties, type TopicNode, type TopicUpdate } from './topicTree';
import type { MessageStore } from './messageStore';
import { readTlsFile, TlsFileError, type TlsFileBase, type TlsFileField } from './tlsFiles';
import { SubscriptionIds } from './subscriptionIds';
import { SPARKPLUG_PREFIX } from '../shared/decoderBindings';

export type { ConnectionProfile } from '../shared/profile';

export type ConnectionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected'; since: number }
  | { kind: 'reconnecting'; attempt: number; nextTryAt: number; reason: string; flapping: boolean }
  | { kind: 'failed'; reason: string }
  // ── Offline recordings (issue 15: a recording opened as a connection) ──
  /** A recording opened offline: its topics come from a file, not a broker (src/worker/offlineRecordings.ts). */
  | { kind: 'offline'; recording: OfflineState };

/** What the views show of an offline recording: the file, its time range, the time shown, the opening's progress. */
export interface OfflineState {
  path: string;
  /** The first and last message times (epoch ms); undefined until the first message is read. */
  from?: number;
  to?: number;
  /** The tree shows every message received at or before this time (epoch ms). */
  at?: number;
  /** Messages in the tree now (those at or before `at`). */
  applied: number;
  /** While the file is read (the index on open, or a seek): how far. */
  loading?: { what: 'opening' | 'seeking'; bytesRead: number; totalBytes: number; messages: number };
}

/** Secrets come from VS Code's SecretStorage; the engine only ever holds them in memory. */
export interface ConnectionSecrets {
  password?: string;
  keyPassphrase?: string;
}

export interface ConnectionDeps {
  secrets: () => Promise<ConnectionSecrets>;
  backoff?: BackoffOptions;
  /** Where connection events are written (the output channel). Never given a secret. */
  log?: (line: string) => void;
  /** The message store its topics share with the other connections (one budget for all); its own when absent. */
  store?: MessageStore;
  /** Where relative TLS file paths lead (the workspace folder), read at each connect. */
  tlsBase?: () => TlsFileBase;
  /**
   * Every message on a `spBv1.0/…` topic, whole and in the order received, after the tree kept it
   * (Sparkplug B is stateful: births name the aliases of later messages, seq must be counted). Other
   * topics never reach it: one string comparison per message is all they pay.
   */
  onSparkplugMessage?: (topic: string, payload: Uint8Array, receivedAt: number, node: TopicNode) => void;
  /** Every message, whole, after the tree kept it and before the views hear of it (JSON Schema checks: they return at once for unbound topics). */
  onMessageKept?: (topic: string, payload: Uint8Array, node: TopicNode) => void;
  /** Every message, whole and in the order received, with its MQTT 5 properties (request/response tracing: any message may be a reply). */
  onMessage?: (topic: string, payload: Uint8Array, properties: MessageProperties | undefined) => void;
  // ---- broker statistics ----
  /** Every message on a `$SYS/…` topic, in the order received, and whether it was retained (broker statistics). Other topics pay one character comparison. */
  onSysMessage?: (topic: string, payload: Uint8Array, receivedAt: number, retained: boolean) => void;
}

export type SubscriptionStatus = { state: 'pending' } | { state: 'active'; grantedQos: number } | { state: 'refused'; reason: string };

export interface Subscription {
  spec: SubscriptionSpec;
  status: SubscriptionStatus;
}

/** Errors after which retrying cannot help until the user changes something. */
function isPermanent(error: Error & { code?: string | number }): boolean {
  const code = error.code;
  if (typeof code === 'number') return [1, 2, 4, 5, 0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c].includes(code);
  return typeof code === 'string' && (/CERT|SELF_SIGNED|ALTNAME|ISSUER|SSL|ENOTFOUND/.test(code) || /bad decrypt|DECODER routines::unsupported/i.test(error.message));
}

/** Reads one of a profile's TLS files (readTlsFile: bounded, regular files only, errors that name the field). */
export type TlsFileReader = (field: TlsFileField, path: string) => Promise<Buffer>;

/** MQTT.js options for a profile: the one place where settings, secrets and files become a client. */
export async function buildClientOptions(profile: ConnectionProfile, secrets: ConnectionSecrets, read: TlsFileReader = (field, path) => readTlsFile(field, path)): Promise<IClientOptions> {
  const options: IClientOptions = {
    clientId: profile.clientId,
    protocolVersion: profile.mqttVersion,
    keepalive: profile.keepalive,
    clean: profile.cleanStart,
    connectTimeout: profile.connectTimeout * 1000,
    // Reconnecting is ours (backoff with jitter, flapping detection), not MQTT.js's fixed period.
    reconnectPeriod: 0,
    resubscribe: false,
  };
  if (profile.username) options.username = profile.username;
  if (secrets.password) options.password = secrets.password;
  if (profile.mqttVersion === 5) {
    const properties: NonNullable<IClientOptions['properties']> = {};
    if (profile.sessionExpiry !== undefined) properties.sessionExpiryInterval = profile.sessionExpiry;
    if (profile.userProperties && Object.keys(profile.userProperties).length) properties.userProperties = profile.userProperties;
    if (Object.keys(properties).length) options.properties = properties;
  }
  if (profile.will) {
    options.will = { topic: profile.will.topic, payload: Buffer.from(profile.will.payload), qos: profile.will.qos, retain: profile.will.retain };
  }
  if (isTlsProtocol(profile.protocol)) {
    const tls = profile.tls ?? { verify: true };
    options.rejectUnauthorized = tls.verify;
    if (tls.caFile) options.ca = await read('caFile', tls.caFile);
    if (tls.certFile) options.cert = await read('certFile', tls.certFile);
    if (tls.keyFile) options.key = await read('keyFile', tls.keyFile);
    if (secrets.keyPassphrase) (options as { passphrase?: string }).passphrase = secrets.keyPassphrase;
    if (tls.serverName) options.servername = tls.serverName;
  }
  return options;
}

/** A message as MQTT.js gave it (payload whole, properties as in the packet). */
export interface RawMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  retain: boolean;
  receivedAt: number;
  properties: mqtt.IPublishPacket['properties'];
}

/** The recordings' message hook: every message whole, as received (src/worker/recording). */
export type RecordHook = (topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean, receivedAt: number, properties: MessageProperties | undefined) => void;

/**
 * One broker connection: an MQTT.js client, its state, its live subscriptions and the topics it has
 * seen. Reconnects by itself after a drop, with backoff, and restores its subscriptions.
 */
export class BrokerConnection implements IDisposable {
  readonly topics: TopicTree;
  private client: MqttClient | undefined;
  private current: ConnectionState = { kind: 'disconnected' };
  private readonly subscriptionMap = new Map<string, Subscription>();
  /** The broker's last PUBACK / PUBCOMP per message id, until publish() takes it. */
  private readonly acks = new Map<number, { cmd: 'puback' | 'pubcomp'; reasonCode: number }>();
  private readonly policy: ReconnectPolicy;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  private readonly stateEmitter = new Emitter<ConnectionState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly topicEmitter = new Emitter<TopicUpdate>();
  /** Fires for every message; listeners must be cheap and coalesce (the tree view does). */
  readonly onDidUpdateTopic = this.topicEmitter.event;
  private readonly subscriptionEmitter = new Emitter<void>();
  readonly onDidChangeSubscriptions = this.subscriptionEmitter.event;
  private readonly messageEmitter = new Emitter<RawMessage>();
  /** Every message as received, before the tree cuts it (the `.mqtt` runner listens while it runs; nothing else does). */
  readonly onDidReceiveMessage = this.messageEmitter.event;
  /** Set only while a recording of this connection runs (src/worker/recording/recordings.ts): without one, a message pays one property read. */
  recordHook: RecordHook | undefined;
  /** Filters leased apart from the profile's subscriptions (the runner's), with their use counts. */
  private readonly leases = new Map<string, number>();
  /** MQTT 5: an identifier per filter, so that of the copies a broker sends for overlapping subscriptions one is taken. */
  private readonly subscriptionIds = new SubscriptionIds();

  constructor(
    readonly profile: ConnectionProfile,
    private readonly deps: ConnectionDeps = { secrets: async () => ({}) },
  ) {
    this.topics = new TopicTree(DEFAULT_LIMITS, deps.store);
    this.policy = new ReconnectPolicy(deps.backoff ?? DEFAULT_BACKOFF);
    for (const spec of profile.subscriptions) this.subscriptionMap.set(spec.topic, { spec, status: { state: 'pending' } });
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Copies of messages left out because another copy of the same message was taken (overlapping MQTT 5 subscriptions). */
  get duplicateCopies(): number {
    return this.subscriptionIds.duplicates;
  }

  get subscriptions(): Subscription[] {
    return [...this.subscriptionMap.values()];
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.stateEmitter.fire(state);
  }

  private log(line: string): void {
    this.deps.log?.(`[${this.profile.name}] ${line}`);
  }

  /** The last CONNECT carried a user name or password. */
  private sentCredentials = false;

  private describe(error: Error): string {
    return describeConnectError(error, { host: this.profile.host, port: this.profile.port, mqttVersion: this.profile.mqttVersion, credentials: this.sentCredentials });
  }

  /** Connects and subscribes. Resolves once connected; rejects with a readable reason on failure. */
  async connect(): Promise<void> {
    this.refuseOffline(() => l10n.t('"{0}" is a recording opened offline: it has no broker to connect to. Use a broker connection.', this.profile.name));
    if (this.client) return;
    this.setState({ kind: 'connecting' });
    this.policy.reset();
    let client: MqttClient;
    try {
      const base = this.deps.tlsBase?.() ?? {};
      const options = await buildClientOptions(this.profile, await this.deps.secrets(), (field, path) => readTlsFile(field, path, base));
      this.sentCredentials = Boolean(options.username || options.password);
      this.log(`connecting to ${brokerUrl(this.profile)} as ${this.profile.clientId} (MQTT ${this.profile.mqttVersion === 5 ? '5.0' : '3.1.1'})`);
      client = mqtt.connect(brokerUrl(this.profile), options);
    } catch (error) {
      // A TLS file's own message names the field, the path and why; it is no network error to translate.
      const reason = error instanceof TlsFileError ? error.message : this.describe(error as Error);
      this.setState({ kind: 'failed', reason });
      throw new Error(reason);
    }
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      // A second copy of a message for another of our subscriptions (MQTT 5 brokers send one per subscription).
      if (!this.subscriptionIds.accepts(topic, packet.properties?.subscriptionIdentifier)) {
        if (this.subscriptionIds.duplicates === 1) this.log(`the broker sends a copy of a message for each matching subscription (${topic}); one is kept, the others are counted as duplicate copies`);
        return;
      }
      const receivedAt = Date.now();
      const properties = packet.properties ? toMessageProperties(packet.properties) : undefined;
      // Before the tree: the whole payload, whatever the tree keeps of it (a recording's is not recorded again).
      const record = this.recordHook;
      if (record) record(topic, payload, packet.qos, packet.retain, receivedAt, properties);
      this.ingest(topic, payload, packet.qos, packet.retain, receivedAt, properties);
      if (this.leases.size > 0) this.messageEmitter.fire({ topic, payload, qos: packet.qos, retain: packet.retain, receivedAt, properties: packet.properties });
    });
    // MQTT.js answers a publish with the packet it stored, not with the broker's PUBACK or PUBCOMP:
    // their reason codes are taken here, by message id, for publish() to report.
    client.on('packetreceive', (packet) => {
      // Every received packet passes here, each message included: the command is checked first.
      if (packet.cmd !== 'puback' && packet.cmd !== 'pubrec' && packet.cmd !== 'pubcomp') return;
      if (packet.messageId === undefined) return;
      if (this.acks.size > 1000) this.acks.clear(); // answers of refused publishes nobody took
      const reasonCode = packet.reasonCode ?? 0;
      // At QoS 2 the reason ("No matching subscribers") comes in PUBREC; PUBCOMP only closes the exchange.
      const earlier = packet.cmd === 'pubcomp' ? this.acks.get(packet.messageId) : undefined;
      this.acks.set(packet.messageId, { cmd: packet.cmd === 'puback' ? 'puback' : 'pubcomp', reasonCode: earlier?.reasonCode || reasonCode });
    });
    client.on('error', (error) => {
      this.lastError = this.describe(error);
      this.log(`error: ${this.lastError}`);
      if (isPermanent(error)) this.fail(this.lastError);
    });
    client.on('connect', (connack) => {
      this.lastError = undefined;
      // A SUBSCRIBE with an identifier to a broker that has none is a protocol error: only when the CONNACK allows it.
      this.subscriptionIds.setAvailable(this.profile.mqttVersion === 5 && connack.properties?.subscriptionIdentifiersAvailable !== false);
      this.policy.connected();
      this.log(`connected${connack.sessionPresent ? ' (session present)' : ''}`);
      this.setState({ kind: 'connected', since: Date.now() });
      // Without a session the broker forgot our subscriptions: restore them all.
      if (!connack.sessionPresent) void this.subscribeAll();
    });
    client.on('close', () => this.onClose(client));

    await new Promise<void>((resolve, reject) => {
      const subscription = this.onDidChangeState((state) => {
        if (state.kind === 'connected') {
          subscription.dispose();
          resolve();
        } else if (state.kind === 'failed' || state.kind === 'disconnected') {
          subscription.dispose();
          reject(new Error(state.kind === 'failed' ? state.reason : l10n.t('Disconnected.')));
        }
      });
    });
  }

  /**
   * One message into the tree and to every listener, in the order they must hear it: the one path
   * of a live client's messages and of a recording's (an offline connection), so both are shown,
   * decoded, checked and traced alike.
   */
  ingest(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean, receivedAt: number, properties: MessageProperties | undefined): TopicUpdate {
    const update = this.topics.add(topic, { payload, qos, retain, receivedAt, properties });
    if (this.deps.onSparkplugMessage && topic.startsWith(SPARKPLUG_PREFIX)) this.deps.onSparkplugMessage(topic, payload, receivedAt, update.node);
    // '$' (36) first: most topics never reach the prefix comparison.
    if (this.deps.onSysMessage && topic.charCodeAt(0) === 36 && topic.startsWith('$SYS/')) this.deps.onSysMessage(topic, payload, receivedAt, retain);
    this.deps.onMessageKept?.(topic, payload, update.node);
    this.deps.onMessage?.(topic, payload, properties);
    this.topicEmitter.fire(update);
    return update;
  }

  // ── Offline recordings ──
  /** Set while the connection shows a recording: it never connects and refuses to publish. */
  get offline(): boolean {
    return this.current.kind === 'offline';
  }

  /** Shows a recording's state (the offline source calls it as it reads). */
  setOffline(recording: OfflineState): void {
    this.setState({ kind: 'offline', recording });
  }

  private refuseOffline(message: () => string): void {
    if (this.current.kind === 'offline') throw new Error(message());
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client || this.current.kind === 'failed' || this.current.kind === 'disconnected') return;
    if (this.current.kind === 'connecting') {
      // The first attempt failed: say why and stop; the user asked for this connection just now.
      this.fail(this.lastError ?? l10n.t('{0} closed the connection before accepting it.', `${this.profile.host}:${this.profile.port}`));
      return;
    }
    const { delayMs, flapping } = this.policy.closed();
    const attempt = this.current.kind === 'reconnecting' ? this.current.attempt + 1 : 1;
    const reason = this.lastError ?? l10n.t('Connection lost.');
    this.log(`connection closed (${reason}); reconnect attempt ${attempt} in ${(delayMs / 1000).toFixed(1)} s${flapping ? ' (flapping: the broker keeps closing the connection)' : ''}`);
    this.setState({ kind: 'reconnecting', attempt, nextTryAt: Date.now() + delayMs, reason, flapping });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.reconnectNow(), delayMs);
  }

  /** Tries again at once (the "Reconnect now" action); keeps what is queued to publish. */
  reconnectNow(): void {
    const client = this.client;
    if (!client || this.current.kind === 'connected') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    // Passing the stores keeps QoS 1 and 2 messages published while offline; they go out on connect.
    client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
  }

  private fail(reason: string): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    client?.end(true);
    this.log(`failed: ${reason}`);
    this.setState({ kind: 'failed', reason });
  }

  private async subscribeAll(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscription) => this.subscribe(subscription.spec).catch(() => undefined)));
  }

  /** Subscribes now when connected (otherwise on connect). Rejects with the broker's reason when refused. */
  async addSubscription(spec: SubscriptionSpec): Promise<Subscription> {
    this.refuseOffline(() => l10n.t('"{0}" is a recording opened offline: it has no broker to subscribe on. Use a broker connection.', this.profile.name));
    const subscription: Subscription = { spec, status: { state: 'pending' } };
    this.subscriptionMap.set(spec.topic, subscription);
    this.subscriptionEmitter.fire();
    if (this.current.kind === 'connected') await this.subscribe(spec);
    return this.subscriptionMap.get(spec.topic) ?? subscription;
  }

  async removeSubscription(topic: string): Promise<void> {
    if (!this.subscriptionMap.delete(topic)) return;
    this.subscriptionEmitter.fire();
    if (this.leases.has(topic)) return; // a run still listens: its release unsubscribes
    this.subscriptionIds.forget(topic);
    if (this.client && this.current.kind === 'connected') await this.client.unsubscribeAsync(topic);
  }

  private subscribeOptions(spec: SubscriptionSpec): IClientSubscribeOptions {
    const options: IClientSubscribeOptions = { qos: spec.qos };
    if (this.profile.mqttVersion === 5) {
      if (spec.noLocal !== undefined) options.nl = spec.noLocal;
      if (spec.retainAsPublished !== undefined) options.rap = spec.retainAsPublished;
      if (spec.retainHandling !== undefined) options.rh = spec.retainHandling;
      const id = this.subscriptionIds.idFor(spec.topic);
      if (id !== undefined) options.properties = { subscriptionIdentifier: id };
    }
    return options;
  }

  private async subscribe(spec: SubscriptionSpec): Promise<void> {
    const client = this.client;
    if (!client) return;
    const options = this.subscribeOptions(spec);
    let status: SubscriptionStatus;
    try {
      const granted = await client.subscribeAsync(spec.topic, options);
      const code = granted[0]?.qos ?? 0x80;
      status = code >= 0x80 ? { state: 'refused', reason: describeSubscribeFailure(code, this.profile.mqttVersion) } : { state: 'active', grantedQos: code };
    } catch (error) {
      // MQTT.js rejects a SUBACK failure with the SUBACK packet (or the code) on the error.
      const failure = error as { code?: unknown; packet?: { granted?: unknown[] } };
      const code = failure.packet?.granted?.[0] ?? failure.code;
      status = { state: 'refused', reason: typeof code === 'number' ? describeSubscribeFailure(code, this.profile.mqttVersion) : String((error as Error).message ?? error) };
    }
    const current = this.subscriptionMap.get(spec.topic);
    if (current) current.status = status;
    this.subscriptionEmitter.fire();
    if (status.state === 'refused') {
      this.log(`subscription to ${spec.topic} refused: ${status.reason}`);
      throw new Error(l10n.t('Subscription to {0} refused: {1}', spec.topic, status.reason));
    }
    this.log(`subscribed to ${spec.topic} (granted QoS ${status.grantedQos})`);
  }

  /**
   * Subscribes to a filter for a while, apart from the profile's subscriptions (not listed, not
   * restored on reconnect): the `.mqtt` runner's. Uses are counted; the filter is unsubscribed when
   * the last is released, and never when the profile subscribes to it too.
   */
  async lease(filter: string, qos: 0 | 1 | 2): Promise<{ release(): Promise<void> }> {
    const client = this.client;
    if (!client || this.current.kind !== 'connected') throw new Error(l10n.t('{0} is not connected.', this.profile.name));
    // Counted before the SUBSCRIBE goes out, so a concurrent release cannot unsubscribe it under us.
    this.leases.set(filter, (this.leases.get(filter) ?? 0) + 1);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      const left = (this.leases.get(filter) ?? 1) - 1;
      if (left > 0) {
        this.leases.set(filter, left);
        return;
      }
      this.leases.delete(filter);
      if (this.subscriptionMap.has(filter)) return;
      this.subscriptionIds.forget(filter);
      if (!this.client || this.current.kind !== 'connected') return;
      await this.client.unsubscribeAsync(filter).catch((error: unknown) => this.log(`unsubscribe from ${filter} failed: ${String((error as Error).message ?? error)}`));
    };
    // Each lease subscribes, so that the broker sends the filter's retained messages again for it; on
    // a filter the profile subscribes to as well, at the higher QoS of the two (a SUBSCRIBE replaces one).
    const held = this.subscriptionMap.get(filter)?.spec;
    const id = this.subscriptionIds.idFor(filter);
    const options: IClientSubscribeOptions = held ? { ...this.subscribeOptions(held), qos: Math.max(qos, held.qos) as 0 | 1 | 2 } : { qos, ...(id !== undefined ? { properties: { subscriptionIdentifier: id } } : {}) };
    try {
      const granted = await client.subscribeAsync(filter, options);
      const code = granted[0]?.qos ?? 0x80;
      if (code >= 0x80) throw Object.assign(new Error('refused'), { code });
    } catch (error) {
      await release();
      const failure = error as { code?: unknown; packet?: { granted?: unknown[] } };
      const code = failure.packet?.granted?.[0] ?? failure.code;
      throw new Error(l10n.t('Subscription to {0} refused: {1}', filter, typeof code === 'number' ? describeSubscribeFailure(code, this.profile.mqttVersion) : String((error as Error).message ?? error)));
    }
    return { release };
  }

  /** Publishes, and resolves with the broker's answer: PUBACK at QoS 1, PUBCOMP at QoS 2, nothing at QoS 0. */
  async publish(topic: string, payload: string | Uint8Array, options: { qos?: 0 | 1 | 2; retain?: boolean; properties?: PublishProperties; messageProperties?: MessageProperties } = {}): Promise<PublishResult> {
    this.refuseOffline(() => l10n.t('"{0}" is a recording opened offline: it has no broker to publish to. Use a broker connection.', this.profile.name));
    const client = this.client;
    if (!client) throw new Error(l10n.t('{0} is not connected.', this.profile.name));
    const publishOptions: IClientPublishOptions = { qos: options.qos ?? 0, retain: options.retain ?? false };
    if (options.properties && this.profile.mqttVersion === 5) publishOptions.properties = toPublishProperties(options.properties);
    // A replay sends properties as they were received: correlation data as bytes, user properties as a record.
    if (options.messageProperties && this.profile.mqttVersion === 5) publishOptions.properties = fromMessageProperties(options.messageProperties);
    let packet: mqtt.Packet | undefined;
    try {
      packet = await client.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), publishOptions);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') throw new Error(l10n.t('The broker refused the message: {0} ({1}).', reasonText(code), `0x${code.toString(16).padStart(2, '0')}`));
      throw error;
    }
    const messageId = packet && 'messageId' in packet ? packet.messageId : undefined;
    const answer = messageId === undefined ? undefined : this.acks.get(messageId);
    if (messageId !== undefined) this.acks.delete(messageId);
    if ((options.qos ?? 0) === 0) return { ack: 'none', reasonCode: 0, reason: reasonText(0) };
    // Acknowledged (MQTT.js resolved), but its packet was not seen: no reason code to report.
    if (!answer) return { ack: options.qos === 1 ? 'puback' : 'pubcomp', reasonCode: 0, reason: reasonText(0) };
    return { ack: answer.cmd, reasonCode: answer.reasonCode, reason: reasonText(answer.reasonCode) };
  }

  async disconnect(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
    for (const subscription of this.subscriptionMap.values()) subscription.status = { state: 'pending' };
    this.log('disconnected');
    this.setState({ kind: 'disconnected' });
  }

  dispose(): void {
    clearTimeout(this.reconnectTimer);
    this.client?.end(true);
    this.client = undefined;
    this.stateEmitter.dispose();
    this.topicEmitter.dispose();
    this.subscriptionEmitter.dispose();
    this.messageEmitter.dispose();
  }
}

function toMessageProperties(properties: NonNullable<mqtt.IPublishPacket['properties']>): MessageProperties {
  const result: MessageProperties = {};
  if (properties.userProperties) result.userProperties = { ...(properties.userProperties as Record<string, string | string[]>) };
  if (properties.contentType !== undefined) result.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) result.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) result.correlationData = new Uint8Array(properties.correlationData);
  if (properties.messageExpiryInterval !== undefined) result.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.payloadFormatIndicator !== undefined) result.payloadFormatIndicator = properties.payloadFormatIndicator;
  return result;
}

/** Properties as received (toMessageProperties), for MQTT.js again: what a replay publishes. */
function fromMessageProperties(properties: MessageProperties): NonNullable<IClientPublishOptions['properties']> {
  const result: NonNullable<IClientPublishOptions['properties']> = {};
  if (properties.contentType !== undefined) result.contentType = properties.contentType;
  if (properties.payloadFormatIndicator !== undefined) result.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.messageExpiryInterval !== undefined) result.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.responseTopic !== undefined) result.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) result.correlationData = Buffer.from(properties.correlationData);
  if (properties.userProperties !== undefined && Object.keys(properties.userProperties).length) result.userProperties = { ...properties.userProperties };
  return result;
}

/** MQTT 5 publish properties for MQTT.js: correlation data as bytes, repeated user properties as arrays. */
export function toPublishProperties(properties: PublishProperties): NonNullable<IClientPublishOptions['properties']> {
  const result: NonNullable<IClientPublishOptions['properties']> = {};
  if (properties.contentType !== undefined) result.contentType = properties.contentType;
  if (properties.payloadFormatIndicator !== undefined) result.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.messageExpiryInterval !== undefined) result.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.responseTopic !== undefined) result.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) result.correlationData = Buffer.from(properties.correlationData, 'utf8');
  if (properties.userProperties?.length) {
    const grouped: Record<string, string | string[]> = {};
    for (const [name, value] of properties.userProperties) {
      const existing = grouped[name];
      grouped[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    result.userProperties = grouped;
  }
  return result;
}
