import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Emitter, type IDisposable } from './dispose';
import { TopicTree, type TopicUpdate } from './topicTree';

export type Protocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** What a user saves about a broker. Secrets never live here (issue: connections). */
export interface ConnectionProfile {
  id: string;
  name: string;
  protocol: Protocol;
  host: string;
  port: number;
}

export type ConnectionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting' }
  | { kind: 'failed'; reason: string };

export const DEFAULT_SUBSCRIPTIONS = ['#', '$SYS/#'];

export function brokerUrl(profile: ConnectionProfile): string {
  const host = profile.host.includes(':') ? `[${profile.host}]` : profile.host;
  return `${profile.protocol}://${host}:${profile.port}`;
}

/** Turns what MQTT.js and Node report into words a user understands. */
export function describeConnectError(error: Error & { code?: string | number }): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'Connection refused: nothing is listening at that address and port.';
    case 'ENOTFOUND':
      return 'Host name not found.';
    case 'ETIMEDOUT':
      return 'Timed out while connecting.';
    default:
      return error.message || String(error);
  }
}

/** One broker connection: an MQTT.js client, its state, and the topics it has seen. */
export class BrokerConnection implements IDisposable {
  readonly topics = new TopicTree();
  private client: MqttClient | undefined;
  private current: ConnectionState = { kind: 'disconnected' };

  private readonly stateEmitter = new Emitter<ConnectionState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly topicEmitter = new Emitter<TopicUpdate>();
  /** Fires for every message; listeners must be cheap and coalesce (the tree view does). */
  readonly onDidUpdateTopic = this.topicEmitter.event;

  constructor(readonly profile: ConnectionProfile) {}

  get state(): ConnectionState {
    return this.current;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.stateEmitter.fire(state);
  }

  /** Connects and subscribes; resolves once subscribed, rejects with a readable reason. */
  async connect(options: IClientOptions = {}): Promise<void> {
    if (this.client) return;
    this.setState({ kind: 'connecting' });
    const client = mqtt.connect(brokerUrl(this.profile), {
      clientId: `mqtt-explorer-${Math.random().toString(16).slice(2, 10)}`,
      connectTimeout: 10_000,
      reconnectPeriod: 1000,
      ...options,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const update = this.topics.add(topic, {
        payload,
        qos: packet.qos,
        retain: packet.retain,
        receivedAt: Date.now(),
      });
      this.topicEmitter.fire(update);
    });
    client.on('reconnect', () => this.setState({ kind: 'reconnecting' }));
    client.on('connect', () => this.setState({ kind: 'connected' }));
    client.on('close', () => {
      if (this.client === client && this.current.kind === 'connected') this.setState({ kind: 'reconnecting' });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(Object.assign(new Error('Connection closed.'), { code: 'ECONNREFUSED' })));
      });
      await client.subscribeAsync(DEFAULT_SUBSCRIPTIONS, { qos: 0 });
    } catch (error) {
      const reason = describeConnectError(error as Error);
      this.client = undefined;
      client.end(true);
      this.setState({ kind: 'failed', reason });
      throw new Error(reason);
    }
  }

  async publish(topic: string, payload: string | Uint8Array, options: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
    if (!this.client || this.current.kind !== 'connected') throw new Error(`${this.profile.name} is not connected.`);
    await this.client.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), {
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
    });
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
    this.setState({ kind: 'disconnected' });
  }

  dispose(): void {
    this.client?.end(true);
    this.client = undefined;
    this.stateEmitter.dispose();
    this.topicEmitter.dispose();
  }
}
