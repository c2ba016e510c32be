/**
 * An `MqttPort` over an MQTT.js client: what the command line runs `.mqtt` files on. Node only
 * (MQTT.js); the extension implements its own port over the engine's connection.
 */
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { reasonText } from '../shared/publish';
import { describeConnectError, describeSubscribeFailure } from '../worker/errors';
import { toPublishProperties } from '../worker/connection';
import { portMessageProperties } from './messageProperties';
import type { Disposer, Lease, MessageListener, MqttPort, PortPublishOptions, PortPublishResult, PortSubscribeOptions } from './types';

export interface ClientPortOptions {
  /** mqtt://, mqtts://, ws:// or wss:// with host and port. */
  url: string;
  mqttVersion: 4 | 5;
  username?: string;
  password?: string;
  clientId?: string;
  /** How long to wait for the broker's CONNACK; default 10 s. */
  connectTimeoutMs?: number;
  /** TLS: verify the broker's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** TLS: a CA certificate (PEM) to trust. */
  ca?: Uint8Array;
  /** TLS: a client certificate and its private key (PEM), for mutual TLS; the key's passphrase when it is encrypted. */
  cert?: Uint8Array;
  key?: Uint8Array;
  passphrase?: string;
}

/**
 * A connected MQTT.js client as an `MqttPort`. Subscriptions are counted per filter: each
 * `subscribe` sends a SUBSCRIBE (so that retained messages come again for the new listener), and
 * the filter is unsubscribed when its last lease is released.
 */
export class MqttClientPort implements MqttPort {
  private readonly listeners = new Set<MessageListener>();
  private readonly uses = new Map<string, number>();
  /** PUBACK / PUBREC reason codes by message id: MQTT.js resolves a publish with its own packet, not the answer. */
  private readonly acks = new Map<number, number>();

  constructor(
    private readonly client: MqttClient,
    readonly mqttVersion: 4 | 5,
  ) {
    client.on('message', (topic, payload, packet) => {
      const message = { payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.length), qos: packet.qos, retain: packet.retain, receivedAt: Date.now() };
      const properties = portMessageProperties(packet.properties);
      for (const listener of this.listeners) listener(topic, properties ? { ...message, properties } : message);
    });
    client.on('packetreceive', (packet) => {
      if ((packet.cmd !== 'puback' && packet.cmd !== 'pubrec') || packet.messageId === undefined) return;
      if (this.acks.size > 1000) this.acks.clear(); // answers nobody took (refused publishes reject instead)
      this.acks.set(packet.messageId, packet.reasonCode ?? 0);
    });
  }

  /** Connects; rejects with one sentence for people (refused, wrong password, unreachable…). */
  static async connect(options: ClientPortOptions): Promise<MqttClientPort> {
    const url = new URL(options.url);
    const clientOptions: IClientOptions = {
      protocolVersion: options.mqttVersion,
      clientId: options.clientId ?? `mqtt-explorer-test-${Math.random().toString(16).slice(2, 10)}`,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      clean: true,
    };
    if (options.username !== undefined) clientOptions.username = options.username;
    if (options.password !== undefined) clientOptions.password = options.password;
    if (options.rejectUnauthorized !== undefined) clientOptions.rejectUnauthorized = options.rejectUnauthorized;
    if (options.ca) clientOptions.ca = Buffer.from(options.ca);
    if (options.cert) clientOptions.cert = Buffer.from(options.cert);
    if (options.key) clientOptions.key = Buffer.from(options.key);
    // MQTT.js hands its options to tls.connect, which takes the passphrase; its types do not list it.
    if (options.passphrase !== undefined) (clientOptions as { passphrase?: string }).passphrase = options.passphrase;
    const defaultPort = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 }[url.protocol] ?? 1883;
    const context = { host: url.hostname, port: url.port ? Number(url.port) : defaultPort, mqttVersion: options.mqttVersion, credentials: options.username !== undefined || options.password !== undefined };
    const client = mqtt.connect(options.url, clientOptions);
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error) => {
          cleanUp();
          reject(error);
        };
        // With reconnecting off, a refused TCP connection may only close the client.
        const closed = () => fail(Object.assign(new Error(`${context.host}:${context.port} closed the connection before accepting it.`), { code: 'ECONNRESET' }));
        const done = () => {
          cleanUp();
          resolve();
        };
        const cleanUp = () => {
          client.removeListener('connect', done);
          client.removeListener('error', fail);
          client.removeListener('close', closed);
        };
        client.once('connect', done);
        client.once('error', fail);
        client.once('close', closed);
      });
    } catch (error) {
      client.end(true);
      throw new Error(describeConnectError(error as Error & { code?: string | number }, context));
    }
    client.on('error', () => undefined); // after connecting, failures show in the publishes and waits they break
    return new MqttClientPort(client, options.mqttVersion);
  }

  async publish(topic: string, payload: Uint8Array, options: PortPublishOptions): Promise<PortPublishResult> {
    const ack = options.qos === 0 ? 'none' : options.qos === 1 ? 'puback' : 'pubcomp';
    if (!this.client.connected) return { ok: false, ack, reason: 'Not connected to the broker.' };
    const publishOptions: IClientPublishOptions = { qos: options.qos, retain: options.retain };
    if (options.properties && this.mqttVersion === 5) publishOptions.properties = toPublishProperties(options.properties);
    let packet: mqtt.Packet | undefined;
    try {
      packet = await this.client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.length), publishOptions);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') return { ok: false, ack, reasonCode: code, reason: reasonText(code) };
      return { ok: false, ack, reason: error instanceof Error ? error.message : String(error) };
    }
    if (options.qos === 0) return { ok: true, ack, reason: 'Sent' };
    const messageId = packet && 'messageId' in packet ? packet.messageId : undefined;
    const reasonCode = messageId === undefined ? undefined : this.acks.get(messageId);
    if (messageId !== undefined) this.acks.delete(messageId);
    const code = reasonCode ?? 0;
    return { ok: code < 0x80, ack, reasonCode: code, reason: reasonText(code) };
  }

  async subscribe(filter: string, options: PortSubscribeOptions): Promise<Lease> {
    // Counted before the SUBSCRIBE goes out, so a concurrent release cannot unsubscribe it under us.
    this.uses.set(filter, (this.uses.get(filter) ?? 0) + 1);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      const left = (this.uses.get(filter) ?? 1) - 1;
      if (left > 0) {
        this.uses.set(filter, left);
        return;
      }
      this.uses.delete(filter);
      if (!this.client.connected) return;
      try {
        await this.client.unsubscribeAsync(filter);
      } catch {
        // The connection is going away; nothing is left to clean up on it.
      }
    };
    try {
      const granted = await this.client.subscribeAsync(filter, { qos: options.qos });
      const code = granted[0]?.qos ?? 0x80;
      if (code >= 0x80) throw new Error(`The broker refused the subscription to ${filter}: ${describeSubscribeFailure(code, this.mqttVersion)}`);
    } catch (error) {
      await release();
      const failure = error as { code?: unknown; packet?: { granted?: unknown[] } };
      const code = failure.packet?.granted?.[0] ?? failure.code;
      if (typeof code === 'number') throw new Error(`The broker refused the subscription to ${filter}: ${describeSubscribeFailure(code, this.mqttVersion)}`);
      throw error;
    }
    return { release };
  }

  onMessage(listener: MessageListener): Disposer {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Disconnects cleanly (DISCONNECT), or at once after `timeoutMs`. */
  async close(timeoutMs = 2000): Promise<void> {
    this.listeners.clear();
    await Promise.race([this.client.endAsync(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    if (!this.client.disconnected) this.client.end(true);
  }
}
